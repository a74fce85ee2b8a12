//! Checks across attributes and fields. Every problem is reported.

use std::collections::BTreeMap;

use proc_macro2::Span;
use syn::spanned::Spanned as _;

use crate::ast::{Enum, Field, Input, Struct, Style};
use crate::attr::{self, Attrs, EnumValue};
use crate::errors::Errors;

pub fn check(input: &Input<'_>, errors: &mut Errors) {
    match input {
        Input::Struct(s) => check_struct(s, errors),
        Input::Enum(e) => check_enum(e, errors),
    }
}

fn check_struct(s: &Struct<'_>, errors: &mut Errors) {
    check_container(&s.attrs, errors);
    if let Some(span) = s.attrs.transparent {
        let written = s.fields.iter().filter(|f| f.attrs.skip.is_none()).count();
        if written != 1 {
            errors.push(syn::Error::new(
                span,
                format!("`transparent` needs exactly one field that is not skipped, found {written}"),
            ));
        }
        for (what, other) in [
            ("module", s.attrs.module.as_ref().map(|a| a.span)),
            ("name", s.attrs.name.as_ref().map(|a| a.span)),
            ("alias", s.attrs.aliases.first().map(|a| a.span)),
            ("deny_unknown_fields", s.attrs.deny_unknown_fields),
            ("dict_state", s.attrs.dict_state),
        ] {
            if let Some(span) = other {
                errors.push(syn::Error::new(
                    span,
                    format!("`{what}` has no effect with `transparent`: the type has no Python class of its own"),
                ));
            }
        }
        if let Some(r) = s.fields.iter().find_map(|f| f.attrs.rename.as_ref()) {
            errors.push(syn::Error::new(r.span, "`rename` has no effect on the field of a `transparent` struct"));
        }
    }
    check_fields(&s.fields, errors);
}

fn check_enum(e: &Enum<'_>, errors: &mut Errors) {
    check_container(&e.attrs, errors);
    if let Some(span) = e.attrs.transparent {
        errors.push(syn::Error::new(span, "`transparent` is only for structs"));
    }
    if e.variants.is_empty() {
        errors.push(syn::Error::new(e.ident.span(), "#[derive(Pickle)] needs an enum with at least one variant"));
        return;
    }
    if e.is_unit_only() {
        if let Some(span) = e.attrs.deny_unknown_fields {
            errors.push(syn::Error::new(span, "`deny_unknown_fields` has no effect on an enum without fields"));
        }
        if let Some(span) = e.attrs.dict_state {
            errors.push(syn::Error::new(span, "`dict_state` has no effect on an enum without fields"));
        }
        let mut seen: Vec<(EnumValue, String)> = Vec::new();
        let mut names = BTreeMap::new();
        for v in &e.variants {
            let value = match (&v.attrs.value, &v.original.discriminant) {
                (Some(value), _) => Some((value.value.clone(), value.span)),
                (None, Some((_, expr))) => match attr::enum_value(expr) {
                    Some(value) => Some((value, expr.span())),
                    None => {
                        errors.push(syn::Error::new_spanned(
                            expr,
                            "the Python value of this variant must be an integer literal; \
                             give it with #[pickle(value = ...)]",
                        ));
                        None
                    }
                },
                (None, None) => Some((EnumValue::Str(v.ident.to_string()), v.ident.span())),
            };
            if let Some((value, span)) = value {
                if let Some((_, other)) = seen.iter().find(|(s, _)| *s == value) {
                    errors.push(syn::Error::new(
                        span,
                        format!("variant {} has the same Python value as {other}", v.ident),
                    ));
                }
                seen.push((value, v.ident.to_string()));
            }
            let member = v.attrs.name.as_ref().map_or_else(|| v.ident.to_string(), |n| n.value.clone());
            if let Some(n) = &v.attrs.name {
                check_identifier(&n.value, n.span, "`name` of a variant", false, errors);
            }
            if let Some(other) = names.insert(member.clone(), v.ident.to_string()) {
                errors.push(syn::Error::new(
                    v.attrs.name.as_ref().map_or_else(|| v.ident.span(), |n| n.span),
                    format!("variant {} has the same Python name `{member}` as {other}", v.ident),
                ));
            }
        }
    } else {
        let mut classes = BTreeMap::new();
        for v in &e.variants {
            if let Some(value) = &v.attrs.value {
                errors.push(syn::Error::new(
                    value.span,
                    "`value` is only for enums whose variants have no fields; here each variant is a class",
                ));
            }
            if let Some(n) = &v.attrs.name {
                check_identifier(&n.value, n.span, "`name` of a variant", true, errors);
            }
            let qualname = e.variant_qualname(v);
            if let Some(other) = classes.insert(qualname.clone(), v.ident.to_string()) {
                errors.push(syn::Error::new(
                    v.attrs.name.as_ref().map_or_else(|| v.ident.span(), |n| n.span),
                    format!("variant {} has the same Python class `{qualname}` as {other}", v.ident),
                ));
            }
            if v.style == Style::Unit {
                continue;
            }
            check_fields(&v.fields, errors);
        }
    }
}

fn check_container(attrs: &Attrs, errors: &mut Errors) {
    if let Some(m) = &attrs.module {
        check_identifier(&m.value, m.span, "`module`", true, errors);
    }
    if let Some(n) = &attrs.name {
        check_identifier(&n.value, n.span, "`name`", true, errors);
    }
    for a in &attrs.aliases {
        if split_alias(&a.value).is_none() {
            errors.push(syn::Error::new(
                a.span,
                format!("`alias` expects \"module.Class\" or \"module:Qual.Name\", found {:?}", a.value),
            ));
        }
    }
}

fn check_fields(fields: &[Field<'_>], errors: &mut Errors) {
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for f in fields {
        if f.attrs.skip.is_some() {
            for (what, span) in [
                ("rename", f.attrs.rename.as_ref().map(|a| a.span)),
                ("default", f.attrs.default.as_ref().map(|a| a.span)),
                ("with", f.attrs.with.as_ref().map(|a| a.span)),
            ] {
                if let Some(span) = span {
                    errors.push(syn::Error::new(
                        span,
                        format!("`{what}` cannot be combined with `skip`: a skipped field is never read or written"),
                    ));
                }
            }
            continue;
        }
        if let Some(r) = f.attrs.rename.as_ref().filter(|r| r.value.is_empty()) {
            errors.push(syn::Error::new(r.span, "`rename` expects a non-empty name"));
        }
        let name = f.py_name();
        let this = match &f.member {
            syn::Member::Named(i) => i.to_string(),
            syn::Member::Unnamed(i) => i.index.to_string(),
        };
        if let Some(other) = names.insert(name.clone(), this.clone()) {
            errors.push(syn::Error::new(
                f.span(),
                format!("field `{this}` has the same Python name `{name}` as field `{other}`"),
            ));
        }
    }
}

/// Checks a (dotted if `dotted`) Python identifier.
fn check_identifier(s: &str, span: Span, what: &str, dotted: bool, errors: &mut Errors) {
    let ok = |part: &str| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c == '_' || c.is_alphabetic()) && chars.all(|c| c == '_' || c.is_alphanumeric())
    };
    let valid = if dotted { s.split('.').all(ok) } else { ok(s) };
    if !valid {
        let kind = if dotted { "a dotted Python name" } else { "a Python identifier" };
        errors.push(syn::Error::new(span, format!("{what} expects {kind}, found {s:?}")));
    }
}

/// `"module.Class"` (split at the last dot) or `"module:Qual.Name"`.
pub fn split_alias(alias: &str) -> Option<(&str, &str)> {
    let (module, qualname) = match alias.split_once(':') {
        Some(pair) => pair,
        None => alias.rsplit_once('.')?,
    };
    (!module.is_empty() && !qualname.is_empty()).then_some((module, qualname))
}
