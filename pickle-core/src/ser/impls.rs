//! [`ToPickle`] for std types, and the table of how they map to Python.
//!
//! | Rust | Python |
//! |---|---|
//! | `bool` | `bool` |
//! | every integer type, `i128`/`u128` included | `int` |
//! | `f32`, `f64` | `float` |
//! | `String`, `&str`, `Cow<str>`, `char` | `str` |
//! | `()` | `None` |
//! | `Option<T>` | `None` or the value |
//! | `Vec<T>`, `VecDeque<T>`, `[T; N]`, `[T]` | `list` |
//! | `Vec<u8>`, `[u8; N]`, `&[u8]`, [`Bytes`](crate::Bytes) | `bytes` |
//! | tuples of 1 to 12 items | `tuple` |
//! | `HashMap`, `BTreeMap` | `dict` |
//! | `HashSet`, `BTreeSet` | `set` |
//! | `Box<T>` | the value |
//! | `Rc<T>`, `Arc<T>` | the value, written once and referenced after |
//! | [`Value`](crate::Value) | the graph, with its sharing and cycles |
//!
//! A sequence of `u8` is written as `bytes` because that is what Python code
//! holds binary data in; reading accepts `bytes`, `bytearray`, or a list of
//! ints for it.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

use super::{Encoder, ToPickle};
use crate::error::Result;
use crate::value::Value;

impl<T: ToPickle + ?Sized> ToPickle for &T {
    #[inline]
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        (**self).to_pickle(enc)
    }

    fn size_hint(&self, protocol: u8) -> usize {
        (**self).size_hint(protocol)
    }
}

impl<T: ToPickle + ?Sized> ToPickle for &mut T {
    #[inline]
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        (**self).to_pickle(enc)
    }

    fn size_hint(&self, protocol: u8) -> usize {
        (**self).size_hint(protocol)
    }
}

impl ToPickle for bool {
    #[inline]
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_bool(*self)
    }
}

macro_rules! small_ints {
    ($($t:ty),*) => {$(
        impl ToPickle for $t {
            #[inline]
            fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
                enc.write_i64(i64::from(*self))
            }

            fn slice_to_pickle(items: &[$t], enc: &mut Encoder<'_>) -> Result<()> {
                if enc.protocol() >= 2 { enc.write_int_slice(items) } else { enc.write_slice(items) }
            }
        }
    )*};
}
small_ints!(i8, i16, i32, i64, u16, u32);

impl ToPickle for u8 {
    #[inline]
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_i64(i64::from(*self))
    }

    fn slice_to_pickle(items: &[u8], enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_bytes(items)
    }

    fn iter_to_pickle<'x, I>(items: I, enc: &mut Encoder<'_>) -> Result<()>
    where
        I: Iterator<Item = &'x u8>,
    {
        enc.write_bytes(&items.copied().collect::<Vec<u8>>())
    }
}

impl ToPickle for u64 {
    #[inline]
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_u64(*self)
    }
}

impl ToPickle for usize {
    #[inline]
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_u64(*self as u64)
    }
}

impl ToPickle for isize {
    #[inline]
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_i64(*self as i64)
    }
}

impl ToPickle for i128 {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_i128(*self)
    }
}

impl ToPickle for u128 {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_u128(*self)
    }
}

impl ToPickle for num_bigint::BigInt {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_bigint(self)
    }
}

impl ToPickle for f64 {
    #[inline]
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_f64(*self)
    }

    fn slice_to_pickle(items: &[f64], enc: &mut Encoder<'_>) -> Result<()> {
        if enc.protocol() >= 1 { enc.write_f64_slice(items) } else { enc.write_slice(items) }
    }

    fn slice_size_hint(items: &[f64], protocol: u8) -> usize {
        float_list_hint(items.len(), protocol)
    }
}

/// Every float of a list is a 9-byte BINFLOAT from protocol 1.
fn float_list_hint(n: usize, protocol: u8) -> usize {
    if protocol >= 1 { super::list_size_hint(n.saturating_mul(9), n) } else { 0 }
}

impl ToPickle for f32 {
    #[inline]
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_f64(f64::from(*self))
    }

    fn slice_to_pickle(items: &[f32], enc: &mut Encoder<'_>) -> Result<()> {
        if enc.protocol() >= 1 { enc.write_f64_slice(items) } else { enc.write_slice(items) }
    }

    fn slice_size_hint(items: &[f32], protocol: u8) -> usize {
        float_list_hint(items.len(), protocol)
    }
}

impl ToPickle for str {
    #[inline]
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_str(self)
    }
}

impl ToPickle for String {
    #[inline]
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_str(self)
    }

    fn slice_to_pickle(items: &[String], enc: &mut Encoder<'_>) -> Result<()> {
        if enc.protocol() >= 4 { enc.write_str_slice(items) } else { enc.write_slice(items) }
    }

    fn slice_size_hint(items: &[String], protocol: u8) -> usize {
        if protocol < 4 {
            return 0;
        }
        // SHORT_BINUNICODE below 256 bytes, BINUNICODE8's 9-byte head above.
        let body =
            items.iter().map(|s| s.len() + if s.len() < 256 { 2 } else { 9 }).fold(0usize, usize::saturating_add);
        super::list_size_hint(body, items.len())
    }
}

impl ToPickle for Cow<'_, str> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_str(self)
    }
}

impl ToPickle for char {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_str(self.encode_utf8(&mut [0u8; 4]))
    }
}

impl ToPickle for () {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_none()
    }
}

impl<T: ToPickle> ToPickle for Option<T> {
    #[inline]
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        match self {
            Some(v) => v.to_pickle(enc),
            None => enc.write_none(),
        }
    }
}

impl<T: ToPickle> ToPickle for [T] {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        T::slice_to_pickle(self, enc)
    }

    fn size_hint(&self, protocol: u8) -> usize {
        T::slice_size_hint(self, protocol)
    }
}

impl<T: ToPickle, const N: usize> ToPickle for [T; N] {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        T::slice_to_pickle(self, enc)
    }

    fn size_hint(&self, protocol: u8) -> usize {
        T::slice_size_hint(self, protocol)
    }
}

impl<T: ToPickle> ToPickle for Vec<T> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        T::slice_to_pickle(self, enc)
    }

    fn size_hint(&self, protocol: u8) -> usize {
        T::slice_size_hint(self, protocol)
    }
}

impl<T: ToPickle> ToPickle for VecDeque<T> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        match self.as_slices() {
            (front, []) => T::slice_to_pickle(front, enc),
            _ => T::iter_to_pickle(self.iter(), enc),
        }
    }
}

macro_rules! tuples {
    ($( ($($n:tt $t:ident),+) )*) => {$(
        impl<$($t: ToPickle),+> ToPickle for ($($t,)+) {
            fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
                let len = [$(stringify!($t)),+].len();
                enc.write_tuple_with(len, |t| {
                    $( t.item(&self.$n)?; )+
                    Ok(())
                })
            }
        }
    )*};
}
tuples! {
    (0 A)
    (0 A, 1 B)
    (0 A, 1 B, 2 C)
    (0 A, 1 B, 2 C, 3 D)
    (0 A, 1 B, 2 C, 3 D, 4 E)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L)
}

impl<K: ToPickle, V: ToPickle, S> ToPickle for HashMap<K, V, S> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_dict(self.iter())
    }
}

impl<K: ToPickle, V: ToPickle> ToPickle for BTreeMap<K, V> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_dict(self.iter())
    }
}

impl<T: ToPickle, S> ToPickle for HashSet<T, S> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_set(self.iter())
    }
}

impl<T: ToPickle> ToPickle for BTreeSet<T> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_set(self.iter())
    }
}

impl<T: ToPickle + ?Sized> ToPickle for Box<T> {
    #[inline]
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        (**self).to_pickle(enc)
    }
}

impl<T: ToPickle + ?Sized> ToPickle for Rc<T> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_rc(self)
    }

    fn slice_to_pickle(items: &[Self], enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_shared_slice(items, |rc| Rc::as_ptr(rc).cast::<()>() as usize, |enc, rc| enc.write_rc(rc))
    }
}

impl<T: ToPickle + ?Sized> ToPickle for Arc<T> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_arc(self)
    }

    fn slice_to_pickle(items: &[Self], enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_shared_slice(items, |arc| Arc::as_ptr(arc).cast::<()>() as usize, |enc, arc| enc.write_arc(arc))
    }
}

impl ToPickle for Value<'_> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        super::value_writer::write_value(enc, self)
    }
}
