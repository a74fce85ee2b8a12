//! Items straight from the input into a streamed collection.
//!
//! The usual path makes a graph node for every str, list, dict and instance
//! an item holds, converts the item from the graph, and frees the nodes. For
//! the common shapes (scalars, lists of them, instances of derived classes
//! whose fields are such), most of that work is bookkeeping: the item could
//! be built as its opcodes are read. When the machine streams a root list or
//! dict (`stream.rs`) and a batch of it opens (`MARK`), the sink reads the
//! whole batch through a [`Direct`] reader: each item's type reads its own
//! opcodes ([`FromPickle::from_direct`]) and builds itself, with no node, no
//! stack entry and no memo entry.
//!
//! A type reads only what it knows to be its own: anything else (a memo
//! write, an opcode it does not expect, a value it does not take, a limit
//! the usual path would hit) and it declines. The sink then drops what the
//! batch built, nothing has changed, and the machine reads the batch the
//! usual way, which reports any error with its kind and byte. So the direct
//! path never makes an error of its own; it only ever gives up.
//!
//! The limits hold on this path as on the usual one: every allocation is
//! charged to the conversion's budget before it is made, a batch reads at
//! most as many items as the machine's stack could hold, a nested list at
//! most the container limit, and nesting is bounded by the recursion limit.

use super::MemoView;
use super::scalars::{self, Scalar};
use crate::de::count::Reached;
use crate::de::{Context, FromPickle};
use crate::format::opcodes as op;
use crate::options::Limits;
use crate::value::{Global, Item, Node};

/// A reader over the opcodes of one batch of a streamed container, for
/// [`FromPickle::from_direct`]. Not a public API: derived types call it.
pub struct Direct<'r, 'c, 'a> {
    rest: &'a [u8],
    memo: MemoView<'r>,
    /// The memo keys later fetches read, when known: a write of any other
    /// key is dead and skipped.
    reached: Option<&'r Reached>,
    /// The key the next MEMOIZE writes.
    next_key: u64,
    max_memo: u64,
    cx: &'r mut Context<'c, 'a>,
    /// Stack slots the usual path would still have for this batch.
    room: usize,
    /// Conversion levels left before the recursion limit.
    levels: usize,
    max_len: usize,
    /// The longest LONG1 read (the big-int limit, at most 8 bytes).
    long_max: usize,
}

impl std::fmt::Debug for Direct<'_, '_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Direct").field("left", &self.rest.len()).field("room", &self.room).finish()
    }
}

impl<'r, 'c, 'a> Direct<'r, 'c, 'a> {
    /// A reader at `bytes` (just after a batch's MARK), resolving memo
    /// fetches through `memo`, charging `cx`, with `room` stack slots, within
    /// `limits`; skipping memo writes no fetch of `reached` reads, if given.
    pub(crate) fn new(
        bytes: &'a [u8],
        memo: MemoView<'r>,
        reached: Option<&'r Reached>,
        cx: &'r mut Context<'c, 'a>,
        room: usize,
        limits: &Limits,
    ) -> Self {
        // The root container is one conversion level and the item a second.
        let levels = limits.max_recursion.saturating_sub(2);
        let (max_len, long_max) = (limits.max_container_len, limits.max_bigint_bytes.min(8));
        // A sparse memo key might be overwritten rather than added: skip
        // nothing then.
        let reached = reached.filter(|_| memo.dense_only);
        let next_key = memo.len;
        let max_memo = limits.max_memo as u64;
        Direct { rest: bytes, memo, reached, next_key, max_memo, cx, room, levels, max_len, long_max }
    }

    /// The bytes not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// How many dead memo writes were skipped.
    pub(crate) fn skipped(&self) -> u64 {
        self.next_key - self.memo.len
    }

    /// Whether reading stopped at a memo write (one it could not skip).
    pub(crate) fn at_memo_write(&self) -> bool {
        matches!(self.rest.first(), Some(&(op::MEMOIZE | op::BINPUT | op::LONG_BINPUT)))
    }

    /// Skips the memo writes of the value just read that no later fetch
    /// reads (when those are known): a MEMOIZE, or a BINPUT of the key a
    /// MEMOIZE would write, of a key not in the memo, within its limit.
    #[inline]
    pub fn after_value(&mut self) {
        let Some(reached) = self.reached else { return };
        loop {
            let (key, width) = match *self.rest {
                [op::MEMOIZE, ..] => (self.next_key, 1),
                [op::BINPUT, k, ..] => (u64::from(k), 2),
                [op::LONG_BINPUT, a, b, c, d, ..] => (u64::from(u32::from_le_bytes([a, b, c, d])), 5),
                _ => return,
            };
            let stored = usize::try_from(key).ok().and_then(|k| self.memo.dense.get(k)).is_some_and(Option::is_some);
            if key != self.next_key || key >= self.max_memo || stored || reached.has(key) {
                return;
            }
            self.next_key += 1;
            self.rest = &self.rest[width..];
        }
    }

    /// The next opcode, after any FRAMEs (each checked as the machine
    /// checks one: its frame lies inside the input).
    #[inline(always)]
    pub fn peek(&mut self) -> Option<u8> {
        loop {
            let &code = self.rest.first()?;
            if code != op::FRAME {
                return Some(code);
            }
            self.frame()?;
        }
    }

    #[inline(never)]
    fn frame(&mut self) -> Option<()> {
        let len = u64::from_le_bytes(self.rest.get(1..9)?.try_into().ok()?);
        let after = self.rest.get(9..)?;
        if len > after.len() as u64 {
            return None;
        }
        self.rest = after;
        Some(())
    }

    /// Consumes the next opcode if it is `code`.
    #[inline]
    pub fn eat(&mut self, code: u8) -> bool {
        if self.peek() == Some(code) {
            self.rest = &self.rest[1..];
            true
        } else {
            false
        }
    }

    /// Takes `n` more stack slots: `None` where the usual path would pass
    /// the depth limit.
    #[inline(always)]
    pub fn hold(&mut self, n: usize) -> Option<()> {
        self.room = self.room.checked_sub(n)?;
        Some(())
    }

    /// Gives back `n` stack slots (the opcode that pops them was read).
    #[inline]
    pub fn release(&mut self, n: usize) {
        self.room += n;
    }

    /// Whether a container of `n` items is within the container limit.
    #[inline]
    pub fn fits(&self, n: usize) -> bool {
        n <= self.max_len
    }

    /// Charges `bytes` about to be allocated; `None` when the budget is spent.
    #[inline]
    pub fn charge(&mut self, bytes: usize) -> Option<()> {
        self.cx.try_charge(bytes).then_some(())
    }

    /// Makes room in `v` for `more` items, charging the new buffer while the
    /// old one lives and giving the old one back once freed.
    #[inline]
    pub fn reserve<T>(&mut self, v: &mut Vec<T>, more: usize) -> Option<()> {
        let (len, cap) = (v.len(), v.capacity());
        let need = len.checked_add(more)?;
        if need > cap {
            self.grow(v, need)?;
        }
        Some(())
    }

    #[inline(never)]
    fn grow<T>(&mut self, v: &mut Vec<T>, need: usize) -> Option<()> {
        let (len, cap) = (v.len(), v.capacity());
        let new_cap = need.max(cap.saturating_mul(2)).max(4);
        self.charge(new_cap.checked_mul(size_of::<T>())?)?;
        v.reserve_exact(new_cap - len);
        self.cx.refund(cap.saturating_mul(size_of::<T>()));
        Some(())
    }

    /// A `T` read from here, one conversion level deeper.
    #[inline(always)]
    pub fn read<T: FromPickle<'a>>(&mut self) -> Option<T> {
        self.levels = self.levels.checked_sub(1)?;
        let t = T::from_direct(self);
        self.levels += 1;
        t
    }

    /// A scalar (an int, float, bool, None or str opcode) as a `T`, or
    /// `None` with nothing consumed when it is not one or `T` does not take
    /// it. A str is charged as if copied.
    #[inline(always)]
    pub fn scalar<T: FromPickle<'a>>(&mut self) -> Option<T> {
        self.peek()?;
        let (s, width) = scalars::parse(self.rest, self.long_max)?;
        if let Scalar::Str(b) = s {
            self.charge(b.len())?;
        }
        let t = self.cx.scalar::<T>(s)?;
        self.rest = &self.rest[width..];
        self.after_value();
        Some(t)
    }

    /// A BINFLOAT here, read with no other check (a FRAME or any other
    /// opcode gives `None`, for [`scalar`](Direct::scalar) to read).
    #[inline(always)]
    pub fn float(&mut self) -> Option<f64> {
        match *self.rest {
            [op::BINFLOAT, a, b, c, d, e, f, g, h, ..] => {
                self.rest = &self.rest[9..];
                Some(f64::from_be_bytes([a, b, c, d, e, f, g, h]))
            }
            _ => None,
        }
    }

    /// The text of a SHORT_BINUNICODE here, charged as if copied, read with
    /// no other check (as [`float`](Direct::float) reads a BINFLOAT).
    #[inline(always)]
    pub fn short_text(&mut self) -> Option<&'a str> {
        let [op::SHORT_BINUNICODE, n, ref rest @ ..] = *self.rest else { return None };
        let n = usize::from(n);
        let s = Scalar::text(rest.get(..n)?)?;
        self.charge(n)?;
        self.rest = &rest[n..];
        self.after_value();
        Some(s)
    }

    /// A BININT1, BININT2 or BININT here, as [`float`](Direct::float) reads
    /// a BINFLOAT.
    #[inline(always)]
    pub fn int(&mut self) -> Option<i64> {
        let (v, width) = match *self.rest {
            [op::BININT1, a, ..] => (i64::from(a), 2),
            [op::BININT2, a, b, ..] => (i64::from(u16::from_le_bytes([a, b])), 3),
            [op::BININT, a, b, c, d, ..] => (i64::from(i32::from_le_bytes([a, b, c, d])), 5),
            _ => return None,
        };
        self.rest = &self.rest[width..];
        Some(v)
    }

    /// The node that the BINGET or LONG_BINGET here fetches, consuming it;
    /// `None` (nothing consumed) for another opcode or a key that is not in
    /// the dense memo.
    #[inline]
    pub fn memo_node(&mut self) -> Option<&'c Node<'a>> {
        let save = self.rest;
        let node = self.memo_item().and_then(|item| self.cx.value().get(item));
        if node.is_none() {
            self.rest = save;
        }
        node
    }

    /// The item a BINGET or LONG_BINGET here fetches (a node of the graph,
    /// for [`context`](Direct::context)'s conversions), consuming it; `None`
    /// (nothing consumed) as for [`memo_node`](Direct::memo_node).
    #[inline]
    pub fn memo_item(&mut self) -> Option<Item> {
        self.peek()?;
        let (item, width) = self.fetched()?;
        self.rest = &self.rest[width..];
        Some(item)
    }

    /// The dense memo's item that the BINGET or LONG_BINGET here fetches,
    /// and the fetch's width; nothing consumed.
    #[inline(always)]
    fn fetched(&self) -> Option<(Item, usize)> {
        let (key, width) = match *self.rest {
            [op::BINGET, k, ..] => (usize::from(k), 2),
            [op::LONG_BINGET, a, b, c, d, ..] => (u32::from_le_bytes([a, b, c, d]) as usize, 5),
            _ => return None,
        };
        Some(((*self.memo.dense.get(key)?)?, width))
    }

    /// Consumes a run of BINGETs or LONG_BINGETs here that fetch `item`, at
    /// most `max` of them and as many as the stack has room for, taking a
    /// stack slot for each: how many. A FRAME ends the run.
    #[inline]
    pub(crate) fn fetch_run(&mut self, item: Item, max: usize) -> usize {
        /// How many of the first `max` chunks of `W` bytes are the first.
        fn count<const W: usize>(rest: &[u8], max: usize) -> usize {
            let Some(&first) = rest.first_chunk::<W>() else { return 0 };
            same_as(rest, first, max)
        }
        fn same_as<const W: usize>(rest: &[u8], first: [u8; W], max: usize) -> usize {
            let (chunks, _) = rest.as_chunks::<W>();
            let chunks = &chunks[..max.min(chunks.len())];
            chunks.iter().position(|c| *c != first).unwrap_or(chunks.len())
        }
        /// `count::<2>`, eight bytes (four fetches) at a time first.
        fn count2(rest: &[u8], max: usize) -> usize {
            let Some(&[a, b]) = rest.first_chunk::<2>() else { return 0 };
            let eight = u64::from_ne_bytes([a, b, a, b, a, b, a, b]);
            let rest = &rest[..rest.len().min(max.saturating_mul(2))];
            let (blocks, _) = rest.as_chunks::<8>();
            let done = 4 * blocks.iter().position(|c| u64::from_ne_bytes(*c) != eight).unwrap_or(blocks.len());
            done + same_as(&rest[done * 2..], [a, b], max - done)
        }
        let width = match self.fetched() {
            Some((fetched, width)) if fetched == item => width,
            _ => return 0,
        };
        let max = max.min(self.room);
        let n = if width == 2 { count2(self.rest, max) } else { count::<5>(self.rest, max) };
        self.rest = &self.rest[n * width..];
        self.room -= n;
        n
    }

    /// How many more items a container of `len` can take within the
    /// container limit.
    #[inline]
    pub(crate) fn room_in(&self, len: usize) -> usize {
        self.max_len.saturating_sub(len)
    }

    /// The global that a memo fetch here gives, consuming it.
    #[inline]
    pub fn global(&mut self) -> Option<&'c Global<'a>> {
        match self.memo_node()? {
            Node::Global(g) => Some(g),
            _ => None,
        }
    }

    /// The payload of a SHORT_BINBYTES, BINBYTES, BINBYTES8 or BYTEARRAY8
    /// here, or of a bytes object fetched from the memo.
    #[inline]
    pub fn bytes(&mut self) -> Option<&'c [u8]> {
        if let Some(op::BINGET | op::LONG_BINGET) = self.peek() {
            let save = self.rest;
            return match self.memo_node() {
                Some(Node::Bytes(b)) => Some(b),
                _ => {
                    self.rest = save;
                    None
                }
            };
        }
        let (n, head): (usize, usize) = match *self.rest {
            [op::SHORT_BINBYTES, n, ..] => (usize::from(n), 2),
            [op::BINBYTES, a, b, c, d, ..] => (u32::from_le_bytes([a, b, c, d]) as usize, 5),
            [op::BINBYTES8 | op::BYTEARRAY8, a, b, c, d, e, f, g, h, ..] => {
                (usize::try_from(u64::from_le_bytes([a, b, c, d, e, f, g, h])).ok()?, 9)
            }
            _ => return None,
        };
        let payload = self.rest.get(head..head.checked_add(n)?)?;
        self.rest = &self.rest[head + n..];
        self.after_value();
        Some(payload)
    }

    /// The conversion context, to convert what [`memo_item`](Direct::memo_item)
    /// fetched from the graph.
    pub fn context(&mut self) -> &mut Context<'c, 'a> {
        self.cx
    }

    /// A name (a dict key): a str opcode, or a fetch of a memoized str;
    /// `None`, nothing consumed, for anything else.
    #[inline]
    pub fn name(&mut self) -> Option<&'c str> {
        match self.peek()? {
            op::BINGET | op::LONG_BINGET => {
                let save = self.rest;
                match self.memo_node() {
                    Some(Node::Str(s)) => Some(s),
                    _ => {
                        self.rest = save;
                        None
                    }
                }
            }
            _ => match scalars::parse(self.rest, self.long_max)? {
                (Scalar::Str(b), width) => {
                    let s = Scalar::text(b)?;
                    self.rest = &self.rest[width..];
                    self.after_value();
                    Some(s)
                }
                _ => None,
            },
        }
    }

    /// A list (`EMPTY_LIST`, then batches `MARK ... APPENDS` and single
    /// `item APPEND`s, as CPython and pickle-rs write one) of `T`s.
    pub fn list<T: FromPickle<'a>>(&mut self) -> Option<Vec<T>> {
        if !self.eat(op::EMPTY_LIST) {
            return None;
        }
        self.after_value();
        self.hold(1)?;
        let mut out: Vec<T> = Vec::new();
        loop {
            if self.eat(op::MARK) {
                self.hold(1)?;
                // A batch of scalars is counted first, so that the list is
                // made the size the usual path makes it.
                if out.is_empty()
                    && let Some(run) = scalars::scan(self.rest, op::APPENDS, false, self.max_len, false)
                {
                    self.reserve(&mut out, run.count)?;
                }
                let start = out.len();
                while !self.eat(op::APPENDS) {
                    if !self.fits(out.len() + 1) {
                        return None;
                    }
                    self.hold(1)?;
                    let t = self.read::<T>()?;
                    self.reserve(&mut out, 1)?;
                    out.push(t);
                }
                self.release(1 + out.len() - start);
                continue;
            }
            // `item APPEND`, or the list ended and this is what follows it:
            // at once if that takes from the stack (pickletools' table), as
            // nothing that starts an item does.
            if self.peek().and_then(op::info).is_none_or(|info| !info.before.is_empty()) {
                break;
            }
            let (save, charged) = (self.rest, self.cx.charged_so_far());
            if self.fits(out.len() + 1)
                && let Some(t) = self.read::<T>()
                && self.eat(op::APPEND)
            {
                self.reserve(&mut out, 1)?;
                out.push(t);
                continue;
            }
            self.rest = save;
            self.cx.uncharge_to(charged);
            break;
        }
        self.release(1);
        Some(out)
    }
}
