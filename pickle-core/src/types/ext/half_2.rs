//! half 2 (feature `half`): `half::f16` as a NumPy `float16` array element
//! and scalar ([`Scalar<f16>`](crate::numpy::Scalar)), and as a Python
//! `float` on its own (read from a float, rounded to the nearest `f16`, or
//! exactly from a NumPy `float16` scalar).

use half::f16;

use crate::de::dtype::Scalar;
use crate::de::numpy;
use crate::de::{Context, FromPickle};
use crate::error::Result;
use crate::pyclass::{PyModuleBuilder, PyType, TypeHint};
use crate::ser::{Encoder, ToPickle};
use crate::types::numpy::{Element, private};
use crate::value::Item;

impl private::Sealed for f16 {}

impl Element for f16 {
    const DTYPE: &'static str = "<f2";
    const SCALAR: &'static str = "float16";
    const KIND: u8 = b'f';
    const SIZE: usize = 2;
    fn from_bytes(bytes: &[u8], big_endian: bool) -> Self {
        f16::from_bits(<u16 as Element>::from_bytes(bytes, big_endian))
    }
    fn extend_le(items: &[Self], out: &mut Vec<u8>) {
        out.reserve(items.len() * 2);
        for x in items {
            out.extend_from_slice(&x.to_bits().to_le_bytes());
        }
    }
}

impl ToPickle for f16 {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_f64(self.to_f64())
    }
}

impl<'a> FromPickle<'a> for f16 {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        if let Some(scalar) = numpy::scalar(cx, item, "a float") {
            return match scalar? {
                Scalar::Float(x) => Ok(f16::from_f64(x)),
                Scalar::Int(i) => Ok(f16::from_f64(i as f64)),
                _ => Err(cx.mismatch(item, "a float")),
            };
        }
        f64::from_pickle(cx, item).map(f16::from_f64)
    }
}

impl PyType for f16 {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::builtin("float")
    }
}
