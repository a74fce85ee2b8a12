//! Python's `collections`: [`OrderedDict`], [`DefaultDict`], [`Counter`]
//! and [`Deque`] write the real Python types back; plain Rust maps and
//! sequences also read them (a `HashMap` reads an `OrderedDict`, a
//! `VecDeque` a `deque`, a tuple a namedtuple).
//!
//! Writing calls the public constructors, which every CPython from 3.8
//! loads: `OrderedDict({...})` (a dict keeps its order), `defaultdict(factory,
//! {...})`, `Counter({...})` and `deque([...], maxlen)`. Reading accepts
//! those and CPython's own forms (an empty constructor, then `SETITEMS` or
//! `APPENDS`).
//!
//! ```
//! use pickle_core::collections::{Deque, OrderedDict};
//!
//! let d = OrderedDict(vec![("b".to_string(), 1), ("a".to_string(), 2)]);
//! let bytes = pickle_core::to_vec(&d)?; // OrderedDict([('b', 1), ('a', 2)])
//! assert_eq!(pickle_core::from_slice::<OrderedDict<String, i64>>(&bytes)?, d);
//! let q = Deque { items: [1, 2, 3].into(), maxlen: Some(5) };
//! let bytes = pickle_core::to_vec(&q)?; // deque([1, 2, 3], maxlen=5)
//! assert_eq!(pickle_core::from_slice::<Deque<i32>>(&bytes)?, q);
//! # Ok::<(), pickle_core::Error>(())
//! ```

use std::collections::VecDeque;

use crate::de::collections::deque_maxlen;
use crate::de::{Context, FromPickle};
use crate::error::Result;
use crate::pyclass::{PyModuleBuilder, PyType, TypeHint};
use crate::ser::{Encoder, ToPickle};
use crate::value::{Global, Item};

/// `collections.OrderedDict`, as its pairs in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct OrderedDict<K, V>(pub Vec<(K, V)>);

/// `collections.defaultdict`: its `default_factory` (a class or function
/// such as `builtins.list`, or `None`) and its pairs in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct DefaultDict<K, V> {
    /// `default_factory`: `None`, or the global it names.
    pub factory: Option<Global<'static>>,
    /// The pairs, in order.
    pub items: Vec<(K, V)>,
}

/// `collections.Counter`, as its `(element, count)` pairs in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Counter<K>(pub Vec<(K, i64)>);

/// `collections.deque`, with its `maxlen`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Deque<T> {
    /// The items, left to right.
    pub items: VecDeque<T>,
    /// `maxlen`, `None` for an unbounded deque.
    pub maxlen: Option<usize>,
}

/// `collections.<class>(<args written by write>)`.
fn call(
    enc: &mut Encoder<'_>,
    class: &'static str,
    n: usize,
    write: impl FnOnce(&mut Encoder<'_>) -> Result<()>,
) -> Result<()> {
    enc.write_class("collections", class)?;
    enc.write_tuple_raw(n, write)?;
    enc.write_reduce()
}

impl<K: ToPickle, V: ToPickle> ToPickle for OrderedDict<K, V> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        call(enc, "OrderedDict", 1, |enc| enc.write_dict(self.0.iter().map(|(k, v)| (k, v))))
    }
}

impl<K: ToPickle, V: ToPickle> ToPickle for DefaultDict<K, V> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        call(enc, "defaultdict", 2, |enc| {
            match &self.factory {
                Some(g) => enc.write_global(&g.module, &g.name)?,
                None => enc.write_none()?,
            }
            enc.write_dict(self.items.iter().map(|(k, v)| (k, v)))
        })
    }
}

impl<K: ToPickle> ToPickle for Counter<K> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        call(enc, "Counter", 1, |enc| enc.write_dict(self.0.iter().map(|(k, v)| (k, v))))
    }
}

impl<T: ToPickle> ToPickle for Deque<T> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        call(enc, "deque", 2, |enc| {
            enc.write_list(self.items.iter())?;
            match self.maxlen {
                Some(n) => enc.write_u64(n as u64),
                None => enc.write_none(),
            }
        })
    }
}

fn pairs<'a, K: FromPickle<'a>, V: FromPickle<'a>>(cx: &mut Context<'_, 'a>, item: Item) -> Result<Vec<(K, V)>> {
    cx.decode_dict(item, Vec::with_capacity, |out, k, v| out.push((k, v)))
}

impl<'a, K: FromPickle<'a>, V: FromPickle<'a>> FromPickle<'a> for OrderedDict<K, V> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        pairs(cx, item).map(OrderedDict)
    }
}

impl<'a, K: FromPickle<'a>, V: FromPickle<'a>> FromPickle<'a> for DefaultDict<K, V> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let v = cx.value();
        let factory = v
            .as_object(item)
            .filter(|o| v.as_global(o.class).is_some_and(|g| g.is("collections", "defaultdict")))
            .and_then(|o| o.args.first())
            .and_then(|&f| v.as_global(f))
            .map(|g| Global::new(g.module.to_string(), g.name.to_string()));
        Ok(DefaultDict { factory, items: pairs(cx, item)? })
    }
}

impl<'a, K: FromPickle<'a>> FromPickle<'a> for Counter<K> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        pairs(cx, item).map(Counter)
    }
}

impl<'a, T: FromPickle<'a>> FromPickle<'a> for Deque<T> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let maxlen = match deque_maxlen(cx.value(), item) {
            Some(n) => {
                Some(usize::try_from(n).map_err(|_| cx.error(item, format_args!("deque maxlen {n} is negative")))?)
            }
            None => None,
        };
        Ok(Deque { items: cx.decode(item)?, maxlen })
    }
}

macro_rules! hints {
    ($($t:ident<$($p:ident),*> => $class:literal;)*) => {$(
        impl<$($p),*> PyType for $t<$($p),*> {
            fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
                TypeHint::class("collections", $class)
            }
        }
    )*};
}

hints! {
    OrderedDict<K, V> => "OrderedDict";
    DefaultDict<K, V> => "defaultdict";
    Counter<K> => "Counter";
    Deque<T> => "deque";
}
