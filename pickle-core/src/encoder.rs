//! The encoder: writes opcodes straight to bytes, choosing them as CPython's
//! pickler does for the same protocol, with CPython's framing and batching.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io;

use num_bigint::BigInt;

use crate::compat;
use crate::error::{Error, ErrorKind, Result};
use crate::opcodes as op;
use crate::text;
use crate::to_pickle::ToPickle;

/// Frames are cut once they reach this size, as CPython cuts them.
pub(crate) const FRAME_SIZE_TARGET: usize = 64 * 1024;
/// A frame smaller than this is written without its header.
const FRAME_SIZE_MIN: usize = 4;
const FRAME_HEADER: usize = 9;
/// Items per APPENDS/SETITEMS/ADDITEMS batch, as CPython batches them.
pub(crate) const BATCH_SIZE: usize = 1000;

/// Options for encoding, built by value:
/// `EncodeOptions::default().protocol(2)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    pub(crate) protocol: u8,
    pub(crate) fix_imports: bool,
    pub(crate) max_depth: usize,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions { protocol: 4, fix_imports: true, max_depth: 1 << 22 }
    }
}

impl EncodeOptions {
    /// The protocol to write, 0 to 5. The default is 4, as CPython 3.8+'s.
    /// A protocol above 5 makes encoding fail with [`ErrorKind::Unsupported`].
    pub fn protocol(mut self, protocol: u8) -> Self {
        self.protocol = protocol;
        self
    }

    /// Whether to write Python 2 names for Python 3 ones below protocol 3
    /// (`builtins` as `__builtin__`, ...), as CPython's `fix_imports` does.
    /// On by default.
    pub fn fix_imports(mut self, fix: bool) -> Self {
        self.fix_imports = fix;
        self
    }

    /// The most work the iterative `Value` writer may have pending at once,
    /// which bounds graphs that nest too deeply or loop through tuples (which
    /// pickle cannot express).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }
}

/// What identifies an object for the memo: an address (of an `Rc`, an
/// `Arc`, a `Value` node) or a `'static` str's address and length.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum MemoKey {
    Addr(usize),
    Static(usize, usize),
    Global(usize, usize, usize, usize),
}

/// A multiplicative hasher for memo keys: they are addresses, not
/// attacker-chosen, so SipHash's protection buys nothing here.
#[derive(Default)]
pub(crate) struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64)
    }
}

pub(crate) type AddrMap<K, V> = HashMap<K, V, BuildHasherDefault<AddrHasher>>;

/// One batch of a run of `len` items: items `start..end`, after a MARK or
/// not, closed by `closing`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Batch {
    pub start: usize,
    pub end: usize,
    pub marked: bool,
    pub closing: u8,
}

/// Batch `k` of a run of `len` items, as CPython's C pickler cuts them
/// (the same rule `Encoder::write_batches` follows for iterators): at
/// protocol 0 one unmarked batch per item; a lone list or dict item
/// unmarked; otherwise MARKed batches of 1000, and a dict or set whose size
/// is a multiple of 1000 ends with an empty batch.
pub(crate) fn batch_at(kind: Batched, proto: u8, len: usize, k: usize) -> Option<Batch> {
    let (single, many) = match kind {
        Batched::List => (op::APPEND, op::APPENDS),
        Batched::Dict => (op::SETITEM, op::SETITEMS),
        Batched::Set => (op::ADDITEMS, op::ADDITEMS),
    };
    if proto == 0 {
        return (k < len).then_some(Batch { start: k, end: k + 1, marked: false, closing: single });
    }
    if len == 1 && kind != Batched::Set {
        return (k == 0).then_some(Batch { start: 0, end: 1, marked: false, closing: single });
    }
    let count = match (kind, len) {
        (_, 0) => 0,
        (Batched::List, _) => len.div_ceil(BATCH_SIZE),
        _ => len / BATCH_SIZE + 1,
    };
    (k < count).then(|| {
        let start = k * BATCH_SIZE;
        Batch { start, end: (start + BATCH_SIZE).min(len), marked: true, closing: many }
    })
}

/// What a batched run of items fills: CPython batches each a little
/// differently.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Batched {
    List,
    Dict,
    Set,
}

/// Writes pickle opcodes. [`ToPickle`] impls call its `write_*` methods; the
/// functions [`to_vec`](crate::to_vec) and [`to_writer`](crate::to_writer)
/// create it, write the protocol header and `STOP`, and handle framing.
pub struct Encoder<'w> {
    out: Vec<u8>,
    proto: u8,
    fix_imports: bool,
    max_depth: usize,
    framing: bool,
    /// Where the open frame's header starts in `out`, while framing.
    frame_start: usize,
    memo: AddrMap<MemoKey, u32>,
    /// The next memo index: the memo holds identities and module names.
    memo_next: u32,
    /// Module names of STACK_GLOBAL already memoized, by content, as
    /// CPython's memo shares the module str of classes from one module.
    modules: HashMap<Box<str>, u32>,
    sink: Option<&'w mut dyn io::Write>,
    flushed: u64,
}

impl std::fmt::Debug for Encoder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder").field("protocol", &self.proto).field("memo_len", &self.memo_next).finish()
    }
}

impl<'w> Encoder<'w> {
    pub(crate) fn new(opts: EncodeOptions, sink: Option<&'w mut dyn io::Write>) -> Result<Self> {
        if opts.protocol > op::HIGHEST_PROTOCOL {
            return Err(Error::new(
                ErrorKind::Unsupported,
                None,
                format!("pickle protocol {} is not supported: the highest is 5", opts.protocol),
            ));
        }
        Ok(Encoder {
            out: Vec::with_capacity(256),
            proto: opts.protocol,
            fix_imports: opts.fix_imports,
            max_depth: opts.max_depth,
            framing: false,
            frame_start: 0,
            memo: AddrMap::default(),
            memo_next: 0,
            modules: HashMap::new(),
            sink,
            flushed: 0,
        })
    }

    /// Encodes one value: header, value, STOP, last frame.
    pub(crate) fn encode<T: ToPickle + ?Sized>(mut self, value: &T) -> Result<Vec<u8>> {
        if self.proto >= 2 {
            self.out.extend_from_slice(&[op::PROTO, self.proto]);
        }
        if self.proto >= 4 {
            self.framing = true;
            self.open_frame();
        }
        value.to_pickle(&mut self)?;
        self.out.push(op::STOP);
        if self.framing {
            self.commit_frame()?;
            self.framing = false;
        }
        self.flush()?;
        Ok(self.out)
    }

    /// The protocol being written.
    pub fn protocol(&self) -> u8 {
        self.proto
    }

    // ----- framing -------------------------------------------------------

    fn open_frame(&mut self) {
        self.frame_start = self.out.len();
        self.out.extend_from_slice(&[op::FRAME, 0, 0, 0, 0, 0, 0, 0, 0]);
    }

    /// Closes the open frame: patches its length, or drops its header when
    /// the frame is smaller than CPython frames.
    fn commit_frame(&mut self) -> Result<()> {
        let start = self.frame_start;
        let len = self.out.len() - start - FRAME_HEADER;
        if len >= FRAME_SIZE_MIN {
            self.out[start + 1..start + FRAME_HEADER].copy_from_slice(&(len as u64).to_le_bytes());
        } else {
            self.out.drain(start..start + FRAME_HEADER);
        }
        self.flush()
    }

    fn flush(&mut self) -> Result<()> {
        if let Some(sink) = self.sink.as_mut() {
            sink.write_all(&self.out).map_err(|e| Error::io(e, Some(self.flushed)))?;
            self.flushed += self.out.len() as u64;
            self.out.clear();
        }
        Ok(())
    }

    /// Called between values: cuts the frame once it is large enough, and
    /// streams to the writer.
    #[inline]
    pub(crate) fn boundary(&mut self) -> Result<()> {
        if self.framing {
            if self.out.len() - self.frame_start >= FRAME_SIZE_TARGET + FRAME_HEADER {
                self.commit_frame()?;
                self.open_frame();
            }
        } else if self.sink.is_some() && self.out.len() >= FRAME_SIZE_TARGET {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes an opcode header and a large payload outside any frame, as
    /// CPython does for payloads of 64 KiB and more.
    fn write_payload(&mut self, header: &[u8], payload: &[u8]) -> Result<()> {
        if self.framing && payload.len() >= FRAME_SIZE_TARGET {
            self.commit_frame()?;
            self.out.extend_from_slice(header);
            if self.sink.is_some() {
                self.flush()?;
                if let Some(sink) = self.sink.as_mut() {
                    sink.write_all(payload).map_err(|e| Error::io(e, Some(self.flushed)))?;
                }
                self.flushed += payload.len() as u64;
            } else {
                self.out.extend_from_slice(payload);
            }
            self.open_frame();
            return Ok(());
        }
        self.out.extend_from_slice(header);
        self.out.extend_from_slice(payload);
        Ok(())
    }

    // ----- memo ----------------------------------------------------------

    /// Writes the memo opcode that stores the value on top of the stack, and
    /// records it under `key`.
    pub(crate) fn memoize(&mut self, key: MemoKey) -> Result<()> {
        let idx = self.memoize_top()?;
        self.memo.insert(key, idx);
        Ok(())
    }

    /// Writes the memo opcode that stores the value on top of the stack
    /// under the next index, and returns the index.
    fn memoize_top(&mut self) -> Result<u32> {
        let idx = self.memo_next;
        self.memo_next = idx
            .checked_add(1)
            .ok_or_else(|| Error::new(ErrorKind::LimitExceeded, None, "the memo is full: 2^32 shared values".into()))?;
        self.write_put(idx);
        Ok(idx)
    }

    fn write_put(&mut self, idx: u32) {
        if self.proto >= 4 {
            self.out.push(op::MEMOIZE);
        } else if self.proto >= 1 {
            if idx < 256 {
                self.out.extend_from_slice(&[op::BINPUT, idx as u8]);
            } else {
                self.out.push(op::LONG_BINPUT);
                self.out.extend_from_slice(&idx.to_le_bytes());
            }
        } else {
            self.out.push(op::PUT);
            self.out.extend_from_slice(idx.to_string().as_bytes());
            self.out.push(b'\n');
        }
    }

    #[inline]
    pub(crate) fn write_get(&mut self, idx: u32) {
        if self.proto >= 1 && idx < 256 {
            self.out.extend_from_slice(&[op::BINGET, idx as u8]);
        } else {
            self.write_long_get(idx);
        }
    }

    /// LONG_BINGET, or GET at protocol 0: kept out of line so that
    /// `write_get`'s common case stays small.
    #[inline(never)]
    fn write_long_get(&mut self, idx: u32) {
        if self.proto >= 1 {
            self.out.push(op::LONG_BINGET);
            self.out.extend_from_slice(&idx.to_le_bytes());
        } else {
            self.out.push(op::GET);
            self.out.extend_from_slice(idx.to_string().as_bytes());
            self.out.push(b'\n');
        }
    }

    /// The memo index stored for `key`, if any.
    #[inline]
    pub(crate) fn memo_get(&self, key: MemoKey) -> Option<u32> {
        if self.memo.is_empty() { None } else { self.memo.get(&key).copied() }
    }

    /// Writes a value that may be shared: the first time `identity` is seen
    /// the value is written by `write` and memoized; afterwards it is a memo
    /// reference, so Python sees one object. `Rc` and `Arc` use their
    /// allocation's address.
    pub fn write_shared(&mut self, identity: *const (), write: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        let key = MemoKey::Addr(identity as usize);
        if let Some(idx) = self.memo_get(key) {
            self.write_get(idx);
            return Ok(());
        }
        write(self)?;
        if let Some(idx) = self.memo_get(key) {
            // Written again inside itself: keep the first, as CPython does.
            self.out.push(op::POP);
            self.write_get(idx);
            return Ok(());
        }
        self.memoize(key)
    }

    // ----- scalars -------------------------------------------------------

    /// `None`.
    #[inline]
    pub fn write_none(&mut self) -> Result<()> {
        self.out.push(op::NONE);
        Ok(())
    }

    /// `True`/`False`: `NEWTRUE`/`NEWFALSE`, or `I01`/`I00` below protocol 2.
    #[inline]
    pub fn write_bool(&mut self, b: bool) -> Result<()> {
        if self.proto >= 2 {
            self.out.push(if b { op::NEWTRUE } else { op::NEWFALSE });
        } else {
            self.out.extend_from_slice(if b { b"I01\n" } else { b"I00\n" });
        }
        Ok(())
    }

    /// An int.
    #[inline]
    pub fn write_i64(&mut self, v: i64) -> Result<()> {
        if self.proto >= 1 {
            if (0..=0xff).contains(&v) {
                self.out.extend_from_slice(&[op::BININT1, v as u8]);
                return Ok(());
            }
            if (0..=0xffff).contains(&v) {
                self.out.push(op::BININT2);
                self.out.extend_from_slice(&(v as u16).to_le_bytes());
                return Ok(());
            }
            if let Ok(v) = i32::try_from(v) {
                self.out.push(op::BININT);
                self.out.extend_from_slice(&v.to_le_bytes());
                return Ok(());
            }
            if self.proto >= 2 {
                self.write_long_bytes(&v.to_le_bytes());
                return Ok(());
            }
        } else if let Ok(v) = i32::try_from(v) {
            self.out.push(op::INT);
            self.out.extend_from_slice(v.to_string().as_bytes());
            self.out.push(b'\n');
            return Ok(());
        }
        self.write_long_text(&v.to_string());
        Ok(())
    }

    /// An int from a `u64`.
    pub fn write_u64(&mut self, v: u64) -> Result<()> {
        match i64::try_from(v) {
            Ok(v) => self.write_i64(v),
            Err(_) => self.write_i128(i128::from(v)),
        }
    }

    /// An int from an `i128`.
    pub fn write_i128(&mut self, v: i128) -> Result<()> {
        if let Ok(v) = i64::try_from(v) {
            return self.write_i64(v);
        }
        if self.proto >= 2 {
            self.write_long_bytes(&v.to_le_bytes());
        } else {
            self.write_long_text(&v.to_string());
        }
        Ok(())
    }

    /// An int from a `u128`.
    pub fn write_u128(&mut self, v: u128) -> Result<()> {
        match i128::try_from(v) {
            Ok(v) => self.write_i128(v),
            Err(_) => self.write_bigint(&BigInt::from(v)),
        }
    }

    /// An int of any size.
    pub fn write_bigint(&mut self, v: &BigInt) -> Result<()> {
        if let Ok(small) = i64::try_from(v) {
            return self.write_i64(small);
        }
        if self.proto >= 2 {
            self.write_long_bytes(&v.to_signed_bytes_le());
        } else {
            self.write_long_text(&v.to_string());
        }
        Ok(())
    }

    /// LONG1/LONG4 of little-endian two's complement, trimmed to the
    /// shortest form that keeps the sign.
    fn write_long_bytes(&mut self, le: &[u8]) {
        let mut n = le.len();
        let negative = le.last().is_some_and(|&b| b & 0x80 != 0);
        let fill = if negative { 0xff } else { 0x00 };
        while n > 1 && le[n - 1] == fill && (le[n - 2] & 0x80 != 0) == negative {
            n -= 1;
        }
        if n < 256 {
            self.out.extend_from_slice(&[op::LONG1, n as u8]);
        } else {
            self.out.push(op::LONG4);
            self.out.extend_from_slice(&(n as u32).to_le_bytes());
        }
        self.out.extend_from_slice(&le[..n]);
    }

    fn write_long_text(&mut self, decimal: &str) {
        self.out.push(op::LONG);
        self.out.extend_from_slice(decimal.as_bytes());
        self.out.extend_from_slice(b"L\n");
    }

    /// A float: `BINFLOAT`, or `FLOAT` with `repr()` text at protocol 0.
    #[inline]
    pub fn write_f64(&mut self, v: f64) -> Result<()> {
        if self.proto >= 1 {
            let b = v.to_be_bytes();
            self.out.extend_from_slice(&[op::BINFLOAT, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        } else {
            self.out.push(op::FLOAT);
            self.out.extend_from_slice(text::float_repr(v).as_bytes());
            self.out.push(b'\n');
        }
        Ok(())
    }

    /// `complex(re, im)`.
    pub fn write_complex(&mut self, re: f64, im: f64) -> Result<()> {
        self.write_class("builtins", "complex")?;
        self.write_tuple_with(2, |enc| {
            enc.write_f64(re)?;
            enc.write_f64(im)
        })?;
        self.out.push(op::REDUCE);
        Ok(())
    }

    // ----- strings and bytes ---------------------------------------------

    /// A str.
    #[inline]
    pub fn write_str(&mut self, s: &str) -> Result<()> {
        if self.proto >= 1 {
            self.write_unicode_bytes(s.as_bytes())
        } else {
            self.write_unicode_text(s.chars().map(u32::from));
            Ok(())
        }
    }

    /// A str given as surrogatepass UTF-8 (it may hold lone surrogates).
    pub fn write_str_surrogates(&mut self, utf8: &[u8]) -> Result<()> {
        if self.proto >= 1 {
            self.write_unicode_bytes(utf8)
        } else {
            self.write_unicode_text(text::code_points(utf8));
            Ok(())
        }
    }

    fn write_unicode_text(&mut self, cps: impl Iterator<Item = u32>) {
        self.out.push(op::UNICODE);
        text::raw_unicode_escape_encode(cps, &mut self.out);
        self.out.push(b'\n');
    }

    #[inline]
    fn write_unicode_bytes(&mut self, b: &[u8]) -> Result<()> {
        let n = b.len();
        if self.proto >= 4 && n < 256 {
            self.out.reserve(2 + n);
            self.out.extend_from_slice(&[op::SHORT_BINUNICODE, n as u8]);
            self.out.extend_from_slice(b);
            return Ok(());
        }
        if let Ok(n32) = u32::try_from(n) {
            let mut header = [op::BINUNICODE, 0, 0, 0, 0];
            header[1..].copy_from_slice(&n32.to_le_bytes());
            return self.write_payload(&header, b);
        }
        if self.proto >= 4 {
            let mut header = [op::BINUNICODE8, 0, 0, 0, 0, 0, 0, 0, 0];
            header[1..].copy_from_slice(&(n as u64).to_le_bytes());
            return self.write_payload(&header, b);
        }
        Err(Error::new(
            ErrorKind::Unsupported,
            None,
            format!("cannot write a str of {n} bytes below protocol 4: the limit is 4 GiB"),
        ))
    }

    /// `bytes`. Below protocol 3, written as CPython writes it:
    /// `_codecs.encode(<latin-1 str>, 'latin1')`, or `bytes()` when empty,
    /// with the function and `'latin1'` memoized, so that more bytes in the
    /// same pickle refer back to them.
    pub fn write_bytes(&mut self, b: &[u8]) -> Result<()> {
        if self.proto < 3 {
            if b.is_empty() {
                self.write_class("builtins", "bytes")?;
                self.write_tuple_with(0, |_| Ok(()))?;
            } else {
                self.write_class("_codecs", "encode")?;
                self.write_tuple_with(2, |enc| {
                    if enc.proto >= 1 {
                        let latin1: String = b.iter().map(|&c| char::from(c)).collect();
                        enc.write_str(&latin1)?;
                    } else {
                        enc.write_unicode_text(b.iter().map(|&c| u32::from(c)));
                    }
                    enc.write_static_str("latin1")
                })?;
            }
            self.out.push(op::REDUCE);
            return Ok(());
        }
        let n = b.len();
        if n < 256 {
            self.out.extend_from_slice(&[op::SHORT_BINBYTES, n as u8]);
            self.out.extend_from_slice(b);
            return Ok(());
        }
        if let Ok(n32) = u32::try_from(n) {
            let mut header = [op::BINBYTES, 0, 0, 0, 0];
            header[1..].copy_from_slice(&n32.to_le_bytes());
            return self.write_payload(&header, b);
        }
        if self.proto >= 4 {
            let mut header = [op::BINBYTES8, 0, 0, 0, 0, 0, 0, 0, 0];
            header[1..].copy_from_slice(&(n as u64).to_le_bytes());
            return self.write_payload(&header, b);
        }
        Err(Error::new(
            ErrorKind::Unsupported,
            None,
            format!("cannot write bytes of {n} bytes below protocol 4: the limit is 4 GiB"),
        ))
    }

    /// `bytearray`: `BYTEARRAY8` at protocol 5, else `bytearray(<bytes>)`,
    /// or `bytearray()` when empty, as CPython writes it.
    pub fn write_bytearray(&mut self, b: &[u8]) -> Result<()> {
        if self.proto >= 5 {
            let mut header = [op::BYTEARRAY8, 0, 0, 0, 0, 0, 0, 0, 0];
            header[1..].copy_from_slice(&(b.len() as u64).to_le_bytes());
            return self.write_payload(&header, b);
        }
        self.write_class("builtins", "bytearray")?;
        if b.is_empty() {
            self.write_tuple_with(0, |_| Ok(()))?;
        } else {
            self.write_tuple_with(1, |enc| enc.write_bytes(b))?;
        }
        self.out.push(op::REDUCE);
        Ok(())
    }

    // ----- containers ----------------------------------------------------

    /// A list of the items, batched as CPython batches them.
    pub fn write_list<I>(&mut self, items: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: ToPickle,
    {
        self.begin_list();
        self.write_appends(items.into_iter(), |enc, item| item.to_pickle(enc))
    }

    /// A list of a slice's items: [`Encoder::write_list`] for a length known
    /// up front, cut into CPython's batches by [`batch_at`] rather than by
    /// peeking an iterator.
    pub(crate) fn write_slice<T: ToPickle>(&mut self, items: &[T]) -> Result<()> {
        self.begin_list();
        let mut k = 0;
        while let Some(b) = batch_at(Batched::List, self.proto, items.len(), k) {
            // As `write_batches`: a frame may end after each item of a
            // MARKed batch, and after the closing opcode of an unmarked one.
            if b.marked {
                self.out.push(op::MARK);
            }
            for item in &items[b.start..b.end] {
                item.to_pickle(self)?;
                if b.marked {
                    self.boundary()?;
                }
            }
            self.out.push(b.closing);
            if !b.marked {
                self.boundary()?;
            }
            k += 1;
        }
        Ok(())
    }

    pub(crate) fn begin_list(&mut self) {
        if self.proto >= 1 {
            self.out.push(op::EMPTY_LIST);
        } else {
            self.out.extend_from_slice(&[op::MARK, op::LIST]);
        }
    }

    /// Appends items to the list (or list-like object) on top of the stack:
    /// `MARK items APPENDS` per batch of 1000, the only item of a list of one
    /// as `APPEND`, and one `APPEND` per item at protocol 0, as CPython writes
    /// them.
    pub(crate) fn write_appends<T>(
        &mut self,
        items: impl Iterator<Item = T>,
        mut write: impl FnMut(&mut Self, T) -> Result<()>,
    ) -> Result<()> {
        self.write_batches(items, Batched::List, |enc, item| write(enc, item))
    }

    /// The shared batching loop, batching as CPython's C pickler (`_pickle.c`)
    /// batches an exact list, dict or set: a list or dict of one item is
    /// `item single`; otherwise every batch, the last one too, is
    /// `MARK items many`. After a full batch, a dict or set gets one more
    /// batch even when no item is left (`MARK many`), as `batch_dict_exact`
    /// and `save_set` write it; a list does not.
    fn write_batches<T>(
        &mut self,
        items: impl Iterator<Item = T>,
        kind: Batched,
        mut write: impl FnMut(&mut Self, T) -> Result<()>,
    ) -> Result<()> {
        let (single, many) = match kind {
            Batched::List => (op::APPEND, op::APPENDS),
            Batched::Dict => (op::SETITEM, op::SETITEMS),
            Batched::Set => (op::ADDITEMS, op::ADDITEMS),
        };
        let mut items = items.peekable();
        if self.proto == 0 {
            for item in items {
                write(self, item)?;
                self.out.push(single);
                self.boundary()?;
            }
            return Ok(());
        }
        let Some(first) = items.next() else { return Ok(()) };
        if items.peek().is_none() && kind != Batched::Set {
            write(self, first)?;
            self.out.push(single);
            return self.boundary();
        }
        let mut items = std::iter::once(first).chain(items).peekable();
        loop {
            self.out.push(op::MARK);
            let mut n = 0;
            for item in items.by_ref().take(BATCH_SIZE) {
                write(self, item)?;
                self.boundary()?;
                n += 1;
            }
            self.out.push(many);
            if n < BATCH_SIZE || (kind == Batched::List && items.peek().is_none()) {
                return Ok(());
            }
        }
    }

    /// A tuple of exactly `len` items written by `write`: `EMPTY_TUPLE`,
    /// `TUPLE1`-`TUPLE3` from protocol 2, else `MARK ... TUPLE`.
    pub fn write_tuple_with(&mut self, len: usize, write: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        if len == 0 {
            if self.proto >= 1 {
                self.out.push(op::EMPTY_TUPLE);
            } else {
                self.out.extend_from_slice(&[op::MARK, op::TUPLE]);
            }
            return Ok(());
        }
        if self.proto >= 2 && len <= 3 {
            write(self)?;
            self.out.push(op::TUPLE1 + (len as u8 - 1));
            return Ok(());
        }
        self.out.push(op::MARK);
        write(self)?;
        self.out.push(op::TUPLE);
        Ok(())
    }

    /// A tuple of the items.
    pub fn write_tuple<I>(&mut self, items: I) -> Result<()>
    where
        I: IntoIterator,
        I::IntoIter: ExactSizeIterator,
        I::Item: ToPickle,
    {
        let items = items.into_iter();
        self.write_tuple_with(items.len(), |enc| {
            for item in items {
                item.to_pickle(enc)?;
            }
            Ok(())
        })
    }

    /// A dict of the pairs, in order, batched as CPython batches them.
    pub fn write_dict<I, K, V>(&mut self, pairs: I) -> Result<()>
    where
        I: IntoIterator<Item = (K, V)>,
        K: ToPickle,
        V: ToPickle,
    {
        self.begin_dict();
        self.write_setitems(pairs.into_iter(), |enc, (k, v)| {
            k.to_pickle(enc)?;
            v.to_pickle(enc)
        })
    }

    pub(crate) fn begin_dict(&mut self) {
        if self.proto >= 1 {
            self.out.push(op::EMPTY_DICT);
        } else {
            self.out.extend_from_slice(&[op::MARK, op::DICT]);
        }
    }

    /// Sets pairs on the dict (or dict-like object) on top of the stack;
    /// `write` writes one key and its value.
    pub(crate) fn write_setitems<T>(
        &mut self,
        pairs: impl Iterator<Item = T>,
        write: impl FnMut(&mut Self, T) -> Result<()>,
    ) -> Result<()> {
        self.write_batches(pairs, Batched::Dict, write)
    }

    /// A set: `EMPTY_SET` and `ADDITEMS` from protocol 4, else
    /// `builtins.set([...])`.
    pub fn write_set<I>(&mut self, items: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: ToPickle,
    {
        self.write_set_like(false, items.into_iter(), |enc, item| item.to_pickle(enc))
    }

    /// A frozenset: `MARK ... FROZENSET` from protocol 4, else
    /// `builtins.frozenset([...])`.
    pub fn write_frozenset<I>(&mut self, items: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: ToPickle,
    {
        self.write_set_like(true, items.into_iter(), |enc, item| item.to_pickle(enc))
    }

    pub(crate) fn write_set_like<T>(
        &mut self,
        frozen: bool,
        items: impl Iterator<Item = T>,
        mut write: impl FnMut(&mut Self, T) -> Result<()>,
    ) -> Result<()> {
        if self.proto >= 4 {
            if frozen {
                self.out.push(op::MARK);
                for item in items {
                    write(self, item)?;
                    self.boundary()?;
                }
                self.out.push(op::FROZENSET);
                return Ok(());
            }
            self.out.push(op::EMPTY_SET);
            return self.write_additems(items, write);
        }
        self.write_class("builtins", if frozen { "frozenset" } else { "set" })?;
        self.write_tuple_with(1, |enc| {
            enc.begin_list();
            enc.write_appends(items, write)
        })?;
        self.out.push(op::REDUCE);
        Ok(())
    }

    pub(crate) fn write_additems<T>(
        &mut self,
        items: impl Iterator<Item = T>,
        write: impl FnMut(&mut Self, T) -> Result<()>,
    ) -> Result<()> {
        self.write_batches(items, Batched::Set, write)
    }

    // ----- classes and objects -------------------------------------------

    /// A reference to `module.qualname`, written as CPython writes it at the
    /// protocol: `STACK_GLOBAL` from 4, `GLOBAL` below (with Python 2 names
    /// below 3), and `getattr(...)` for a dotted qualname below 4.
    pub fn write_global(&mut self, module: &str, qualname: &str) -> Result<()> {
        if self.proto >= 4 {
            match self.modules.get(module) {
                Some(&idx) => self.write_get(idx),
                None => {
                    self.write_str(module)?;
                    let idx = self.memoize_top()?;
                    self.modules.insert(module.into(), idx);
                }
            }
            self.write_str(qualname)?;
            self.out.push(op::STACK_GLOBAL);
            return Ok(());
        }
        let mut parts = qualname.split('.');
        let first = parts.next().unwrap_or_default();
        let rest: Vec<&str> = parts.collect();
        for _ in &rest {
            self.write_class("builtins", "getattr")?;
            if self.proto < 2 {
                self.out.push(op::MARK);
            }
        }
        self.write_plain_global(module, first)?;
        for attr in rest {
            self.write_str(attr)?;
            self.out.push(if self.proto >= 2 { op::TUPLE2 } else { op::TUPLE });
            self.out.push(op::REDUCE);
        }
        Ok(())
    }

    fn write_plain_global(&mut self, module: &str, name: &str) -> Result<()> {
        let (module, name) =
            match (self.proto < 3 && self.fix_imports).then(|| compat::to_python2(module, name)).flatten() {
                Some((m, n)) => (m, n.unwrap_or(name)),
                None => (module, name),
            };
        if module.contains('\n') || name.contains('\n') {
            return Err(Error::new(
                ErrorKind::Unsupported,
                None,
                format!("cannot write the global {module}.{name} below protocol 4: its name holds a newline"),
            ));
        }
        self.out.push(op::GLOBAL);
        self.out.extend_from_slice(module.as_bytes());
        self.out.push(b'\n');
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(b'\n');
        Ok(())
    }

    /// `REDUCE`: calls the callable with the argument tuple, both already
    /// written, as `callable(*args)`.
    pub fn write_reduce(&mut self) -> Result<()> {
        self.out.push(op::REDUCE);
        Ok(())
    }

    /// `BUILD`: sets the state written last on the object written before
    /// it, as `obj.__setstate__(state)` or an update of `obj.__dict__`.
    pub fn write_build(&mut self) -> Result<()> {
        self.out.push(op::BUILD);
        Ok(())
    }

    /// A class reference to `'static` names, memoized so that each class is
    /// written once per pickle and referenced afterwards, as CPython does.
    pub fn write_class(&mut self, module: &'static str, qualname: &'static str) -> Result<()> {
        let key = MemoKey::Global(module.as_ptr() as usize, module.len(), qualname.as_ptr() as usize, qualname.len());
        if let Some(idx) = self.memo_get(key) {
            self.write_get(idx);
            return Ok(());
        }
        self.write_global(module, qualname)?;
        self.memoize(key)
    }

    /// A `'static` str, memoized: written once, referenced afterwards. Field
    /// names of derived types use it, as CPython's interned attribute names
    /// end up memoized.
    pub fn write_static_str(&mut self, s: &'static str) -> Result<()> {
        let key = MemoKey::Static(s.as_ptr() as usize, s.len());
        if let Some(idx) = self.memo_get(key) {
            self.write_get(idx);
            return Ok(());
        }
        self.write_str(s)?;
        self.memoize(key)
    }

    /// An instance of the plain Python class `module.qualname` whose
    /// `__dict__` holds `fields` entries written by `write`, in the form
    /// CPython writes such an instance at the protocol: from protocol 2
    /// `class EMPTY_TUPLE NEWOBJ state BUILD`, below it
    /// `copyreg._reconstructor(class, object, None)` and `BUILD`. An instance
    /// with no fields gets no `BUILD`, as in CPython.
    pub fn write_instance(
        &mut self,
        module: &'static str,
        qualname: &'static str,
        fields: usize,
        write: impl FnOnce(&mut StateWriter<'_, 'w>) -> Result<()>,
    ) -> Result<()> {
        if self.proto >= 2 {
            self.write_class(module, qualname)?;
            self.out.extend_from_slice(&[op::EMPTY_TUPLE, op::NEWOBJ]);
        } else {
            self.write_class("copyreg", "_reconstructor")?;
            self.out.push(op::MARK);
            self.write_class(module, qualname)?;
            self.write_class("builtins", "object")?;
            self.out.extend_from_slice(&[op::NONE, op::TUPLE, op::REDUCE]);
        }
        if fields == 0 {
            return write(&mut StateWriter { enc: self, total: 0, done: 0 });
        }
        self.begin_dict();
        let mut state = StateWriter { enc: self, total: fields, done: 0 };
        write(&mut state)?;
        if state.done != fields {
            return Err(Error::custom(format!(
                "{module}.{qualname}: write_instance was told {fields} fields and {} were written",
                state.done
            )));
        }
        self.out.push(op::BUILD);
        Ok(())
    }

    pub(crate) fn out(&mut self) -> &mut Vec<u8> {
        &mut self.out
    }

    pub(crate) fn max_depth(&self) -> usize {
        self.max_depth
    }
}

/// Writes the fields of an instance's state dict; see
/// [`Encoder::write_instance`].
#[derive(Debug)]
pub struct StateWriter<'e, 'w> {
    enc: &'e mut Encoder<'w>,
    total: usize,
    done: usize,
}

impl<'w> StateWriter<'_, 'w> {
    /// Writes one field: its name (memoized) and its value.
    pub fn field<T: ToPickle + ?Sized>(&mut self, name: &'static str, value: &T) -> Result<()> {
        self.field_with(name, |enc| value.to_pickle(enc))
    }

    /// Writes one field whose value `write` writes.
    pub fn field_with(&mut self, name: &'static str, write: impl FnOnce(&mut Encoder<'w>) -> Result<()>) -> Result<()> {
        if self.done >= self.total {
            return Err(Error::custom(format!("field `{name}` is more than the {} fields announced", self.total)));
        }
        let enc = &mut *self.enc;
        let proto = enc.proto;
        let i = self.done;
        let batch_start = i.is_multiple_of(BATCH_SIZE);
        let batch_len = (self.total - (i - i % BATCH_SIZE)).min(BATCH_SIZE);
        if proto >= 1 && batch_start && batch_len > 1 {
            enc.out.push(op::MARK);
        }
        enc.write_static_str(name)?;
        write(enc)?;
        self.done += 1;
        let batch_end = self.done.is_multiple_of(BATCH_SIZE) || self.done == self.total;
        if proto == 0 || batch_len == 1 {
            enc.out.push(op::SETITEM);
        } else if batch_end {
            enc.out.push(op::SETITEMS);
        }
        enc.boundary()
    }

    /// The encoder, for writing anything else.
    pub fn encoder(&mut self) -> &mut Encoder<'w> {
        self.enc
    }
}
