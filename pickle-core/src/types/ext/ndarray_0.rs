//! ndarray 0.17 (feature `ndarray`): `ndarray::ArrayBase` of any dimension
//! and any [`Element`] as `numpy.ndarray`, through
//! [`NdArray`](crate::numpy::NdArray). Any array (a view, a transposed or
//! sliced one) is written in C order; reading gives an owned `Array` of the
//! dimension asked for (`Array2<f64>`, `ArrayD<i32>`, ...), from C- or
//! Fortran-ordered NumPy arrays, and a dimension mismatch is an error.

use ndarray::{Array, ArrayBase, Data, Dimension, IxDyn, OwnedRepr};

use crate::de::{Context, FromPickle};
use crate::error::{Error, Result};
use crate::pyclass::{PyModuleBuilder, PyType, TypeHint};
use crate::ser::{Encoder, ToPickle};
use crate::types::numpy::{Element, NdArray};
use crate::value::Item;

impl<S, D, T> ToPickle for ArrayBase<S, D>
where
    S: Data<Elem = T>,
    D: Dimension,
    T: Element,
{
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        let shape = self.shape().to_vec();
        let data: Vec<T> = match self.as_slice() {
            Some(c_order) => c_order.to_vec(),
            None => self.iter().copied().collect(),
        };
        match NdArray::new(shape, data) {
            Some(a) => a.to_pickle(enc),
            None => Err(Error::custom("an ndarray whose shape does not hold its elements")),
        }
    }
}

impl<'a, D, T> FromPickle<'a> for ArrayBase<OwnedRepr<T>, D>
where
    D: Dimension,
    T: Element,
{
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let (shape, data) = cx.decode::<NdArray<T>>(item)?.into_parts();
        let ndim = shape.len();
        let dynamic = Array::from_shape_vec(IxDyn(&shape), data)
            .map_err(|e| cx.error(item, format_args!("the array's shape {shape:?} does not fit ndarray: {e}")))?;
        dynamic.into_dimensionality::<D>().map_err(|_| {
            cx.error(
                item,
                format_args!(
                    "expected an array of {} dimensions, found {ndim}",
                    D::NDIM.map_or("any".into(), |n| n.to_string())
                ),
            )
        })
    }
}

impl<S, D> PyType for ArrayBase<S, D>
where
    S: ndarray::RawData,
{
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::class("numpy", "ndarray")
    }
}
