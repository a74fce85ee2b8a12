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

use crate::de::dtype::{self as np, Dtype, MULTIARRAY, is_global};
use crate::de::numpy::error;
use crate::de::{Context, Direct, FromPickle};
use crate::error::{Error, ErrorKind, Result};
use crate::format::opcodes as op;
use crate::pyclass::{PyModuleBuilder, PyType, TypeHint};
use crate::ser::{Encoder, ToPickle};
use crate::value::{Construct, Item, Node};

pub(crate) mod private {
    pub trait Sealed {}
}

/// A NumPy element type: its dtype and byte conversions.
///
/// Every implementor is plain old data: no padding, and every byte
/// pattern NumPy writes for its dtype is read by `from_bytes`.
pub trait Element: Copy + private::Sealed + 'static {
    /// NumPy's dtype string with its byte order, such as `<f8`.
    const DTYPE: &'static str;
    /// The name of NumPy's scalar type, such as `float64`.
    const SCALAR: &'static str;
    #[doc(hidden)]
    const KIND: u8;
    #[doc(hidden)]
    const SIZE: usize;
    #[doc(hidden)]
    fn from_bytes(bytes: &[u8], big_endian: bool) -> Self;
    #[doc(hidden)]
    fn extend_le(items: &[Self], out: &mut Vec<u8>);
}

macro_rules! elements {
    ($($t:ty => $dtype:literal, $scalar:literal, $kind:literal;)*) => {$(
        impl private::Sealed for $t {}
        impl Element for $t {
            const DTYPE: &'static str = $dtype;
            const SCALAR: &'static str = $scalar;
            const KIND: u8 = $kind;
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
    f64 => "<f8", "float64", b'f';
    f32 => "<f4", "float32", b'f';
    i64 => "<i8", "int64", b'i';
    i32 => "<i4", "int32", b'i';
    i16 => "<i2", "int16", b'i';
    i8 => "|i1", "int8", b'i';
    u64 => "<u8", "uint64", b'u';
    u32 => "<u4", "uint32", b'u';
    u16 => "<u2", "uint16", b'u';
    u8 => "|u1", "uint8", b'u';
}

impl private::Sealed for bool {}
impl Element for bool {
    const DTYPE: &'static str = "|b1";
    const SCALAR: &'static str = "bool_";
    const KIND: u8 = b'b';
    const SIZE: usize = 1;
    #[inline]
    fn from_bytes(bytes: &[u8], _: bool) -> Self {
        bytes[0] != 0
    }
    fn extend_le(items: &[Self], out: &mut Vec<u8>) {
        out.extend(items.iter().map(|&b| u8::from(b)));
    }
}

/// An n-dimensional array in C (row-major) order, as `numpy.ndarray`.
///
/// Reading accepts C- and Fortran-ordered arrays and either byte order, and
/// gives the elements in C order; a 0-d array has the shape `[]` and one
/// element.
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

    /// The shape and the elements.
    pub fn into_parts(self) -> (Vec<usize>, Vec<T>) {
        (self.shape, self.data)
    }
}

/// NumPy's raw data for `items`: the in-memory bytes on little-endian hosts,
/// so that writing costs no copy beyond the encoder's own.
#[cfg(target_endian = "little")]
pub(crate) fn raw_bytes<T: Element>(items: &[T]) -> std::borrow::Cow<'_, [u8]> {
    // SAFETY: every Element is plain old data (see the trait): primitive
    // integers and floats, bool (one byte, 0 or 1), and, behind features,
    // `#[repr(C)]` pairs of floats and `f16` (a `u16`); none has padding, so
    // every byte is initialized, and u8 has alignment 1. The slice covers
    // exactly the memory of `items`, borrowed for as long.
    let bytes = unsafe { std::slice::from_raw_parts(items.as_ptr().cast::<u8>(), std::mem::size_of_val(items)) };
    std::borrow::Cow::Borrowed(bytes)
}

#[cfg(not(target_endian = "little"))]
pub(crate) fn raw_bytes<T: Element>(items: &[T]) -> std::borrow::Cow<'_, [u8]> {
    let mut out = Vec::new();
    T::extend_le(items, &mut out);
    std::borrow::Cow::Owned(out)
}

/// Writes `numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b')`
/// with the state `(1, shape, dtype, False, data)`, as NumPy does;
/// `dtype` writes the dtype.
fn write_reconstruct(
    enc: &mut Encoder<'_>,
    shape: &[usize],
    dtype: impl FnOnce(&mut Encoder<'_>) -> Result<()>,
    data: &[u8],
) -> Result<()> {
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
        dtype(enc)?;
        enc.write_bool(false)?;
        enc.write_bytes(data)
    })?;
    enc.write_build()
}

fn write_array<T: Element>(enc: &mut Encoder<'_>, shape: &[usize], data: &[T]) -> Result<()> {
    if enc.aligns_arrays() && !data.is_empty() {
        return write_mappable(enc, shape, T::DTYPE, &raw_bytes(data));
    }
    write_reconstruct(enc, shape, |enc| write_dtype(enc, T::DTYPE), &raw_bytes(data))
}

/// `numpy.ndarray(shape, dtype, bytearray)`, NumPy's public constructor,
/// with the payload aligned for mapping (see
/// [`EncodeOptions::align_arrays`](crate::EncodeOptions::align_arrays)):
/// plain `pickle.load` gives a writable array over the bytearray, a loader
/// that swaps the payload for a buffer of a map gives an array over the map.
fn write_mappable(enc: &mut Encoder<'_>, shape: &[usize], dtype: &'static str, data: &[u8]) -> Result<()> {
    enc.write_class("numpy", "ndarray")?;
    enc.write_tuple_raw(3, |enc| {
        enc.write_tuple_raw(shape.len(), |enc| shape.iter().try_for_each(|&d| enc.write_u64(d as u64)))?;
        write_dtype(enc, dtype)?;
        enc.write_aligned_bytearray(data).map(drop)
    })?;
    enc.write_reduce()
}

/// `numpy.dtype('<f8')`: NumPy's public constructor with an explicit byte
/// order, which every NumPy from 1.x loads; memoized once per pickle and
/// dtype, as NumPy's dtype objects are shared.
pub(crate) fn write_dtype(enc: &mut Encoder<'_>, dtype: &'static str) -> Result<()> {
    enc.write_static_shared(dtype, |enc| {
        enc.write_class("numpy", "dtype")?;
        enc.write_tuple_raw(1, |enc| enc.write_static_str(dtype))?;
        enc.write_reduce()
    })
}

impl<T: Element> ToPickle for NdArray<T> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        write_array(enc, &self.shape, &self.data)
    }
}

impl<'a, T: Element> FromPickle<'a> for NdArray<T> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let raw = read_raw(cx, item)?;
        let dt = &raw.dtype;
        if dt.kind != T::KIND || dt.size != T::SIZE {
            return Err(cx.error(
                raw.dtype_item,
                format_args!("expected an array of dtype {}, found dtype {}", T::DTYPE, dt.name()),
            ));
        }
        cx.charge(item, raw.bytes.len().saturating_mul(if raw.fortran { 2 } else { 1 }))?;
        let data: Vec<T> = raw.bytes.chunks_exact(T::SIZE).map(|c| T::from_bytes(c, dt.big_endian)).collect();
        let data = if raw.fortran { fortran_to_c(&raw.shape, data) } else { data };
        Ok(NdArray { shape: raw.shape, data })
    }

    fn from_direct(rd: &mut Direct<'_, '_, 'a>) -> Option<Self> {
        direct_array(rd)
    }
}

/// An array read straight from the input (de/sink/direct.rs), as NumPy and
/// pickle-rs write one: `_reconstruct(ndarray, (0,), b'b')` then BUILD with
/// `(version, shape, dtype, is_fortran, data)`, the globals and the dtype
/// fetched from the memo. What [`read_raw`] checks, it checks.
fn direct_array<T: Element>(rd: &mut Direct<'_, '_, '_>) -> Option<NdArray<T>> {
    // The usual path's stack holds at most this many items for it, besides
    // the shape's.
    const SLOTS: usize = 10;
    rd.hold(SLOTS)?;
    let global = rd.global()?;
    let (shape, dt, fortran, bytes) = if is_global(Some(global), MULTIARRAY, "_reconstruct") {
        direct_reconstruct(rd)?
    } else if is_global(Some(global), &["numpy.core.numeric", "numpy._core.numeric"], "_frombuffer") {
        direct_frombuffer(rd)?
    } else {
        return None;
    };
    if dt.kind != T::KIND || dt.size != T::SIZE {
        return None;
    }
    let count = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))?;
    if count.checked_mul(dt.size)? != bytes.len() {
        return None;
    }
    let fortran = fortran && shape.len() > 1;
    rd.charge(bytes.len().saturating_mul(if fortran { 2 } else { 1 }))?;
    rd.release(SLOTS + shape.len());
    let data: Vec<T> = bytes.chunks_exact(T::SIZE).map(|c| T::from_bytes(c, dt.big_endian)).collect();
    let data = if fortran { fortran_to_c(&shape, data) } else { data };
    Some(NdArray { shape, data })
}

/// What an array's parts are: shape, dtype, Fortran order, data.
type ArrayParts<'c> = (Vec<usize>, Dtype, bool, &'c [u8]);

/// `_reconstruct(ndarray, (0,), b'b')` then BUILD with `(version, shape,
/// dtype, is_fortran, data)`, after the `_reconstruct` global.
fn direct_reconstruct<'c>(rd: &mut Direct<'_, 'c, '_>) -> Option<ArrayParts<'c>> {
    if !is_global(Some(rd.global()?), &["numpy"], "ndarray") {
        return None;
    }
    if rd.scalar::<i64>()? != 0 || !rd.eat(op::TUPLE1) {
        return None;
    }
    rd.after_value();
    if rd.bytes()? != b"b" || !rd.eat(op::TUPLE3) {
        return None;
    }
    rd.after_value();
    if !rd.eat(op::REDUCE) {
        return None;
    }
    rd.after_value();
    if !rd.eat(op::MARK) {
        return None;
    }
    let _version: i64 = rd.scalar()?;
    let shape = direct_shape(rd)?;
    let dt = direct_dtype(rd)?;
    let fortran: bool = rd.scalar()?;
    let bytes = rd.bytes()?;
    if !rd.eat(op::TUPLE) {
        return None;
    }
    rd.after_value();
    if !rd.eat(op::BUILD) {
        return None;
    }
    Some((shape, dt, fortran, bytes))
}

/// Protocol 5's `_frombuffer(buffer, dtype, shape, order)`, in band, after
/// the `_frombuffer` global.
fn direct_frombuffer<'c>(rd: &mut Direct<'_, 'c, '_>) -> Option<ArrayParts<'c>> {
    if !rd.eat(op::MARK) {
        return None;
    }
    let bytes = rd.bytes()?;
    let dt = direct_dtype(rd)?;
    let shape = direct_shape(rd)?;
    let fortran = rd.name()? == "F";
    if !rd.eat(op::TUPLE) {
        return None;
    }
    rd.after_value();
    if !rd.eat(op::REDUCE) {
        return None;
    }
    rd.after_value();
    Some((shape, dt, fortran, bytes))
}

/// A dtype fetched from the memo; one dtype is usually fetched by every
/// array, so it is parsed once.
fn direct_dtype(rd: &mut Direct<'_, '_, '_>) -> Option<Dtype> {
    let dtype = rd.memo_item()?;
    rd.context().shared(dtype, |cx| np::dtype(cx.value(), dtype).map_err(|b| error(cx, b))).ok()
}

/// A shape tuple of ints: `EMPTY_TUPLE`, one to three ints and TUPLE1-3, or
/// `MARK ints TUPLE`; its stack slots are held.
fn direct_shape(rd: &mut Direct<'_, '_, '_>) -> Option<Vec<usize>> {
    // NumPy's own limit on dimensions.
    const MAX_DIMS: usize = 64;
    if rd.eat(op::EMPTY_TUPLE) {
        rd.after_value();
        return Some(Vec::new());
    }
    let marked = rd.eat(op::MARK);
    let mut shape = Vec::new();
    loop {
        let close = rd.peek()?;
        let n = match close {
            op::TUPLE1 | op::TUPLE2 | op::TUPLE3 if !marked => usize::from(close - op::TUPLE1 + 1),
            op::TUPLE if marked => shape.len(),
            _ => {
                if shape.len() == MAX_DIMS {
                    return None;
                }
                rd.hold(1)?;
                shape.push(usize::try_from(rd.scalar::<i64>()?).ok()?);
                continue;
            }
        };
        if n != shape.len() || !rd.eat(close) {
            return None;
        }
        rd.after_value();
        rd.charge(shape.len() * size_of::<usize>())?;
        return Some(shape);
    }
}

impl<T: Element> PyType for NdArray<T> {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::class("numpy", "ndarray")
    }
}

/// An array as a pickle gives it: shape, dtype, order and raw bytes, the
/// byte count checked against the shape.
pub(crate) struct RawArray<'c> {
    pub shape: Vec<usize>,
    pub dtype: Dtype,
    pub dtype_item: Item,
    pub fortran: bool,
    pub bytes: std::borrow::Cow<'c, [u8]>,
    /// The items of an object-dtype array (its data is a list), else empty.
    pub objects: &'c [Item],
}

/// Reads every form NumPy and pickle-rs write: `_reconstruct` + `BUILD`
/// with the state `(version, shape, dtype, is_fortran, data)` or the legacy
/// `(shape, dtype, is_fortran, data)`, protocol 5's `_frombuffer(buffer,
/// dtype, shape, order)`, and the public `numpy.ndarray(shape, dtype,
/// buffer, offset, strides, order)`.
pub(crate) fn read_raw<'c>(cx: &mut Context<'c, '_>, item: Item) -> Result<RawArray<'c>> {
    let v = cx.value();
    let obj = v.as_object(item).ok_or_else(|| cx.mismatch(item, "a numpy.ndarray"))?;
    let class = v.as_global(obj.class);
    let (shape, dtype, fortran, data) = if is_global(class, MULTIARRAY, "_reconstruct") {
        let state = obj.state.ok_or_else(|| cx.error(item, "the numpy.ndarray has no state"))?;
        match v.as_tuple(state) {
            Some(&[_, shape, dtype, fortran, data] | &[shape, dtype, fortran, data]) => {
                (shape, dtype, fortran == Item::Bool(true) || fortran == Item::Int(1), data)
            }
            _ => return Err(cx.error(state, "expected ndarray state (version, shape, dtype, is_fortran, data)")),
        }
    } else if is_global(class, &["numpy.core.numeric", "numpy._core.numeric"], "_frombuffer") {
        match obj.args.as_slice() {
            &[data, dtype, shape, order] => (shape, dtype, v.as_str(order) == Some("F"), data),
            _ => return Err(cx.error(item, "expected _frombuffer(buffer, dtype, shape, order)")),
        }
    } else if is_global(class, &["numpy"], "ndarray") && obj.construct == Construct::Call {
        match *obj.args.as_slice() {
            [shape, dtype, data, offset, strides, order] if matches!(offset, Item::Int(0)) && strides == Item::None => {
                (shape, dtype, v.as_str(order) == Some("F"), data)
            }
            [shape, dtype, data] => (shape, dtype, false, data),
            _ => return Err(cx.error(item, "expected numpy.ndarray(shape, dtype, buffer, 0, None, order)")),
        }
    } else {
        return Err(cx.mismatch(item, "a numpy.ndarray"));
    };
    let shape: Vec<usize> = match v.get(shape) {
        None if let Item::Int(n) = shape => vec![usize::try_from(n).map_err(|_| cx.error(item, "negative shape"))?],
        _ => cx.decode(shape)?,
    };
    let dt = np::dtype(v, dtype).map_err(|b| error(cx, b))?;
    let bytes: std::borrow::Cow<'c, [u8]> = match v.get(data) {
        Some(Node::Bytes(b)) => std::borrow::Cow::Borrowed(&b[..]),
        Some(Node::ByteArray(b)) => std::borrow::Cow::Borrowed(&b[..]),
        // Python 2 wrote the data as a str; read with encoding="latin1".
        Some(Node::Str(s)) => match s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect::<Option<Vec<u8>>>() {
            Some(b) => std::borrow::Cow::Owned(b),
            None => return Err(cx.error(data, "the array's data is a str with characters beyond latin-1")),
        },
        Some(Node::List(items)) if dt.kind == b'O' => {
            let count = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
            if count != Some(items.len()) {
                return Err(cx.error(
                    data,
                    format_args!("the object array's shape {shape:?} needs other than the {} items given", items.len()),
                ));
            }
            let fortran = fortran && shape.len() > 1;
            return Ok(RawArray {
                shape,
                dtype: dt,
                dtype_item: dtype,
                fortran,
                bytes: std::borrow::Cow::Borrowed(&[]),
                objects: items,
            });
        }
        _ => return Err(cx.mismatch(data, "the array's data as bytes")),
    };
    let count = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if count.and_then(|n| n.checked_mul(dt.size)) != Some(bytes.len()) {
        return Err(cx.error(
            data,
            format_args!(
                "the array's shape {shape:?} of {} needs other than the {} bytes given",
                dt.name(),
                bytes.len()
            ),
        ));
    }
    let fortran = fortran && shape.len() > 1;
    Ok(RawArray { shape, dtype: dt, dtype_item: dtype, fortran, bytes, objects: &[] })
}

/// Reorders elements given in Fortran (column-major) order into C order.
pub(crate) fn fortran_to_c<T: Copy>(shape: &[usize], data: Vec<T>) -> Vec<T> {
    let n = data.len();
    if n == 0 || shape.len() < 2 {
        return data;
    }
    // Column-major strides, in elements.
    let mut strides = Vec::with_capacity(shape.len());
    let mut acc = 1usize;
    for &d in shape {
        strides.push(acc);
        acc *= d;
    }
    let mut index = vec![0usize; shape.len()];
    let mut out = Vec::with_capacity(n);
    let mut offset = 0usize;
    for _ in 0..n {
        out.push(data[offset]);
        // Advance the C-order index, last axis fastest.
        for axis in (0..shape.len()).rev() {
            index[axis] += 1;
            offset += strides[axis];
            if index[axis] < shape[axis] {
                break;
            }
            offset -= strides[axis] * shape[axis];
            index[axis] = 0;
        }
    }
    out
}

/// A NumPy scalar of element type `T`: `np.float64(1.5)`, `np.int64(7)`,
/// `np.bool_(True)`, ... Written as NumPy writes it, so `pickle.load` gives
/// the NumPy scalar type; read from a NumPy scalar of exactly that dtype.
/// (The primitive types themselves also read NumPy scalars.)
///
/// ```
/// use pickle_core::numpy::Scalar;
///
/// let bytes = pickle_core::to_vec(&Scalar(1.5f64))?; // pickle.loads(bytes) is np.float64(1.5)
/// let back: Scalar<f64> = pickle_core::from_slice(&bytes)?;
/// let plain: f64 = pickle_core::from_slice(&bytes)?;
/// assert_eq!((back, plain), (Scalar(1.5), 1.5));
/// # Ok::<(), pickle_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Scalar<T>(pub T);

impl<T: Element> ToPickle for Scalar<T> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_class("numpy.core.multiarray", "scalar")?;
        enc.write_tuple_raw(2, |enc| {
            write_dtype(enc, T::DTYPE)?;
            enc.write_bytes(&raw_bytes(std::slice::from_ref(&self.0)))
        })?;
        enc.write_reduce()
    }
}

impl<'a, T: Element> FromPickle<'a> for Scalar<T> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match np::scalar_parts(cx.value(), item) {
            Some(Ok((dt, bytes))) if dt.kind == T::KIND && dt.size == T::SIZE => {
                Ok(Scalar(T::from_bytes(bytes, dt.big_endian)))
            }
            Some(Err(bad)) => Err(error(cx, bad)),
            _ => Err(cx.mismatch(item, &format!("a numpy.{} scalar", T::SCALAR))),
        }
    }
}

impl<T: Element> PyType for Scalar<T> {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::class("numpy", T::SCALAR)
    }
}

/// `numpy.dtype(<a string made at run time>)`, not memoized.
fn write_dynamic_dtype(enc: &mut Encoder<'_>, dtype: &str) -> Result<()> {
    enc.write_class("numpy", "dtype")?;
    enc.write_tuple_raw(1, |enc| enc.write_str(dtype))?;
    enc.write_reduce()
}

/// `_reconstruct` + `BUILD` for an array whose dtype string is made at run
/// time.
fn write_array_dynamic(enc: &mut Encoder<'_>, shape: &[usize], dtype: &str, data: &[u8]) -> Result<()> {
    write_reconstruct(enc, shape, |enc| write_dynamic_dtype(enc, dtype), data)
}

/// The unit of a `datetime64` or `timedelta64` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    /// `Y`
    Years,
    /// `M`
    Months,
    /// `W`
    Weeks,
    /// `D`
    Days,
    /// `h`
    Hours,
    /// `m`
    Minutes,
    /// `s`
    Seconds,
    /// `ms`
    Millis,
    /// `us`
    Micros,
    /// `ns`
    Nanos,
    /// `ps`
    Picos,
    /// `fs`
    Femtos,
    /// `as`
    Attos,
}

const UNITS: [(TimeUnit, &str); 13] = [
    (TimeUnit::Years, "Y"),
    (TimeUnit::Months, "M"),
    (TimeUnit::Weeks, "W"),
    (TimeUnit::Days, "D"),
    (TimeUnit::Hours, "h"),
    (TimeUnit::Minutes, "m"),
    (TimeUnit::Seconds, "s"),
    (TimeUnit::Millis, "ms"),
    (TimeUnit::Micros, "us"),
    (TimeUnit::Nanos, "ns"),
    (TimeUnit::Picos, "ps"),
    (TimeUnit::Femtos, "fs"),
    (TimeUnit::Attos, "as"),
];

impl TimeUnit {
    /// NumPy's code for the unit: `ns`, `s`, `D`, ...
    pub fn code(self) -> &'static str {
        UNITS.iter().find(|(u, _)| *u == self).map_or("ns", |(_, c)| c)
    }

    pub(crate) fn from_code(code: &str) -> Option<TimeUnit> {
        UNITS.iter().find(|(_, c)| *c == code).map(|(u, _)| *u)
    }
}

/// NumPy's not-a-time, the smallest `i64`.
pub const NAT: i64 = i64::MIN;

macro_rules! time_arrays {
    ($($(#[$doc:meta])* $name:ident => $kind:literal, $py:literal;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            /// The unit each value counts.
            pub unit: TimeUnit,
            /// The values: counts of `unit` ([`NAT`] for not-a-time).
            pub values: NdArray<i64>,
        }

        impl ToPickle for $name {
            fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
                let dtype = format!(concat!("<", $kind, "8[{}]"), self.unit.code());
                write_array_dynamic(enc, self.values.shape(), &dtype, &raw_bytes(self.values.data()))
            }
        }

        impl<'a> FromPickle<'a> for $name {
            fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
                let raw = read_raw(cx, item)?;
                let dt = &raw.dtype;
                let unit = match (&dt.unit, dt.kind == $kind.as_bytes()[0] && dt.size == 8) {
                    (Some((code, 1)), true) => TimeUnit::from_code(code),
                    _ => None,
                };
                let Some(unit) = unit else {
                    return Err(cx.error(
                        raw.dtype_item,
                        format_args!(concat!("expected a ", $py, " array with a unit, found dtype {}"), dt.name()),
                    ));
                };
                cx.charge(item, raw.bytes.len())?;
                let data: Vec<i64> = raw.bytes.chunks_exact(8).map(|c| i64::from_bytes(c, dt.big_endian)).collect();
                let data = if raw.fortran { fortran_to_c(&raw.shape, data) } else { data };
                Ok($name { unit, values: NdArray { shape: raw.shape, data } })
            }
        }

        impl PyType for $name {
            fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
                TypeHint::class("numpy", "ndarray")
            }
        }
    )*};
}

time_arrays! {
    /// A `datetime64` array (`<M8[ns]` and the other units): counts of the
    /// unit since 1970-01-01T00:00, in C order.
    DateTime64Array => "M", "datetime64";
    /// A `timedelta64` array (`<m8[s]` and the other units), in C order.
    TimeDelta64Array => "m", "timedelta64";
}

/// A fixed-width `str` array (`<U5`): each element without its trailing
/// NULs, in C order. Written with the width of the longest element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StrArray {
    /// The shape.
    pub shape: Vec<usize>,
    /// The elements in C order.
    pub items: Vec<String>,
}

/// A fixed-width `bytes` array (`|S3`): each element without its trailing
/// NULs, in C order. Written with the width of the longest element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BytesArray {
    /// The shape.
    pub shape: Vec<usize>,
    /// The elements in C order.
    pub items: Vec<Vec<u8>>,
}

fn check_count(shape: &[usize], n: usize) -> Result<()> {
    let want = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if want != Some(n) {
        return Err(Error::new(
            ErrorKind::Unsupported,
            None,
            format!("the shape {shape:?} does not hold the {n} elements given"),
        ));
    }
    Ok(())
}

impl ToPickle for StrArray {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        check_count(&self.shape, self.items.len())?;
        let width = self.items.iter().map(|s| s.chars().count()).max().unwrap_or(0).max(1);
        let mut data = Vec::with_capacity(self.items.len() * width * 4);
        for s in &self.items {
            let n = s.chars().count();
            s.chars().for_each(|c| data.extend_from_slice(&u32::from(c).to_le_bytes()));
            data.resize(data.len() + (width - n) * 4, 0);
        }
        write_array_dynamic(enc, &self.shape, &format!("<U{width}"), &data)
    }
}

impl ToPickle for BytesArray {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        check_count(&self.shape, self.items.len())?;
        let width = self.items.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let mut data = Vec::with_capacity(self.items.len() * width);
        for b in &self.items {
            data.extend_from_slice(b);
            data.resize(data.len() + width - b.len(), 0);
        }
        write_array_dynamic(enc, &self.shape, &format!("|S{width}"), &data)
    }
}

fn trim_nuls<T: PartialEq + Default>(mut v: Vec<T>) -> Vec<T> {
    while v.last().is_some_and(|x| *x == T::default()) {
        v.pop();
    }
    v
}

impl<'a> FromPickle<'a> for StrArray {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let raw = read_raw(cx, item)?;
        let dt = &raw.dtype;
        if dt.kind != b'U' || dt.size == 0 {
            return Err(cx.error(raw.dtype_item, format_args!("expected a str array (<U), found dtype {}", dt.name())));
        }
        cx.charge(
            item,
            raw.bytes.len().saturating_add((raw.bytes.len() / dt.size).saturating_mul(size_of::<String>())),
        )?;
        let mut items = Vec::with_capacity(raw.bytes.len() / dt.size);
        for elem in raw.bytes.chunks_exact(dt.size) {
            let code_points: Vec<u32> = elem.chunks_exact(4).map(|c| u32::from_bytes(c, dt.big_endian)).collect();
            let s: Option<String> = trim_nuls(code_points).into_iter().map(char::from_u32).collect();
            items.push(s.ok_or_else(|| cx.error(item, "the str array holds a code point that is not a char"))?);
        }
        let items = if raw.fortran { fortran_to_c_vec(&raw.shape, items) } else { items };
        Ok(StrArray { shape: raw.shape, items })
    }
}

impl<'a> FromPickle<'a> for BytesArray {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let raw = read_raw(cx, item)?;
        let dt = &raw.dtype;
        if dt.kind != b'S' || dt.size == 0 {
            return Err(
                cx.error(raw.dtype_item, format_args!("expected a bytes array (|S), found dtype {}", dt.name()))
            );
        }
        cx.charge(
            item,
            raw.bytes.len().saturating_add((raw.bytes.len() / dt.size).saturating_mul(size_of::<Vec<u8>>())),
        )?;
        let items: Vec<Vec<u8>> = raw.bytes.chunks_exact(dt.size).map(|e| trim_nuls(e.to_vec())).collect();
        let items = if raw.fortran { fortran_to_c_vec(&raw.shape, items) } else { items };
        Ok(BytesArray { shape: raw.shape, items })
    }
}

impl PyType for StrArray {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::class("numpy", "ndarray")
    }
}

impl PyType for BytesArray {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::class("numpy", "ndarray")
    }
}

/// [`fortran_to_c`] for elements that are not `Copy`.
fn fortran_to_c_vec<T: Clone>(shape: &[usize], data: Vec<T>) -> Vec<T> {
    let order: Vec<usize> = fortran_to_c(shape, (0..data.len()).collect());
    order.into_iter().map(|i| data[i].clone()).collect()
}

/// A field of a [`StructArray`]'s structured dtype.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructField {
    /// The field's name.
    pub name: String,
    /// Its dtype, as NumPy names it (`<i8`, `<f8`, `|u1`, ...).
    pub dtype: String,
    /// Its byte offset in an element.
    pub offset: usize,
    kind: u8,
    size: usize,
    big_endian: bool,
}

/// An array of a structured dtype (`np.dtype([('a', '<i8'), ('b', '<f8')])`),
/// such as the node table of a scikit-learn tree: its fields, in the
/// dtype's order, and the raw elements, read one field at a time with
/// [`field`](StructArray::field). Read only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructArray {
    shape: Vec<usize>,
    itemsize: usize,
    fields: Vec<StructField>,
    bytes: Vec<u8>,
}

impl StructArray {
    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.bytes.len().checked_div(self.itemsize).unwrap_or(0)
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The fields, in the dtype's order.
    pub fn fields(&self) -> &[StructField] {
        &self.fields
    }

    /// The values of field `name` in C order, or `None` when there is no
    /// such field or it is not of element type `T`.
    pub fn field<T: Element>(&self, name: &str) -> Option<Vec<T>> {
        let f = self.fields.iter().find(|f| f.name == name)?;
        if f.kind != T::KIND || f.size != T::SIZE {
            return None;
        }
        Some(
            self.bytes
                .chunks_exact(self.itemsize)
                .map(|e| T::from_bytes(&e[f.offset..f.offset + f.size], f.big_endian))
                .collect(),
        )
    }
}

impl<'a> FromPickle<'a> for StructArray {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let raw = read_raw(cx, item)?;
        let v = cx.value();
        if raw.dtype.kind != b'V' {
            return Err(
                cx.error(raw.dtype_item, format_args!("expected a structured dtype, found {}", raw.dtype.name()))
            );
        }
        let state = v.as_object(raw.dtype_item).and_then(|o| o.state).and_then(|s| v.as_tuple(s));
        let (names, fields) = match state {
            Some(&[_, _, _, names, fields, ..]) => (names, fields),
            _ => return Err(cx.error(raw.dtype_item, "the structured dtype has no field table in its state")),
        };
        let names = v.as_tuple(names).ok_or_else(|| cx.mismatch(names, "the dtype's field names"))?;
        let itemsize = raw.dtype.size;
        let mut out = Vec::with_capacity(names.len());
        for &n in names {
            let name = cx.str(n)?.to_owned();
            let entry = v.dict_get(fields, &name).ok_or_else(|| cx.error(fields, format_args!("no field {name:?}")))?;
            let (ft, offset) = match v.as_tuple(entry) {
                Some(&[ft, Item::Int(off), ..]) if off >= 0 => (ft, off as usize),
                _ => return Err(cx.error(entry, format_args!("field {name:?} is not (dtype, offset)"))),
            };
            let dt = np::dtype(v, ft).map_err(|b| error(cx, b))?;
            if offset.checked_add(dt.size).is_none_or(|end| end > itemsize) {
                return Err(cx.error(entry, format_args!("field {name:?} ends beyond the {itemsize}-byte element")));
            }
            out.push(StructField {
                name,
                dtype: dt.name(),
                offset,
                kind: dt.kind,
                size: dt.size,
                big_endian: dt.big_endian,
            });
        }
        cx.charge(item, raw.bytes.len())?;
        let bytes = if raw.fortran {
            let elems: Vec<usize> = fortran_to_c(&raw.shape, (0..raw.bytes.len() / itemsize.max(1)).collect());
            elems.into_iter().flat_map(|i| raw.bytes[i * itemsize..(i + 1) * itemsize].to_vec()).collect()
        } else {
            raw.bytes.into_owned()
        };
        Ok(StructArray { shape: raw.shape, itemsize, fields: out, bytes })
    }
}

impl PyType for StructArray {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::class("numpy", "ndarray")
    }
}

/// `with = "pickle_core::numpy::vec"`: a `Vec<T>` written as a 1-D
/// `numpy.ndarray` and read from any NumPy array of that element type
/// (flattened in C order).
pub mod vec {
    use super::{Element, NdArray, write_array};
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
        cx.decode::<NdArray<T>>(item).map(NdArray::into_vec)
    }
}
