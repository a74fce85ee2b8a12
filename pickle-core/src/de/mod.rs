//! bytes -> graph -> Rust: the decoding entry points.
//!
//! The pickle machine (`machine/`) reads opcodes from an input (`input.rs`)
//! and builds a [`Value`] graph, or hands a streamed root container's items
//! to a sink (`sink.rs`, `stream.rs`). [`FromPickle`] (`from_pickle.rs`,
//! std impls in `impls.rs`) turns the graph into Rust values.

pub(crate) mod collections;
pub(crate) mod count;
mod decoder;
pub(crate) mod dtype;
mod from_pickle;
mod impls;
mod input;
mod machine;
pub(crate) mod numpy;
pub(crate) mod sink;
mod stream;

use std::io;

pub use decoder::{Decoder, ReaderSource, SliceSource};
#[cfg(feature = "indexmap")]
pub(crate) use from_pickle::hash_table_bytes;
pub use from_pickle::{Context, FromPickle, FromPickleOwned};
pub use sink::direct::Direct;

use crate::error::Result;
use crate::options::{DecodeOptions, Limits};
use crate::value::{Item, Value};
use input::{CopyingSliceInput, ReaderInput, SliceInput, Source};
use machine::Machine;

/// Decodes a pickle from a byte slice. Strings and bytes borrow from
/// `bytes` where the encoding allows, so `&str` and `&[u8]` fields cost no
/// copy. Bytes after `STOP` are ignored.
///
/// ```
/// let bytes = pickle_core::to_vec(&vec![1u32, 2, 3])?;
/// let back: Vec<u32> = pickle_core::from_slice(&bytes)?;
/// assert_eq!(back, [1, 2, 3]);
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub fn from_slice<'a, T: FromPickle<'a>>(bytes: &'a [u8]) -> Result<T> {
    from_slice_with(bytes, DecodeOptions::default())
}

/// [`from_slice`] with options.
///
/// ```
/// use pickle_core::{DecodeOptions, StringEncoding, Value};
///
/// // A Python 2 str holding a non-ASCII byte: pickle.loads(b"U\x01\xe9.", encoding="latin1")
/// let bytes = b"U\x01\xe9.";
/// let v: String = pickle_core::from_slice_with(bytes, DecodeOptions::default().encoding(StringEncoding::Latin1))?;
/// assert_eq!(v, "\u{e9}");
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub fn from_slice_with<'a, T: FromPickle<'a>>(bytes: &'a [u8], opts: DecodeOptions) -> Result<T> {
    if let Some(result) = T::from_stream(&mut Source::slice(bytes), &opts) {
        return result;
    }
    let (value, _) = decode_slice_at(bytes, 0, &opts)?;
    T::from_value(value, &opts.limits)
}

/// Builds a `T` from `item` of a decoded graph: the typed view of a
/// [`Value`] decoded (or mapped) before, as `serde_json::from_value` is.
///
/// ```
/// use pickle_core::Value;
///
/// let bytes = pickle_core::to_vec(&(1, vec!["a", "b"]))?;
/// let value: Value = pickle_core::from_slice(&bytes)?;
/// let items = value.as_tuple(value.root()).expect("a tuple");
/// let names: Vec<String> = pickle_core::from_value(&value, items[1])?;
/// assert_eq!(names, ["a", "b"]);
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub fn from_value<'a, T: FromPickle<'a>>(value: &Value<'a>, item: Item) -> Result<T> {
    Context::new(value, &Limits::DEFAULT).decode(item)
}

/// Decodes the pickle that starts at byte `start` of `bytes` (offsets count
/// from the start of `bytes`) and says where it ended.
fn decode_slice_at<'a>(bytes: &'a [u8], start: usize, opts: &DecodeOptions) -> Result<(Value<'a>, usize)> {
    let mut input = SliceInput::at(bytes, start);
    let left = bytes.len().saturating_sub(start) as u64;
    let value = Machine::new(opts, Some(left)).run(&mut input)?;
    Ok((value, input.consumed()))
}

/// Runs the pickle that starts at byte `start` of `bytes` with a trace
/// (for `pickle scan`), and says where it stopped: after STOP, or at the
/// opcode that failed.
pub(crate) fn trace_slice_at<'a>(bytes: &'a [u8], start: usize, opts: &DecodeOptions) -> (machine::Traced<'a>, usize) {
    let mut input = SliceInput::at(bytes, start);
    let left = bytes.len().saturating_sub(start) as u64;
    let traced = Machine::traced(opts, Some(left)).run_traced(&mut input);
    (traced, input.consumed())
}

pub(crate) use machine::Traced;

/// Decodes a pickle from a byte slice into a value that does not borrow
/// from it: strings and bytes are copied, so the result (a `Value<'static>`,
/// say) outlives the slice. Use it for buffers that are about to go away.
///
/// ```
/// let bytes = pickle_core::to_vec(&("a", 1))?;
/// let value: pickle_core::Value<'static> = pickle_core::from_slice_owned(&bytes)?;
/// drop(bytes);
/// assert_eq!(value.type_name(value.root()), "tuple");
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub fn from_slice_owned<T: FromPickle<'static>>(bytes: &[u8]) -> Result<T> {
    from_slice_owned_with(bytes, DecodeOptions::default())
}

/// [`from_slice_owned`] with options.
pub fn from_slice_owned_with<T: FromPickle<'static>>(bytes: &[u8], opts: DecodeOptions) -> Result<T> {
    let mut input = CopyingSliceInput::new(bytes);
    let value: Value<'static> = Machine::new(&opts, Some(bytes.len() as u64)).run(&mut input)?;
    T::from_value(value, &opts.limits)
}

/// Decodes one pickle from a reader, reading no further than its `STOP`, so
/// that a reader holding several pickles back to back can be decoded in
/// turn. Pass `&mut reader` to keep it; wrap unbuffered sources in a
/// `BufReader`. Nothing can borrow from a reader, so `T` is any type built
/// from owned data, [`Value`] included; `&str` fields fail with a message
/// saying so.
///
/// A root list or dict decoded into a `Vec`, `VecDeque`, `HashMap` or
/// `BTreeMap` streams, as in [`from_slice`]: each batch of items is
/// converted as it is read, and the graph is never built whole. Since a
/// reader cannot rewind, the bytes read are kept meanwhile (memory the size
/// of the pickle, less than the graph), so that a pickle streaming cannot
/// follow (the list sits in a tuple, or holds itself) is decoded again from
/// them and the rest of the reader. The kept bytes are held to the
/// allocation budget ([`Limits`]) on their own, apart from what the graph
/// and the result are charged: past it nothing more is kept, and if
/// streaming then gives up, decoding fails with
/// [`ErrorKind::LimitExceeded`](crate::ErrorKind::LimitExceeded) at the byte
/// where keeping stopped.
///
/// ```
/// let mut stream = Vec::new();
/// pickle_core::to_writer(&mut stream, &"first")?;
/// pickle_core::to_writer(&mut stream, &2u8)?;
/// let mut reader = &stream[..];
/// let a: String = pickle_core::from_reader(&mut reader)?;
/// let b: u8 = pickle_core::from_reader(&mut reader)?;
/// assert_eq!((a.as_str(), b), ("first", 2));
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub fn from_reader<R: io::Read, T: FromPickle<'static>>(reader: R) -> Result<T> {
    from_reader_with(reader, DecodeOptions::default())
}

/// [`from_reader`] with options.
pub fn from_reader_with<R: io::Read, T: FromPickle<'static>>(mut reader: R, opts: DecodeOptions) -> Result<T> {
    let mut src = Source::reader(&mut reader, &opts.limits);
    if let Some(result) = T::from_stream(&mut src, &opts) {
        return result;
    }
    let kept = src.into_kept()?;
    let value: Value<'static> = if kept.is_empty() {
        Machine::new(&opts, None).run(&mut ReaderInput::new(reader))?
    } else {
        // Streaming gave up after reading `kept`: read it again, then the rest.
        let mut again = io::Read::chain(&kept[..], &mut reader);
        Machine::new(&opts, None).run(&mut ReaderInput::new(&mut again as &mut dyn io::Read))?
    };
    T::from_value(value, &opts.limits)
}
