//! [`FromPickle`] for std types. The table in `ser/impls.rs` gives the
//! mapping; reading is a little more lenient than writing (a `Vec<T>`
//! reads a list or a tuple, an `f64` reads an int, `Vec<u8>` reads bytes,
//! bytearray or a list of ints).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash};
use std::rc::Rc;
use std::sync::Arc;

use num_bigint::BigInt;

use super::dtype::Scalar;
use super::from_pickle::{Context, FromPickle, hash_table_bytes};
use super::input::Source;
use super::numpy;
use super::sink::direct::Direct;
use super::stream;
use crate::error::Result;
use crate::format::opcodes as op;
use crate::options::{DecodeOptions, Limits};
use crate::value::{Item, Node, Value};

impl<'a> FromPickle<'a> for bool {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match item {
            Item::Bool(b) => Ok(b),
            _ => match numpy::scalar(cx, item, "a bool") {
                Some(Ok(Scalar::Bool(b))) => Ok(b),
                Some(Err(e)) => Err(e),
                _ => Err(cx.mismatch(item, "a bool")),
            },
        }
    }
}

/// An int item as an i128, for the integer impls.
fn int_of(cx: &Context<'_, '_>, item: Item, ty: &str) -> Result<i128> {
    match item {
        Item::Int(i) => Ok(i128::from(i)),
        Item::Bool(b) => Ok(i128::from(b)),
        _ => match cx.value().get(item) {
            Some(Node::BigInt(b)) => {
                i128::try_from(&**b).map_err(|_| cx.error(item, format_args!("int {b} is out of range for {ty}")))
            }
            _ => match numpy::scalar(cx, item, &format!("an int for {ty}")) {
                Some(Ok(Scalar::Int(i))) => Ok(i),
                Some(Ok(Scalar::Bool(b))) => Ok(i128::from(b)),
                Some(Err(e)) => Err(e),
                _ => Err(cx.mismatch(item, &format!("an int for {ty}"))),
            },
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

            #[inline(always)]
            fn from_direct(rd: &mut Direct<'_, '_, 'a>) -> Option<Self> {
                match rd.int() {
                    Some(i) => <$t>::try_from(i).ok(),
                    None => rd.scalar(),
                }
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
        match cx.value().get(item) {
            Some(Node::Bytes(b)) => {
                cx.charge(item, b.len())?;
                Ok(b.to_vec())
            }
            Some(Node::ByteArray(b)) => {
                cx.charge(item, b.len())?;
                Ok(b.clone())
            }
            _ => {
                let items = cx.sequence(item, "bytes, a bytearray or a list of ints")?;
                cx.charge(item, items.len())?;
                items.iter().map(|&it| cx.decode(it)).collect()
            }
        }
    }
}

impl<'a> FromPickle<'a> for u128 {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        if let Some(Node::BigInt(b)) = cx.value().get(item) {
            return u128::try_from(&**b).map_err(|_| cx.error(item, format_args!("int {b} is out of range for u128")));
        }
        let wide = int_of(cx, item, "u128")?;
        u128::try_from(wide).map_err(|_| cx.error(item, format_args!("int {wide} is out of range for u128")))
    }
}

impl<'a> FromPickle<'a> for BigInt {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match (item, cx.value().get(item)) {
            (Item::Int(i), _) => Ok(BigInt::from(i)),
            (Item::Bool(b), _) => Ok(BigInt::from(u8::from(b))),
            (_, Some(Node::BigInt(b))) => {
                cx.charge(item, b.bits().div_ceil(8) as usize)?;
                Ok((**b).clone())
            }
            _ => int_of(cx, item, "BigInt").map(BigInt::from),
        }
    }
}

impl<'a> FromPickle<'a> for f64 {
    #[inline(always)]
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match item {
            Item::Float(x) => Ok(x),
            Item::Int(i) => Ok(i as f64),
            _ => float_of_node(cx, item),
        }
    }

    #[inline(always)]
    fn from_direct(rd: &mut Direct<'_, '_, 'a>) -> Option<Self> {
        rd.float().or_else(|| rd.scalar())
    }
}

/// A float from a node (a big int, a NumPy scalar), out of line so that
/// the common case inlines.
#[inline(never)]
fn float_of_node(cx: &mut Context<'_, '_>, item: Item) -> Result<f64> {
    match cx.value().get(item) {
        Some(Node::BigInt(b)) => Ok(b.to_string().parse::<f64>().unwrap_or(f64::NAN)),
        _ => match numpy::scalar(cx, item, "a float") {
            Some(Ok(Scalar::Float(x))) => Ok(x),
            Some(Ok(Scalar::Int(i))) => Ok(i as f64),
            Some(Err(e)) => Err(e),
            _ => Err(cx.mismatch(item, "a float")),
        },
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
        let s = cx.str(item)?;
        cx.charge(item, s.len())?;
        Ok(s.to_owned())
    }

    #[inline]
    fn from_input_str(s: &'a str) -> Option<Self> {
        Some(s.to_owned())
    }

    #[inline(always)]
    fn from_direct(rd: &mut Direct<'_, '_, 'a>) -> Option<Self> {
        match rd.short_text() {
            Some(s) => Some(s.to_owned()),
            None => rd.scalar(),
        }
    }
}

impl<'a> FromPickle<'a> for &'a str {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match cx.value().get(item) {
            Some(Node::Str(Cow::Borrowed(s))) => Ok(s),
            Some(Node::Str(Cow::Owned(_))) => Err(cx.error(
                item,
                "cannot borrow this str from the input (it was unescaped or read from a reader); use String or Cow<str>",
            )),
            _ => Err(cx.str(item).err().unwrap_or_else(|| cx.mismatch(item, "a str"))),
        }
    }

    #[inline]
    fn from_input_str(s: &'a str) -> Option<Self> {
        Some(s)
    }
}

impl<'a> FromPickle<'a> for Cow<'a, str> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match cx.value().get(item) {
            Some(Node::Str(Cow::Borrowed(s))) => Ok(Cow::Borrowed(s)),
            _ => {
                let s = cx.str(item)?;
                cx.charge(item, s.len())?;
                Ok(Cow::Owned(s.to_owned()))
            }
        }
    }

    #[inline]
    fn from_input_str(s: &'a str) -> Option<Self> {
        Some(Cow::Borrowed(s))
    }
}

impl<'a> FromPickle<'a> for &'a [u8] {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match cx.value().get(item) {
            Some(Node::Bytes(Cow::Borrowed(b))) => Ok(b),
            Some(Node::Bytes(Cow::Owned(_)) | Node::ByteArray(_)) => {
                Err(cx.error(item, "cannot borrow these bytes from the input (they were copied); use Vec<u8> or Bytes"))
            }
            _ => Err(cx.mismatch(item, "bytes")),
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

    #[inline]
    fn from_input_str(s: &'a str) -> Option<Self> {
        T::from_input_str(s).map(Some)
    }

    #[inline]
    fn from_direct(rd: &mut Direct<'_, '_, 'a>) -> Option<Self> {
        if rd.eat(op::NONE) { Some(None) } else { T::from_direct(rd).map(Some) }
    }
}

impl<'a, T: FromPickle<'a>> FromPickle<'a> for Vec<T> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        T::vec_from_pickle(cx, item)
    }

    #[inline]
    fn from_direct(rd: &mut Direct<'_, '_, 'a>) -> Option<Self> {
        T::vec_from_direct(rd)
    }

    fn from_stream(src: &mut Source<'_, 'a>, opts: &DecodeOptions) -> Option<Result<Self>> {
        stream::vec_from_stream(src, opts)
    }
}

impl<'a, T: FromPickle<'a>> FromPickle<'a> for VecDeque<T> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        T::vec_from_pickle(cx, item).map(VecDeque::from)
    }

    fn from_direct(rd: &mut Direct<'_, '_, 'a>) -> Option<Self> {
        T::vec_from_direct(rd).map(VecDeque::from)
    }

    fn from_stream(src: &mut Source<'_, 'a>, opts: &DecodeOptions) -> Option<Result<Self>> {
        stream::vec_from_stream::<T>(src, opts).map(|r| r.map(VecDeque::from))
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
        cx.charge(item, size_of::<T>())?;
        T::from_pickle(cx, item).map(Box::new)
    }

    fn from_direct(rd: &mut Direct<'_, '_, 'a>) -> Option<Self> {
        rd.charge(size_of::<T>())?;
        T::from_direct(rd).map(Box::new)
    }
}

impl<'a, T: FromPickle<'a> + 'static> FromPickle<'a> for Rc<T> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        cx.shared(item, |cx| {
            cx.charge(item, size_of::<T>())?;
            T::from_pickle(cx, item).map(Rc::new)
        })
    }

    fn repeat(previous: &Self) -> Option<Self> {
        Some(Rc::clone(previous))
    }

    fn repeat_into(previous: &Self, n: usize, out: &mut Vec<Self>) -> bool {
        out.extend(std::iter::repeat_n(Rc::clone(previous), n));
        true
    }
}

impl<'a, T: FromPickle<'a> + Send + Sync + 'static> FromPickle<'a> for Arc<T> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        cx.shared(item, |cx| {
            cx.charge(item, size_of::<T>())?;
            T::from_pickle(cx, item).map(Arc::new)
        })
    }

    fn repeat(previous: &Self) -> Option<Self> {
        Some(Arc::clone(previous))
    }

    fn repeat_into(previous: &Self, n: usize, out: &mut Vec<Self>) -> bool {
        out.extend(std::iter::repeat_n(Arc::clone(previous), n));
        true
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
        let n = cx.dict(item)?.len();
        cx.charge(item, hash_table_bytes(n, size_of::<(K, V)>()))?;
        cx.decode_dict(
            item,
            |n| HashMap::with_capacity_and_hasher(n, S::default()),
            |m, k, v| {
                m.insert(k, v);
            },
        )
    }

    fn from_stream(src: &mut Source<'_, 'a>, opts: &DecodeOptions) -> Option<Result<Self>> {
        stream::map_from_stream(
            src,
            opts,
            |n| HashMap::with_capacity_and_hasher(n, S::default()),
            |n| hash_table_bytes(n, size_of::<(K, V)>()),
            |m, k, v| {
                m.insert(k, v);
            },
        )
    }
}

impl<'a, K: FromPickle<'a> + Ord, V: FromPickle<'a>> FromPickle<'a> for BTreeMap<K, V> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        // B-tree nodes hold up to 11 entries and are at least half full: up
        // to twice the entries, half of it charged here, half by decode_dict.
        let n = cx.dict(item)?.len();
        cx.charge(item, n.saturating_mul(size_of::<(K, V)>()))?;
        cx.decode_dict(
            item,
            |_| BTreeMap::new(),
            |m, k, v| {
                m.insert(k, v);
            },
        )
    }

    fn from_stream(src: &mut Source<'_, 'a>, opts: &DecodeOptions) -> Option<Result<Self>> {
        stream::map_from_stream(
            src,
            opts,
            |_| BTreeMap::new(),
            |_| 0,
            |m, k, v| {
                m.insert(k, v);
            },
        )
    }
}

impl<'a, T, S> FromPickle<'a> for HashSet<T, S>
where
    T: FromPickle<'a> + Eq + Hash,
    S: BuildHasher + Default,
{
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let n = cx.sequence(item, "a set")?.len();
        cx.charge(item, hash_table_bytes(n, size_of::<T>()))?;
        cx.decode_items(
            item,
            "a set",
            |n| HashSet::with_capacity_and_hasher(n, S::default()),
            |s, x| {
                s.insert(x);
            },
        )
    }
}

impl<'a, T: FromPickle<'a> + Ord> FromPickle<'a> for BTreeSet<T> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        cx.decode_items(
            item,
            "a set",
            |_| BTreeSet::new(),
            |s, x| {
                s.insert(x);
            },
        )
    }
}

impl<'a> FromPickle<'a> for Value<'a> {
    /// The part of the graph reachable from `item`, as a value of its own.
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let part = cx.value().extract(item);
        // The copy of the subgraph: each node and its offset.
        cx.charge(item, part.node_count().saturating_mul(size_of::<Node<'_>>() + 8))?;
        Ok(part)
    }

    /// The whole decoded value, as it is.
    fn from_value(value: Value<'a>, _limits: &Limits) -> Result<Self> {
        Ok(value)
    }
}
