//! Python's `bytes` and `bytearray` as types of their own, for when a
//! field should say which one it is.

use std::borrow::Cow;

use crate::de::{Context, FromPickle};
use crate::error::Result;
use crate::pyclass::{PyModuleBuilder, PyType, TypeHint};
use crate::ser::{Encoder, ToPickle};
use crate::value::{Item, Node};

/// Python `bytes`, for when a plain `Vec<u8>` field should say so in its
/// type. Borrowed when read from a slice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Bytes<'a>(pub Cow<'a, [u8]>);

impl ToPickle for Bytes<'_> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_bytes(&self.0)
    }
}

/// Python `bytearray`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ByteArray(pub Vec<u8>);

impl ToPickle for ByteArray {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_bytearray(&self.0)
    }
}

impl<'a> FromPickle<'a> for Bytes<'a> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match cx.value().get(item) {
            Some(Node::Bytes(Cow::Borrowed(b))) => Ok(Bytes(Cow::Borrowed(b))),
            Some(Node::Bytes(Cow::Owned(b))) => Ok(Bytes(Cow::Owned(b.clone()))),
            Some(Node::ByteArray(b)) => Ok(Bytes(Cow::Owned(b.clone()))),
            _ => Err(cx.mismatch(item, "bytes")),
        }
    }
}

impl<'a> FromPickle<'a> for ByteArray {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        match cx.value().get(item) {
            Some(Node::ByteArray(b)) => Ok(ByteArray(b.clone())),
            Some(Node::Bytes(b)) => Ok(ByteArray(b.to_vec())),
            _ => Err(cx.mismatch(item, "a bytearray")),
        }
    }
}

impl PyType for Bytes<'_> {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::builtin("bytes")
    }
}

impl PyType for ByteArray {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::builtin("bytearray")
    }
}
