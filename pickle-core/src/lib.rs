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
pub mod scan;
mod ser;
mod types;
mod value;

pub use de::{
    Context, Decoder, FromPickle, FromPickleOwned, ReaderSource, SliceSource, from_reader, from_reader_with,
    from_slice, from_slice_owned, from_slice_owned_with, from_slice_with, from_value,
};
pub use error::{Error, ErrorKind, Result};
pub use format::opcodes;
/// Python's text codecs (protocol 0 numbers, escapes, surrogatepass,
/// `repr` of floats), for pickle-cli. Not a stable API.
#[doc(hidden)]
pub use format::text;
pub use options::{DecodeOptions, EncodeOptions, GlobalPolicy, Limits, PersistentIds, PolicyError, StringEncoding};
pub use pyclass::{PyClass, PyModuleBuilder, PyType, TypeHint};
pub use ser::{
    BufferSpan, Encoder, Pickler, StateWriter, ToPickle, TupleWriter, to_vec, to_vec_with, to_writer,
    to_writer_indexed, to_writer_with,
};
pub use types::builtins::{ByteArray, Bytes};
pub use types::{collections, datetime, decimal, numpy, pandas, uuid};
pub use value::{BigInt, Construct, Global, Item, Node, NodeId, Object, Value};

/// The num-bigint crate, whose [`BigInt`] holds Python ints beyond `i128`
/// ([`Node::BigInt`], `ToPickle`/`FromPickle` for `BigInt`). This is a
/// deliberate part of the API: pickle-core re-exports it so that users need
/// not depend on the same version themselves, and a num-bigint major
/// version change is a breaking release of pickle-core.
pub use num_bigint;

#[cfg(feature = "derive")]
pub use pickle_derive::Pickle;

/// Encodes `value` and decodes the result into a [`Value`] graph: the
/// graph Python would see, as `serde_json::to_value` gives the JSON tree.
///
/// ```
/// let value = pickle_core::to_value(&vec![1, 2])?;
/// assert_eq!(value.type_name(value.root()), "list");
/// assert_eq!(value.as_list(value.root()).map(<[_]>::len), Some(2));
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub fn to_value<T: ToPickle + ?Sized>(value: &T) -> Result<Value<'static>> {
    let bytes = to_vec_with(value, EncodeOptions::default().protocol(opcodes::HIGHEST_PROTOCOL))?;
    from_slice_owned_with(&bytes, DecodeOptions::default().limits(Limits::unlimited()))
}
