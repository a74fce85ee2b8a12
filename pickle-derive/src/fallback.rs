//! What is emitted when the input has errors: the errors, plus stub impls so
//! that code using the type does not pile up secondary errors.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{DeriveInput, GenericParam, Lifetime, LifetimeParam};

pub fn expand(input: &DeriveInput, error: syn::Error) -> TokenStream {
    let errors = error.into_compile_error();
    let ident = &input.ident;
    let pv = quote!(::pickle_core::__private);
    let (impl_g, ty_g, where_c) = input.generics.split_for_impl();
    let mut de_generics = input.generics.clone();
    de_generics.params.insert(0, GenericParam::Lifetime(LifetimeParam::new(Lifetime::new("'__a", Span::call_site()))));
    let (de_impl_g, _, _) = de_generics.split_for_impl();
    quote! {
        #errors
        #[allow(unused_variables, unreachable_code, clippy::all)]
        const _: () = {
            impl #impl_g #pv::ToPickle for #ident #ty_g #where_c {
                fn to_pickle(&self, _: &mut #pv::Encoder<'_>) -> #pv::Result<()> {
                    ::core::unreachable!()
                }
            }
            impl #de_impl_g #pv::FromPickle<'__a> for #ident #ty_g #where_c {
                fn from_pickle(_: &mut #pv::Context<'_, '__a>, _: #pv::Item) -> #pv::Result<Self> {
                    ::core::unreachable!()
                }
            }
            impl #impl_g #pv::PyType for #ident #ty_g #where_c {
                fn py_type(_: &mut #pv::PyModuleBuilder) -> #pv::TypeHint {
                    ::core::unreachable!()
                }
            }
            impl #impl_g #pv::PyClass for #ident #ty_g #where_c {
                const MODULE: &'static str = "";
                const QUALNAME: &'static str = "";
                const ALIASES: &'static [(&'static str, &'static str)] = &[];
            }
        };
    }
}
