//! `#[derive(Pickle)]` for pickle-core: use it as `pickle_core::Pickle`.
//!
//! One stage per module: `ast` turns syn's input into the crate's own view
//! (parsing attributes through `attr`, whose names live in `symbol`),
//! `valid` checks it, `expand` generates the impls, and on any error
//! `fallback` emits every error plus stub impls.
#![deny(missing_docs)]

mod ast;
mod attr;
mod errors;
mod expand;
mod fallback;
mod symbol;
mod valid;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `ToPickle`, `FromPickle`, `PyType` and (except for `transparent`
/// structs) `PyClass`; see pickle-core's documentation of `Pickle`.
#[proc_macro_derive(Pickle, attributes(pickle))]
pub fn derive_pickle(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive(&input).into()
}

fn derive(node: &DeriveInput) -> proc_macro2::TokenStream {
    let mut errors = errors::Errors::default();
    let input = match ast::Input::from_syn(node, &mut errors) {
        Ok(input) => input,
        Err(err) => {
            errors.push(err);
            return finish_with_errors(node, errors);
        }
    };
    valid::check(&input, &mut errors);
    match errors.finish() {
        Ok(()) => expand::derive(&input),
        Err(err) => fallback::expand(node, err),
    }
}

fn finish_with_errors(node: &DeriveInput, errors: errors::Errors) -> proc_macro2::TokenStream {
    match errors.finish() {
        Ok(()) => proc_macro2::TokenStream::new(),
        Err(err) => fallback::expand(node, err),
    }
}
