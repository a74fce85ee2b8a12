//! Code generation: `PyClass`, `ToPickle`, `FromPickle` and `PyType` impls,
//! inside `const _: () = { ... };`, through `::pickle_core::__private`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{GenericParam, Generics, Ident, Lifetime, LifetimeParam};

use crate::ast::{Enum, Field, Input, Struct, Style, Variant};
use crate::attr::{EnumValue, lit};
use crate::valid::split_alias;

/// The prefix of every path the generated code uses.
fn pv() -> TokenStream {
    quote!(::pickle_core::__private)
}

pub fn derive(input: &Input<'_>) -> TokenStream {
    let body = match input {
        Input::Struct(s) if s.attrs.transparent.is_some() => transparent(s),
        Input::Struct(s) => structure(s),
        Input::Enum(e) if e.is_unit_only() => unit_enum(e),
        Input::Enum(e) => data_enum(e),
    };
    quote! {
        #[allow(non_upper_case_globals)]
        const _: () = {
            #body
        };
    }
}

/// `const __MODULE: &str` from the `module` attribute or the Rust module path.
fn module_const(module: Option<&str>) -> TokenStream {
    let pv = pv();
    match module {
        Some(m) => quote! { const __MODULE: &str = #m; },
        None => quote! {
            const __MODULE_BYTES: [u8; #pv::dotted_len(::core::module_path!())] =
                #pv::dotted(::core::module_path!());
            const __MODULE: &str = #pv::utf8(&__MODULE_BYTES);
        },
    }
}

fn aliases_tokens(aliases: &[(String, String)]) -> TokenStream {
    let items = aliases.iter().map(|(m, q)| quote!((#m, #q)));
    quote!(&[#(#items),*])
}

fn class_info(name: &Ident, qualname: &str, aliases: &[(String, String)]) -> TokenStream {
    let pv = pv();
    let aliases = aliases_tokens(aliases);
    quote! {
        const #name: #pv::ClassInfo = #pv::ClassInfo { module: __MODULE, qualname: #qualname, aliases: #aliases };
    }
}

fn container_aliases(attrs: &crate::attr::Attrs) -> Vec<(String, String)> {
    attrs.aliases.iter().filter_map(|a| split_alias(&a.value).map(|(m, q)| (m.to_owned(), q.to_owned()))).collect()
}

/// Generics of an impl with the bounds the fields need.
struct ImplGenerics {
    generics: Generics,
}

/// Which trait an impl needs of its fields' types.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    ToPickle,
    FromPickle,
    PyType,
}

/// Whether `ty` names one of `params` anywhere inside it.
fn mentions(ty: &syn::Type, params: &[Ident]) -> bool {
    fn walk(tokens: TokenStream, params: &[Ident]) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => params.contains(&i),
            proc_macro2::TokenTree::Group(g) => walk(g.stream(), params),
            _ => false,
        })
    }
    walk(quote!(#ty), params)
}

/// The generics plus, as serde and thiserror infer them, one bound per field
/// type that mentions a type parameter: `Ty: bound` for a field that is
/// written or read (none for `with` fields, whose module decides), and
/// `Ty: Default` for a skipped field or one with a plain `default` when
/// reading. A parameter used only in a skipped `PhantomData<T>` gets nothing
/// it cannot satisfy.
fn with_bounds(generics: &Generics, fields: &[&Field<'_>], need: Need, bound: TokenStream) -> ImplGenerics {
    let mut g = generics.clone();
    let params: Vec<Ident> = g.type_params().map(|t| t.ident.clone()).collect();
    if params.is_empty() {
        return ImplGenerics { generics: g };
    }
    let mut predicates: Vec<(String, syn::WherePredicate)> = Vec::new();
    let mut push = |p: syn::WherePredicate| {
        let key = quote!(#p).to_string();
        if !predicates.iter().any(|(k, _)| *k == key) {
            predicates.push((key, p));
        }
    };
    for f in fields.iter().filter(|f| mentions(f.ty, &params)) {
        let ty = f.ty;
        let skipped = f.attrs.skip.is_some();
        if !skipped && f.attrs.with.is_none() {
            push(syn::parse_quote!(#ty: #bound));
        }
        let defaults = skipped || f.attrs.default.as_ref().is_some_and(|d| d.value.is_none());
        if need == Need::FromPickle && defaults {
            push(syn::parse_quote!(#ty: ::core::default::Default));
        }
    }
    g.make_where_clause().predicates.extend(predicates.into_iter().map(|(_, p)| p));
    ImplGenerics { generics: g }
}

/// The lifetime that `FromPickle<'x>` reads with, and generics that declare it:
/// a type's only lifetime is the input's; otherwise a new `'__a` outliving all.
fn de_generics(generics: &Generics) -> (Lifetime, Generics) {
    let lifetimes: Vec<Lifetime> = generics.lifetimes().map(|l| l.lifetime.clone()).collect();
    if let [only] = lifetimes.as_slice() {
        return (only.clone(), generics.clone());
    }
    let de = Lifetime::new("'__a", Span::call_site());
    let mut g = generics.clone();
    let mut param = LifetimeParam::new(de.clone());
    for l in lifetimes {
        param.bounds.push(l);
    }
    g.params.insert(0, GenericParam::Lifetime(param));
    (de, g)
}

struct Impls<'a> {
    ident: &'a Ident,
    generics: &'a Generics,
    /// Every field of the type (of every variant, for an enum).
    fields: Vec<&'a Field<'a>>,
}

impl Impls<'_> {
    fn impl_to_pickle(&self, body: TokenStream) -> TokenStream {
        let pv = pv();
        let ident = self.ident;
        let g = with_bounds(self.generics, &self.fields, Need::ToPickle, quote!(#pv::ToPickle));
        let (impl_g, _, where_c) = g.generics.split_for_impl();
        let (_, ty_g, _) = self.generics.split_for_impl();
        quote! {
            impl #impl_g #pv::ToPickle for #ident #ty_g #where_c {
                fn to_pickle(&self, __enc: &mut #pv::Encoder<'_>) -> #pv::Result<()> {
                    #body
                }
            }
        }
    }

    /// `FromPickle` with `body` as `from_pickle`, and `direct` (if any) as
    /// `from_direct`.
    fn impl_from_pickle(&self, body: TokenStream, direct: Option<TokenStream>) -> TokenStream {
        let pv = pv();
        let ident = self.ident;
        let (de, generics) = de_generics(self.generics);
        let g = with_bounds(&generics, &self.fields, Need::FromPickle, quote!(#pv::FromPickle<#de>));
        let (impl_g, _, where_c) = g.generics.split_for_impl();
        let (_, ty_g, _) = self.generics.split_for_impl();
        let direct = direct.map(|direct| {
            quote! {
                fn from_direct(__rd: &mut #pv::Direct<'_, '_, #de>) -> ::core::option::Option<Self> {
                    #direct
                }
            }
        });
        quote! {
            impl #impl_g #pv::FromPickle<#de> for #ident #ty_g #where_c {
                fn from_pickle(__cx: &mut #pv::Context<'_, #de>, __item: #pv::Item) -> #pv::Result<Self> {
                    #body
                }
                #direct
            }
        }
    }

    fn impl_py_type(&self, body: TokenStream) -> TokenStream {
        let pv = pv();
        let ident = self.ident;
        let g = with_bounds(self.generics, &self.fields, Need::PyType, quote!(#pv::PyType));
        let (impl_g, _, where_c) = g.generics.split_for_impl();
        let (_, ty_g, _) = self.generics.split_for_impl();
        quote! {
            impl #impl_g #pv::PyType for #ident #ty_g #where_c {
                fn py_type(__b: &mut #pv::PyModuleBuilder) -> #pv::TypeHint {
                    #body
                }
            }
        }
    }

    fn impl_py_class(&self, qualname: &str, aliases: &[(String, String)]) -> TokenStream {
        let pv = pv();
        let ident = self.ident;
        let (impl_g, ty_g, where_c) = self.generics.split_for_impl();
        let aliases = aliases_tokens(aliases);
        quote! {
            impl #impl_g #pv::PyClass for #ident #ty_g #where_c {
                const MODULE: &'static str = __MODULE;
                const QUALNAME: &'static str = #qualname;
                const ALIASES: &'static [(&'static str, &'static str)] = #aliases;
            }
        }
    }
}

// ----- structs ---------------------------------------------------------------

fn structure(s: &Struct<'_>) -> TokenStream {
    let pv = pv();
    let impls = Impls { ident: s.ident, generics: s.generics, fields: s.fields.iter().collect() };
    let qualname = s.class_name();
    let aliases = container_aliases(&s.attrs);
    let module = module_const(s.attrs.module.as_ref().map(|m| m.value.as_str()));
    let class = format_ident!("__CLASS");
    let info = class_info(&class, &qualname, &aliases);
    let py_class = impls.impl_py_class(&qualname, &aliases);

    let accessors: Vec<TokenStream> = s
        .fields
        .iter()
        .map(|f| {
            let m = &f.member;
            quote!(&self.#m)
        })
        .collect();
    let write = write_instance(&class, &s.fields, &accessors, s.attrs.dict_state.is_some());
    let to_pickle = impls.impl_to_pickle(write);

    let read = read_instance(&class, quote!(Self), s.style, &s.fields, s.attrs.deny_unknown_fields.is_some());
    let direct = read_direct(&class, quote!(Self), s.style, &s.fields);
    let from_pickle = impls.impl_from_pickle(
        quote! {
            let __state = #pv::instance_state(__cx, __item, &#class)?;
            #read
        },
        direct,
    );

    let describe = dataclass_def(&s.fields);
    let py_type = impls.impl_py_type(quote! {
        __b.register(#class.module, #class.qualname, |__b| #describe);
        #pv::TypeHint::class(#class.module, #class.qualname)
    });
    quote! { #module #info #py_class #to_pickle #from_pickle #py_type }
}

fn transparent(s: &Struct<'_>) -> TokenStream {
    let pv = pv();
    let impls = Impls { ident: s.ident, generics: s.generics, fields: s.fields.iter().collect() };
    let Some(inner) = s.fields.iter().find(|f| f.attrs.skip.is_none()) else { return TokenStream::new() };
    let m = &inner.member;
    let ty = inner.ty;
    let write = match &inner.attrs.with {
        Some(w) => {
            let (span, w) = (w.span, &w.value);
            quote_spanned!(span=> #w::to_pickle(&self.#m, __enc))
        }
        None => quote_spanned!(ty.span()=> <#ty as #pv::ToPickle>::to_pickle(&self.#m, __enc)),
    };
    let read = match &inner.attrs.with {
        Some(w) => {
            let (span, w) = (w.span, &w.value);
            quote_spanned!(span=> #w::from_pickle(__cx, __item)?)
        }
        None => quote_spanned!(ty.span()=> <#ty as #pv::FromPickle<'_>>::from_pickle(__cx, __item)?),
    };
    let inits = s.fields.iter().map(|f| {
        let m = &f.member;
        if f.attrs.skip.is_some() { quote!(#m: ::core::default::Default::default()) } else { quote!(#m: #read) }
    });
    let hint = match &inner.attrs.with {
        Some(_) => quote!(#pv::TypeHint::any()),
        None => quote!(<#ty as #pv::PyType>::py_type(__b)),
    };
    let to_pickle = impls.impl_to_pickle(write);
    let direct = inner.attrs.with.is_none().then(|| {
        let inits = s.fields.iter().map(|f| {
            let m = &f.member;
            if f.attrs.skip.is_some() {
                quote!(#m: ::core::default::Default::default())
            } else {
                quote!(#m: #pv::FromPickle::from_direct(__rd)?)
            }
        });
        quote!(::core::option::Option::Some(Self { #(#inits),* }))
    });
    let from_pickle = impls.impl_from_pickle(quote!(::core::result::Result::Ok(Self { #(#inits),* })), direct);
    let py_type = impls.impl_py_type(hint);
    quote! { #to_pickle #from_pickle #py_type }
}

/// `__enc.write_instance(...)` for `fields`, each read through its accessor;
/// `write_dict_instance` with `dict_state`.
fn write_instance(class: &Ident, fields: &[Field<'_>], accessors: &[TokenStream], dict_state: bool) -> TokenStream {
    let pv = pv();
    let method = if dict_state { format_ident!("write_dict_instance") } else { format_ident!("write_instance") };
    let written: Vec<TokenStream> = fields
        .iter()
        .zip(accessors)
        .filter(|(f, _)| f.attrs.skip.is_none())
        .map(|(f, access)| {
            let name = lit(&f.py_name());
            let ty = f.ty;
            match &f.attrs.with {
                Some(w) => {
                    let w = &w.value;
                    quote_spanned!(w.span()=> __state.field_with(#name, |__enc| #w::to_pickle(#access, __enc))?;)
                }
                None => quote_spanned!(ty.span()=> __state.field::<#ty>(#name, #access)?;),
            }
        })
        .collect();
    let n = written.len();
    if n == 0 {
        return quote!(__enc.#method(#class.module, #class.qualname, 0, |_| ::core::result::Result::Ok(())));
    }
    quote! {
        __enc.#method(#class.module, #class.qualname, #n, |__state: &mut #pv::StateWriter<'_, '_>| {
            #(#written)*
            ::core::result::Result::Ok(())
        })
    }
}

/// Reads `fields` from `__state` and builds `path`, as an expression of type
/// `Result<Self>`.
fn read_instance(class: &Ident, path: TokenStream, style: Style, fields: &[Field<'_>], deny: bool) -> TokenStream {
    let pv = pv();
    let read: Vec<(usize, &Field<'_>)> = fields.iter().enumerate().filter(|(_, f)| f.attrs.skip.is_none()).collect();
    let slot = |i: usize| format_ident!("__f{}", i);
    let mut out = TokenStream::new();
    for &(i, f) in &read {
        let s = slot(i);
        let ty = f.ty;
        out.extend(quote!(let mut #s: ::core::option::Option<#ty> = ::core::option::Option::None;));
    }
    if read.is_empty() {
        if deny {
            out.extend(quote!(__state.deny_all(__cx, &#class)?;));
        } else {
            out.extend(quote!(let _ = __state;));
        }
    } else {
        let arms = read.iter().map(|&(i, f)| {
            let s = slot(i);
            let name = lit(&f.py_name());
            let decode = match &f.attrs.with {
                Some(w) => {
                    let w = &w.value;
                    quote_spanned!(w.span()=> #pv::field_with(__cx, __value, &#class, #name, #w::from_pickle)?)
                }
                None => quote_spanned!(f.ty.span()=> #pv::field(__cx, __value, &#class, #name)?),
            };
            quote!(#name => #s = ::core::option::Option::Some(#decode),)
        });
        let other = if deny {
            quote!(__other => return ::core::result::Result::Err(__state.unknown(__cx, &#class, __other)),)
        } else {
            quote!(_ => {})
        };
        out.extend(quote! {
            for &(__key, __value) in __state.fields() {
                match __key {
                    #(#arms)*
                    #other
                }
            }
        });
        if deny {
            out.extend(quote!(__state.deny_non_str_keys(__cx, &#class)?;));
        }
    }
    let values: Vec<TokenStream> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let s = slot(i);
            let name = lit(&f.py_name());
            if f.attrs.skip.is_some() {
                return quote!(::core::default::Default::default());
            }
            match &f.attrs.default {
                Some(d) => match &d.value {
                    Some(func) => quote!(match #s { ::core::option::Option::Some(__v) => __v, ::core::option::Option::None => #func() }),
                    None => quote!(#s.unwrap_or_default()),
                },
                None => quote! {
                    match #s {
                        ::core::option::Option::Some(__v) => __v,
                        ::core::option::Option::None => {
                            return ::core::result::Result::Err(__state.missing(__cx, &#class, #name))
                        }
                    }
                },
            }
        })
        .collect();
    let build = construct(&path, style, fields, values);
    out.extend(quote!(::core::result::Result::Ok(#build)));
    out
}

/// `path { member: value, ... }`, `path(value, ...)` or `path`.
fn construct(path: &TokenStream, style: Style, fields: &[Field<'_>], values: Vec<TokenStream>) -> TokenStream {
    match style {
        Style::Named => {
            let members = fields.iter().map(|f| &f.member);
            quote!(#path { #(#members: #values),* })
        }
        Style::Tuple => quote!(#path ( #(#values),* )),
        Style::Unit => quote!(#path),
    }
}

/// The body of `from_direct` for an instance of `fields` (see
/// `pickle_core::Direct`): what [`read_instance`] reads, straight from the
/// input, giving up (`None`) where that would make an error, an unknown
/// attribute included. `None` for types it does not take: no field to
/// read, or a field read `with` a module (whose `from_pickle` needs a graph).
fn read_direct(class: &Ident, path: TokenStream, style: Style, fields: &[Field<'_>]) -> Option<TokenStream> {
    let pv = pv();
    let read: Vec<(usize, &Field<'_>)> = fields.iter().enumerate().filter(|(_, f)| f.attrs.skip.is_none()).collect();
    if read.is_empty() || read.iter().any(|(_, f)| f.attrs.with.is_some()) {
        return None;
    }
    let none = quote!(::core::option::Option::None);
    let some = quote!(::core::option::Option::Some);
    let slot = |i: usize| format_ident!("__f{}", i);
    let slots = read.iter().map(|&(i, f)| {
        let (s, ty) = (slot(i), f.ty);
        quote!(let mut #s: ::core::option::Option<#ty> = #none;)
    });
    let arms = read.iter().map(|&(i, f)| {
        let (s, name) = (slot(i), lit(&f.py_name()));
        quote!(#name => #s = #some(__rd.read()?),)
    });
    let values = fields.iter().enumerate().map(|(i, f)| {
        let s = slot(i);
        if f.attrs.skip.is_some() {
            return quote!(::core::default::Default::default());
        }
        match &f.attrs.default {
            Some(d) => match &d.value {
                Some(func) => quote!(match #s { #some(__v) => __v, #none => #func() }),
                None => quote!(#s.unwrap_or_default()),
            },
            None => quote!(#s?),
        }
    });
    let build = construct(&path, style, fields, values.collect());
    Some(quote! {
        let mut __st = #pv::direct_instance(__rd, &#class)?;
        #(#slots)*
        while let #some(__key) = __st.key(__rd)? {
            match __key {
                #(#arms)*
                _ => return #none,
            }
        }
        #some(#build)
    })
}

/// `ClassDef::Dataclass(vec![...])` for `fields`.
fn dataclass_def(fields: &[Field<'_>]) -> TokenStream {
    let pv = pv();
    let defs = fields.iter().filter(|f| f.attrs.skip.is_none()).map(|f| {
        let name = lit(&f.py_name());
        let ty = f.ty;
        let hint = match &f.attrs.with {
            Some(_) => quote!(#pv::TypeHint::any()),
            None => quote_spanned!(ty.span()=> <#ty as #pv::PyType>::py_type(__b)),
        };
        quote!(#pv::FieldDef { name: #name, hint: #hint })
    });
    quote!(#pv::ClassDef::Dataclass(::std::vec![#(#defs),*]))
}

// ----- enums -------------------------------------------------------------------

fn unit_value(v: &Variant<'_>) -> EnumValue {
    match (&v.attrs.value, &v.original.discriminant) {
        (Some(value), _) => value.value.clone(),
        (None, Some((_, expr))) => crate::attr::enum_value(expr).unwrap_or(EnumValue::Str(v.ident.to_string())),
        (None, None) => EnumValue::Str(v.ident.to_string()),
    }
}

fn enum_value_tokens(value: &EnumValue) -> TokenStream {
    let pv = pv();
    match value {
        EnumValue::Int(i) => quote!(#pv::EnumValue::Int(#i)),
        EnumValue::Str(s) => quote!(#pv::EnumValue::Str(#s)),
    }
}

fn unit_enum(e: &Enum<'_>) -> TokenStream {
    let pv = pv();
    let impls =
        Impls { ident: e.ident, generics: e.generics, fields: e.variants.iter().flat_map(|v| &v.fields).collect() };
    let qualname = e.class_name();
    let aliases = container_aliases(&e.attrs);
    let module = module_const(e.attrs.module.as_ref().map(|m| m.value.as_str()));
    let class = format_ident!("__CLASS");
    let info = class_info(&class, &qualname, &aliases);
    let py_class = impls.impl_py_class(&qualname, &aliases);

    let values: Vec<TokenStream> = e.variants.iter().map(|v| enum_value_tokens(&unit_value(v))).collect();
    let idents: Vec<&Ident> = e.variants.iter().map(|v| v.ident).collect();
    let to_pickle = impls.impl_to_pickle(quote! {
        let __value = match self { #(Self::#idents => #values,)* };
        #pv::write_enum_member(__enc, &#class, __value)
    });
    let members: Vec<String> = e
        .variants
        .iter()
        .map(|v| v.attrs.name.as_ref().map_or_else(|| v.ident.to_string(), |n| n.value.clone()))
        .collect();
    let from_pickle = impls.impl_from_pickle(
        quote! {
            let __value = match #pv::enum_value(__cx, __item, &#class)? {
                // A member given by name stands for its value.
                #pv::EnumValue::Name(__name) => match __name {
                    #(#members => #values,)*
                    _ => #pv::EnumValue::Name(__name),
                },
                __value => __value,
            };
            match __value {
                #(#values => ::core::result::Result::Ok(Self::#idents),)*
                __other => ::core::result::Result::Err(#pv::no_member(__cx, __item, &#class, __other)),
            }
        },
        None,
    );
    let py_type = impls.impl_py_type(quote! {
        __b.register(#class.module, #class.qualname, |_| {
            #pv::ClassDef::Enum(::std::vec![#((#members, #pv::enum_literal(#values))),*])
        });
        #pv::TypeHint::class(#class.module, #class.qualname)
    });
    quote! { #module #info #py_class #to_pickle #from_pickle #py_type }
}

fn data_enum(e: &Enum<'_>) -> TokenStream {
    let pv = pv();
    let impls =
        Impls { ident: e.ident, generics: e.generics, fields: e.variants.iter().flat_map(|v| &v.fields).collect() };
    let qualname = e.class_name();
    let aliases = container_aliases(&e.attrs);
    let module = module_const(e.attrs.module.as_ref().map(|m| m.value.as_str()));
    let py_class = impls.impl_py_class(&qualname, &aliases);
    let deny = e.attrs.deny_unknown_fields.is_some();

    let mut infos = TokenStream::new();
    let mut write_arms = Vec::new();
    let mut read_branches = Vec::new();
    let mut registers = Vec::new();
    let mut classes = Vec::new();
    for (i, v) in e.variants.iter().enumerate() {
        let class = format_ident!("__VARIANT{}", i);
        let vq = e.variant_qualname(v);
        // A renamed variant keeps only its own name; the others follow the
        // enum's aliases: "old.Shape" accepts "old.Shape.Circle".
        let valiases: Vec<(String, String)> = if v.attrs.name.is_some() {
            Vec::new()
        } else {
            aliases.iter().map(|(m, q)| (m.clone(), format!("{q}.{}", v.ident))).collect()
        };
        infos.extend(class_info(&class, &vq, &valiases));
        let ident = v.ident;
        let bindings: Vec<Ident> = (0..v.fields.len()).map(|i| format_ident!("__b{}", i)).collect();
        let accessors: Vec<TokenStream> = bindings.iter().map(|b| quote!(#b)).collect();
        let pattern = match v.style {
            Style::Unit => quote!(Self::#ident),
            Style::Named => {
                let parts = v.fields.iter().zip(&bindings).filter(|(f, _)| f.attrs.skip.is_none()).map(|(f, b)| {
                    let m = &f.member;
                    quote!(#m: #b)
                });
                quote!(Self::#ident { #(#parts,)* .. })
            }
            Style::Tuple => {
                let parts = v
                    .fields
                    .iter()
                    .zip(&bindings)
                    .map(|(f, b)| if f.attrs.skip.is_some() { quote!(_) } else { quote!(#b) });
                quote!(Self::#ident ( #(#parts),* ))
            }
        };
        let write = write_instance(&class, &v.fields, &accessors, e.attrs.dict_state.is_some());
        write_arms.push(quote!(#pattern => #write,));
        let read = read_instance(&class, quote!(Self::#ident), v.style, &v.fields, deny);
        read_branches.push(quote! {
            if #pv::is_instance(__cx, __item, &#class) {
                let __state = #pv::instance_state(__cx, __item, &#class)?;
                #read
            }
        });
        let describe = dataclass_def(&v.fields);
        registers.push(quote!(__b.register(#class.module, #class.qualname, |__b| #describe);));
        classes.push(class);
    }
    let to_pickle = impls.impl_to_pickle(quote!(match self { #(#write_arms)* }));
    let from_pickle = impls.impl_from_pickle(
        quote! {
            #(#read_branches else)* {
                ::core::result::Result::Err(#pv::no_variant_class(__cx, __item, &[#(&#classes),*]))
            }
        },
        None,
    );
    let rust_name = e.ident.to_string();
    let prefix = format!("{qualname}.");
    let nested = e.variants.iter().any(|v| e.variant_qualname(v).starts_with(&prefix));
    let namespace =
        nested.then(|| quote!(__b.register(__MODULE, #qualname, |_| #pv::ClassDef::Namespace(#rust_name));));
    let py_type = impls.impl_py_type(quote! {
        #namespace
        #(#registers)*
        #pv::TypeHint::union(::std::vec![#(#pv::TypeHint::class(#classes.module, #classes.qualname)),*])
    });
    quote! { #module #infos #py_class #to_pickle #from_pickle #py_type }
}
