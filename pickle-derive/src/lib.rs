//! `#[derive(Pickle)]` for pickle-core.
//!
//! This crate is a skeleton: the derive is delivered by its own issue. It is
//! re-exported as `pickle_core::Pickle` and should be used through pickle-core.
#![deny(missing_docs)]

use proc_macro::TokenStream;

/// Derives the pickle traits for a struct or enum (not implemented yet: it
/// reports a compile error so that nobody mistakes it for a working derive).
#[proc_macro_derive(Pickle, attributes(pickle))]
pub fn derive_pickle(input: TokenStream) -> TokenStream {
    let input = proc_macro2::TokenStream::from(input);
    let span = input.into_iter().next().map(|t| t.span()).unwrap_or_else(proc_macro2::Span::call_site);
    quote::quote_spanned! {span=> compile_error!("#[derive(Pickle)] is not implemented yet"); }.into()
}
