//! The names of the `#[pickle(...)]` attributes, in one place.

/// The attribute itself: `#[pickle(...)]`.
pub const PICKLE: &str = "pickle";

/// Container: the Python module of the class.
pub const MODULE: &str = "module";
/// Container: the class name; variant: its class name (or member name).
pub const NAME: &str = "name";
/// Container: the type is written as its only field.
pub const TRANSPARENT: &str = "transparent";
/// Container: reading fails on attributes no field takes.
pub const DENY_UNKNOWN_FIELDS: &str = "deny_unknown_fields";
/// Container: the state is written as a plain dict, CPython's form for
/// classes with a `__dict__`, instead of the `(None, dict)` form that also
/// loads into slots classes.
pub const DICT_STATE: &str = "dict_state";
/// Container: another class accepted when reading (may repeat).
pub const ALIAS: &str = "alias";
/// Field: the attribute name in Python.
pub const RENAME: &str = "rename";
/// Field: not written; `Default` when read.
pub const SKIP: &str = "skip";
/// Field: `Default` (or a function's result) when missing.
pub const DEFAULT: &str = "default";
/// Field: a module with `to_pickle` and `from_pickle` functions.
pub const WITH: &str = "with";
/// Variant of an enum without fields: the member's value.
pub const VALUE: &str = "value";

/// Where an attribute may appear.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Position {
    /// On the struct or enum.
    Container,
    /// On an enum variant.
    Variant,
    /// On a field.
    Field,
}

impl Position {
    /// How messages name the position.
    pub fn describe(self) -> &'static str {
        match self {
            Position::Container => "a struct or enum",
            Position::Variant => "a variant",
            Position::Field => "a field",
        }
    }
}

/// Every attribute and the positions it is allowed in.
pub const ALLOWED: &[(&str, &[Position])] = &[
    (MODULE, &[Position::Container]),
    (NAME, &[Position::Container, Position::Variant]),
    (TRANSPARENT, &[Position::Container]),
    (DENY_UNKNOWN_FIELDS, &[Position::Container]),
    (DICT_STATE, &[Position::Container]),
    (ALIAS, &[Position::Container]),
    (RENAME, &[Position::Field]),
    (SKIP, &[Position::Field]),
    (DEFAULT, &[Position::Field]),
    (WITH, &[Position::Field]),
    (VALUE, &[Position::Variant]),
];
