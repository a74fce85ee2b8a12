//! Rust types as Python classes: [`PyClass`] (the class a derived type is
//! pickled as), reading and writing instances the way CPython makes them
//! (`instance.rs`), and the generated Python module with its type hints
//! ([`PyModuleBuilder`], [`PyType`]; `module.rs`, std impls in `impls.rs`).

mod impls;
pub(crate) mod instance;
mod module;

pub use module::{ClassDef, FieldDef, PyModuleBuilder, PyType, TypeHint};

/// A Rust type written as instances of a Python class, as `#[derive(Pickle)]`
/// declares it.
///
/// - A struct is an instance of the class `MODULE.QUALNAME`, its fields the
///   instance's `__dict__` (fields of a tuple struct are named `_0`, `_1`, ...).
/// - An enum whose variants have no fields is an `enum.Enum` subclass
///   `MODULE.QUALNAME`.
/// - An enum with fields is a family of classes: each variant is the class
///   `MODULE.QUALNAME.Variant` (a class nested in `QUALNAME`) unless the variant
///   is renamed.
///
/// ```
/// use pickle_core::{Pickle, PyClass};
///
/// #[derive(Pickle)]
/// #[pickle(module = "app.models")]
/// struct Point {
///     x: i64,
///     y: i64,
/// }
///
/// assert_eq!(Point::MODULE, "app.models");
/// assert_eq!(Point::QUALNAME, "Point");
/// let bytes = pickle_core::to_vec(&Point { x: 1, y: 2 })?;
/// let back: Point = pickle_core::from_slice(&bytes)?;
/// assert_eq!((back.x, back.y), (1, 2));
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub trait PyClass {
    /// The Python module, such as `app.models`. Defaults to the Rust module
    /// path with `::` replaced by `.`.
    const MODULE: &'static str;
    /// The qualified name of the class in its module, such as `Point`.
    const QUALNAME: &'static str;
    /// Other `(module, qualname)` pairs accepted when reading, for classes
    /// that were moved or renamed.
    const ALIASES: &'static [(&'static str, &'static str)];
}
