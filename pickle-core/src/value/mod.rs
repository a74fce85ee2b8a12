//! The value model: what a pickle can hold, as a graph, without executing
//! anything.
//!
//! A [`Value`] is an arena of [`Node`]s plus a root [`Item`]. Scalars (None,
//! bool, int, float) live inline in an `Item`; everything Python gives an
//! identity to (str, bytes, containers, objects, ...) is a node, and an
//! `Item::Node` refers to it by [`NodeId`]. A node referenced twice is one
//! Python object referenced twice, and a list may contain itself: sharing and
//! cycles are ordinary. Dropping a `Value` frees its arena in one flat pass,
//! however deeply the graph nests.

mod eq;
mod graph;
mod repr;

use std::borrow::Cow;
use std::fmt;

pub(crate) use graph::cyclic_nodes;

pub use num_bigint::BigInt;

/// The index of a node in its [`Value`]'s arena.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct NodeId(u32);

impl NodeId {
    /// The position of the node in the arena.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The id of the node at `index` of an arena (which holds fewer than
    /// 2^32 nodes).
    pub(crate) fn from_index(index: usize) -> NodeId {
        NodeId(index as u32)
    }
}

/// A reference to a value: scalars inline, everything else a node.
///
/// Equality of `Item::Node` compares node ids, which is meaningful only
/// within one `Value`; use `Value`'s `PartialEq` to compare graphs.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Item {
    /// Python's `None`.
    None,
    /// `True` or `False`.
    Bool(bool),
    /// An int that fits in an `i64`. Larger ints are [`Node::BigInt`].
    Int(i64),
    /// A float.
    Float(f64),
    /// Anything with an identity: see [`Node`].
    Node(NodeId),
}

/// A value with an identity, stored in a [`Value`]'s arena.
#[derive(Debug, Clone)]
pub enum Node<'a> {
    /// An int outside the `i64` range.
    BigInt(Box<BigInt>),
    /// `complex(re, im)`.
    Complex(f64, f64),
    /// A str. Borrowed from the input where the encoding allows.
    Str(Cow<'a, str>),
    /// A str holding lone surrogates (`'\ud800'`), as surrogatepass UTF-8.
    SurrogateStr(Cow<'a, [u8]>),
    /// `bytes`. Borrowed from the input where the encoding allows.
    Bytes(Cow<'a, [u8]>),
    /// `bytearray`.
    ByteArray(Vec<u8>),
    /// `list`.
    List(Vec<Item>),
    /// `tuple`.
    Tuple(Vec<Item>),
    /// `dict`, in insertion order. Keys may be any item.
    Dict(Vec<(Item, Item)>),
    /// `set`, in the order the pickle listed its items.
    Set(Vec<Item>),
    /// `frozenset`.
    FrozenSet(Vec<Item>),
    /// A reference to a class or function by module and qualified name.
    Global(Box<Global<'a>>),
    /// An object built by calling or instantiating a class.
    Object(Box<Object>),
    /// A persistent id (`PERSID`/`BINPERSID`): stands for an object the
    /// pickler kept outside the stream.
    PersId(Item),
    /// An extension code (`EXT1`/`EXT2`/`EXT4`) from `copyreg`'s registry.
    Ext(i32),
    /// An out-of-band buffer (`NEXT_BUFFER`, protocol 5).
    Buffer {
        /// Which out-of-band buffer, counting from 0 in stream order.
        index: u64,
        /// Whether `READONLY_BUFFER` followed it.
        readonly: bool,
    },
}

/// A class or function reference: `module.qualname`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Global<'a> {
    /// The module, e.g. `collections`.
    pub module: Cow<'a, str>,
    /// The qualified name, e.g. `OrderedDict` or `Outer.Inner`.
    pub name: Cow<'a, str>,
}

impl<'a> Global<'a> {
    /// A reference to `module.name`.
    pub fn new(module: impl Into<Cow<'a, str>>, name: impl Into<Cow<'a, str>>) -> Global<'a> {
        Global { module: module.into(), name: name.into() }
    }

    /// Whether this is `module.name`.
    pub fn is(&self, module: &str, name: &str) -> bool {
        self.module == module && self.name == name
    }

    fn into_owned(self) -> Global<'static> {
        Global { module: Cow::Owned(self.module.into_owned()), name: Cow::Owned(self.name.into_owned()) }
    }
}

impl fmt::Display for Global<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.module, self.name)
    }
}

/// How an [`Object`] is created from its class and arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Construct {
    /// `class(*args)`: `REDUCE`, or `INST`/`OBJ` with arguments.
    Call,
    /// `class.__new__(class, *args)` without `__init__`: `NEWOBJ`,
    /// `copyreg.__newobj__`, and `INST`/`OBJ` without arguments.
    New,
    /// `class.__new__(class, *args, **kwargs)`: `NEWOBJ_EX`.
    NewEx,
    /// `base.__new__(class)`, the class's own `__new__` not called: the
    /// protocol 0/1 form `copyreg._reconstructor(class, base, state)`. The
    /// one argument is the base (`builtins.object`, `list` or `dict`); a
    /// list or dict base's state is the object's list or dict items.
    Reconstruct,
}

/// An object: what `REDUCE`, `NEWOBJ`, `NEWOBJ_EX`, `INST`, `OBJ` and `BUILD`
/// build. Nothing is executed; the object records how Python would build it.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// The class or callable, usually a [`Node::Global`].
    pub class: Item,
    /// How the object is created.
    pub construct: Construct,
    /// Positional arguments.
    pub args: Vec<Item>,
    /// Keyword arguments (`NEWOBJ_EX` only).
    pub kwargs: Vec<(Item, Item)>,
    /// The state passed to `__setstate__` or merged into `__dict__` by `BUILD`.
    pub state: Option<Item>,
    /// The callable that sets `state` as `state_setter(obj, state)` in place
    /// of `BUILD`: the sixth item of a `__reduce__` (Python 3.8+), written
    /// as a call whose result is popped.
    pub state_setter: Option<Item>,
    /// Items appended to the object (`APPEND`/`APPENDS` on a list subclass).
    pub list_items: Vec<Item>,
    /// Items set on the object (`SETITEM`/`SETITEMS` on a dict subclass).
    pub dict_items: Vec<(Item, Item)>,
    /// Items added to the object (`ADDITEMS` on a set subclass).
    pub set_items: Vec<Item>,
}

impl Object {
    /// An object created by `construct` from `class` and `args`, with no
    /// state or items yet.
    pub fn new(class: Item, construct: Construct, args: Vec<Item>) -> Object {
        Object {
            class,
            construct,
            args,
            kwargs: Vec::new(),
            state: None,
            state_setter: None,
            list_items: Vec::new(),
            dict_items: Vec::new(),
            set_items: Vec::new(),
        }
    }
}

const NO_OFFSET: u64 = u64::MAX;

/// A decoded pickle: an arena of nodes and the root item.
///
/// `'a` is the lifetime of the input that strings and bytes borrow from;
/// [`into_owned`](Value::into_owned) detaches it.
///
/// ```
/// use pickle_core::{Item, Node, Value};
///
/// // [1, "two", <the list itself>]
/// let mut value = Value::new();
/// let two = value.push(Node::Str("two".into()));
/// let list = value.push(Node::List(vec![Item::Int(1), two]));
/// if let Some(Node::List(items)) = value.get_mut(list) {
///     items.push(list);
/// }
/// value.set_root(list);
/// let bytes = pickle_core::to_vec(&value)?;
/// let back: Value = pickle_core::from_slice(&bytes)?;
/// assert_eq!(back, value);
/// # Ok::<(), pickle_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Value<'a> {
    nodes: Vec<Node<'a>>,
    offsets: Vec<u64>,
    root: Item,
    /// What converting this graph into Rust values may allocate: the
    /// input's allocation budget less what the graph took; `None` for a
    /// value not decoded from an input.
    typed_budget: Option<u64>,
}

impl Default for Value<'_> {
    fn default() -> Self {
        Value::new()
    }
}

impl<'a> Value<'a> {
    /// An empty arena whose root is `None`.
    pub fn new() -> Value<'a> {
        Value { nodes: Vec::new(), offsets: Vec::new(), root: Item::None, typed_budget: None }
    }

    /// A value that is just a scalar item.
    pub fn scalar(item: Item) -> Value<'a> {
        debug_assert!(!matches!(item, Item::Node(_)), "Value::scalar takes a scalar item");
        Value { nodes: Vec::new(), offsets: Vec::new(), root: item, typed_budget: None }
    }

    /// The root item: what `pickle.loads` would return.
    pub fn root(&self) -> Item {
        self.root
    }

    /// Replaces the root item.
    pub fn set_root(&mut self, root: Item) {
        self.root = root;
    }

    /// Adds a node to the arena and returns an item that refers to it.
    ///
    /// # Panics
    /// If the arena already holds `u32::MAX` nodes.
    pub fn push(&mut self, node: Node<'a>) -> Item {
        self.push_at(node, NO_OFFSET).unwrap_or_else(|| panic!("a Value holds at most {} nodes", u32::MAX))
    }

    /// Adds a node created by the opcode at `offset`; `None` when the arena is full.
    #[inline]
    pub(crate) fn push_at(&mut self, node: Node<'a>, offset: u64) -> Option<Item> {
        let id = u32::try_from(self.nodes.len()).ok().filter(|&id| id != u32::MAX)?;
        self.nodes.push(node);
        self.offsets.push(offset);
        Some(Item::Node(NodeId(id)))
    }

    /// The node behind an id.
    ///
    /// # Panics
    /// If `id` is not from this value.
    pub fn node(&self, id: NodeId) -> &Node<'a> {
        &self.nodes[id.index()]
    }

    /// The node behind an id, to change it.
    ///
    /// # Panics
    /// If `id` is not from this value.
    pub fn node_mut(&mut self, id: NodeId) -> &mut Node<'a> {
        &mut self.nodes[id.index()]
    }

    /// The node an item refers to, or `None` for a scalar or a foreign id.
    pub fn get(&self, item: Item) -> Option<&Node<'a>> {
        match item {
            Item::Node(id) => self.nodes.get(id.index()),
            _ => None,
        }
    }

    /// The node an item refers to, to change it.
    pub fn get_mut(&mut self, item: Item) -> Option<&mut Node<'a>> {
        match item {
            Item::Node(id) => self.nodes.get_mut(id.index()),
            _ => None,
        }
    }

    /// The byte offset of the opcode that created a node, for a decoded value.
    #[inline]
    pub fn offset(&self, item: Item) -> Option<u64> {
        match item {
            Item::Node(id) => self.offsets.get(id.index()).copied().filter(|&o| o != NO_OFFSET),
            _ => None,
        }
    }

    pub(crate) fn nodes_slice(&self) -> &[Node<'a>] {
        &self.nodes
    }

    /// Frees the nodes from `len` on; the caller guarantees nothing refers
    /// to them.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.nodes.truncate(len);
        self.offsets.truncate(len);
    }

    /// How many nodes the arena holds, reachable from the root or not.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The str an item refers to, if it is a str without lone surrogates.
    pub fn as_str(&self, item: Item) -> Option<&str> {
        match self.get(item)? {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes of a `bytes` or `bytearray` item.
    pub fn as_bytes(&self, item: Item) -> Option<&[u8]> {
        match self.get(item)? {
            Node::Bytes(b) => Some(b),
            Node::ByteArray(b) => Some(b),
            _ => None,
        }
    }

    /// The items of a list.
    pub fn as_list(&self, item: Item) -> Option<&[Item]> {
        match self.get(item)? {
            Node::List(items) => Some(items),
            _ => None,
        }
    }

    /// The items of a tuple.
    pub fn as_tuple(&self, item: Item) -> Option<&[Item]> {
        match self.get(item)? {
            Node::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// The pairs of a dict.
    pub fn as_dict(&self, item: Item) -> Option<&[(Item, Item)]> {
        match self.get(item)? {
            Node::Dict(pairs) => Some(pairs),
            _ => None,
        }
    }

    /// The value of the last pair in a dict whose key is the str `key`.
    pub fn dict_get(&self, dict: Item, key: &str) -> Option<Item> {
        let pairs = self.as_dict(dict)?;
        pairs.iter().rev().find(|(k, _)| self.as_str(*k) == Some(key)).map(|&(_, v)| v)
    }

    /// The attribute `name` of the object `item`, looked up in its state as
    /// `BUILD` would set it: a state dict, or the `(dict, slots)` tuple that
    /// slots instances (and pickle-rs's derived types) have.
    ///
    /// ```
    /// # #[derive(pickle_core::Pickle)]
    /// # struct Point { x: i64, y: i64 }
    /// let value = pickle_core::to_value(&Point { x: 1, y: 2 })?;
    /// assert_eq!(value.attr(value.root(), "y"), Some(pickle_core::Item::Int(2)));
    /// # Ok::<(), pickle_core::Error>(())
    /// ```
    pub fn attr(&self, item: Item, name: &str) -> Option<Item> {
        let state = self.as_object(item)?.state?;
        match self.as_tuple(state) {
            Some(&[dict, slots]) => self.dict_get(slots, name).or_else(|| self.dict_get(dict, name)),
            _ => self.dict_get(state, name),
        }
    }

    /// The class reference an item refers to.
    pub fn as_global(&self, item: Item) -> Option<&Global<'a>> {
        match self.get(item)? {
            Node::Global(g) => Some(g),
            _ => None,
        }
    }

    /// The object an item refers to.
    pub fn as_object(&self, item: Item) -> Option<&Object> {
        match self.get(item)? {
            Node::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The Python type name of an item, for messages: `int`, `str`, `list`, ...
    pub fn type_name(&self, item: Item) -> &'static str {
        match item {
            Item::None => "None",
            Item::Bool(_) => "bool",
            Item::Int(_) => "int",
            Item::Float(_) => "float",
            Item::Node(_) => match self.get(item) {
                Some(node) => node.type_name(),
                None => "invalid node id",
            },
        }
    }

    /// A copy of this value that borrows nothing from the input.
    pub fn into_owned(self) -> Value<'static> {
        let nodes = self.nodes.into_iter().map(Node::into_owned).collect();
        Value { nodes, offsets: self.offsets, root: self.root, typed_budget: self.typed_budget }
    }

    /// What converting this graph into Rust values may allocate (see
    /// [`Limits`](crate::Limits)); `None` when it was not decoded.
    pub(crate) fn typed_budget(&self) -> Option<u64> {
        self.typed_budget
    }

    pub(crate) fn set_typed_budget(&mut self, budget: u64) {
        self.typed_budget = Some(budget);
    }
}

impl<'a> Node<'a> {
    /// The Python type name of the node: `str`, `list`, `object`, ...
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::BigInt(_) => "int",
            Node::Complex(..) => "complex",
            Node::Str(_) | Node::SurrogateStr(_) => "str",
            Node::Bytes(_) => "bytes",
            Node::ByteArray(_) => "bytearray",
            Node::List(_) => "list",
            Node::Tuple(_) => "tuple",
            Node::Dict(_) => "dict",
            Node::Set(_) => "set",
            Node::FrozenSet(_) => "frozenset",
            Node::Global(_) => "global",
            Node::Object(_) => "object",
            Node::PersId(_) => "persistent id",
            Node::Ext(_) => "extension",
            Node::Buffer { .. } => "out-of-band buffer",
        }
    }

    /// Calls `f` on every item the node refers to, in stream order.
    pub fn for_each_child(&self, mut f: impl FnMut(Item)) {
        match self {
            Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
                items.iter().copied().for_each(f)
            }
            Node::Dict(pairs) => pairs.iter().for_each(|&(k, v)| {
                f(k);
                f(v)
            }),
            Node::Object(obj) => {
                f(obj.class);
                obj.args.iter().copied().for_each(&mut f);
                obj.kwargs.iter().for_each(|&(k, v)| {
                    f(k);
                    f(v)
                });
                obj.list_items.iter().copied().for_each(&mut f);
                obj.dict_items.iter().for_each(|&(k, v)| {
                    f(k);
                    f(v)
                });
                obj.set_items.iter().copied().for_each(&mut f);
                if let Some(state) = obj.state {
                    f(state)
                }
                if let Some(setter) = obj.state_setter {
                    f(setter)
                }
            }
            Node::PersId(pid) => f(*pid),
            Node::BigInt(_)
            | Node::Complex(..)
            | Node::Str(_)
            | Node::SurrogateStr(_)
            | Node::Bytes(_)
            | Node::ByteArray(_)
            | Node::Global(_)
            | Node::Ext(_)
            | Node::Buffer { .. } => {}
        }
    }

    /// Replaces every item the node refers to with `f(item)`.
    pub fn map_items(&mut self, mut f: impl FnMut(Item) -> Item) {
        let pair = |f: &mut dyn FnMut(Item) -> Item, p: &mut (Item, Item)| {
            p.0 = f(p.0);
            p.1 = f(p.1);
        };
        match self {
            Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
                items.iter_mut().for_each(|it| *it = f(*it))
            }
            Node::Dict(pairs) => pairs.iter_mut().for_each(|p| pair(&mut f, p)),
            Node::Object(obj) => {
                obj.class = f(obj.class);
                obj.args.iter_mut().for_each(|it| *it = f(*it));
                obj.kwargs.iter_mut().for_each(|p| pair(&mut f, p));
                obj.list_items.iter_mut().for_each(|it| *it = f(*it));
                obj.dict_items.iter_mut().for_each(|p| pair(&mut f, p));
                obj.set_items.iter_mut().for_each(|it| *it = f(*it));
                obj.state = obj.state.map(&mut f);
                obj.state_setter = obj.state_setter.map(&mut f);
            }
            Node::PersId(pid) => *pid = f(*pid),
            Node::BigInt(_)
            | Node::Complex(..)
            | Node::Str(_)
            | Node::SurrogateStr(_)
            | Node::Bytes(_)
            | Node::ByteArray(_)
            | Node::Global(_)
            | Node::Ext(_)
            | Node::Buffer { .. } => {}
        }
    }

    fn into_owned(self) -> Node<'static> {
        match self {
            Node::BigInt(b) => Node::BigInt(b),
            Node::Complex(re, im) => Node::Complex(re, im),
            Node::Str(s) => Node::Str(Cow::Owned(s.into_owned())),
            Node::SurrogateStr(s) => Node::SurrogateStr(Cow::Owned(s.into_owned())),
            Node::Bytes(b) => Node::Bytes(Cow::Owned(b.into_owned())),
            Node::ByteArray(b) => Node::ByteArray(b),
            Node::List(v) => Node::List(v),
            Node::Tuple(v) => Node::Tuple(v),
            Node::Dict(v) => Node::Dict(v),
            Node::Set(v) => Node::Set(v),
            Node::FrozenSet(v) => Node::FrozenSet(v),
            Node::Global(g) => Node::Global(Box::new(g.into_owned())),
            Node::Object(o) => Node::Object(o),
            Node::PersId(p) => Node::PersId(p),
            Node::Ext(c) => Node::Ext(c),
            Node::Buffer { index, readonly } => Node::Buffer { index, readonly },
        }
    }
}
