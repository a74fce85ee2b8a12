//! `FromPickle`: how a Rust value is built from a decoded graph, and the
//! impls for std types. The table in [`to_pickle`](crate::ToPickle) gives
//! the mapping; reading is a little more lenient than writing (a `Vec<T>`
//! reads a list or a tuple, an `f64` reads an int, `Vec<u8>` reads bytes,
//! bytearray or a list of ints).

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash};
use std::rc::Rc;
use std::sync::Arc;

use num_bigint::BigInt;

use crate::decode::DecodeOptions;
use crate::encoder::AddrMap;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;
use crate::to_pickle::{ByteArray, Bytes};
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

    /// Decodes a whole slice into `Self` without building the whole graph
    /// first, where `Self` can (a collection whose items stream in); `None`
    /// to decode the usual way.
    #[doc(hidden)]
    fn from_slice_streaming(bytes: &'a [u8], opts: &DecodeOptions) -> Option<Result<Self>> {
        let _ = (bytes, opts);
        None
    }

    /// The value for another reference to the node `previous` was built
    /// from, when `Self` shares rather than copies (`Rc`, `Arc`): streamed
    /// collections then skip converting repeated references.
    #[doc(hidden)]
    fn repeat(previous: &Self) -> Option<Self> {
        let _ = previous;
        None
    }

    /// Builds a `Vec<Self>`: from a list or tuple, except for `u8`, which also
    /// reads bytes and bytearray.
    #[doc(hidden)]
    fn vec_from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Vec<Self>> {
        let items = cx.sequence(item, "a list")?;
        let mut out = Vec::with_capacity(items.len());
        for &it in items {
            out.push(cx.decode(it)?);
        }
        Ok(out)
    }
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
    shared: SharedCache,
    open: Vec<NodeId>,
}

/// The `Rc`/`Arc` values built for shared nodes, kept across conversions of
/// one stream's items.
#[derive(Default)]
pub(crate) struct SharedCache {
    map: AddrMap<(NodeId, TypeId), Rc<dyn Any>>,
    /// The last value handed out: many references to one node (the common
    /// case) then cost a comparison instead of a hash lookup.
    last: Option<((NodeId, TypeId), Rc<dyn Any>)>,
}

impl SharedCache {
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
    pub fn new(value: &'c Value<'a>, limits: &Limits) -> Self {
        Context {
            value,
            max_recursion: limits.max_recursion,
            depth: 0,
            near: None,
            shared: SharedCache::default(),
            open: Vec::new(),
        }
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
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                self.offset_of(item),
                format!(
                    "recursion limit of {} reached while converting the value{}",
                    self.max_recursion,
                    self.at(item)
                ),
            ));
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
                Some(g) => format!("an instance of {g}"),
                None => "an object".into(),
            },
            _ => match item {
                Item::Int(i) => format!("int {i}"),
                _ => v.type_name(item).to_string(),
            },
        }
    }

    /// The items of a list, tuple, set or frozenset.
    pub fn sequence(&self, item: Item, expected: &str) -> Result<&'c [Item]> {
        match self.value.get(item) {
            Some(Node::List(v) | Node::Tuple(v) | Node::Set(v) | Node::FrozenSet(v)) => Ok(v),
            _ => Err(self.mismatch(item, expected)),
        }
    }

    /// The pairs of a dict.
    pub fn dict(&self, item: Item) -> Result<&'c [(Item, Item)]> {
        self.value.as_dict(item).ok_or_else(|| self.mismatch(item, "a dict"))
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

impl<'a> FromPickle<'a> for bool {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match item {
            Item::Bool(b) => Ok(b),
            _ => Err(cx.mismatch(item, "a bool")),
        }
    }
}

/// An int item as an i128, for the integer impls.
fn int_of(cx: &Context<'_, '_>, item: Item, ty: &str) -> Result<i128> {
    match item {
        Item::Int(i) => Ok(i128::from(i)),
        Item::Bool(b) => Ok(i128::from(b)),
        _ => match cx.value.get(item) {
            Some(Node::BigInt(b)) => {
                i128::try_from(&**b).map_err(|_| cx.error(item, format_args!("int {b} is out of range for {ty}")))
            }
            _ => Err(cx.mismatch(item, &format!("an int for {ty}"))),
        },
    }
}

macro_rules! int_impls {
    ($($t:ty),*) => {$(
        impl<'a> FromPickle<'a> for $t {
            #[inline]
            #[allow(irrefutable_let_patterns)]
            fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
                if let Item::Int(i) = item {
                    if let Ok(v) = <$t>::try_from(i) {
                        return Ok(v);
                    }
                }
                let wide = int_of(cx, item, stringify!($t))?;
                <$t>::try_from(wide)
                    .map_err(|_| cx.error(item, format_args!("int {wide} is out of range for {}", stringify!($t))))
            }
        }
    )*};
}
int_impls!(i8, i16, i32, i64, isize, u16, u32, u64, usize, i128);

impl<'a> FromPickle<'a> for u8 {
    #[inline]
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let wide = int_of(cx, item, "u8")?;
        u8::try_from(wide).map_err(|_| cx.error(item, format_args!("int {wide} is out of range for u8")))
    }

    fn vec_from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Vec<Self>> {
        match cx.value.get(item) {
            Some(Node::Bytes(b)) => Ok(b.to_vec()),
            Some(Node::ByteArray(b)) => Ok(b.clone()),
            _ => {
                let items = cx.sequence(item, "bytes, a bytearray or a list of ints")?;
                items.iter().map(|&it| cx.decode(it)).collect()
            }
        }
    }
}

impl<'a> FromPickle<'a> for u128 {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        if let Some(Node::BigInt(b)) = cx.value.get(item) {
            return u128::try_from(&**b).map_err(|_| cx.error(item, format_args!("int {b} is out of range for u128")));
        }
        let wide = int_of(cx, item, "u128")?;
        u128::try_from(wide).map_err(|_| cx.error(item, format_args!("int {wide} is out of range for u128")))
    }
}

impl<'a> FromPickle<'a> for BigInt {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match (item, cx.value.get(item)) {
            (Item::Int(i), _) => Ok(BigInt::from(i)),
            (Item::Bool(b), _) => Ok(BigInt::from(u8::from(b))),
            (_, Some(Node::BigInt(b))) => Ok((**b).clone()),
            _ => Err(cx.mismatch(item, "an int")),
        }
    }
}

impl<'a> FromPickle<'a> for f64 {
    #[inline]
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match item {
            Item::Float(x) => Ok(x),
            Item::Int(i) => Ok(i as f64),
            _ => match cx.value.get(item) {
                Some(Node::BigInt(b)) => Ok(b.to_string().parse::<f64>().unwrap_or(f64::NAN)),
                _ => Err(cx.mismatch(item, "a float")),
            },
        }
    }
}

impl<'a> FromPickle<'a> for f32 {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        f64::from_pickle(cx, item).map(|x| x as f32)
    }
}

impl<'a> FromPickle<'a> for String {
    #[inline]
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        cx.str(item).map(str::to_owned)
    }
}

impl<'a> FromPickle<'a> for &'a str {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match cx.value.get(item) {
            Some(Node::Str(Cow::Borrowed(s))) => Ok(s),
            Some(Node::Str(Cow::Owned(_))) => Err(cx.error(
                item,
                "cannot borrow this str from the input (it was unescaped or read from a reader); use String or Cow<str>",
            )),
            _ => Err(cx.str(item).err().unwrap_or_else(|| cx.mismatch(item, "a str"))),
        }
    }
}

impl<'a> FromPickle<'a> for Cow<'a, str> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match cx.value.get(item) {
            Some(Node::Str(Cow::Borrowed(s))) => Ok(Cow::Borrowed(s)),
            _ => cx.str(item).map(|s| Cow::Owned(s.to_owned())),
        }
    }
}

impl<'a> FromPickle<'a> for &'a [u8] {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match cx.value.get(item) {
            Some(Node::Bytes(Cow::Borrowed(b))) => Ok(b),
            Some(Node::Bytes(Cow::Owned(_)) | Node::ByteArray(_)) => {
                Err(cx.error(item, "cannot borrow these bytes from the input (they were copied); use Vec<u8> or Bytes"))
            }
            _ => Err(cx.mismatch(item, "bytes")),
        }
    }
}

impl<'a> FromPickle<'a> for Bytes<'a> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match cx.value.get(item) {
            Some(Node::Bytes(Cow::Borrowed(b))) => Ok(Bytes(Cow::Borrowed(b))),
            Some(Node::Bytes(Cow::Owned(b))) => Ok(Bytes(Cow::Owned(b.clone()))),
            Some(Node::ByteArray(b)) => Ok(Bytes(Cow::Owned(b.clone()))),
            _ => Err(cx.mismatch(item, "bytes")),
        }
    }
}

impl<'a> FromPickle<'a> for ByteArray {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match cx.value.get(item) {
            Some(Node::ByteArray(b)) => Ok(ByteArray(b.clone())),
            Some(Node::Bytes(b)) => Ok(ByteArray(b.to_vec())),
            _ => Err(cx.mismatch(item, "a bytearray")),
        }
    }
}

impl<'a> FromPickle<'a> for char {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let s = cx.str(item)?;
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Ok(c),
            _ => {
                Err(cx.error(item, format_args!("expected a str of one character, found one of {}", s.chars().count())))
            }
        }
    }
}

impl<'a> FromPickle<'a> for () {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match item {
            Item::None => Ok(()),
            _ => Err(cx.mismatch(item, "None")),
        }
    }
}

impl<'a, T: FromPickle<'a>> FromPickle<'a> for Option<T> {
    #[inline]
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match item {
            Item::None => Ok(None),
            _ => T::from_pickle(cx, item).map(Some),
        }
    }
}

impl<'a, T: FromPickle<'a>> FromPickle<'a> for Vec<T> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        T::vec_from_pickle(cx, item)
    }

    fn from_slice_streaming(bytes: &'a [u8], opts: &DecodeOptions) -> Option<Result<Self>> {
        crate::stream::vec_from_slice(bytes, opts)
    }
}

impl<'a, T: FromPickle<'a>> FromPickle<'a> for VecDeque<T> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        T::vec_from_pickle(cx, item).map(VecDeque::from)
    }

    fn from_slice_streaming(bytes: &'a [u8], opts: &DecodeOptions) -> Option<Result<Self>> {
        crate::stream::vec_from_slice::<T>(bytes, opts).map(|r| r.map(VecDeque::from))
    }
}

impl<'a, T: FromPickle<'a>, const N: usize> FromPickle<'a> for [T; N] {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let v = T::vec_from_pickle(cx, item)?;
        let len = v.len();
        v.try_into().map_err(|_| cx.error(item, format_args!("expected {N} items, found {len}")))
    }
}

impl<'a, T: FromPickle<'a>> FromPickle<'a> for Box<T> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        T::from_pickle(cx, item).map(Box::new)
    }
}

impl<'a, T: FromPickle<'a> + 'static> FromPickle<'a> for Rc<T> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        cx.shared(item, |cx| T::from_pickle(cx, item).map(Rc::new))
    }

    fn repeat(previous: &Self) -> Option<Self> {
        Some(Rc::clone(previous))
    }
}

impl<'a, T: FromPickle<'a> + Send + Sync + 'static> FromPickle<'a> for Arc<T> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        cx.shared(item, |cx| T::from_pickle(cx, item).map(Arc::new))
    }

    fn repeat(previous: &Self) -> Option<Self> {
        Some(Arc::clone(previous))
    }
}

macro_rules! tuple_impls {
    ($( $n:literal: ($($t:ident),+) )*) => {$(
        impl<'a, $($t: FromPickle<'a>),+> FromPickle<'a> for ($($t,)+) {
            fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
                let items = cx.sequence(item, concat!("a tuple of ", $n))?;
                if items.len() != $n {
                    return Err(cx.error(item, format_args!("expected a tuple of {}, found {} items", $n, items.len())));
                }
                let mut it = items.iter();
                Ok(($( cx.decode::<$t>(*it.next().unwrap_or(&Item::None))?, )+))
            }
        }
    )*};
}
tuple_impls! {
    1: (A)
    2: (A, B)
    3: (A, B, C)
    4: (A, B, C, D)
    5: (A, B, C, D, E)
    6: (A, B, C, D, E, F)
    7: (A, B, C, D, E, F, G)
    8: (A, B, C, D, E, F, G, H)
    9: (A, B, C, D, E, F, G, H, I)
    10: (A, B, C, D, E, F, G, H, I, J)
    11: (A, B, C, D, E, F, G, H, I, J, K)
    12: (A, B, C, D, E, F, G, H, I, J, K, L)
}

impl<'a, K, V, S> FromPickle<'a> for HashMap<K, V, S>
where
    K: FromPickle<'a> + Eq + Hash,
    V: FromPickle<'a>,
    S: BuildHasher + Default,
{
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let pairs = cx.dict(item)?;
        let mut map = HashMap::with_capacity_and_hasher(pairs.len(), S::default());
        for &(k, v) in pairs {
            map.insert(cx.decode(k)?, cx.decode(v)?);
        }
        Ok(map)
    }

    fn from_slice_streaming(bytes: &'a [u8], opts: &DecodeOptions) -> Option<Result<Self>> {
        let empty = HashMap::with_capacity_and_hasher(crate::stream::dict_capacity::<K, V>(bytes, opts), S::default());
        crate::stream::map_from_slice(bytes, opts, empty, |m, k, v| {
            m.insert(k, v);
        })
    }
}

impl<'a, K: FromPickle<'a> + Ord, V: FromPickle<'a>> FromPickle<'a> for BTreeMap<K, V> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let pairs = cx.dict(item)?;
        let mut map = BTreeMap::new();
        for &(k, v) in pairs {
            map.insert(cx.decode(k)?, cx.decode(v)?);
        }
        Ok(map)
    }

    fn from_slice_streaming(bytes: &'a [u8], opts: &DecodeOptions) -> Option<Result<Self>> {
        crate::stream::map_from_slice(bytes, opts, BTreeMap::new(), |m, k, v| {
            m.insert(k, v);
        })
    }
}

impl<'a, T, S> FromPickle<'a> for HashSet<T, S>
where
    T: FromPickle<'a> + Eq + Hash,
    S: BuildHasher + Default,
{
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let items = cx.sequence(item, "a set")?;
        let mut set = HashSet::with_capacity_and_hasher(items.len(), S::default());
        for &it in items {
            set.insert(cx.decode(it)?);
        }
        Ok(set)
    }
}

impl<'a, T: FromPickle<'a> + Ord> FromPickle<'a> for BTreeSet<T> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let items = cx.sequence(item, "a set")?;
        let mut set = BTreeSet::new();
        for &it in items {
            set.insert(cx.decode(it)?);
        }
        Ok(set)
    }
}

impl<'a> FromPickle<'a> for Value<'a> {
    /// The part of the graph reachable from `item`, as a value of its own.
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        Ok(cx.value.extract(item))
    }

    /// The whole decoded value, as it is.
    fn from_value(value: Value<'a>, _limits: &Limits) -> Result<Self> {
        Ok(value)
    }
}
