//! [`FromPickle`]: how a Rust value is built from a decoded graph, and the
//! [`Context`] it reads through. The std impls are in `impls.rs`.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::rc::Rc;

use super::input::Source;
use super::sink::direct::Direct;
use super::sink::scalars::Scalar;
use crate::error::{Error, ErrorKind, Result};
use crate::identity::AddrMap;
use crate::options::{DecodeOptions, Limits};
use crate::value::{Item, Node, NodeId, Value};

/// A Rust value that can be built from a decoded pickle.
///
/// `'a` is the lifetime of the input, so that `&'a str` and `&'a [u8]` can
/// borrow from it. Implement it with [`Context`]'s helpers, or derive it with
/// `#[derive(Pickle)]`.
pub trait FromPickle<'a>: Sized {
    /// Builds `Self` from `item` of the graph `cx` reads.
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self>;

    /// Builds `Self` from a whole decoded value.
    #[doc(hidden)]
    fn from_value(value: Value<'a>, limits: &Limits) -> Result<Self> {
        let mut cx = Context::new(&value, limits);
        cx.decode(value.root())
    }

    /// Decodes a whole input (a slice, or a reader until STOP) into `Self`
    /// without building the whole graph first, where `Self` can (a
    /// collection whose items stream in); `None` to decode the usual way,
    /// after reading nothing or after giving up (`stream.rs`).
    #[doc(hidden)]
    fn from_stream(src: &mut Source<'_, 'a>, opts: &DecodeOptions) -> Option<Result<Self>> {
        let _ = (src, opts);
        None
    }

    /// Builds `Self` from a str read straight from the input, with no graph
    /// node (a streamed collection's scalars; see `sink/scalars.rs`), where
    /// `Self` is text; `None` to read the str the usual way. The result must
    /// be what [`from_pickle`](FromPickle::from_pickle) builds from the
    /// same str.
    #[doc(hidden)]
    #[inline]
    fn from_input_str(s: &'a str) -> Option<Self> {
        let _ = s;
        None
    }

    /// Builds `Self` straight from the opcodes `rd` is at, with no graph
    /// node (the items of a streamed collection; see `sink/direct.rs`), or
    /// `None` when they are not a shape `Self` reads this way. `None` may
    /// leave `rd` anywhere: the whole batch is then read the usual way. What
    /// it builds must be what [`from_pickle`](FromPickle::from_pickle)
    /// builds from the same opcodes. By default, a scalar.
    #[doc(hidden)]
    #[inline(always)]
    fn from_direct(rd: &mut Direct<'_, '_, 'a>) -> Option<Self> {
        rd.scalar()
    }

    /// Builds a `Vec<Self>` straight from the opcodes (see
    /// [`from_direct`](FromPickle::from_direct)): a list.
    #[doc(hidden)]
    #[inline]
    fn vec_from_direct(rd: &mut Direct<'_, '_, 'a>) -> Option<Vec<Self>> {
        rd.list()
    }

    /// The value for another reference to the node `previous` was built
    /// from, when `Self` shares rather than copies (`Rc`, `Arc`): streamed
    /// collections then skip converting repeated references.
    #[doc(hidden)]
    fn repeat(previous: &Self) -> Option<Self> {
        let _ = previous;
        None
    }

    /// Appends `n` more references to what `previous` was built from (see
    /// [`repeat`](FromPickle::repeat)), into room `out` already has: whether
    /// all `n` were appended.
    #[doc(hidden)]
    fn repeat_into(previous: &Self, n: usize, out: &mut Vec<Self>) -> bool {
        let len = out.len() + n;
        out.extend(std::iter::repeat_n((), n).map_while(|()| Self::repeat(previous)));
        out.len() == len
    }

    /// Builds a `Vec<Self>`: from a list or tuple, except for `u8`, which also
    /// reads bytes and bytearray.
    #[doc(hidden)]
    fn vec_from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Vec<Self>> {
        let items = cx.sequence(item, "a list")?;
        cx.charge(item, items.len().saturating_mul(size_of::<Self>()))?;
        let mut out = Vec::with_capacity(items.len());
        for &it in items.iter() {
            out.push(cx.decode(it)?);
        }
        Ok(out)
    }
}

/// What a hash table of `n` entries of `entry` bytes allocates: hashbrown's
/// buckets (a power of two at 7/8 load) and a control byte each.
pub(crate) fn hash_table_bytes(n: usize, entry: usize) -> usize {
    if n == 0 {
        return 0;
    }
    let buckets = (n.saturating_mul(8) / 7).max(4).checked_next_power_of_two().unwrap_or(usize::MAX);
    buckets.saturating_mul(entry + 1)
}

/// A type that can be built from a pickle without borrowing from the input,
/// as `from_reader` needs.
pub trait FromPickleOwned: for<'a> FromPickle<'a> {}
impl<T> FromPickleOwned for T where T: for<'a> FromPickle<'a> {}

/// What `FromPickle` impls read through: the graph, the recursion limit,
/// and the `Rc`/`Arc` values already built for shared nodes.
pub struct Context<'c, 'a> {
    value: &'c Value<'a>,
    max_recursion: usize,
    depth: usize,
    /// The offset of the innermost node being converted, for errors about
    /// scalars (which carry no offset of their own).
    near: Option<u64>,
    /// What conversion may allocate in all (see [`Context::new`]).
    budget: u64,
    shared: SharedCache,
    open: Vec<NodeId>,
}

/// The `Rc`/`Arc` values built for shared nodes, and the allocation budget
/// left, kept across conversions of one stream's items.
#[derive(Default)]
pub(crate) struct SharedCache {
    /// The bytes conversions have allocated so far (net of refunds).
    used: u64,
    map: AddrMap<(NodeId, TypeId), Rc<dyn Any>>,
    /// The last value handed out: many references to one node (the common
    /// case) then cost a comparison instead of a hash lookup.
    last: Option<((NodeId, TypeId), Rc<dyn Any>)>,
}

impl SharedCache {
    /// An empty cache whose conversions have already allocated `used` bytes.
    pub(crate) fn charged(used: u64) -> SharedCache {
        SharedCache { used, ..SharedCache::default() }
    }

    /// Forgets the values of nodes at `floor` and above, which the arena
    /// has freed (their ids will be reused).
    pub(crate) fn forget_from(&mut self, floor: usize) {
        if !self.map.is_empty() {
            self.map.retain(|(id, _), _| id.index() < floor);
        }
        if self.last.as_ref().is_some_and(|((id, _), _)| id.index() >= floor) {
            self.last = None;
        }
    }
}

impl std::fmt::Debug for Context<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("depth", &self.depth).field("near", &self.near).finish()
    }
}

impl<'c, 'a> Context<'c, 'a> {
    /// A context over `value`, with the recursion limit of `limits`.
    ///
    /// What the conversion allocates (every `Vec`, `String`, map and array
    /// it builds, each copy of a shared node included) is charged against
    /// the allocation budget of the input `value` was decoded from, less
    /// what the graph itself took; for a value not decoded from an input,
    /// against `limits.max_alloc`. Exceeding it is
    /// [`ErrorKind::LimitExceeded`] at the offset of the value being built.
    pub fn new(value: &'c Value<'a>, limits: &Limits) -> Self {
        Context {
            value,
            max_recursion: limits.max_recursion,
            depth: 0,
            near: None,
            budget: value.typed_budget().unwrap_or(limits.max_alloc),
            shared: SharedCache::default(),
            open: Vec::new(),
        }
    }

    /// Charges `bytes` that building the value of `item` allocates against
    /// the allocation budget; [`ErrorKind::LimitExceeded`] when it is spent.
    /// Every collection and string impl calls it before allocating, so a
    /// node shared a million times cannot be copied a million times.
    #[inline]
    pub fn charge(&mut self, item: Item, bytes: usize) -> Result<()> {
        let used = self.shared.used.saturating_add(bytes as u64);
        if used > self.budget {
            return Err(self.over_budget(item, bytes));
        }
        self.shared.used = used;
        Ok(())
    }

    /// Charges `bytes` as [`charge`](Context::charge) does, with no error
    /// made: whether they fit the budget (the direct path declines if not).
    #[inline]
    pub(crate) fn try_charge(&mut self, bytes: usize) -> bool {
        let used = self.shared.used.saturating_add(bytes as u64);
        let fits = used <= self.budget;
        if fits {
            self.shared.used = used;
        }
        fits
    }

    /// `T` from a scalar read straight from the input (sink/direct.rs), or
    /// `None` when `T` does not take it. A str was charged as it was read.
    #[inline(always)]
    pub(crate) fn scalar<T: FromPickle<'a>>(&mut self, s: Scalar<'a>) -> Option<T> {
        match s {
            // A scalar has no offset and nothing inside it to recurse into:
            // no need for `decode`'s bookkeeping.
            Scalar::Item(item) => T::from_pickle(self, item).ok(),
            Scalar::Str(b) => T::from_input_str(Scalar::text(b)?),
        }
    }

    /// What conversions have charged so far, to go back to with
    /// [`uncharge_to`](Context::uncharge_to) when direct reading backs off.
    pub(crate) fn charged_so_far(&self) -> u64 {
        self.shared.used
    }

    pub(crate) fn uncharge_to(&mut self, used: u64) {
        self.shared.used = used;
    }

    /// Gives back `bytes` charged for a buffer that has been freed (the old
    /// buffer of a vector that grew).
    pub(crate) fn refund(&mut self, bytes: usize) {
        self.shared.used = self.shared.used.saturating_sub(bytes as u64);
    }

    #[cold]
    fn over_budget(&self, item: Item, bytes: usize) -> Error {
        Error::new(
            ErrorKind::LimitExceeded,
            self.offset_of(item),
            format!(
                "allocation limit exceeded{}: converting the value would allocate {bytes} bytes more than the \
                 {} left of the input's allocation budget",
                self.at(item),
                self.budget.saturating_sub(self.shared.used)
            ),
        )
    }

    /// A context for the items of `container` that reuses the shared values
    /// of an earlier one: errors about scalar items name the container's
    /// offset, as they do when the container itself is converted.
    pub(crate) fn with_cache(value: &'c Value<'a>, container: Item, limits: &Limits, cache: SharedCache) -> Self {
        let mut cx = Context::new(value, limits);
        cx.shared = cache;
        cx.near = value.offset(container);
        cx.depth = 1;
        cx
    }

    /// The shared values built so far, for the next context.
    pub(crate) fn into_cache(self) -> SharedCache {
        self.shared
    }

    /// The graph being read.
    pub fn value(&self) -> &'c Value<'a> {
        self.value
    }

    /// Builds a `T` from `item`, counting the recursion.
    #[inline]
    pub fn decode<T: FromPickle<'a>>(&mut self, item: Item) -> Result<T> {
        if self.depth >= self.max_recursion {
            return Err(self.too_deep(item));
        }
        self.depth += 1;
        let saved = self.near;
        if let Some(off) = self.value.offset(item) {
            self.near = Some(off);
        }
        let result = T::from_pickle(self, item);
        self.near = saved;
        self.depth -= 1;
        result
    }

    #[cold]
    #[inline(never)]
    fn too_deep(&self, item: Item) -> Error {
        Error::new(
            ErrorKind::LimitExceeded,
            self.offset_of(item),
            format!("recursion limit of {} reached while converting the value{}", self.max_recursion, self.at(item)),
        )
    }

    fn offset_of(&self, item: Item) -> Option<u64> {
        self.value.offset(item).or(self.near)
    }

    /// " at byte N" or " inside the value at byte N", for messages.
    fn at(&self, item: Item) -> String {
        match (self.value.offset(item), self.near) {
            (Some(off), _) => format!(" at byte {off}"),
            (None, Some(off)) => format!(" inside the value at byte {off}"),
            (None, None) => String::new(),
        }
    }

    /// A [`ErrorKind::Mismatch`] error: "expected {expected}, found {type} at byte N".
    #[cold]
    pub fn mismatch(&self, item: Item, expected: &str) -> Error {
        let found = self.describe(item);
        Error::new(
            ErrorKind::Mismatch,
            self.offset_of(item),
            format!("expected {expected}, found {found}{}", self.at(item)),
        )
    }

    /// A [`ErrorKind::Mismatch`] error about `item` with a message of the caller's.
    #[cold]
    pub fn error(&self, item: Item, message: impl std::fmt::Display) -> Error {
        Error::new(ErrorKind::Mismatch, self.offset_of(item), format!("{message}{}", self.at(item)))
    }

    /// A short description of an item for messages: its type, and for
    /// objects and globals, the class.
    pub fn describe(&self, item: Item) -> String {
        let v = self.value;
        match v.get(item) {
            Some(Node::Global(g)) => format!("global {g}"),
            Some(Node::Object(obj)) => match v.as_global(obj.class) {
                Some(_) if let Some(Ok((dt, _))) = super::dtype::scalar_parts(v, item) => {
                    format!("a numpy {} scalar", dt.name())
                }
                Some(g) => format!("an instance of {g}"),
                None => "an object".into(),
            },
            _ => match item {
                Item::Int(i) => format!("int {i}"),
                _ => v.type_name(item).to_string(),
            },
        }
    }

    /// The items of a list, tuple, set or frozenset, and of the sequences
    /// of `collections` that hold their items in order: a `deque` and a
    /// namedtuple (borrowed from the graph except for a deque given both
    /// initial items and appended ones).
    pub fn sequence(&self, item: Item, expected: &str) -> Result<Cow<'c, [Item]>> {
        super::collections::items(self.value, item).ok_or_else(|| self.mismatch(item, expected))
    }

    /// The pairs of a dict, in order, and of the mappings of `collections`
    /// that are dicts: an `OrderedDict`, a `defaultdict` and a `Counter`.
    pub fn dict(&self, item: Item) -> Result<Cow<'c, [(Item, Item)]>> {
        super::collections::pairs(self.value, item).ok_or_else(|| self.mismatch(item, "a dict"))
    }

    /// Builds a map from the pairs of a dict (or `OrderedDict`, ...): `new`
    /// makes it for the number of pairs, `insert` adds each decoded pair in
    /// order.
    pub fn decode_dict<M, K, V>(
        &mut self,
        item: Item,
        new: impl FnOnce(usize) -> M,
        mut insert: impl FnMut(&mut M, K, V),
    ) -> Result<M>
    where
        K: FromPickle<'a>,
        V: FromPickle<'a>,
    {
        let pairs = self.dict(item)?;
        self.charge(item, pairs.len().saturating_mul(size_of::<(K, V)>()))?;
        let mut map = new(pairs.len());
        for &(k, v) in pairs.iter() {
            let k = self.decode(k)?;
            insert(&mut map, k, self.decode(v)?);
        }
        Ok(map)
    }

    /// Builds a collection from the items of a sequence (see
    /// [`sequence`](Context::sequence)): `new` makes it for the number of
    /// items, `insert` adds each decoded item in order.
    pub fn decode_items<M, T: FromPickle<'a>>(
        &mut self,
        item: Item,
        expected: &str,
        new: impl FnOnce(usize) -> M,
        mut insert: impl FnMut(&mut M, T),
    ) -> Result<M> {
        let items = self.sequence(item, expected)?;
        self.charge(item, items.len().saturating_mul(size_of::<T>()))?;
        let mut out = new(items.len());
        for &it in items.iter() {
            insert(&mut out, self.decode(it)?);
        }
        Ok(out)
    }

    /// The str an item holds.
    pub fn str(&self, item: Item) -> Result<&'c str> {
        match self.value.get(item) {
            Some(Node::Str(s)) => Ok(s),
            Some(Node::SurrogateStr(_)) => {
                Err(self.error(item, "the str holds lone surrogates, which Rust strings cannot"))
            }
            _ => Err(self.mismatch(item, "a str")),
        }
    }

    /// Builds or reuses the value for a shared node: a node seen before gives
    /// back a clone of what was built (for `Rc`/`Arc`, the same allocation).
    /// Scalars have no identity and are built each time.
    pub fn shared<T: Clone + 'static>(&mut self, item: Item, build: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let Item::Node(id) = item else { return build(self) };
        let key = (id, TypeId::of::<T>());
        if let Some((last, done)) = &self.shared.last
            && *last == key
            && let Some(done) = done.downcast_ref::<T>()
        {
            return Ok(done.clone());
        }
        if let Some(entry) = self.shared.map.get(&key)
            && let Some(done) = entry.downcast_ref::<T>()
        {
            let done = done.clone();
            self.shared.last = Some((key, Rc::clone(entry)));
            return Ok(done);
        }
        if self.open.contains(&id) {
            return Err(self.error(item, "the value contains itself, which Rc and Arc cannot express"));
        }
        self.open.push(id);
        let built = build(self);
        self.open.pop();
        let built = built?;
        let entry: Rc<dyn Any> = Rc::new(built.clone());
        self.shared.map.insert(key, Rc::clone(&entry));
        self.shared.last = Some((key, entry));
        Ok(built)
    }
}
