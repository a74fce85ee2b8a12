//! The crate's own view of the input: syn's, plus parsed attributes and
//! Python names. The syn nodes are kept for error spans.

use proc_macro2::Span;
use syn::{DeriveInput, Generics, Ident, Member, Type};

use crate::attr::{self, Attrs};
use crate::errors::Errors;
use crate::symbol::Position;

pub enum Input<'a> {
    Struct(Struct<'a>),
    Enum(Enum<'a>),
}

pub struct Struct<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    pub attrs: Attrs,
    pub style: Style,
    pub fields: Vec<Field<'a>>,
}

pub struct Enum<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    pub attrs: Attrs,
    pub variants: Vec<Variant<'a>>,
}

pub struct Variant<'a> {
    pub original: &'a syn::Variant,
    pub ident: &'a Ident,
    pub attrs: Attrs,
    pub style: Style,
    pub fields: Vec<Field<'a>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Named,
    Tuple,
    Unit,
}

pub struct Field<'a> {
    pub original: &'a syn::Field,
    pub attrs: Attrs,
    pub member: Member,
    pub ty: &'a Type,
}

impl Field<'_> {
    /// The key in the state dict: `rename`, else the field's name, else `_N`.
    pub fn py_name(&self) -> String {
        match (&self.attrs.rename, &self.member) {
            (Some(r), _) => r.value.clone(),
            (None, Member::Named(i)) => {
                let s = i.to_string();
                s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
            }
            (None, Member::Unnamed(i)) => format!("_{}", i.index),
        }
    }

    pub fn span(&self) -> Span {
        self.attrs.rename.as_ref().map_or_else(|| syn::spanned::Spanned::span(&self.original), |r| r.span)
    }
}

impl<'a> Input<'a> {
    pub fn from_syn(node: &'a DeriveInput, errors: &mut Errors) -> syn::Result<Input<'a>> {
        match &node.data {
            syn::Data::Struct(data) => {
                let attrs = attr::parse(&node.attrs, Position::Container, errors);
                let (style, fields) = fields(&data.fields, errors);
                Ok(Input::Struct(Struct { ident: &node.ident, generics: &node.generics, attrs, style, fields }))
            }
            syn::Data::Enum(data) => {
                let attrs = attr::parse(&node.attrs, Position::Container, errors);
                let variants = data
                    .variants
                    .iter()
                    .map(|v| {
                        let attrs = attr::parse(&v.attrs, Position::Variant, errors);
                        let (style, fields) = fields(&v.fields, errors);
                        Variant { original: v, ident: &v.ident, attrs, style, fields }
                    })
                    .collect();
                Ok(Input::Enum(Enum { ident: &node.ident, generics: &node.generics, attrs, variants }))
            }
            syn::Data::Union(data) => {
                Err(syn::Error::new(data.union_token.span, "#[derive(Pickle)] does not support unions"))
            }
        }
    }
}

fn fields<'a>(fields: &'a syn::Fields, errors: &mut Errors) -> (Style, Vec<Field<'a>>) {
    let style = match fields {
        syn::Fields::Named(_) => Style::Named,
        syn::Fields::Unnamed(_) => Style::Tuple,
        syn::Fields::Unit => Style::Unit,
    };
    let fields = fields
        .iter()
        .zip(fields.members())
        .map(|(f, member)| Field {
            original: f,
            attrs: attr::parse(&f.attrs, Position::Field, errors),
            member,
            ty: &f.ty,
        })
        .collect();
    (style, fields)
}

impl Enum<'_> {
    /// Whether every variant is a unit variant: the enum is a Python `enum.Enum`.
    pub fn is_unit_only(&self) -> bool {
        self.variants.iter().all(|v| v.style == Style::Unit)
    }
}

impl Struct<'_> {
    pub fn class_name(&self) -> String {
        self.attrs.name.as_ref().map_or_else(|| self.ident.to_string(), |n| n.value.clone())
    }
}

impl Enum<'_> {
    pub fn class_name(&self) -> String {
        self.attrs.name.as_ref().map_or_else(|| self.ident.to_string(), |n| n.value.clone())
    }

    /// The qualname of a variant's class: `name`, else `Enum.Variant`.
    pub fn variant_qualname(&self, v: &Variant<'_>) -> String {
        match &v.attrs.name {
            Some(n) => n.value.clone(),
            None => format!("{}.{}", self.class_name(), v.ident),
        }
    }
}
