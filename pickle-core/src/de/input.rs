//! Where the decoder's bytes come from: a borrowed slice (zero copy) or any
//! `io::Read` (copied). The trait is sealed; the two impls are the only ones.

use std::io;

use crate::error::{Error, Result};
use crate::options::Limits;

/// Bytes handed out by an input: borrowed from the input itself for as long
/// as `'a`, or from a scratch buffer until the next read.
pub(crate) enum Chunk<'a, 's> {
    Input(&'a [u8]),
    Scratch(&'s [u8]),
}

impl Chunk<'_, '_> {
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Chunk::Input(b) => b,
            Chunk::Scratch(b) => b,
        }
    }
}

/// Why a read came up short.
pub(crate) enum Short {
    /// The input ended; `left` bytes were left when the read began (when known).
    Eof { left: Option<u64> },
    /// The underlying reader failed.
    Io(io::Error),
}

impl From<io::Error> for Short {
    fn from(e: io::Error) -> Short {
        if e.kind() == io::ErrorKind::UnexpectedEof { Short::Eof { left: None } } else { Short::Io(e) }
    }
}

mod private {
    pub trait Sealed {}
}

/// An input the machine can run over.
pub(crate) trait Input<'a>: private::Sealed {
    /// Offset of the next byte.
    fn pos(&self) -> u64;
    /// Bytes left, when the input knows.
    fn remaining(&self) -> Option<u64>;
    /// The next byte, `None` at the end.
    fn next_byte(&mut self) -> Result<Option<u8>, Short>;
    /// Exactly `n` bytes.
    fn take(&mut self, n: usize) -> Result<Chunk<'a, '_>, Short>;
    /// Bytes up to the next `\n`, which is consumed and not returned.
    fn line(&mut self) -> Result<Chunk<'a, '_>, Short>;
    /// A FRAME of `len` bytes starts here. Inputs that read ahead use it.
    fn frame(&mut self, len: u64) -> Result<(), Short>;
    /// The bytes that can be read next without I/O (possibly none), for
    /// loops that handle a run of small opcodes at once.
    fn buffered(&self) -> &[u8];
    /// Consumes `n` bytes of [`Input::buffered`].
    fn skip(&mut self, n: usize);
    /// The rest of the input, when it is borrowed for the whole decode
    /// (strs can then be converted straight from it; see sink/scalars.rs).
    fn borrowed(&self) -> Option<&'a [u8]> {
        None
    }
}

/// A borrowed slice.
pub(crate) struct SliceInput<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> SliceInput<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        SliceInput { data, pos: 0 }
    }

    /// Input that starts at byte `pos` of `data`, so offsets count from the
    /// start of `data`.
    pub(crate) fn at(data: &'a [u8], pos: usize) -> Self {
        SliceInput { data, pos: pos.min(data.len()) }
    }

    pub(crate) fn consumed(&self) -> usize {
        self.pos
    }
}

impl private::Sealed for SliceInput<'_> {}

impl<'a> Input<'a> for SliceInput<'a> {
    #[inline]
    fn pos(&self) -> u64 {
        self.pos as u64
    }

    #[inline]
    fn remaining(&self) -> Option<u64> {
        Some((self.data.len() - self.pos) as u64)
    }

    #[inline]
    fn next_byte(&mut self) -> Result<Option<u8>, Short> {
        let b = self.data.get(self.pos).copied();
        self.pos += b.is_some() as usize;
        Ok(b)
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<Chunk<'a, '_>, Short> {
        let data: &'a [u8] = self.data;
        let left = data.len() - self.pos;
        if n > left {
            return Err(Short::Eof { left: Some(left as u64) });
        }
        let out = &data[self.pos..self.pos + n];
        self.pos += n;
        Ok(Chunk::Input(out))
    }

    fn line(&mut self) -> Result<Chunk<'a, '_>, Short> {
        let data: &'a [u8] = self.data;
        let rest = &data[self.pos..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(n) => {
                self.pos += n + 1;
                Ok(Chunk::Input(&rest[..n]))
            }
            None => Err(Short::Eof { left: Some(rest.len() as u64) }),
        }
    }

    fn frame(&mut self, len: u64) -> Result<(), Short> {
        let left = (self.data.len() - self.pos) as u64;
        if len > left { Err(Short::Eof { left: Some(left) }) } else { Ok(()) }
    }

    #[inline]
    fn buffered(&self) -> &[u8] {
        &self.data[self.pos..]
    }

    #[inline]
    fn skip(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.data.len());
    }

    #[inline]
    fn borrowed(&self) -> Option<&'a [u8]> {
        let data: &'a [u8] = self.data;
        data.get(self.pos..)
    }
}

/// A slice whose bytes are copied rather than borrowed, so that what is
/// decoded from it outlives it.
pub(crate) struct CopyingSliceInput<'s>(SliceInput<'s>);

impl<'s> CopyingSliceInput<'s> {
    pub(crate) fn new(data: &'s [u8]) -> Self {
        CopyingSliceInput(SliceInput::new(data))
    }
}

impl private::Sealed for CopyingSliceInput<'_> {}

impl<'s> Input<'static> for CopyingSliceInput<'s> {
    #[inline]
    fn pos(&self) -> u64 {
        self.0.pos()
    }

    #[inline]
    fn remaining(&self) -> Option<u64> {
        self.0.remaining()
    }

    #[inline]
    fn next_byte(&mut self) -> Result<Option<u8>, Short> {
        self.0.next_byte()
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<Chunk<'static, '_>, Short> {
        self.0.take(n).map(|c| Chunk::Scratch(unborrow(c)))
    }

    fn line(&mut self) -> Result<Chunk<'static, '_>, Short> {
        self.0.line().map(|c| Chunk::Scratch(unborrow(c)))
    }

    fn frame(&mut self, len: u64) -> Result<(), Short> {
        self.0.frame(len)
    }

    #[inline]
    fn buffered(&self) -> &[u8] {
        self.0.buffered()
    }

    #[inline]
    fn skip(&mut self, n: usize) {
        self.0.skip(n);
    }
}

fn unborrow<'x>(c: Chunk<'x, 'x>) -> &'x [u8] {
    match c {
        Chunk::Input(b) | Chunk::Scratch(b) => b,
    }
}

/// Any `io::Read`. Reads only what the pickle needs, so a reader can hold
/// several pickles back to back; wrap unbuffered sources in a `BufReader`.
pub(crate) struct ReaderInput<R> {
    reader: R,
    pos: u64,
    /// Bytes of the current frame, read ahead in one go: `frame[frame_pos..frame_end]`
    /// is still to read. The buffer is kept from frame to frame, so only
    /// growing it costs an allocation and zeroing.
    frame: Vec<u8>,
    frame_pos: usize,
    frame_end: usize,
    scratch: Vec<u8>,
}

/// Reads of unknown honesty grow the buffer in steps of this size, so a
/// declared length larger than the input never allocates more than the input
/// plus one step.
const READ_STEP: usize = 1 << 20;

impl<R: io::Read> ReaderInput<R> {
    pub(crate) fn new(reader: R) -> Self {
        ReaderInput::at(reader, 0)
    }

    /// Input whose first byte counts as byte `pos`, for a stream of which
    /// `pos` bytes were read before.
    pub(crate) fn at(reader: R, pos: u64) -> Self {
        ReaderInput { reader, pos, frame: Vec::new(), frame_pos: 0, frame_end: 0, scratch: Vec::new() }
    }

    /// The reader, with whatever it read ahead lost.
    pub(crate) fn into_reader(self) -> R {
        self.reader
    }

    fn in_frame(&self) -> usize {
        self.frame_end - self.frame_pos
    }

    /// Reads exactly `n` bytes from the reader into `buf[*end..]`, moving
    /// `*end` past what arrived. `buf` grows (zeroed) in steps only where
    /// it is shorter than the bytes that arrive, so a reused buffer costs
    /// nothing but the read.
    fn read_exact_at(reader: &mut R, buf: &mut Vec<u8>, end: &mut usize, n: usize) -> Result<(), Short> {
        let target = end.saturating_add(n);
        while *end < target {
            if buf.len() <= *end {
                buf.resize(*end + (target - *end).min(READ_STEP), 0);
            }
            let stop = buf.len().min(target);
            match reader.read(&mut buf[*end..stop]) {
                Ok(0) => return Err(Short::Eof { left: None }),
                Ok(k) => *end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Short::Io(e)),
            }
        }
        Ok(())
    }
}

impl<R: io::Read> ReaderInput<R> {
    /// [`Input::next_byte`] past the current frame: one byte from the reader.
    #[inline(never)]
    fn next_byte_unframed(&mut self) -> Result<Option<u8>, Short> {
        let mut b = [0u8];
        loop {
            match self.reader.read(&mut b) {
                Ok(0) => return Ok(None),
                Ok(_) => {
                    self.pos += 1;
                    return Ok(Some(b[0]));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Short::Io(e)),
            }
        }
    }

    /// [`Input::take`] of more than the current frame holds: whatever is
    /// left of the frame, then the reader.
    #[inline(never)]
    fn take_unframed(&mut self, n: usize) -> Result<Chunk<'static, '_>, Short> {
        let framed = self.in_frame();
        self.scratch.clear();
        self.scratch.extend_from_slice(&self.frame[self.frame_pos..self.frame_end]);
        self.frame_pos = self.frame_end;
        // The rest is read straight behind the frame's bytes.
        let mut end = framed;
        let got = Self::read_exact_at(&mut self.reader, &mut self.scratch, &mut end, n - framed);
        self.scratch.truncate(end);
        self.pos += end as u64;
        got?;
        Ok(Chunk::Scratch(&self.scratch))
    }
}

impl<R: io::Read> private::Sealed for ReaderInput<R> {}

impl<'a, R: io::Read> Input<'a> for ReaderInput<R> {
    fn pos(&self) -> u64 {
        self.pos
    }

    fn remaining(&self) -> Option<u64> {
        None
    }

    #[inline]
    fn next_byte(&mut self) -> Result<Option<u8>, Short> {
        if self.frame_pos < self.frame_end
            && let Some(&b) = self.frame.get(self.frame_pos)
        {
            self.frame_pos += 1;
            self.pos += 1;
            return Ok(Some(b));
        }
        self.next_byte_unframed()
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<Chunk<'a, '_>, Short> {
        if self.in_frame() >= n {
            let start = self.frame_pos;
            self.frame_pos += n;
            self.pos += n as u64;
            return Ok(Chunk::Scratch(&self.frame[start..start + n]));
        }
        self.take_unframed(n)
    }

    fn line(&mut self) -> Result<Chunk<'a, '_>, Short> {
        self.scratch.clear();
        loop {
            match self.next_byte()? {
                Some(b'\n') => return Ok(Chunk::Scratch(&self.scratch)),
                Some(b) => self.scratch.push(b),
                None => return Err(Short::Eof { left: Some(self.scratch.len() as u64) }),
            }
        }
    }

    fn frame(&mut self, len: u64) -> Result<(), Short> {
        let len = usize::try_from(len).map_err(|_| Short::Eof { left: None })?;
        // A frame that starts inside the current one (CPython's C unpickler
        // allows it) must still fit in the input: keep the unread rest of the
        // current frame and read the remainder behind it.
        let buffered = self.in_frame();
        if len <= buffered {
            return Ok(());
        }
        self.frame.copy_within(self.frame_pos..self.frame_end, 0);
        (self.frame_pos, self.frame_end) = (0, buffered);
        let result = Self::read_exact_at(&mut self.reader, &mut self.frame, &mut self.frame_end, len - buffered);
        if result.is_err() {
            // What was read is gone from the reader; count it as consumed.
            self.pos += self.frame_end as u64;
            self.frame_end = 0;
        }
        result
    }

    fn buffered(&self) -> &[u8] {
        &self.frame[self.frame_pos..self.frame_end]
    }

    fn skip(&mut self, n: usize) {
        let n = n.min(self.in_frame());
        self.frame_pos += n;
        self.pos += n as u64;
    }
}

impl Short {
    /// Turns a short read into an error for `what` at `at`.
    #[cold]
    pub(crate) fn into_error(self, what: &str, at: u64, wanted: Option<u64>) -> Error {
        use crate::error::ErrorKind;
        match self {
            Short::Io(e) => Error::io(e, Some(at)),
            Short::Eof { left } => {
                let detail = match (wanted, left) {
                    (Some(w), Some(l)) => format!("it declares {w} bytes, {l} are left"),
                    (Some(w), None) => format!("it declares {w} bytes and the input ended first"),
                    (None, _) => "the input ended before its argument did".to_string(),
                };
                Error::at(ErrorKind::Eof, at, &format!("truncated {what}"), detail)
            }
        }
    }
}

/// Where a streaming decode (`stream.rs`) reads from: the slice
/// [`from_slice`](crate::from_slice) was given, or the reader
/// [`from_reader`](crate::from_reader) was, kept as it is read ([`Tee`]).
/// Not a public API.
#[doc(hidden)]
pub struct Source<'s, 'a> {
    pub(crate) src: Src<'s, 'a>,
}

impl std::fmt::Debug for Source<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.src {
            Src::Slice(_) => "slice",
            Src::Reader(_) => "reader",
        };
        f.debug_struct("Source").field("kind", &kind).finish_non_exhaustive()
    }
}

pub(crate) enum Src<'s, 'a> {
    Slice(&'a [u8]),
    Reader(ReaderInput<Tee<'s>>),
}

/// A reader that keeps a copy of every byte it reads. What it keeps stays
/// within the allocation budget for the bytes read: past it, it keeps
/// nothing more and notes where it stopped.
pub(crate) struct Tee<'s> {
    inner: &'s mut dyn io::Read,
    kept: Vec<u8>,
    limits: Limits,
    /// The offset at which keeping would have exceeded the budget.
    stopped: Option<u64>,
}

impl io::Read for Tee<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.stopped.is_none() {
            let total = (self.kept.len() + n) as u64;
            if total <= self.limits.alloc_budget(total) {
                self.kept.extend_from_slice(&buf[..n]);
            } else {
                self.stopped = Some(self.kept.len() as u64);
                self.kept = Vec::new();
            }
        }
        Ok(n)
    }
}

impl<'s, 'a> Source<'s, 'a> {
    pub(crate) fn slice(bytes: &'a [u8]) -> Self {
        Source { src: Src::Slice(bytes) }
    }

    pub(crate) fn reader(reader: &'s mut dyn io::Read, limits: &Limits) -> Self {
        let tee = Tee { inner: reader, kept: Vec::new(), limits: *limits, stopped: None };
        Source { src: Src::Reader(ReaderInput::new(tee)) }
    }

    /// The bytes a reader handed over while streaming (none for a slice),
    /// to decode again from; an error when keeping them all would have
    /// exceeded the allocation budget.
    pub(crate) fn into_kept(self) -> Result<Vec<u8>> {
        match self.src {
            Src::Slice(_) => Ok(Vec::new()),
            Src::Reader(input) => {
                let tee = input.into_reader();
                match tee.stopped {
                    None => Ok(tee.kept),
                    Some(at) => Err(Error::at(
                        crate::error::ErrorKind::LimitExceeded,
                        at,
                        "allocation limit exceeded",
                        format!(
                            "streaming gave up, and decoding again needs the bytes read, which the budget of {} \
                             bytes for them does not hold",
                            tee.limits.alloc_budget(at)
                        ),
                    )),
                }
            }
        }
    }

    /// The whole input, when it is a slice.
    pub(crate) fn bytes(&self) -> Option<&'a [u8]> {
        match self.src {
            Src::Slice(bytes) => Some(bytes),
            Src::Reader(_) => None,
        }
    }
}
