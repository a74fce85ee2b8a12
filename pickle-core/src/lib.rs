//! Python's pickle format, protocols 0 to 5: a fast codec that is safe on
//! hostile input.
//!
//! ```
//! use std::collections::BTreeMap;
//!
//! let mut scores = BTreeMap::new();
//! scores.insert("ada".to_string(), vec![1.5, 2.0]);
//! let bytes = pickle_core::to_vec(&scores)?; // protocol 4, like Python's default
//! let back: BTreeMap<String, Vec<f64>> = pickle_core::from_slice(&bytes)?;
//! assert_eq!(back, scores);
//! # Ok::<(), pickle_core::Error>(())
//! ```
//!
//! - Encode with [`to_vec`], [`to_vec_with`] or [`to_writer`]; decode with
//!   [`from_slice`] (zero copy) or [`from_reader`].
//! - [`Value`] holds any pickle, shared references and cycles included,
//!   without executing anything.
//! - [`ToPickle`] and [`FromPickle`] map Rust types to Python objects; see
//!   the table in [`ToPickle`]'s module docs.
//! - Every error is an [`Error`] with a [`kind`](Error::kind) and the byte
//!   [`offset`](Error::offset) of the failing opcode.
#![deny(missing_docs)]

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
mod de;
mod error;
mod format;
mod identity;
mod options;
mod pyclass;
mod ser;
mod types;
mod value;

pub use de::{
    Context, FromPickle, FromPickleOwned, from_reader, from_reader_with, from_slice, from_slice_owned,
    from_slice_owned_with, from_slice_with, value_from_slice_prefix,
};
pub use error::{Error, ErrorKind, Result};
pub use format::opcodes;
/// Python's text codecs (protocol 0 numbers, escapes, surrogatepass,
/// `repr` of floats), for pickle-cli. Not a stable API.
#[doc(hidden)]
pub use format::text;
pub use options::{DecodeOptions, EncodeOptions, Limits, StringEncoding};
pub use pyclass::{PyClass, PyModuleBuilder, PyType, TypeHint};
pub use ser::{Encoder, StateWriter, ToPickle, to_vec, to_vec_with, to_writer, to_writer_with};
pub use types::builtins::{ByteArray, Bytes};
pub use types::numpy;
pub use value::{BigInt, Construct, Global, Item, Node, NodeId, Object, Value};

#[cfg(feature = "derive")]
pub use pickle_derive::Pickle;
