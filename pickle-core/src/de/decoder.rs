//! [`Decoder`]: the pickles of one stream, one after another.

use std::io;

use super::from_pickle::FromPickle;
use super::input::ReaderInput;
use super::machine::Machine;
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
#[derive(Debug)]
pub struct Decoder<S> {
    source: S,
    opts: DecodeOptions,
    position: u64,
}

/// The source of a [`Decoder::from_slice`].
#[derive(Debug)]
pub struct SliceSource<'a>(&'a [u8]);

/// The source of a [`Decoder::from_reader`].
#[derive(Debug)]
pub struct ReaderSource<R>(R);

impl<S> Decoder<S> {
    /// The options every following pickle is decoded with.
    pub fn options(mut self, opts: DecodeOptions) -> Self {
        self.opts = opts;
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
        Decoder { source: SliceSource(bytes), opts: DecodeOptions::default(), position: 0 }
    }

    /// Decodes the next pickle. Strings and bytes borrow from the slice where
    /// they can. After an error the position stays where that pickle began.
    pub fn decode<T: FromPickle<'a>>(&mut self) -> Result<T> {
        let (value, end) = super::decode_slice_at(self.source.0, self.position as usize, &self.opts)?;
        self.position = end as u64;
        T::from_value(value, &self.opts.limits)
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
        Decoder { source: ReaderSource(reader), opts: DecodeOptions::default(), position: 0 }
    }

    /// Decodes the next pickle.
    pub fn decode<T: FromPickle<'static>>(&mut self) -> Result<T> {
        let mut input = ReaderInput::at(&mut self.source.0, self.position);
        let value = Machine::new(&self.opts, None).run(&mut input)?;
        self.position = super::input::Input::pos(&input);
        T::from_value(value, &self.opts.limits)
    }

    /// The reader, to read what follows the pickles.
    pub fn into_inner(self) -> R {
        self.source.0
    }
}
