//! NumPy scalars where std impls expect a primitive: `np.float64(1.5)`
//! reads as an `f64`, `np.int64(7)` as any integer, `np.bool_(True)` as a
//! `bool`. The dtype parsing is in `dtype.rs`.

use super::dtype::{self, Bad, Scalar};
use super::from_pickle::Context;
use crate::error::{Error, Result};
use crate::value::Item;

/// A [`Bad`] as the error `cx` gives, with its offset.
pub(crate) fn error(cx: &Context<'_, '_>, bad: Bad) -> Error {
    match bad {
        Bad::Mismatch(item, expected) => cx.mismatch(item, expected),
        Bad::Error(item, message) => cx.error(item, message),
    }
}

/// The value of the NumPy scalar `item`, or `None` when `item` is not a
/// NumPy scalar; `expected` names the Rust side for errors.
pub(crate) fn scalar(cx: &Context<'_, '_>, item: Item, expected: &str) -> Option<Result<Scalar>> {
    Some(match dtype::scalar_parts(cx.value(), item)? {
        Ok((dt, bytes)) => dtype::element(&dt, bytes).ok_or_else(|| cx.mismatch(item, expected)),
        Err(bad) => Err(error(cx, bad)),
    })
}
