//! bytes <- Rust: the encoder writes opcodes straight to bytes, choosing
//! them as CPython's pickler does for the same protocol, with CPython's
//! framing and batching.
//!
//! [`ToPickle`] and [`Encoder`] live here together, as serde keeps
//! `Serialize` beside `Serializer`; the std impls are in `impls.rs`, the
//! framing, batching, containers and instances in files of their own, and
//! the writer of a whole [`Value`](crate::Value) graph in `value_writer.rs`.

mod batch;
mod containers;
mod frame;
mod impls;
mod instance;
mod value_writer;

use std::collections::HashMap;
use std::io;

use num_bigint::BigInt;

pub use containers::TupleWriter;
pub use instance::StateWriter;

use crate::error::{Error, ErrorKind, Result};
use crate::format::opcodes as op;
use crate::format::text;
use crate::identity::{AddrMap, MemoKey};
use crate::options::EncodeOptions;

/// A Rust value that can be written as a pickle.
///
/// Implement it by calling the [`Encoder`]'s `write_*` methods, or derive it
/// with `#[derive(Pickle)]`.
pub trait ToPickle {
    /// Writes `self` as one Python object.
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()>;

    /// Writes a slice of `Self` as one Python object: a list, except for
    /// `u8`, whose slices are `bytes`.
    #[doc(hidden)]
    fn slice_to_pickle(items: &[Self], enc: &mut Encoder<'_>) -> Result<()>
    where
        Self: Sized,
    {
        enc.write_slice(items)
    }

    /// A close upper bound of the bytes `self` encodes to at `protocol`, so
    /// that [`to_vec`](crate::to_vec) allocates its output once; 0 when
    /// unknown (the output then grows as it goes).
    #[doc(hidden)]
    fn size_hint(&self, protocol: u8) -> usize {
        let _ = protocol;
        0
    }

    /// [`size_hint`](ToPickle::size_hint) of a slice of `Self` (a list).
    #[doc(hidden)]
    fn slice_size_hint(items: &[Self], protocol: u8) -> usize
    where
        Self: Sized,
    {
        let _ = (items, protocol);
        0
    }

    /// Writes a sequence of `Self` given by reference, with the same rule as
    /// [`slice_to_pickle`](ToPickle::slice_to_pickle).
    #[doc(hidden)]
    fn iter_to_pickle<'x, I>(items: I, enc: &mut Encoder<'_>) -> Result<()>
    where
        I: Iterator<Item = &'x Self>,
        Self: Sized + 'x,
    {
        enc.write_list(items)
    }
}

/// BININT1, BININT2 or BININT of `v`: the opcode, then the value's low 1, 2
/// or 4 bytes, little-endian, padded to 8 bytes; and how many of them count.
#[inline(always)]
fn binint(v: i32) -> ([u8; 8], usize) {
    let (code, n) = match v {
        0..=0xff => (op::BININT1, 2),
        0x100..=0xffff => (op::BININT2, 3),
        _ => (op::BININT, 5),
    };
    let b = v.to_le_bytes();
    ([code, b[0], b[1], b[2], b[3], 0, 0, 0], n)
}

/// Frames are cut once they reach this size, as CPython cuts them.
pub(crate) const FRAME_SIZE_TARGET: usize = 64 * 1024;
/// A frame smaller than this is written without its header.
const FRAME_SIZE_MIN: usize = 4;
const FRAME_HEADER: usize = 9;

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
    /// The length of `out` at which [`boundary`](Encoder::boundary) acts:
    /// the open frame's end while framing, a flush's worth with a writer,
    /// never otherwise. Kept up to date by `open_frame` and
    /// `set_unframed`, so the check after every value is one compare.
    cut_at: usize,
    memo: AddrMap<MemoKey, u32>,
    /// A direct-mapped cache in front of `memo` for `'static` strs (field
    /// names), which every instance of a derived type looks up: a hit costs
    /// a compare instead of a hash lookup. Only ever holds entries the memo
    /// has (the memo only grows while an encoder lives).
    statics: [(usize, usize, u32); STATIC_CACHE],
    /// The last class reference looked up (module and qualname addresses
    /// and lengths) and its memo index: a list of one derived type names
    /// the same class again and again.
    last_class: (MemoKey, u32),
    /// The last shared value (`Rc`, `Arc`, a shared `Value` node) found in
    /// or added to the memo, by address, and its index: a list of
    /// references to one value looks it up with a compare.
    last_shared: (usize, u32),
    /// The next memo index: the memo holds identities and module names.
    memo_next: u32,
    /// Module names of STACK_GLOBAL already memoized, by content, as
    /// CPython's memo shares the module str of classes from one module.
    modules: HashMap<Box<str>, u32>,
    sink: Option<&'w mut dyn io::Write>,
    flushed: u64,
    /// The alignment of array payloads (0: arrays are written as NumPy
    /// does), and where each aligned payload went.
    align: u64,
    spans: Vec<BufferSpan>,
}

/// Where [`EncodeOptions::align_arrays`] put one array's payload: the
/// offset of its `BYTEARRAY8` opcode from the start of the stream (the
/// payload follows the opcode's 9 bytes) and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferSpan {
    /// Offset of the `BYTEARRAY8` opcode.
    pub opcode_offset: u64,
    /// Length of the payload.
    pub len: u64,
}

/// Slots of [`Encoder::statics`].
const STATIC_CACHE: usize = 16;
/// An empty slot: no `'static` str is at address 0.
const NO_STATIC: (usize, usize, u32) = (0, 0, u32::MAX);

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
            cut_at: if sink.is_some() { FRAME_SIZE_TARGET } else { usize::MAX },
            memo: AddrMap::default(),
            statics: [NO_STATIC; STATIC_CACHE],
            last_class: (MemoKey::Addr(0), u32::MAX),
            last_shared: (0, 0),
            memo_next: 0,
            modules: HashMap::new(),
            sink,
            flushed: 0,
            align: if opts.protocol >= 5 { u64::from(opts.align_arrays) } else { 0 },
            spans: Vec::new(),
        })
    }

    /// Encodes one value: header, value, STOP, last frame.
    pub(crate) fn encode<T: ToPickle + ?Sized>(self, value: &T) -> Result<Vec<u8>> {
        self.encode_one(value).map(|enc| enc.out)
    }

    /// [`encode`](Encoder::encode), giving back the encoder (its memo).
    fn encode_one<T: ToPickle + ?Sized>(mut self, value: &T) -> Result<Self> {
        if self.proto >= 2 {
            self.out.extend_from_slice(&[op::PROTO, self.proto]);
        }
        // Frames would sit between an aligned payload and the stream offset
        // the index gives it.
        if self.proto >= 4 && self.align == 0 {
            self.framing = true;
            self.open_frame();
        }
        value.to_pickle(&mut self)?;
        self.out.push(op::STOP);
        if self.framing {
            self.commit_frame()?;
            self.set_unframed();
        }
        self.flush()?;
        Ok(self)
    }

    /// The protocol being written.
    pub fn protocol(&self) -> u8 {
        self.proto
    }

    /// Appends the first `n` of `bytes` (`n <= N`) with one store: the
    /// scalar writers build an opcode and its argument in a register-sized
    /// array and keep as much of it as the value needs.
    #[inline(always)]
    pub(crate) fn put<const N: usize>(&mut self, bytes: [u8; N], n: usize) {
        self.out.reserve(N);
        // SAFETY: `reserve(N)` leaves room for at least N bytes.
        unsafe { self.put_reserved(bytes, n) }
    }

    /// [`put`](Encoder::put) into space the caller reserved.
    ///
    /// # Safety
    ///
    /// At least N bytes of `self.out`'s capacity must be spare.
    #[inline(always)]
    pub(crate) unsafe fn put_reserved<const N: usize>(&mut self, bytes: [u8; N], n: usize) {
        debug_assert!(self.out.capacity() - self.out.len() >= N);
        let n = n.min(N);
        let len = self.out.len();
        // SAFETY: the caller leaves room for at least N bytes after `len`;
        // all N are written (an unaligned store into the spare capacity),
        // and the length grows by `n <= N` of them, so every byte below the
        // new length is initialized.
        unsafe {
            self.out.as_mut_ptr().add(len).cast::<[u8; N]>().write_unaligned(bytes);
            self.out.set_len(len + n);
        }
    }

    /// Appends `code`, the one-byte length of `b` (`b.len() < 256`) and `b`.
    /// Up to 16 bytes are copied with two overlapping loads and stores, not
    /// a call to memcpy: short strs (names, labels, keys) are most strs.
    #[inline(always)]
    pub(crate) fn put_short_payload(&mut self, code: u8, b: &[u8]) {
        let n = b.len();
        debug_assert!(n < 256);
        if n > 16 {
            self.out.reserve(2 + n);
            self.put([code, n as u8], 2);
            self.out.extend_from_slice(b);
            return;
        }
        self.out.reserve(2 + 16);
        let len = self.out.len();
        // SAFETY: `reserve(18)` leaves at least 18 bytes of spare capacity
        // after `len`. The header takes 2; each store below writes inside
        // `dst[0..16)` (its offsets are at most `n - w` for a width `w <= n
        // <= 16`), each load reads inside `b` (the same offsets, and `n` is
        // `b.len()`), and together the stores cover `dst[0..n)`, so the
        // `2 + n` bytes the length grows by are all written.
        unsafe {
            let out = self.out.as_mut_ptr().add(len);
            out.cast::<[u8; 2]>().write_unaligned([code, n as u8]);
            let (dst, src) = (out.add(2), b.as_ptr());
            if n >= 8 {
                let (lo, hi) =
                    (src.cast::<[u8; 8]>().read_unaligned(), src.add(n - 8).cast::<[u8; 8]>().read_unaligned());
                dst.cast::<[u8; 8]>().write_unaligned(lo);
                dst.add(n - 8).cast::<[u8; 8]>().write_unaligned(hi);
            } else if n >= 4 {
                let (lo, hi) =
                    (src.cast::<[u8; 4]>().read_unaligned(), src.add(n - 4).cast::<[u8; 4]>().read_unaligned());
                dst.cast::<[u8; 4]>().write_unaligned(lo);
                dst.add(n - 4).cast::<[u8; 4]>().write_unaligned(hi);
            } else {
                for i in 0..n {
                    dst.add(i).write(src.add(i).read());
                }
            }
            self.out.set_len(len + 2 + n);
        }
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
            self.put([op::BINGET, idx as u8], 2);
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

    /// The memo index of the `'static` str at `ptr` (`len` bytes), when
    /// the cache of recent ones holds it.
    #[inline(always)]
    pub(crate) fn static_str_cached(&self, ptr: usize, len: usize) -> Option<u32> {
        let (p, n, idx) = self.statics[Self::static_slot(ptr)];
        (p == ptr && n == len).then_some(idx)
    }

    #[inline(always)]
    fn static_slot(ptr: usize) -> usize {
        (ptr ^ (ptr >> 4)) % STATIC_CACHE
    }

    /// The memo index of the `'static` str at `ptr` (`len` bytes), through
    /// the cache of recent ones.
    #[inline]
    pub(crate) fn static_str_memo(&mut self, ptr: usize, len: usize) -> Option<u32> {
        if let Some(idx) = self.static_str_cached(ptr, len) {
            return Some(idx);
        }
        let idx = self.memo_get(MemoKey::Static(ptr, len))?;
        self.statics[Self::static_slot(ptr)] = (ptr, len, idx);
        Some(idx)
    }

    /// The memo index of a class reference, through the last one.
    #[inline]
    pub(crate) fn class_memo(&mut self, key: MemoKey) -> Option<u32> {
        if self.last_class.0 == key {
            return Some(self.last_class.1);
        }
        let idx = self.memo_get(key)?;
        self.last_class = (key, idx);
        Some(idx)
    }

    /// Writes the value of an `Rc`: the first time this allocation is seen
    /// the value is written and memoized; afterwards it is a memo reference,
    /// so Python sees one object.
    pub fn write_rc<T: ToPickle + ?Sized>(&mut self, rc: &std::rc::Rc<T>) -> Result<()> {
        self.write_shared(std::rc::Rc::as_ptr(rc) as *const (), |enc| (**rc).to_pickle(enc))
    }

    /// [`Encoder::write_rc`] for an `Arc`.
    pub fn write_arc<T: ToPickle + ?Sized>(&mut self, arc: &std::sync::Arc<T>) -> Result<()> {
        self.write_shared(std::sync::Arc::as_ptr(arc) as *const (), |enc| (**arc).to_pickle(enc))
    }

    /// A value named by a `'static` str (a NumPy dtype), written once per
    /// pickle (and once per [`Pickler`]) and referenced afterwards.
    pub(crate) fn write_static_shared(
        &mut self,
        name: &'static str,
        write: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()> {
        let key = MemoKey::StaticObject(name.as_ptr() as usize, name.len());
        if let Some(idx) = self.memo_get(key) {
            self.write_get(idx);
            return Ok(());
        }
        write(self)?;
        self.memoize(key)
    }

    /// Writes a value that may be shared: the first time `identity` is seen
    /// the value is written by `write` and memoized; afterwards it is a memo
    /// reference. `identity` must stay unique for the whole encode (an
    /// allocation that lives that long, a `'static` item).
    #[inline]
    pub(crate) fn write_shared(
        &mut self,
        identity: *const (),
        write: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()> {
        let addr = identity as usize;
        if let Some(idx) = self.shared_hit(addr) {
            self.write_get(idx);
            return Ok(());
        }
        self.write_shared_first(addr, write)
    }

    /// The memo index of the shared value at `addr` when it is the one
    /// found in or added to the memo last.
    #[inline(always)]
    pub(crate) fn shared_hit(&self, addr: usize) -> Option<u32> {
        // No value lives at address 0: the cache starts empty.
        (self.last_shared.0 == addr && addr != 0).then_some(self.last_shared.1)
    }

    /// [`write_shared`](Encoder::write_shared) past its cache.
    #[inline(never)]
    fn write_shared_first(&mut self, addr: usize, write: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        let key = MemoKey::Addr(addr);
        if let Some(idx) = self.memo_get(key) {
            self.last_shared = (addr, idx);
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
        let idx = self.memoize_top()?;
        self.memo.insert(key, idx);
        self.last_shared = (addr, idx);
        Ok(())
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
        if self.proto >= 1
            && let Ok(v32) = i32::try_from(v)
        {
            let (bytes, n) = binint(v32);
            self.put(bytes, n);
            return Ok(());
        }
        self.write_wide_i64(v);
        Ok(())
    }

    /// [`write_i64`](Encoder::write_i64) at protocol 2+ into space the
    /// caller has reserved: at most 10 bytes are written.
    ///
    /// # Safety
    ///
    /// At least 10 bytes of `self.out`'s capacity must be spare.
    #[inline(always)]
    pub(crate) unsafe fn write_i64_reserved(&mut self, v: i64) {
        debug_assert!(self.proto >= 2 && self.out.capacity() - self.out.len() >= 10);
        if let Ok(v32) = i32::try_from(v) {
            let (bytes, n) = binint(v32);
            // SAFETY: the caller leaves at least 10 bytes spare, and 8 are
            // stored.
            unsafe { self.put_reserved(bytes, n) }
        } else {
            // LONG1, its length and at most 8 bytes.
            self.write_wide_i64(v);
        }
    }

    /// [`write_i64`](Encoder::write_i64) for what is not a BININT*: kept
    /// out of line so that the common case stays small.
    #[inline(never)]
    fn write_wide_i64(&mut self, v: i64) {
        if self.proto >= 2 {
            self.write_long_bytes(&v.to_le_bytes());
            return;
        }
        if self.proto == 0
            && let Ok(v) = i32::try_from(v)
        {
            self.out.push(op::INT);
            self.out.extend_from_slice(v.to_string().as_bytes());
            self.out.push(b'\n');
            return;
        }
        self.write_long_text(&v.to_string());
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
            self.put([op::BINFLOAT, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]], 9);
        } else {
            self.write_text_f64(v);
        }
        Ok(())
    }

    /// [`write_f64`](Encoder::write_f64) at protocol 0: kept out of line so
    /// that the binary case stays small where it is inlined.
    #[cold]
    #[inline(never)]
    fn write_text_f64(&mut self, v: f64) {
        self.out.push(op::FLOAT);
        self.out.extend_from_slice(text::float_repr(v).as_bytes());
        self.out.push(b'\n');
    }

    /// `complex(re, im)`.
    pub fn write_complex(&mut self, re: f64, im: f64) -> Result<()> {
        self.write_class("builtins", "complex")?;
        self.write_tuple_raw(2, |enc| {
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
            self.put_short_payload(op::SHORT_BINUNICODE, b);
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
                self.write_tuple_raw(0, |_| Ok(()))?;
            } else {
                self.write_class("_codecs", "encode")?;
                self.write_tuple_raw(2, |enc| {
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
            self.write_tuple_raw(0, |_| Ok(()))?;
        } else {
            self.write_tuple_raw(1, |enc| enc.write_bytes(b))?;
        }
        self.out.push(op::REDUCE);
        Ok(())
    }

    /// Writes a `bytearray` whose payload starts at a multiple of the
    /// alignment [`EncodeOptions::align_arrays`] asks for, padded before it
    /// by a `bytes` pushed and popped, and records where it went. Returns
    /// `false` (writing nothing) when alignment is off.
    pub(crate) fn write_aligned_bytearray(&mut self, b: &[u8]) -> Result<bool> {
        if self.align == 0 {
            return Ok(false);
        }
        // SHORT_BINBYTES n <n bytes> POP (BINBYTES past 255 bytes), then
        // the 9 bytes of BYTEARRAY8's header, then the payload.
        let pos = self.flushed + self.out.len() as u64;
        let pad_for = |header: u64| (self.align - (pos + header + 1 + 9) % self.align) % self.align;
        let short = pad_for(2);
        if short < 256 {
            self.out.extend_from_slice(&[op::SHORT_BINBYTES, short as u8]);
            self.out.resize(self.out.len() + short as usize, 0);
        } else {
            let pad = pad_for(5);
            self.out.push(op::BINBYTES);
            self.out.extend_from_slice(&(pad as u32).to_le_bytes());
            self.out.resize(self.out.len() + pad as usize, 0);
        }
        self.out.push(op::POP);
        let opcode_offset = self.flushed + self.out.len() as u64;
        self.spans.push(BufferSpan { opcode_offset, len: b.len() as u64 });
        let mut header = [op::BYTEARRAY8, 0, 0, 0, 0, 0, 0, 0, 0];
        header[1..].copy_from_slice(&(b.len() as u64).to_le_bytes());
        self.write_payload(&header, b)?;
        Ok(true)
    }

    pub(super) fn out(&mut self) -> &mut Vec<u8> {
        &mut self.out
    }

    /// Whether arrays are written aligned for mapping.
    pub(crate) fn aligns_arrays(&self) -> bool {
        self.align != 0
    }

    pub(crate) fn max_depth(&self) -> usize {
        self.max_depth
    }
}

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
    let mut enc = Encoder::new(opts, None)?;
    // A hint that does not fit is only a hint: the output grows instead.
    let _ = enc.out.try_reserve(value.size_hint(opts.protocol));
    enc.encode(value)
}

/// A bound on the bytes of a list of `n` items whose own encodings take
/// `body` bytes: EMPTY_LIST, a MARK and APPENDS per batch, the frame
/// headers, the protocol header and STOP.
pub(crate) fn list_size_hint(body: usize, n: usize) -> usize {
    body.saturating_add(1 + 2 * (n / batch::BATCH_SIZE + 1) + 9 * (body / FRAME_SIZE_TARGET + 2) + 16)
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
    let rest = Encoder::new(opts, Some(&mut writer))?.encode(value)?;
    debug_assert!(rest.is_empty());
    writer.flush().map_err(Error::from)
}

/// [`to_writer_with`], returning where the arrays' payloads went when
/// `opts` asks for [`align_arrays`](EncodeOptions::align_arrays) (none
/// otherwise), in stream order.
pub fn to_writer_indexed<W: io::Write, T: ToPickle + ?Sized>(
    mut writer: W,
    value: &T,
    opts: EncodeOptions,
) -> Result<Vec<BufferSpan>> {
    let enc = Encoder::new(opts, Some(&mut writer))?.encode_one(value)?;
    let spans = enc.spans;
    writer.flush().map_err(Error::from)?;
    Ok(spans)
}

/// Writes several pickles to one stream sharing one memo, as Python's
/// `pickle.Pickler` does when `dump` is called more than once: a class, a
/// field name or a module written by one pickle is a memo reference in the
/// next, so the stream reads back with one `pickle.Unpickler` (or a
/// [`Decoder`](crate::Decoder) with [`keep_memo`](crate::Decoder::keep_memo)),
/// not pickle by pickle. [`clear_memo`](Pickler::clear_memo) starts over, as
/// `Pickler.clear_memo()` does.
///
/// What an `Rc` or `Arc` shares is shared within one pickle only: the
/// memo keeps no value alive between pickles (CPython's does), so an
/// address seen in one pickle may be another value in the next.
///
/// ```
/// use pickle_core::{Decoder, Pickler};
///
/// let mut out = Vec::new();
/// let mut pickler = Pickler::new(&mut out);
/// pickler.dump(&vec!["a", "b"])?;
/// pickler.dump(&7u8)?;
/// drop(pickler);
/// let mut decoder = Decoder::from_slice(&out).keep_memo(true);
/// let first: Vec<String> = decoder.decode()?;
/// let second: u8 = decoder.decode()?;
/// assert_eq!((first.len(), second), (2, 7));
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub struct Pickler<W: io::Write> {
    writer: W,
    opts: EncodeOptions,
    memo: AddrMap<MemoKey, u32>,
    memo_next: u32,
    modules: HashMap<Box<str>, u32>,
}

impl<W: io::Write> std::fmt::Debug for Pickler<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pickler").field("protocol", &self.opts.protocol).field("memo_len", &self.memo_next).finish()
    }
}

impl<W: io::Write> Pickler<W> {
    /// A pickler writing protocol 4 to `writer`.
    pub fn new(writer: W) -> Pickler<W> {
        Pickler::with_options(writer, EncodeOptions::default())
    }

    /// A pickler with options.
    pub fn with_options(writer: W, opts: EncodeOptions) -> Pickler<W> {
        Pickler { writer, opts, memo: AddrMap::default(), memo_next: 0, modules: HashMap::new() }
    }

    /// Writes one pickle of `value`, referring to what earlier pickles
    /// memoized.
    pub fn dump<T: ToPickle + ?Sized>(&mut self, value: &T) -> Result<()> {
        let mut enc = Encoder::new(self.opts, Some(&mut self.writer))?;
        enc.memo = std::mem::take(&mut self.memo);
        enc.memo_next = self.memo_next;
        enc.modules = std::mem::take(&mut self.modules);
        let next = enc.memo_next;
        match enc.encode_one(value) {
            Ok(mut enc) => {
                // Addresses may be freed and reused after this pickle: keep
                // only what names the same thing for good.
                enc.memo.retain(|k, _| k.is_stable());
                self.memo = std::mem::take(&mut enc.memo);
                self.memo_next = enc.memo_next;
                self.modules = std::mem::take(&mut enc.modules);
                drop(enc);
                self.writer.flush().map_err(Error::from)
            }
            Err(e) => {
                // What the failed pickle wrote is in the stream; its memo
                // entries are not known to be there.
                self.memo_next = next;
                self.clear_memo();
                Err(e)
            }
        }
    }

    /// Forgets everything memoized: the next pickle stands on its own.
    pub fn clear_memo(&mut self) {
        self.memo.clear();
        self.modules.clear();
        self.memo_next = 0;
    }

    /// The writer.
    pub fn into_inner(self) -> W {
        self.writer
    }
}
