//! NumPy arrays: [`NdArray`] is written the way NumPy pickles an `ndarray`,
//! so Python's `pickle.load` returns a real `numpy.ndarray`, and arrays that
//! NumPy pickles are read back.
//!
//! Writing uses `numpy.core.multiarray._reconstruct` with the raw data as one
//! bytes payload, at every protocol; NumPy 1.x and 2.x load it without
//! warnings. Reading also accepts `numpy._core` names and the protocol 5
//! `_frombuffer` form. Because the data is one payload, a mapped file can be
//! decoded into a [`Value`](crate::Value) without touching the array's pages.
//!
//! ```
//! use pickle_core::numpy::NdArray;
//!
//! let a = NdArray::new(vec![2, 3], vec![0.0f64, 1.0, 2.0, 3.0, 4.0, 5.0]).expect("shape fits");
//! let bytes = pickle_core::to_vec(&a)?; // pickle.loads(bytes) is array([[0., 1., 2.], [3., 4., 5.]])
//! let back: NdArray<f64> = pickle_core::from_slice(&bytes)?;
//! assert_eq!(back, a);
//! # Ok::<(), pickle_core::Error>(())
//! ```
//!
//! A `Vec<T>` field can be written as a 1-D array with the field attribute
//! `with = "pickle_core::numpy::vec"`, or by calling [`vec::to_pickle`] and
//! [`vec::from_pickle`] from hand-written impls.

use crate::de::{Context, FromPickle};
use crate::error::{Error, ErrorKind, Result};
use crate::pyclass::{PyModuleBuilder, PyType, TypeHint};
use crate::ser::{Encoder, ToPickle};
use crate::value::{Construct, Global, Item, Node};

mod private {
    pub trait Sealed {}
}

/// A NumPy element type: its dtype name and byte conversions.
pub trait Element: Copy + private::Sealed + 'static {
    /// NumPy's dtype string, such as `f8`.
    const DTYPE: &'static str;
    /// The byte order character NumPy writes for it: `<` or `|`.
    const ORDER: &'static str;
    #[doc(hidden)]
    const SIZE: usize;
    #[doc(hidden)]
    fn from_bytes(bytes: &[u8], big_endian: bool) -> Self;
    #[doc(hidden)]
    fn extend_le(items: &[Self], out: &mut Vec<u8>);
}

macro_rules! elements {
    ($($t:ty => $dtype:literal, $order:literal;)*) => {$(
        impl private::Sealed for $t {}
        impl Element for $t {
            const DTYPE: &'static str = $dtype;
            const ORDER: &'static str = $order;
            const SIZE: usize = size_of::<$t>();
            #[inline]
            fn from_bytes(bytes: &[u8], big_endian: bool) -> Self {
                let mut raw = [0u8; size_of::<$t>()];
                raw.copy_from_slice(bytes);
                if big_endian { <$t>::from_be_bytes(raw) } else { <$t>::from_le_bytes(raw) }
            }
            fn extend_le(items: &[Self], out: &mut Vec<u8>) {
                out.reserve(items.len() * size_of::<$t>());
                for x in items {
                    out.extend_from_slice(&x.to_le_bytes());
                }
            }
        }
    )*};
}

elements! {
    f64 => "f8", "<";
    f32 => "f4", "<";
    i64 => "i8", "<";
    i32 => "i4", "<";
    i16 => "i2", "<";
    i8 => "i1", "|";
    u64 => "u8", "<";
    u32 => "u4", "<";
    u16 => "u2", "<";
    u8 => "u1", "|";
}

/// An n-dimensional array in C (row-major) order, as `numpy.ndarray`.
#[derive(Debug, Clone, PartialEq)]
pub struct NdArray<T> {
    shape: Vec<usize>,
    data: Vec<T>,
}

impl<T: Element> NdArray<T> {
    /// An array of `shape` holding `data` in row-major order, or `None` when
    /// the shape's product is not `data.len()`.
    pub fn new(shape: Vec<usize>, data: Vec<T>) -> Option<NdArray<T>> {
        let n = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))?;
        (n == data.len()).then_some(NdArray { shape, data })
    }

    /// A one-dimensional array.
    pub fn from_vec(data: Vec<T>) -> NdArray<T> {
        NdArray { shape: vec![data.len()], data }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[T] {
        &self.data
    }

    /// The elements, giving up the shape.
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }
}

/// NumPy's raw data for `items`: the in-memory bytes on little-endian hosts,
/// so that writing costs no copy beyond the encoder's own.
#[cfg(target_endian = "little")]
fn raw_bytes<T: Element>(items: &[T]) -> std::borrow::Cow<'_, [u8]> {
    // SAFETY: every Element is a primitive integer or float: no padding, no
    // invalid bit patterns when read as bytes, and u8 has alignment 1. The
    // slice covers exactly the memory of `items`, borrowed for as long.
    let bytes = unsafe { std::slice::from_raw_parts(items.as_ptr().cast::<u8>(), std::mem::size_of_val(items)) };
    std::borrow::Cow::Borrowed(bytes)
}

#[cfg(not(target_endian = "little"))]
fn raw_bytes<T: Element>(items: &[T]) -> std::borrow::Cow<'_, [u8]> {
    let mut out = Vec::new();
    T::extend_le(items, &mut out);
    std::borrow::Cow::Owned(out)
}

/// Writes `numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b')`
/// with the state `(1, shape, dtype, False, data)`, as NumPy does.
fn write_array<T: Element>(enc: &mut Encoder<'_>, shape: &[usize], data: &[T]) -> Result<()> {
    enc.write_class("numpy.core.multiarray", "_reconstruct")?;
    enc.write_tuple_raw(3, |enc| {
        enc.write_class("numpy", "ndarray")?;
        enc.write_tuple_raw(1, |enc| enc.write_i64(0))?;
        enc.write_bytes(b"b")
    })?;
    enc.write_reduce()?;
    enc.write_tuple_raw(5, |enc| {
        enc.write_i64(1)?;
        enc.write_tuple_raw(shape.len(), |enc| shape.iter().try_for_each(|&d| enc.write_u64(d as u64)))?;
        write_dtype::<T>(enc)?;
        enc.write_bool(false)?;
        enc.write_bytes(&raw_bytes(data))
    })?;
    enc.write_build()
}

/// `numpy.dtype('f8', False, True)` with its state, memoized once per pickle
/// and element type, as NumPy's dtype objects are shared.
fn write_dtype<T: Element>(enc: &mut Encoder<'_>) -> Result<()> {
    enc.write_shared(T::DTYPE.as_ptr().cast(), |enc| {
        enc.write_class("numpy", "dtype")?;
        enc.write_tuple_raw(3, |enc| {
            enc.write_str(T::DTYPE)?;
            enc.write_bool(false)?;
            enc.write_bool(true)
        })?;
        enc.write_reduce()?;
        enc.write_tuple_raw(8, |enc| {
            enc.write_i64(3)?;
            enc.write_str(T::ORDER)?;
            enc.write_none()?;
            enc.write_none()?;
            enc.write_none()?;
            enc.write_i64(-1)?;
            enc.write_i64(-1)?;
            enc.write_i64(0)
        })?;
        enc.write_build()
    })
}

impl<T: Element> ToPickle for NdArray<T> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        write_array(enc, &self.shape, &self.data)
    }
}

impl<'a, T: Element> FromPickle<'a> for NdArray<T> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        read_array(cx, item)
    }
}

impl<T: Element> PyType for NdArray<T> {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::class("numpy", "ndarray")
    }
}

fn is(global: Option<&Global<'_>>, modules: &[&str], name: &str) -> bool {
    global.is_some_and(|g| g.name == name && modules.contains(&g.module.as_ref()))
}

/// Reads either form NumPy writes: `_reconstruct` + `BUILD` state, or
/// protocol 5's `_frombuffer(buffer, dtype, shape, order)`.
fn read_array<T: Element>(cx: &mut Context<'_, '_>, item: Item) -> Result<NdArray<T>> {
    let v = cx.value();
    let obj = v.as_object(item).ok_or_else(|| cx.mismatch(item, "a numpy.ndarray"))?;
    let class = v.as_global(obj.class);
    let (shape, dtype, fortran, data) =
        if is(class, &["numpy.core.multiarray", "numpy._core.multiarray"], "_reconstruct") {
            let state = obj.state.ok_or_else(|| cx.error(item, "the numpy.ndarray has no state"))?;
            match v.as_tuple(state) {
                Some(&[_version, shape, dtype, fortran, data]) => (shape, dtype, fortran, data),
                _ => return Err(cx.error(state, "expected ndarray state (version, shape, dtype, is_fortran, data)")),
            }
        } else if is(class, &["numpy.core.numeric", "numpy._core.numeric"], "_frombuffer") {
            match obj.args.as_slice() {
                &[data, dtype, shape, order] => {
                    let fortran = Item::Bool(v.as_str(order) == Some("F"));
                    (shape, dtype, fortran, data)
                }
                _ => return Err(cx.error(item, "expected _frombuffer(buffer, dtype, shape, order)")),
            }
        } else {
            return Err(cx.mismatch(item, "a numpy.ndarray"));
        };
    let shape: Vec<usize> = cx.decode(shape)?;
    if fortran == Item::Bool(true) && shape.len() > 1 {
        return Err(Error::new(
            ErrorKind::Unsupported,
            v.offset(item),
            "a Fortran-ordered numpy array is not supported: pass np.ascontiguousarray(a) to pickle".into(),
        ));
    }
    let big_endian = check_dtype::<T>(cx, dtype)?;
    let bytes = match v.get(data) {
        Some(Node::Bytes(b)) => &b[..],
        Some(Node::ByteArray(b)) => &b[..],
        _ => return Err(cx.mismatch(data, "the array's data as bytes")),
    };
    let count = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if count.and_then(|n| n.checked_mul(T::SIZE)) != Some(bytes.len()) {
        return Err(cx.error(
            data,
            format_args!(
                "the array's shape {shape:?} of {} needs other than the {} bytes given",
                T::DTYPE,
                bytes.len()
            ),
        ));
    }
    let data = bytes.chunks_exact(T::SIZE).map(|c| T::from_bytes(c, big_endian)).collect();
    Ok(NdArray { shape, data })
}

/// Checks that a dtype node is `numpy.dtype(T::DTYPE, ...)`; says whether
/// its byte order is big-endian.
fn check_dtype<T: Element>(cx: &Context<'_, '_>, dtype: Item) -> Result<bool> {
    let v = cx.value();
    let obj =
        v.as_object(dtype).filter(|o| o.construct == Construct::Call && is(v.as_global(o.class), &["numpy"], "dtype"));
    let Some(obj) = obj else { return Err(cx.mismatch(dtype, "a numpy.dtype")) };
    let name = obj.args.first().and_then(|&a| v.as_str(a)).unwrap_or("");
    if name != T::DTYPE {
        return Err(cx.error(dtype, format_args!("expected an array of dtype {}, found dtype {name:?}", T::DTYPE)));
    }
    let order = obj.state.and_then(|s| v.as_tuple(s)).and_then(|t| t.get(1).copied()).and_then(|o| v.as_str(o));
    Ok(order == Some(">"))
}

/// `with = "pickle_core::numpy::vec"`: a `Vec<T>` written as a 1-D
/// `numpy.ndarray` and read from any NumPy array of that element type
/// (flattened in C order).
pub mod vec {
    use super::{Element, NdArray, read_array, write_array};
    use crate::de::Context;
    use crate::error::Result;
    use crate::ser::Encoder;
    use crate::value::Item;

    /// Writes `items` as a 1-D array.
    pub fn to_pickle<T: Element>(items: &[T], enc: &mut Encoder<'_>) -> Result<()> {
        write_array(enc, &[items.len()], items)
    }

    /// Reads an array into a `Vec`.
    pub fn from_pickle<T: Element>(cx: &mut Context<'_, '_>, item: Item) -> Result<Vec<T>> {
        read_array(cx, item).map(NdArray::into_vec)
    }
}
