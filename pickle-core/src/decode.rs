//! Decoding entry points and their options.

use std::io;

use crate::error::Result;
use crate::from_pickle::FromPickle;
use crate::limits::Limits;
use crate::machine::Machine;
use crate::read::{CopyingSliceInput, ReaderInput, SliceInput};
use crate::value::Value;

/// How Python 2 `str` data (the `STRING`, `BINSTRING` and
/// `SHORT_BINSTRING` opcodes) is decoded, as the `encoding` argument of
/// Python's `pickle.load` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StringEncoding {
    /// ASCII: any other byte is an error. Python's default.
    #[default]
    Ascii,
    /// UTF-8.
    Utf8,
    /// Latin-1: every byte is a code point. Reads NumPy arrays and datetimes
    /// pickled by Python 2.
    Latin1,
    /// Keep them as `bytes`.
    Bytes,
}

/// Options for decoding, built by value:
/// `DecodeOptions::default().encoding(StringEncoding::Latin1)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeOptions {
    pub(crate) encoding: StringEncoding,
    pub(crate) limits: Limits,
    pub(crate) fix_imports: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions { encoding: StringEncoding::Ascii, limits: Limits::DEFAULT, fix_imports: true }
    }
}

impl DecodeOptions {
    /// How to decode Python 2 strings.
    pub fn encoding(mut self, encoding: StringEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// The limits that bound decoding.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Whether to map Python 2 names (`__builtin__`, `copy_reg`, ...) to
    /// Python 3 names in protocol 0-2 streams, as CPython's `fix_imports`
    /// does. On by default.
    pub fn fix_imports(mut self, fix: bool) -> Self {
        self.fix_imports = fix;
        self
    }
}

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
    if let Some(result) = T::from_slice_streaming(bytes, &opts) {
        return result;
    }
    let (value, _) = decode_slice(bytes, &opts)?;
    T::from_value(value, &opts.limits)
}

/// Decodes the pickle at the start of `bytes` into a [`Value`] and says how
/// many bytes it took, so that the caller can decode the next one.
pub fn value_from_slice_prefix<'a>(bytes: &'a [u8], opts: &DecodeOptions) -> Result<(Value<'a>, usize)> {
    decode_slice(bytes, opts)
}

fn decode_slice<'a>(bytes: &'a [u8], opts: &DecodeOptions) -> Result<(Value<'a>, usize)> {
    let mut input = SliceInput::new(bytes);
    let value = Machine::new(opts, Some(bytes.len() as u64)).run(&mut input)?;
    Ok((value, input.consumed()))
}

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
pub fn from_reader_with<R: io::Read, T: FromPickle<'static>>(reader: R, opts: DecodeOptions) -> Result<T> {
    let mut input = ReaderInput::new(reader);
    let value: Value<'static> = Machine::new(&opts, None).run(&mut input)?;
    T::from_value(value, &opts.limits)
}
