//! Python's types, one file per Python module. Each file implements all
//! three traits for its types together: [`ToPickle`](crate::ToPickle),
//! [`FromPickle`](crate::FromPickle) and [`PyType`](crate::PyType), so
//! that a mapped type works as a value, as a derived field and in the
//! generated Python module alike. Nothing else in the crate depends on
//! this layer.

pub(crate) mod builtins;
pub mod collections;
pub mod datetime;
pub mod decimal;
mod ext;
pub mod numpy;
pub mod pandas;
mod pathlib;
pub mod uuid;
