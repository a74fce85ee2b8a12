//! [`Decoder`]: the pickles of one stream, one after another.

use std::io;

use super::from_pickle::{Context, FromPickle};
use super::input::{ReaderInput, SliceInput};
use super::machine::{Carried, Machine};
use crate::error::Result;
use crate::options::DecodeOptions;

/// Decodes the pickles of a slice or a reader one after another, as
/// `pickle.Unpickler.load` called in a loop does. Error offsets count from
/// the start of the stream, and [`position`](Decoder::position) says where
/// the next pickle starts.
///
/// ```
/// use pickle_core::Decoder;
///
/// let mut stream = pickle_core::to_vec(&"first")?;
/// stream.extend(pickle_core::to_vec(&2u8)?);
/// let mut decoder = Decoder::from_slice(&stream);
/// let a: &str = decoder.decode()?;
/// let b: u8 = decoder.decode()?;
/// assert_eq!((a, b), ("first", 2));
/// assert!(decoder.is_at_end());
/// assert_eq!(decoder.position(), stream.len() as u64);
/// # Ok::<(), pickle_core::Error>(())
/// ```
///
/// Over a reader, nothing can borrow, so the values are owned:
///
/// ```
/// # let mut stream = pickle_core::to_vec(&"first")?;
/// # stream.extend(pickle_core::to_vec(&2u8)?);
/// let mut decoder = pickle_core::Decoder::from_reader(&stream[..]);
/// let a: String = decoder.decode()?;
/// let b: u8 = decoder.decode()?;
/// assert_eq!((a.as_str(), b, decoder.position()), ("first", 2, stream.len() as u64));
/// # Ok::<(), pickle_core::Error>(())
/// ```
///
/// Each pickle has a memo of its own unless [`keep_memo`](Decoder::keep_memo)
/// is set: then, as with one `pickle.Unpickler`, a pickle may refer to what
/// an earlier one memoized (a stream a [`Pickler`](crate::Pickler) wrote).
#[derive(Debug)]
pub struct Decoder<S> {
    source: S,
    opts: DecodeOptions,
    position: u64,
    keep_memo: bool,
}

/// The source of a [`Decoder::from_slice`].
#[derive(Debug)]
pub struct SliceSource<'a>(&'a [u8], Option<Carried<'a>>);

/// The source of a [`Decoder::from_reader`].
#[derive(Debug)]
pub struct ReaderSource<R>(R, Option<Carried<'static>>);

impl<S> Decoder<S> {
    /// The options every following pickle is decoded with.
    pub fn options(mut self, opts: DecodeOptions) -> Self {
        self.opts = opts;
        self
    }

    /// Keeps the memo from one pickle to the next, as `pickle.Unpickler`
    /// does across `load` calls: a pickle's `GET` may name what an earlier
    /// pickle stored. The graphs of the pickles read so far are kept (that
    /// is what the memo refers to) until [`clear_memo`](Decoder::clear_memo)
    /// or an error, after which the memo starts empty; the allocation limit
    /// counts the whole stream.
    pub fn keep_memo(mut self, keep: bool) -> Self {
        self.keep_memo = keep;
        self
    }

    /// Where the next pickle starts: the bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.position
    }
}

impl<'a> Decoder<SliceSource<'a>> {
    /// A decoder over the pickles of `bytes`.
    pub fn from_slice(bytes: &'a [u8]) -> Self {
        Decoder { source: SliceSource(bytes, None), opts: DecodeOptions::default(), position: 0, keep_memo: false }
    }

    /// Decodes the next pickle. Strings and bytes borrow from the slice where
    /// they can. After an error the position stays where that pickle began.
    pub fn decode<T: FromPickle<'a>>(&mut self) -> Result<T> {
        if !self.keep_memo {
            let (value, end) = super::decode_slice_at(self.source.0, self.position as usize, &self.opts)?;
            self.position = end as u64;
            return T::from_value(value, &self.opts.limits);
        }
        let bytes = self.source.0;
        let mut input = SliceInput::at(bytes, self.position as usize);
        let carried = self.source.1.take().unwrap_or_default();
        let (root, carried) =
            Machine::resume(&self.opts, Some(bytes.len() as u64), carried).run_carrying(&mut input)?;
        self.position = input.consumed() as u64;
        let out = Context::new(carried.value(), &self.opts.limits).decode(root);
        self.source.1 = Some(carried);
        out
    }

    /// Forgets the memo and the graphs kept for it (with
    /// [`keep_memo`](Decoder::keep_memo)).
    pub fn clear_memo(&mut self) {
        self.source.1 = None;
    }

    /// Whether every byte has been consumed.
    pub fn is_at_end(&self) -> bool {
        self.position >= self.source.0.len() as u64
    }
}

impl<R: io::Read> Decoder<ReaderSource<R>> {
    /// A decoder over the pickles of `reader`, reading no further than each
    /// pickle's `STOP`. Wrap unbuffered sources in a `BufReader`.
    pub fn from_reader(reader: R) -> Self {
        Decoder { source: ReaderSource(reader, None), opts: DecodeOptions::default(), position: 0, keep_memo: false }
    }

    /// Decodes the next pickle.
    pub fn decode<T: FromPickle<'static>>(&mut self) -> Result<T> {
        let mut input = ReaderInput::at(&mut self.source.0, self.position);
        if !self.keep_memo {
            let value = Machine::new(&self.opts, None).run(&mut input)?;
            self.position = super::input::Input::pos(&input);
            return T::from_value(value, &self.opts.limits);
        }
        let carried = self.source.1.take().unwrap_or_default();
        let (root, carried) = Machine::resume(&self.opts, None, carried).run_carrying(&mut input)?;
        self.position = super::input::Input::pos(&input);
        let out = Context::new(carried.value(), &self.opts.limits).decode(root);
        self.source.1 = Some(carried);
        out
    }

    /// Forgets the memo and the graphs kept for it (with
    /// [`keep_memo`](Decoder::keep_memo)).
    pub fn clear_memo(&mut self) {
        self.source.1 = None;
    }

    /// The reader, to read what follows the pickles.
    pub fn into_inner(self) -> R {
        self.source.0
    }
}
