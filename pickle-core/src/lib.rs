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
mod class;
mod compat;
mod compat_tables;
mod decode;
mod encoder;
mod error;
mod from_pickle;
mod limits;
mod machine;
pub mod numpy;
pub mod opcodes;
mod pymodule;
mod read;
mod scan;
mod stream;
mod text;
mod to_pickle;
mod value;
mod value_writer;

use std::io;

pub use class::PyClass;
pub use decode::{
    DecodeOptions, StringEncoding, from_reader, from_reader_with, from_slice, from_slice_owned, from_slice_owned_with,
    from_slice_with, value_from_slice_prefix,
};
pub use encoder::{EncodeOptions, Encoder, StateWriter};
pub use error::{Error, ErrorKind, Result};
pub use from_pickle::{Context, FromPickle, FromPickleOwned};
pub use limits::Limits;
pub use pymodule::{PyModuleBuilder, PyType, TypeHint};
pub use text::float_repr;
pub use to_pickle::{ByteArray, Bytes, ToPickle};
pub use value::{BigInt, Construct, Global, Item, Node, NodeId, Object, Value};

#[cfg(feature = "derive")]
pub use pickle_derive::Pickle;

/// Encodes a value at protocol 4.
///
/// ```
/// let bytes = pickle_core::to_vec(&(1, "two", 3.0))?;
/// assert_eq!(&bytes[..2], b"\x80\x04");
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub fn to_vec<T: ToPickle + ?Sized>(value: &T) -> Result<Vec<u8>> {
    to_vec_with(value, EncodeOptions::default())
}

/// Encodes a value with options, such as the protocol.
///
/// ```
/// use pickle_core::EncodeOptions;
///
/// let bytes = pickle_core::to_vec_with(&true, EncodeOptions::default().protocol(0))?;
/// assert_eq!(bytes, b"I01\n.");
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub fn to_vec_with<T: ToPickle + ?Sized>(value: &T, opts: EncodeOptions) -> Result<Vec<u8>> {
    encoder::Encoder::new(opts, None)?.encode(value)
}

/// Encodes a value at protocol 4 into a writer, streaming frame by frame.
///
/// ```
/// let mut out = Vec::new();
/// pickle_core::to_writer(&mut out, &[1u8, 2, 3])?;
/// let back: Vec<u8> = pickle_core::from_slice(&out)?;
/// assert_eq!(back, [1, 2, 3]);
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub fn to_writer<W: io::Write, T: ToPickle + ?Sized>(writer: W, value: &T) -> Result<()> {
    to_writer_with(writer, value, EncodeOptions::default())
}

/// [`to_writer`] with options.
pub fn to_writer_with<W: io::Write, T: ToPickle + ?Sized>(mut writer: W, value: &T, opts: EncodeOptions) -> Result<()> {
    let rest = encoder::Encoder::new(opts, Some(&mut writer))?.encode(value)?;
    debug_assert!(rest.is_empty());
    writer.flush().map_err(Error::from)
}
