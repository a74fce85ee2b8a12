//! The pickle machine: runs opcodes in a loop over an explicit stack and
//! builds a [`Value`] graph. Nothing is executed and nothing recurses on
//! depth the input controls.

use std::borrow::Cow;
use std::collections::HashMap;

use num_bigint::BigInt;

mod args;
mod errors;
mod memo;
mod reduce;
mod trace;

pub(crate) use trace::{Event, Renamed, Trace, Traced};

use super::input::{Chunk, Input, Short};
use super::sink::{MemoView, Sink, Stream, Streamed};
use crate::error::{Error, ErrorKind, Result};
use crate::format::compat;
use crate::format::opcodes::{self as op, name as op_name};
use crate::format::text::{self, IntError, ParsedInt, PyText};
use crate::options::{DecodeOptions, PersistentIds, StringEncoding};
use crate::value::{Construct, Global, Item, Node, NodeId, Object, Value};
use args::{decimal_key, name_line, pairs_of, py2_string};
use errors::{describe_byte, err, int_text_error, missing_memo, short, too_long, underflow, wrong_target};
use memo::Memo;
use reduce::copied_bytes;

/// Memory charged per node, per stack or container item, per memo slot.
const NODE_COST: u64 = (std::mem::size_of::<Node<'static>>() + 8) as u64;
const ITEM_COST: u64 = std::mem::size_of::<Item>() as u64;

pub(crate) struct Machine<'a, 'o> {
    value: Value<'a>,
    stack: Vec<Item>,
    marks: Vec<usize>,
    memo: Memo,
    proto: u8,
    opts: &'o DecodeOptions,
    used: u64,
    budget: u64,
    /// Whether the input's length is unknown (a reader): the budget then
    /// grows with the bytes read, brought up to date where it is checked.
    grows: bool,
    buffers: u64,
    /// Memo writes so far (new keys and overwrites), for streaming.
    memo_writes: u64,
    /// The node the last REDUCE made and the memo writes then: a POP right
    /// after it (nothing memoized since) may be a `state_setter` call.
    last_reduce: Option<(usize, u64)>,
    /// The last `state_setter` call recorded: the offset of the opcode
    /// after its POP, the call's node and the object it set. See
    /// `copy_dropped`.
    setter_call: Option<(u64, NodeId, NodeId)>,
    /// Streams the root container's items to a sink; see stream.rs.
    stream: Option<Stream<'o, 'a>>,
    /// Reused buffer for items on their way to the sink.
    scratch: Vec<Item>,
    /// What a traced run (`pickle scan`) records; `None` otherwise.
    trace: Option<Box<Trace>>,
}

type Res<T> = Result<T>;

/// What the next pickle of a stream starts from when the memo is kept
/// across pickles (`Decoder::keep_memo`): the graph built so far, the memo
/// that refers into it, and the allocation charged.
#[derive(Default)]
pub(crate) struct Carried<'a> {
    value: Value<'a>,
    memo: Memo,
    used: u64,
}

impl<'a> Carried<'a> {
    /// The graph: every pickle's nodes so far.
    pub(crate) fn value(&self) -> &Value<'a> {
        &self.value
    }
}

impl std::fmt::Debug for Carried<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Carried").field("nodes", &self.value.node_count()).field("memo", &self.memo.len()).finish()
    }
}

impl<'a, 'o> Machine<'a, 'o> {
    pub(crate) fn new(opts: &'o DecodeOptions, input_len: Option<u64>) -> Self {
        Machine {
            value: Value::new(),
            stack: Vec::new(),
            marks: Vec::new(),
            memo: Memo::default(),
            proto: 0,
            opts,
            used: 0,
            budget: opts.limits.alloc_budget(input_len.unwrap_or(0)),
            grows: input_len.is_none(),
            buffers: 0,
            memo_writes: 0,
            last_reduce: None,
            setter_call: None,
            stream: None,
            scratch: Vec::new(),
            trace: None,
        }
    }

    /// A machine that records what `pickle scan` needs (see trace.rs) and
    /// follows CPython where the plain decoder is stricter: a second BUILD
    /// on one object is recorded rather than refused.
    pub(crate) fn traced(opts: &'o DecodeOptions, input_len: Option<u64>) -> Self {
        let mut m = Machine::new(opts, input_len);
        m.trace = Some(Box::default());
        m
    }

    /// Runs until STOP or the first error and keeps everything built.
    pub(crate) fn run_traced<I: Input<'a>>(mut self, input: &mut I) -> Traced<'a> {
        let result = self.run_loop(input);
        if let Ok(root) = result {
            self.value.set_root(root);
        }
        Traced { value: self.value, trace: self.trace.map(|t| *t).unwrap_or_default(), result, proto: self.proto }
    }

    /// Records an opcode that calls into `target` (traced runs only).
    fn note_event(&mut self, code: u8, at: u64, target: Item) {
        if let Some(t) = &mut self.trace {
            t.events.push(Event { at, code, target });
        }
    }

    /// Streams the items of the root list (or dict) to `sink` as they come.
    pub(crate) fn with_sink(mut self, sink: &'o mut dyn Sink<'a>) -> Self {
        self.stream = Some(Stream::new(sink));
        self
    }

    /// Runs until STOP with a sink; see [`Streamed`].
    pub(crate) fn run_streaming<I: Input<'a>>(mut self, input: &mut I) -> Res<Streamed<'a>> {
        let result = self.run_loop(input);
        let (consumed, aborted) = self.stream.as_ref().map_or((false, false), |s| (s.consumed, s.aborted));
        match result {
            Err(_) if aborted => Ok(Streamed::Aborted),
            Err(e) => Err(e),
            Ok(_) if consumed => Ok(Streamed::Consumed),
            Ok(root) => {
                self.value.set_root(root);
                self.value.set_typed_budget(self.budget.saturating_sub(self.used));
                Ok(Streamed::Whole(self.value))
            }
        }
    }

    /// Something streaming cannot follow happened to the root: stop
    /// streaming, and when items were already consumed, give up the run.
    #[cold]
    fn leave_stream(&mut self) -> Res<()> {
        match &mut self.stream {
            Some(s) if s.consumed => {
                s.aborted = true;
                Err(Error::new(ErrorKind::Custom, None, "streaming gave up".into()))
            }
            _ => {
                self.stream = None;
                Ok(())
            }
        }
    }

    /// Whether `item` is the streamed root.
    #[inline]
    fn is_stream_root(&self, item: Item) -> bool {
        matches!((&self.stream, item), (Some(s), Item::Node(id)) if s.root == Some(id))
    }

    /// A container was just pushed: the first list or dict at depth 0 (of the
    /// sink's kind) becomes the streamed root.
    fn note_container(&mut self, at: u64) -> Res<()> {
        let Some(s) = &mut self.stream else { return Ok(()) };
        if s.root.is_some() || self.stack.len() != 1 || !self.marks.is_empty() {
            return Ok(());
        }
        let Some(&root @ Item::Node(id)) = self.stack.last() else { return Ok(()) };
        let wants_dict = s.sink.wants_dict();
        // The root starts empty: items it was created with (LIST, DICT) go to
        // the sink through the same path as the items appended later.
        let (items, pairs) = match self.value.get_mut(root) {
            Some(Node::List(items)) if !wants_dict => (std::mem::take(items), Vec::new()),
            Some(Node::Dict(pairs)) if wants_dict => (Vec::new(), std::mem::take(pairs)),
            _ => return Ok(()),
        };
        s.root = Some(id);
        s.floor = self.value.node_count();
        s.memo_writes = self.memo_writes;
        if !items.is_empty() {
            self.extend_list(root, items.into_iter(), op::LIST, at)?;
        }
        if !pairs.is_empty() {
            self.extend_dict(root, pairs.into_iter(), op::DICT, at)?;
        }
        Ok(())
    }

    /// When the open MARK is the streamed root's and nothing is above it
    /// yet, hands a batch of nothing but scalars straight to the sink, with
    /// no node made for them (sink/scalars.rs).
    fn direct_batch<I: Input<'a>>(&mut self, input: &mut I) -> Res<()> {
        let Some(s) = &self.stream else { return Ok(()) };
        let Some(root) = s.root else { return Ok(()) };
        let root = Item::Node(root);
        if self.stack.len() != 1 || self.marks[..] != [1] || self.stack[0] != root {
            return Ok(());
        }
        let Some(bytes) = input.borrowed() else { return Ok(()) };
        // The stack slots above the mark the usual path would have.
        let room = self.opts.limits.max_depth.saturating_sub(self.stack.len() + self.marks.len());
        self.value.set_typed_budget(self.budget.saturating_sub(self.used));
        let Some(s) = &mut self.stream else { return Ok(()) };
        if let Some(done) = s.sink.direct(&self.value, root, bytes, self.memo.view(), room) {
            s.consumed = true;
            s.pending = true;
            input.skip(done.read);
            self.memo.count_skipped(done.skipped);
        }
        Ok(())
    }

    /// After items went to the sink: free the window's nodes if nothing can
    /// reach them any more, and start a new window.
    fn settle_stream(&mut self) {
        let Some(s) = &mut self.stream else { return };
        if !s.pending {
            return;
        }
        s.pending = false;
        let unreachable =
            s.memo_writes == self.memo_writes && !s.dirty && self.stack.len() == 1 && self.marks.is_empty();
        if unreachable && self.value.node_count() > s.floor {
            self.value.truncate(s.floor);
            s.sink.forget_from(s.floor);
        }
        s.floor = self.value.node_count();
        s.memo_writes = self.memo_writes;
        s.dirty = false;
    }

    /// A node is about to change: note it if it predates the window.
    #[inline]
    fn touch(&mut self, target: Item) {
        if let (Some(s), Item::Node(id)) = (&mut self.stream, target)
            && id.index() < s.floor
        {
            s.dirty = true;
        }
    }

    /// Runs until STOP and returns the graph with its root set.
    /// A machine that continues from an earlier pickle's graph and memo.
    pub(crate) fn resume(opts: &'o DecodeOptions, input_len: Option<u64>, carried: Carried<'a>) -> Self {
        let mut m = Machine::new(opts, input_len);
        m.value = carried.value;
        m.memo = carried.memo;
        m.used = carried.used;
        m
    }

    /// Runs until STOP; the root and what the next pickle continues from.
    pub(crate) fn run_carrying<I: Input<'a>>(mut self, input: &mut I) -> Res<(Item, Carried<'a>)> {
        let root = self.run_loop(input)?;
        self.value.set_root(root);
        self.value.set_typed_budget(self.budget.saturating_sub(self.used));
        Ok((root, Carried { value: self.value, memo: self.memo, used: self.used }))
    }

    pub(crate) fn run<I: Input<'a>>(mut self, input: &mut I) -> Res<Value<'a>> {
        let root = self.run_loop(input)?;
        self.value.set_root(root);
        // Converting the graph into Rust values shares the input's budget.
        self.value.set_typed_budget(self.budget.saturating_sub(self.used));
        Ok(self.value)
    }

    #[inline]
    fn charge(&mut self, bytes: u64, at: u64) -> Res<()> {
        self.used = self.used.saturating_add(bytes);
        if self.used > self.budget { self.over_budget_unless_grown(at) } else { Ok(()) }
    }

    /// The charge at `at` went over the budget: fine if a reader's budget,
    /// brought up to the input read so far, still holds it.
    #[cold]
    #[inline(never)]
    pub(super) fn over_budget_unless_grown(&mut self, at: u64) -> Res<()> {
        self.grow_budget_for_reader(at);
        if self.used > self.budget { Err(self.over_budget(at)) } else { Ok(()) }
    }

    #[cold]
    fn over_budget(&self, at: u64) -> Error {
        err(
            ErrorKind::LimitExceeded,
            at,
            "allocation limit exceeded",
            format_args!("decoding would allocate more than {} bytes", self.budget),
        )
    }

    /// Grows the budget for input read so far when the total length was not
    /// known up front (readers).
    fn grow_budget_for_reader(&mut self, pos: u64) {
        if !self.grows {
            return;
        }
        let for_input = self.opts.limits.alloc_budget(pos);
        if for_input > self.budget {
            self.budget = for_input;
        }
    }

    #[inline]
    fn node(&mut self, node: Node<'a>, at: u64) -> Res<Item> {
        self.charge(NODE_COST, at)?;
        match self.value.push_at(node, at) {
            Some(item) => Ok(item),
            None => {
                Err(err(ErrorKind::LimitExceeded, at, "too many values", "a pickle may build at most 2^32-1 nodes"))
            }
        }
    }

    #[inline]
    fn push(&mut self, item: Item, at: u64) -> Res<()> {
        if self.stack.len() + self.marks.len() >= self.opts.limits.max_depth {
            return Err(self.too_deep(at));
        }
        self.stack.push(item);
        Ok(())
    }

    /// The BINFLOATs and BININTs that directly follow one (a list of
    /// numbers is a long run of them), pushed in one tight loop over the
    /// buffered input, as [`memo_get_run`](Machine::memo_get_run) does for
    /// GETs. It stops at anything else, at the depth limit and at a
    /// truncated argument, and leaves that to the general path, which
    /// reports errors at their offsets.
    #[inline]
    fn scalar_run<I: Input<'a>>(&mut self, input: &mut I) {
        let bytes = input.buffered();
        let mut room = self.opts.limits.max_depth.saturating_sub(self.stack.len() + self.marks.len());
        let mut at = 0;
        while room > 0 {
            let (item, width) = match bytes.get(at..) {
                Some([op::BINFLOAT, a, b, c, d, e, f, g, h, ..]) => {
                    (Item::Float(f64::from_be_bytes([*a, *b, *c, *d, *e, *f, *g, *h])), 9)
                }
                Some([op::BININT, a, b, c, d, ..]) => (Item::Int(i64::from(i32::from_le_bytes([*a, *b, *c, *d]))), 5),
                Some([op::BININT1, a, ..]) => (Item::Int(i64::from(*a)), 2),
                Some([op::BININT2, a, b, ..]) => (Item::Int(i64::from(u16::from_le_bytes([*a, *b]))), 3),
                _ => break,
            };
            self.stack.push(item);
            room -= 1;
            at += width;
        }
        input.skip(at);
    }

    #[cold]
    fn too_deep(&self, at: u64) -> Error {
        err(
            ErrorKind::LimitExceeded,
            at,
            "nesting too deep",
            format_args!("the stack would exceed the depth limit of {}", self.opts.limits.max_depth),
        )
    }

    #[inline]
    fn push_node(&mut self, node: Node<'a>, at: u64) -> Res<()> {
        let item = self.node(node, at)?;
        self.push(item, at)
    }

    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    #[inline]
    fn pop(&mut self, code: u8, at: u64) -> Res<Item> {
        if self.stack.len() <= self.fence() {
            return Err(underflow(code, at));
        }
        self.stack.pop().ok_or_else(|| underflow(code, at))
    }

    #[inline]
    fn top(&self, code: u8, at: u64) -> Res<Item> {
        if self.stack.len() <= self.fence() {
            return Err(underflow(code, at));
        }
        self.stack.last().copied().ok_or_else(|| underflow(code, at))
    }

    /// Pops the last MARK and returns where it was: the items above it are
    /// `self.stack[k..]`.
    fn pop_mark(&mut self, code: u8, at: u64) -> Res<usize> {
        let k = self.marks.pop().ok_or_else(|| {
            err(
                ErrorKind::MissingMark,
                at,
                &format!("{} without MARK", op_name(code).unwrap_or("opcode")),
                "could not find MARK",
            )
        })?;
        let n = self.stack.len() - k;
        if n > self.opts.limits.max_container_len {
            return Err(err(
                ErrorKind::LimitExceeded,
                at,
                "container too long",
                format_args!("{n} items exceed the limit of {}", self.opts.limits.max_container_len),
            ));
        }
        Ok(k)
    }

    /// Pops the MARK and the items above it into a vector.
    fn mark_items(&mut self, code: u8, at: u64) -> Res<Vec<Item>> {
        let k = self.pop_mark(code, at)?;
        self.charge(ITEM_COST * (self.stack.len() - k) as u64, at)?;
        Ok(self.stack.split_off(k))
    }

    /// Pops the MARK and returns the target below it (the list, dict or set
    /// that APPENDS, SETITEMS or ADDITEMS works on) and where the items start.
    fn mark_target(&mut self, code: u8, at: u64) -> Res<(Item, usize)> {
        let k = self.pop_mark(code, at)?;
        if k == 0 || k <= self.fence() {
            return Err(underflow(code, at));
        }
        Ok((self.stack[k - 1], k))
    }

    #[inline]
    fn take<'s, I: Input<'a>>(input: &'s mut I, n: usize, code: u8, at: u64) -> Res<Chunk<'a, 's>> {
        input.take(n).map_err(|s| short(s, code, at, None))
    }

    #[inline]
    fn arg<const N: usize, I: Input<'a>>(input: &mut I, code: u8, at: u64) -> Res<[u8; N]> {
        let chunk = Self::take(input, N, code, at)?;
        let mut out = [0u8; N];
        out.copy_from_slice(chunk.bytes());
        Ok(out)
    }

    fn line<'s, I: Input<'a>>(input: &'s mut I, code: u8, at: u64) -> Res<Chunk<'a, 's>> {
        input.line().map_err(|s| match s {
            Short::Eof { .. } => err(
                ErrorKind::Eof,
                at,
                &format!("truncated {}", op_name(code).unwrap_or("opcode")),
                "the input ended before the newline that ends its argument",
            ),
            io => short(io, code, at, None),
        })
    }

    /// Takes a length-prefixed payload, checking the declared length against
    /// the limit and the input left before anything is allocated.
    fn payload<'s, I: Input<'a>>(&mut self, input: &'s mut I, len: u64, code: u8, at: u64) -> Res<Chunk<'a, 's>> {
        if let Some(left) = input.remaining()
            && len > left
        {
            return Err(err(
                ErrorKind::Eof,
                at,
                &format!("truncated {}", op_name(code).unwrap_or("opcode")),
                format_args!("it declares {len} bytes, {left} are left"),
            ));
        }
        let n = usize::try_from(len).map_err(|_| {
            err(
                ErrorKind::LimitExceeded,
                at,
                op_name(code).unwrap_or("opcode"),
                format_args!("{len} bytes do not fit in memory"),
            )
        })?;
        if input.remaining().is_none() {
            // The bytes will be copied: charge them before reading. A reader's
            // budget grows with the input, so count the payload as read: a
            // reader allocates no more than it really reads (plus one step),
            // so a length the input does not hold still fails as Eof, cheaply.
            self.grow_budget_for_reader(input.pos().saturating_add(len));
            self.charge(len, at)?;
        }
        input.take(n).map_err(|s| short(s, code, at, Some(len)))
    }

    fn run_loop<I: Input<'a>>(&mut self, input: &mut I) -> Res<Item> {
        loop {
            let at = input.pos();
            let code = match input.next_byte() {
                Ok(Some(b)) => b,
                Ok(None) => {
                    return Err(err(ErrorKind::Eof, at, "unexpected end of input", "the pickle ended without STOP"));
                }
                Err(s) => return Err(short(s, 0, at, None)),
            };
            match code {
                op::STOP => {
                    // What converting the graph may still use counts the whole input.
                    self.grow_budget_for_reader(at);
                    let root = self.pop(code, at)?;
                    if self.stream.as_ref().is_some_and(|s| s.consumed) && !self.is_stream_root(root) {
                        self.leave_stream()?;
                    }
                    return Ok(root);
                }
                op::BININT1 => {
                    let [b] = Self::arg::<1, _>(input, code, at)?;
                    self.push(Item::Int(i64::from(b)), at)?;
                    self.scalar_run(input);
                }
                op::BININT2 => {
                    let b = Self::arg::<2, _>(input, code, at)?;
                    self.push(Item::Int(i64::from(u16::from_le_bytes(b))), at)?;
                    self.scalar_run(input);
                }
                op::BININT => {
                    let b = Self::arg::<4, _>(input, code, at)?;
                    self.push(Item::Int(i64::from(i32::from_le_bytes(b))), at)?;
                    self.scalar_run(input);
                }
                op::BINFLOAT => {
                    let b = Self::arg::<8, _>(input, code, at)?;
                    self.push(Item::Float(f64::from_be_bytes(b)), at)?;
                    self.scalar_run(input);
                }
                op::NONE => self.push(Item::None, at)?,
                op::NEWTRUE => self.push(Item::Bool(true), at)?,
                op::NEWFALSE => self.push(Item::Bool(false), at)?,
                op::MEMOIZE => {
                    let item = self.top(code, at)?;
                    let key = self.memo.len() as u64;
                    self.memo_put(key, item, at)?;
                }
                op::BINPUT => {
                    let [k] = Self::arg::<1, _>(input, code, at)?;
                    let item = self.top(code, at)?;
                    self.memo_put(u64::from(k), item, at)?;
                }
                op::LONG_BINPUT => {
                    let k = Self::arg::<4, _>(input, code, at)?;
                    let item = self.top(code, at)?;
                    self.memo_put(u64::from(u32::from_le_bytes(k)), item, at)?;
                }
                op::BINGET => {
                    let [k] = Self::arg::<1, _>(input, code, at)?;
                    self.memo_get(u64::from(k), code, at)?;
                    self.memo_get_run(input);
                }
                op::LONG_BINGET => {
                    let k = Self::arg::<4, _>(input, code, at)?;
                    self.memo_get(u64::from(u32::from_le_bytes(k)), code, at)?;
                    self.memo_get_run(input);
                }
                op::SHORT_BINUNICODE => {
                    let [n] = Self::arg::<1, _>(input, code, at)?;
                    self.unicode(input, u64::from(n), code, at)?;
                }
                op::BINUNICODE => {
                    let n = Self::arg::<4, _>(input, code, at)?;
                    self.unicode(input, u64::from(u32::from_le_bytes(n)), code, at)?;
                }
                op::BINUNICODE8 => {
                    let n = Self::arg::<8, _>(input, code, at)?;
                    self.unicode(input, u64::from_le_bytes(n), code, at)?;
                }
                op::SHORT_BINBYTES => {
                    let [n] = Self::arg::<1, _>(input, code, at)?;
                    self.bytes(input, u64::from(n), code, at, false)?;
                }
                op::BINBYTES => {
                    let n = Self::arg::<4, _>(input, code, at)?;
                    self.bytes(input, u64::from(u32::from_le_bytes(n)), code, at, false)?;
                }
                op::BINBYTES8 => {
                    let n = Self::arg::<8, _>(input, code, at)?;
                    self.bytes(input, u64::from_le_bytes(n), code, at, false)?;
                }
                op::BYTEARRAY8 => {
                    let n = Self::arg::<8, _>(input, code, at)?;
                    self.bytes(input, u64::from_le_bytes(n), code, at, true)?;
                }
                op::SHORT_BINSTRING => {
                    let [n] = Self::arg::<1, _>(input, code, at)?;
                    let chunk = self.payload(input, u64::from(n), code, at)?;
                    let node = py2_string(chunk, self.opts.encoding, code, at)?;
                    self.push_node(node, at)?;
                }
                op::BINSTRING => {
                    let n = i32::from_le_bytes(Self::arg::<4, _>(input, code, at)?);
                    if n < 0 {
                        return Err(err(
                            ErrorKind::InvalidArgument,
                            at,
                            "bad BINSTRING",
                            "it declares a negative length",
                        ));
                    }
                    let chunk = self.payload(input, n as u64, code, at)?;
                    let node = py2_string(chunk, self.opts.encoding, code, at)?;
                    self.push_node(node, at)?;
                }
                op::EMPTY_LIST => {
                    self.push_node(Node::List(Vec::new()), at)?;
                    self.note_container(at)?;
                }
                op::EMPTY_DICT => {
                    self.push_node(Node::Dict(Vec::new()), at)?;
                    self.note_container(at)?;
                }
                op::EMPTY_SET => self.push_node(Node::Set(Vec::new()), at)?,
                op::EMPTY_TUPLE => self.push_node(Node::Tuple(Vec::new()), at)?,
                op::TUPLE1 | op::TUPLE2 | op::TUPLE3 => {
                    let n = usize::from(code - op::TUPLE1 + 1);
                    if self.stack.len() < self.fence() + n {
                        return Err(underflow(code, at));
                    }
                    self.charge(ITEM_COST * n as u64, at)?;
                    let items = self.stack.split_off(self.stack.len() - n);
                    self.push_node(Node::Tuple(items), at)?;
                }
                op::MARK => {
                    if self.stack.len() + self.marks.len() >= self.opts.limits.max_depth {
                        return Err(self.too_deep(at));
                    }
                    self.marks.push(self.stack.len());
                    if self.stream.is_some() {
                        self.direct_batch(input)?;
                    }
                }
                op::TUPLE => {
                    let items = self.mark_items(code, at)?;
                    self.push_node(Node::Tuple(items), at)?;
                }
                op::LIST => {
                    let items = self.mark_items(code, at)?;
                    self.push_node(Node::List(items), at)?;
                    self.note_container(at)?;
                }
                op::FROZENSET => {
                    let items = self.mark_items(code, at)?;
                    self.push_node(Node::FrozenSet(items), at)?;
                }
                op::DICT => {
                    let items = self.mark_items(code, at)?;
                    let pairs = pairs_of(items, code, at)?;
                    self.push_node(Node::Dict(pairs), at)?;
                    self.note_container(at)?;
                }
                op::APPEND => {
                    let item = self.pop(code, at)?;
                    let target = self.top(code, at)?;
                    self.charge(ITEM_COST, at)?;
                    self.extend_list(target, std::iter::once(item), code, at)?;
                    self.settle_stream();
                }
                op::APPENDS => {
                    let (target, k) = self.mark_target(code, at)?;
                    self.charge(ITEM_COST * (self.stack.len() - k) as u64, at)?;
                    let items = std::mem::take(&mut self.stack);
                    let result = self.extend_list(target, items[k..].iter().copied(), code, at);
                    self.stack = items;
                    self.stack.truncate(k);
                    result?;
                    self.settle_stream();
                }
                op::SETITEM => {
                    let v = self.pop(code, at)?;
                    let k = self.pop(code, at)?;
                    let target = self.top(code, at)?;
                    self.charge(2 * ITEM_COST, at)?;
                    self.extend_dict(target, std::iter::once((k, v)), code, at)?;
                    self.settle_stream();
                }
                op::SETITEMS => {
                    let (target, k) = self.mark_target(code, at)?;
                    if !(self.stack.len() - k).is_multiple_of(2) {
                        return Err(err(
                            ErrorKind::InvalidStructure,
                            at,
                            "bad SETITEMS",
                            "odd number of items for SETITEMS",
                        ));
                    }
                    self.charge(ITEM_COST * (self.stack.len() - k) as u64, at)?;
                    let items = std::mem::take(&mut self.stack);
                    let pairs = items[k..].chunks_exact(2).map(|p| (p[0], p[1]));
                    let result = self.extend_dict(target, pairs, code, at);
                    self.stack = items;
                    self.stack.truncate(k);
                    result?;
                    self.settle_stream();
                }
                op::ADDITEMS => {
                    let (target, k) = self.mark_target(code, at)?;
                    self.charge(ITEM_COST * (self.stack.len() - k) as u64, at)?;
                    let items = std::mem::take(&mut self.stack);
                    let result = self.extend_set(target, items[k..].iter().copied(), code, at);
                    self.stack = items;
                    self.stack.truncate(k);
                    result?;
                }
                op::POP => {
                    let len = self.stack.len();
                    if self.marks.last() == Some(&len) {
                        self.marks.pop();
                    } else {
                        let popped = self.pop(code, at)?;
                        self.state_setter_call(popped, at);
                    }
                }
                op::POP_MARK => {
                    let k = self.pop_mark(code, at)?;
                    self.stack.truncate(k);
                }
                op::DUP => {
                    let item = self.top(code, at)?;
                    if self.is_stream_root(item) {
                        self.leave_stream()?;
                    }
                    self.push(item, at)?;
                }
                op::PROTO => {
                    let [p] = Self::arg::<1, _>(input, code, at)?;
                    if p > op::HIGHEST_PROTOCOL {
                        return Err(err(
                            ErrorKind::InvalidArgument,
                            at,
                            "unsupported pickle protocol",
                            format_args!("protocol {p} is above 5"),
                        ));
                    }
                    self.proto = p;
                }
                op::FRAME => {
                    let n = u64::from_le_bytes(Self::arg::<8, _>(input, code, at)?);
                    input.frame(n).map_err(|s| short(s, code, at, Some(n)))?;
                    // A frame's header between a POP and the GET after it.
                    if let Some((next, ..)) = &mut self.setter_call
                        && *next == at
                    {
                        *next = at + 9;
                    }
                    if self.stream.is_some() {
                        self.direct_batch(input)?;
                    }
                }
                op::LONG1 => {
                    let [n] = Self::arg::<1, _>(input, code, at)?;
                    self.long_binary(input, u64::from(n), code, at)?;
                }
                op::LONG4 => {
                    let n = i32::from_le_bytes(Self::arg::<4, _>(input, code, at)?);
                    if n < 0 {
                        return Err(err(ErrorKind::InvalidArgument, at, "bad LONG4", "it declares a negative length"));
                    }
                    self.long_binary(input, n as u64, code, at)?;
                }
                op::INT => {
                    let line = Self::line(input, code, at)?;
                    let bytes = line.bytes();
                    let two = bytes.len() == 2;
                    let parsed = text::parse_int(bytes, self.max_digits()).map_err(|e| int_text_error(e, code, at))?;
                    let item = match parsed {
                        ParsedInt::Small(v @ (0 | 1)) if two => Item::Bool(v == 1),
                        parsed => self.int_item(parsed, at)?,
                    };
                    self.push(item, at)?;
                }
                op::LONG => {
                    let line = Self::line(input, code, at)?;
                    let mut bytes = line.bytes();
                    if let [rest @ .., b'L'] = bytes {
                        bytes = rest;
                    }
                    let parsed = text::parse_int(bytes, self.max_digits()).map_err(|e| int_text_error(e, code, at))?;
                    let item = self.int_item(parsed, at)?;
                    self.push(item, at)?;
                }
                op::FLOAT => {
                    let line = Self::line(input, code, at)?;
                    let x = text::parse_float(line.bytes()).ok_or_else(|| {
                        err(
                            ErrorKind::InvalidArgument,
                            at,
                            "bad FLOAT",
                            format_args!("{:?} is not a float", String::from_utf8_lossy(line.bytes())),
                        )
                    })?;
                    self.push(Item::Float(x), at)?;
                }
                op::STRING => {
                    let line = Self::line(input, code, at)?;
                    let raw = text::decode_string_literal(line.bytes())
                        .map_err(|d| err(ErrorKind::InvalidArgument, at, "bad STRING", d))?;
                    self.charge(raw.len() as u64, at)?;
                    let node = py2_string(Chunk::Scratch(&raw), self.opts.encoding, code, at)?;
                    self.push_node(node, at)?;
                }
                op::UNICODE => {
                    let line = Self::line(input, code, at)?;
                    let raw = text::raw_unicode_escape_decode(line.bytes())
                        .map_err(|d| err(ErrorKind::InvalidArgument, at, "bad UNICODE", d))?;
                    self.charge(raw.len() as u64, at)?;
                    let node = match text::decode_utf8(Cow::Owned(raw)) {
                        Ok(PyText::Utf8(s)) => Node::Str(Cow::Owned(s.into_owned())),
                        Ok(PyText::Surrogates(b)) => Node::SurrogateStr(Cow::Owned(b.into_owned())),
                        Err(_) => {
                            return Err(err(
                                ErrorKind::InvalidArgument,
                                at,
                                "bad UNICODE",
                                "it decodes to invalid text",
                            ));
                        }
                    };
                    self.push_node(node, at)?;
                }
                op::GET => {
                    let line = Self::line(input, code, at)?;
                    let key = decimal_key(line.bytes()).ok_or_else(|| {
                        err(
                            ErrorKind::InvalidArgument,
                            at,
                            "bad GET",
                            format_args!("{:?} is not a memo key", String::from_utf8_lossy(line.bytes())),
                        )
                    })?;
                    self.memo_get(key, code, at)?;
                }
                op::PUT => {
                    let line = Self::line(input, code, at)?;
                    let text_key = line.bytes();
                    if text_key.first() == Some(&b'-') {
                        return Err(err(ErrorKind::InvalidArgument, at, "bad PUT", "negative PUT argument"));
                    }
                    let key = decimal_key(text_key).ok_or_else(|| {
                        err(
                            ErrorKind::InvalidArgument,
                            at,
                            "bad PUT",
                            format_args!("{:?} is not a memo key", String::from_utf8_lossy(text_key)),
                        )
                    })?;
                    let item = self.top(code, at)?;
                    self.memo_put(key, item, at)?;
                }
                op::GLOBAL => {
                    let module = name_line(Self::line(input, code, at)?, code, at, "module")?;
                    let name = name_line(Self::line(input, code, at)?, code, at, "class")?;
                    let global = self.global(module, name, at);
                    self.check_global(&global, code, at)?;
                    self.push_node(Node::Global(Box::new(global)), at)?;
                }
                op::STACK_GLOBAL => {
                    let name = self.pop(code, at)?;
                    let module = self.pop(code, at)?;
                    let (Some(module), Some(name)) = (self.value.as_str(module), self.value.as_str(name)) else {
                        return Err(err(
                            ErrorKind::InvalidStructure,
                            at,
                            "bad STACK_GLOBAL",
                            "STACK_GLOBAL requires str module and name",
                        ));
                    };
                    if module.is_empty() || name.is_empty() {
                        // CPython: "Empty module name", or no attribute ''.
                        return Err(err(
                            ErrorKind::InvalidStructure,
                            at,
                            "bad STACK_GLOBAL",
                            format_args!("its {} name is empty", if module.is_empty() { "module" } else { "class" }),
                        ));
                    }
                    let (module, name): (Cow<'a, str>, Cow<'a, str>) =
                        (Cow::Owned(module.to_owned()), Cow::Owned(name.to_owned()));
                    // A memoized str can be named again and again: charge the copies.
                    self.charge((module.len() + name.len()) as u64, at)?;
                    let global = self.global(module, name, at);
                    self.check_global(&global, code, at)?;
                    self.push_node(Node::Global(Box::new(global)), at)?;
                }
                op::REDUCE => {
                    let args = self.pop(code, at)?;
                    let callable = self.pop(code, at)?;
                    let Some(args) = self.value.as_tuple(args).map(<[Item]>::to_vec) else {
                        return Err(err(ErrorKind::InvalidStructure, at, "bad REDUCE", "its argument is not a tuple"));
                    };
                    self.check_callable(callable, code, at)?;
                    self.charge(ITEM_COST * args.len() as u64, at)?;
                    let node = match self.reduce_special(callable, &args) {
                        Some(node) => {
                            // It copied a memoized list, str or name that the
                            // stream may pass again and again: charge the copy.
                            self.charge(copied_bytes(&node), at)?;
                            node
                        }
                        None => Node::Object(Box::new(Object::new(callable, Construct::Call, args))),
                    };
                    self.push_node(node, at)?;
                    self.last_reduce = Some((self.value.node_count().wrapping_sub(1), self.memo_writes));
                }
                op::NEWOBJ => {
                    let args = self.pop(code, at)?;
                    let class = self.pop(code, at)?;
                    let Some(args) = self.value.as_tuple(args).map(<[Item]>::to_vec) else {
                        return Err(err(ErrorKind::InvalidStructure, at, "bad NEWOBJ", "NEWOBJ expected an arg tuple"));
                    };
                    self.check_callable(class, code, at)?;
                    self.charge(ITEM_COST * args.len() as u64, at)?;
                    self.push_node(Node::Object(Box::new(Object::new(class, Construct::New, args))), at)?;
                }
                op::NEWOBJ_EX => {
                    let kwargs = self.pop(code, at)?;
                    let args = self.pop(code, at)?;
                    let class = self.pop(code, at)?;
                    let Some(args) = self.value.as_tuple(args).map(<[Item]>::to_vec) else {
                        return Err(err(
                            ErrorKind::InvalidStructure,
                            at,
                            "bad NEWOBJ_EX",
                            "NEWOBJ_EX args argument must be a tuple",
                        ));
                    };
                    let Some(kwargs) = self.value.as_dict(kwargs).map(<[(Item, Item)]>::to_vec) else {
                        return Err(err(
                            ErrorKind::InvalidStructure,
                            at,
                            "bad NEWOBJ_EX",
                            "NEWOBJ_EX kwargs argument must be a dict",
                        ));
                    };
                    self.check_callable(class, code, at)?;
                    self.charge(ITEM_COST * (args.len() + 2 * kwargs.len()) as u64, at)?;
                    let mut obj = Object::new(class, Construct::NewEx, args);
                    obj.kwargs = kwargs;
                    self.push_node(Node::Object(Box::new(obj)), at)?;
                }
                op::BUILD => {
                    let state = self.pop(code, at)?;
                    let target = self.top(code, at)?;
                    self.note_event(code, at, target);
                    self.touch(target);
                    let traced = self.trace.is_some();
                    match self.value.get_mut(target) {
                        Some(Node::Object(obj)) if obj.state.is_none() => obj.state = Some(state),
                        // CPython runs every BUILD; the trace has this one.
                        Some(Node::Object(_)) if traced => {}
                        Some(Node::Object(_)) => {
                            return Err(err(
                                ErrorKind::InvalidStructure,
                                at,
                                "bad BUILD",
                                "the object already has a state",
                            ));
                        }
                        _ => {
                            let kind = self.value.type_name(target);
                            return Err(err(
                                ErrorKind::InvalidStructure,
                                at,
                                "bad BUILD",
                                format_args!("cannot set the state of a {kind}"),
                            ));
                        }
                    }
                }
                op::INST => {
                    let module = name_line(Self::line(input, code, at)?, code, at, "module")?;
                    let name = name_line(Self::line(input, code, at)?, code, at, "class")?;
                    let args = self.mark_items(code, at)?;
                    let global = self.global(module, name, at);
                    self.check_global(&global, code, at)?;
                    let class = self.node(Node::Global(Box::new(global)), at)?;
                    self.instantiate(class, args, at)?;
                }
                op::OBJ => {
                    let mut args = self.mark_items(code, at)?;
                    if args.is_empty() {
                        return Err(underflow(code, at));
                    }
                    let class = args.remove(0);
                    self.check_callable(class, code, at)?;
                    self.instantiate(class, args, at)?;
                }
                op::PERSID => {
                    let line = Self::line(input, code, at)?;
                    if !line.bytes().is_ascii() {
                        return Err(err(
                            ErrorKind::InvalidArgument,
                            at,
                            "bad PERSID",
                            "persistent IDs in protocol 0 must be ASCII strings",
                        ));
                    }
                    self.check_persid(code, at)?;
                    let pid = Node::Str(Cow::Owned(String::from_utf8_lossy(line.bytes()).into_owned()));
                    let pid = self.node(pid, at)?;
                    self.push_node(Node::PersId(pid), at)?;
                }
                op::BINPERSID => {
                    let pid = self.pop(code, at)?;
                    self.check_persid(code, at)?;
                    self.push_node(Node::PersId(pid), at)?;
                }
                op::EXT1 | op::EXT2 | op::EXT4 => {
                    let ext = match code {
                        op::EXT1 => i32::from(Self::arg::<1, _>(input, code, at)?[0]),
                        op::EXT2 => i32::from(u16::from_le_bytes(Self::arg::<2, _>(input, code, at)?)),
                        _ => i32::from_le_bytes(Self::arg::<4, _>(input, code, at)?),
                    };
                    if ext <= 0 {
                        return Err(err(
                            ErrorKind::InvalidArgument,
                            at,
                            "bad extension code",
                            "EXT specifies code <= 0",
                        ));
                    }
                    if self.opts.globals.is_some() {
                        return Err(err(
                            ErrorKind::Forbidden,
                            at,
                            &format!("forbidden {}", op_name(code).unwrap_or("extension")),
                            format_args!(
                                "extension code {ext} names a global through copyreg's registry, which the decoding policy cannot check"
                            ),
                        ));
                    }
                    self.push_node(Node::Ext(ext), at)?;
                }
                op::NEXT_BUFFER => {
                    let index = self.buffers;
                    self.buffers += 1;
                    self.push_node(Node::Buffer { index, readonly: false }, at)?;
                }
                op::READONLY_BUFFER => {
                    let target = self.top(code, at)?;
                    if let Some(Node::Buffer { readonly, .. }) = self.value.get_mut(target) {
                        *readonly = true;
                    }
                }
                other => {
                    return Err(err(
                        ErrorKind::InvalidOpcode,
                        at,
                        "invalid opcode",
                        format_args!("{} is not a pickle opcode", describe_byte(other)),
                    ));
                }
            }
        }
    }

    /// A class reference, with Python 2 names mapped when the stream's
    /// protocol is below 3.
    /// `state_setter(obj, state)` REDUCE then POP, what CPython writes for
    /// the sixth item of a `__reduce__`: recorded on `obj` as its state and
    /// its setter (the call's own node stays unreachable).
    fn state_setter_call(&mut self, popped: Item, at: u64) {
        let Item::Node(call) = popped else { return };
        if self.last_reduce != Some((call.index(), self.memo_writes)) || call.index() + 1 != self.value.node_count() {
            return;
        }
        let Some(Node::Object(c)) = self.value.get(popped) else { return };
        let (&[target, state], Construct::Call) = (c.args.as_slice(), c.construct) else { return };
        let setter = c.class;
        match self.value.get_mut(target) {
            Some(Node::Object(obj)) if obj.state.is_none() && obj.state_setter.is_none() => {
                obj.state = Some(state);
                obj.state_setter = Some(setter);
                if let Item::Node(target) = target {
                    self.setter_call = Some((at + 1, call, target));
                }
            }
            _ => {}
        }
    }

    /// Undoes the `state_setter` call recorded at the POP just before this
    /// GET (at `at`) when the GET fetches an object made by the same call:
    /// the POP then dropped a second copy of an object that its own
    /// arguments reached and memoized, and the GET fetches the first, as
    /// CPython's save_reduce writes it (`f args REDUCE POP GET`).
    #[cold]
    fn copy_dropped(&mut self, fetched: Item, at: u64) {
        let Some((next, call, target)) = self.setter_call.take() else { return };
        if next != at {
            return;
        }
        let (Some(Node::Object(copy)), Some(Node::Object(made))) =
            (self.value.get(Item::Node(call)), self.value.get(fetched))
        else {
            return;
        };
        let same = |p: Item, q: Item| match (p, q) {
            (Item::Float(x), Item::Float(y)) => x.to_bits() == y.to_bits(),
            _ => p == q || matches!((self.value.as_global(p), self.value.as_global(q)), (Some(g), Some(h)) if g == h),
        };
        if made.construct != Construct::Call
            || !same(made.class, copy.class)
            || made.args.len() != copy.args.len()
            || !made.args.iter().zip(&copy.args).all(|(&p, &q)| same(p, q))
        {
            return;
        }
        if let Some(Node::Object(obj)) = self.value.get_mut(Item::Node(target)) {
            obj.state = None;
            obj.state_setter = None;
        }
    }

    /// Refuses a global the decoding policy does not allow.
    fn check_global(&self, global: &Global<'_>, code: u8, at: u64) -> Res<()> {
        match &self.opts.globals {
            Some(policy) if !policy.allows(&global.module, &global.name) => Err(err(
                ErrorKind::Forbidden,
                at,
                &format!("forbidden {}", op_name(code).unwrap_or("global")),
                format_args!("the global {global} is not allowed by the decoding policy"),
            )),
            _ => Ok(()),
        }
    }

    /// Refuses a persistent id unless the options keep them.
    fn check_persid(&self, code: u8, at: u64) -> Res<()> {
        match self.opts.persistent_ids {
            PersistentIds::Keep => Ok(()),
            _ => Err(err(
                ErrorKind::Forbidden,
                at,
                &format!("forbidden {}", op_name(code).unwrap_or("persistent id")),
                "a persistent id needs the program that wrote it (CPython's persistent_load); \
                 decode with DecodeOptions::persistent_ids(PersistentIds::Keep) to keep it as a node",
            )),
        }
    }

    fn global(&mut self, module: Cow<'a, str>, name: Cow<'a, str>, at: u64) -> Global<'a> {
        if self.proto < 3
            && self.opts.fix_imports
            && let Some((m, n)) = compat::to_python3(&module, &name)
        {
            if let Some(t) = &mut self.trace {
                t.renamed.push(Renamed { at, module: module.clone().into_owned(), name: name.clone().into_owned() });
            }
            return Global { module: Cow::Borrowed(m), name: n.map(Cow::Borrowed).unwrap_or(name) };
        }
        Global { module, name }
    }

    /// Rejects a class or callable that cannot be one: None, a number, a
    /// str, bytes or a container, where CPython raises TypeError. A global,
    /// an object (what a reduction returned), a persistent id or an
    /// extension may stand for a class, so those pass.
    fn check_callable(&self, class: Item, code: u8, at: u64) -> Res<()> {
        match self.value.get(class) {
            Some(Node::Global(_) | Node::Object(_) | Node::PersId(_) | Node::Ext(_)) => Ok(()),
            _ => Err(err(
                ErrorKind::InvalidStructure,
                at,
                &format!("bad {}", op_name(code).unwrap_or("opcode")),
                format_args!("a value of type {} cannot be called", self.value.type_name(class)),
            )),
        }
    }

    /// INST and OBJ: `class(*args)` with arguments, `class.__new__(class)`
    /// without (for a class that is a type, which is what picklers write).
    fn instantiate(&mut self, class: Item, args: Vec<Item>, at: u64) -> Res<()> {
        let construct = if args.is_empty() { Construct::New } else { Construct::Call };
        self.push_node(Node::Object(Box::new(Object::new(class, construct, args))), at)
    }

    fn extend_list(&mut self, target: Item, items: impl Iterator<Item = Item>, code: u8, at: u64) -> Res<()> {
        if self.is_stream_root(target) && self.stream.as_ref().is_some_and(|s| !s.sink.wants_dict()) {
            self.scratch.clear();
            self.scratch.extend(items);
            // The items' conversion shares what the graph left of the budget.
            self.grow_budget_for_reader(at);
            if let Some(s) = &mut self.stream {
                s.consumed = true;
                s.pending = true;
                self.value.set_typed_budget(self.budget.saturating_sub(self.used));
                s.sink.items(&self.value, target, &self.scratch).map_err(|e| s.give_up(e))?;
            }
            return Ok(());
        }
        if self.trace.is_some() && !matches!(self.value.get(target), Some(Node::List(_))) {
            self.note_event(code, at, target);
        }
        self.touch(target);
        let max = self.opts.limits.max_container_len;
        let kind = self.value.type_name(target);
        let list = match self.value.get_mut(target) {
            Some(Node::List(list)) => list,
            Some(Node::Object(obj)) => &mut obj.list_items,
            _ => return Err(wrong_target(code, at, kind)),
        };
        list.extend(items);
        if list.len() > max {
            return Err(too_long(at, max));
        }
        Ok(())
    }

    fn extend_dict(&mut self, target: Item, pairs: impl Iterator<Item = (Item, Item)>, code: u8, at: u64) -> Res<()> {
        if self.is_stream_root(target) && self.stream.as_ref().is_some_and(|s| s.sink.wants_dict()) {
            let pairs: Vec<(Item, Item)> = pairs.collect();
            self.grow_budget_for_reader(at);
            if let Some(s) = &mut self.stream {
                s.consumed = true;
                s.pending = true;
                self.value.set_typed_budget(self.budget.saturating_sub(self.used));
                s.sink.pairs(&self.value, target, &pairs).map_err(|e| s.give_up(e))?;
            }
            return Ok(());
        }
        if self.trace.is_some() && !matches!(self.value.get(target), Some(Node::Dict(_))) {
            self.note_event(code, at, target);
        }
        self.touch(target);
        let max = self.opts.limits.max_container_len;
        let kind = self.value.type_name(target);
        let dict = match self.value.get_mut(target) {
            Some(Node::Dict(dict)) => dict,
            Some(Node::Object(obj)) => &mut obj.dict_items,
            _ => return Err(wrong_target(code, at, kind)),
        };
        dict.extend(pairs);
        if dict.len() > max {
            return Err(too_long(at, max));
        }
        Ok(())
    }

    fn extend_set(&mut self, target: Item, items: impl Iterator<Item = Item>, code: u8, at: u64) -> Res<()> {
        if self.trace.is_some() && !matches!(self.value.get(target), Some(Node::Set(_))) {
            self.note_event(code, at, target);
        }
        self.touch(target);
        let max = self.opts.limits.max_container_len;
        let kind = self.value.type_name(target);
        let set = match self.value.get_mut(target) {
            Some(Node::Set(set)) => set,
            Some(Node::Object(obj)) => &mut obj.set_items,
            _ => return Err(wrong_target(code, at, kind)),
        };
        set.extend(items);
        if set.len() > max {
            return Err(too_long(at, max));
        }
        Ok(())
    }
}
