//! num-complex 0.4 (feature `num-complex`): `Complex<f64>` and
//! `Complex<f32>` as Python's `complex` (and NumPy's `complex128` and
//! `complex64` scalars and array elements).

use num_complex::Complex;

use crate::de::dtype::Scalar;
use crate::de::numpy;
use crate::de::{Context, FromPickle};
use crate::error::Result;
use crate::pyclass::{PyModuleBuilder, PyType, TypeHint};
use crate::ser::{Encoder, ToPickle};
use crate::types::numpy::{Element, private};
use crate::value::{Item, Node};

/// `(re, im)` of a complex, a NumPy complex scalar, or a real number.
fn parts(cx: &mut Context<'_, '_>, item: Item) -> Result<(f64, f64)> {
    match (item, cx.value().get(item)) {
        (_, Some(&Node::Complex(re, im))) => Ok((re, im)),
        (Item::Float(x), _) => Ok((x, 0.0)),
        (Item::Int(i), _) => Ok((i as f64, 0.0)),
        _ => match numpy::scalar(cx, item, "a complex") {
            Some(Ok(Scalar::Complex(re, im))) => Ok((re, im)),
            Some(Ok(Scalar::Float(x))) => Ok((x, 0.0)),
            Some(Ok(Scalar::Int(i))) => Ok((i as f64, 0.0)),
            Some(Err(e)) => Err(e),
            _ => Err(cx.mismatch(item, "a complex")),
        },
    }
}

impl ToPickle for Complex<f64> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_complex(self.re, self.im)
    }
}

impl ToPickle for Complex<f32> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_complex(f64::from(self.re), f64::from(self.im))
    }
}

impl<'a> FromPickle<'a> for Complex<f64> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        parts(cx, item).map(|(re, im)| Complex::new(re, im))
    }
}

impl<'a> FromPickle<'a> for Complex<f32> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        parts(cx, item).map(|(re, im)| Complex::new(re as f32, im as f32))
    }
}

impl<T> PyType for Complex<T> {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::builtin("complex")
    }
}

macro_rules! complex_elements {
    ($($f:ty => $dtype:literal, $scalar:literal;)*) => {$(
        impl private::Sealed for Complex<$f> {}
        impl Element for Complex<$f> {
            const DTYPE: &'static str = $dtype;
            const SCALAR: &'static str = $scalar;
            const KIND: u8 = b'c';
            const SIZE: usize = 2 * size_of::<$f>();
            fn from_bytes(bytes: &[u8], big_endian: bool) -> Self {
                let half = size_of::<$f>();
                let (re, im) = bytes.split_at(half);
                Complex::new(<$f as Element>::from_bytes(re, big_endian), <$f as Element>::from_bytes(im, big_endian))
            }
            fn extend_le(items: &[Self], out: &mut Vec<u8>) {
                out.reserve(items.len() * 2 * size_of::<$f>());
                for c in items {
                    out.extend_from_slice(&c.re.to_le_bytes());
                    out.extend_from_slice(&c.im.to_le_bytes());
                }
            }
        }
    )*};
}

complex_elements! {
    f64 => "<c16", "complex128";
    f32 => "<c8", "complex64";
}
