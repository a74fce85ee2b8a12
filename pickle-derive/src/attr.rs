//! Parsing of `#[pickle(...)]` attributes: one `Option` per attribute,
//! duplicates rejected, every error collected.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, Lit, LitStr, Token, UnOp};

use crate::errors::Errors;
use crate::symbol::{self, Position};

/// A value and the span of the attribute that gave it.
#[derive(Clone)]
pub struct Spanned<T> {
    pub span: Span,
    pub value: T,
}

/// The value of `#[pickle(value = ...)]` or of a discriminant.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum EnumValue {
    Int(i64),
    Str(String),
}

/// Every attribute, parsed; which ones are allowed depends on the position.
#[derive(Default)]
pub struct Attrs {
    pub module: Option<Spanned<String>>,
    pub name: Option<Spanned<String>>,
    pub transparent: Option<Span>,
    pub deny_unknown_fields: Option<Span>,
    pub dict_state: Option<Span>,
    /// `alias` may repeat.
    pub aliases: Vec<Spanned<String>>,
    pub rename: Option<Spanned<String>>,
    pub skip: Option<Span>,
    /// `default` alone is `None` inside, `default = "path"` a path.
    pub default: Option<Spanned<Option<syn::Path>>>,
    pub with: Option<Spanned<syn::Path>>,
    pub value: Option<Spanned<EnumValue>>,
}

/// Parses the `#[pickle(...)]` attributes among `attrs` found at `position`.
pub fn parse(attrs: &[Attribute], position: Position, errors: &mut Errors) -> Attrs {
    let mut out = Attrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident(symbol::PICKLE)) {
        let result = attr.parse_nested_meta(|meta| {
            if let Err(err) = parse_one(&meta, position, &mut out) {
                errors.push(err);
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(err) = result {
            errors.push(err);
        }
    }
    out
}

fn parse_one(meta: &ParseNestedMeta<'_>, position: Position, out: &mut Attrs) -> syn::Result<()> {
    let Some(ident) = meta.path.get_ident() else {
        return Err(meta.error("expected a pickle attribute name such as `rename`"));
    };
    let key = ident.to_string();
    let span = ident.span();
    let Some((_, positions)) = symbol::ALLOWED.iter().find(|(name, _)| *name == key) else {
        return Err(syn::Error::new(span, format!("unknown pickle attribute `{key}`")));
    };
    if !positions.contains(&position) {
        let places: Vec<&str> = positions.iter().map(|p| p.describe()).collect();
        return Err(syn::Error::new(
            span,
            format!("`{key}` is not allowed on {}; it belongs on {}", position.describe(), places.join(" or ")),
        ));
    }
    let duplicate = || syn::Error::new(span, format!("duplicate pickle attribute `{key}`"));
    match key.as_str() {
        symbol::MODULE => set(&mut out.module, str_value(meta, &key)?, duplicate),
        symbol::NAME => set(&mut out.name, str_value(meta, &key)?, duplicate),
        symbol::RENAME => set(&mut out.rename, str_value(meta, &key)?, duplicate),
        symbol::ALIAS => {
            out.aliases.push(str_value(meta, &key)?);
            Ok(())
        }
        symbol::TRANSPARENT => set(&mut out.transparent, flag(meta, &key)?, duplicate),
        symbol::DENY_UNKNOWN_FIELDS => set(&mut out.deny_unknown_fields, flag(meta, &key)?, duplicate),
        symbol::DICT_STATE => set(&mut out.dict_state, flag(meta, &key)?, duplicate),
        symbol::SKIP => set(&mut out.skip, flag(meta, &key)?, duplicate),
        symbol::DEFAULT => {
            let value = if meta.input.peek(Token![=]) {
                let s = str_value(meta, &key)?;
                let path = syn::parse_str::<syn::Path>(&s.value).map_err(|_| {
                    syn::Error::new(s.span, format!("`default` expects a function path, found {:?}", s.value))
                })?;
                Spanned { span, value: Some(path) }
            } else {
                Spanned { span: flag(meta, &key)?, value: None }
            };
            set(&mut out.default, value, duplicate)
        }
        symbol::WITH => {
            let s = str_value(meta, &key)?;
            let path = syn::parse_str::<syn::Path>(&s.value)
                .map_err(|_| syn::Error::new(s.span, format!("`with` expects a module path, found {:?}", s.value)))?;
            set(&mut out.with, Spanned { span, value: path }, duplicate)
        }
        symbol::VALUE => {
            let expr: Expr = meta.value()?.parse()?;
            let value = enum_value(&expr)
                .ok_or_else(|| syn::Error::new_spanned(&expr, "`value` expects an integer or a string literal"))?;
            set(&mut out.value, Spanned { span, value }, duplicate)
        }
        _ => Err(syn::Error::new(span, format!("unknown pickle attribute `{key}`"))),
    }
}

fn set<T>(slot: &mut Option<T>, value: T, duplicate: impl FnOnce() -> syn::Error) -> syn::Result<()> {
    if slot.is_some() {
        return Err(duplicate());
    }
    *slot = Some(value);
    Ok(())
}

/// `key = "string"`; the span is that of the string.
fn str_value(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<Spanned<String>> {
    if !meta.input.peek(Token![=]) {
        return Err(meta.error(format!("`{key}` needs a value: `{key} = \"...\"`")));
    }
    let expr: Expr = meta.value()?.parse()?;
    match &expr {
        Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => Ok(Spanned { span: s.span(), value: s.value() }),
        _ => Err(syn::Error::new_spanned(&expr, format!("`{key}` expects a string literal"))),
    }
}

/// A flag: `key` alone.
fn flag(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<Span> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        return Err(meta.error(format!("`{key}` takes no value: write `{key}` alone")));
    }
    Ok(meta.path.get_ident().map_or_else(Span::call_site, |i| i.span()))
}

/// Consumes what follows a rejected key, so that parsing goes on with the next.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        let _: Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _ = meta.parse_nested_meta(|inner| skip_value(&inner));
    }
    Ok(())
}

/// An integer or string literal, possibly negated.
pub fn enum_value(expr: &Expr) -> Option<EnumValue> {
    match expr {
        Expr::Lit(syn::ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse::<i64>().ok().map(EnumValue::Int),
        Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => Some(EnumValue::Str(s.value())),
        Expr::Unary(syn::ExprUnary { op: UnOp::Neg(_), expr, .. }) => match &**expr {
            Expr::Lit(syn::ExprLit { lit: Lit::Int(i), .. }) => {
                i.base10_parse::<i64>().ok().and_then(i64::checked_neg).map(EnumValue::Int)
            }
            _ => None,
        },
        Expr::Group(g) => enum_value(&g.expr),
        _ => None,
    }
}

/// A string literal for generated code.
pub fn lit(s: &str) -> LitStr {
    LitStr::new(s, Span::call_site())
}
