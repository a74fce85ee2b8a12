//! indexmap 2 (feature `indexmap`): `IndexMap` as a dict and `IndexSet` as
//! a set, keeping their order both ways. An `IndexMap` reads a dict, an
//! `OrderedDict`, a `defaultdict` or a `Counter` in the pickle's order; an
//! `IndexSet` reads a set, a frozenset, a list or a tuple in order.

use std::hash::{BuildHasher, Hash};

use indexmap::{IndexMap, IndexSet};

use crate::de::{Context, FromPickle, hash_table_bytes};
use crate::error::Result;
use crate::pyclass::{PyModuleBuilder, PyType, TypeHint};
use crate::ser::{Encoder, ToPickle};
use crate::value::Item;

impl<K: ToPickle, V: ToPickle, S> ToPickle for IndexMap<K, V, S> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_dict(self.iter())
    }
}

impl<T: ToPickle, S> ToPickle for IndexSet<T, S> {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_set(self.iter())
    }
}

impl<'a, K, V, S> FromPickle<'a> for IndexMap<K, V, S>
where
    K: FromPickle<'a> + Eq + Hash,
    V: FromPickle<'a>,
    S: BuildHasher + Default,
{
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        // The entries (charged by decode_dict, plus their hashes) and the
        // index table.
        let n = cx.dict(item)?.len();
        cx.charge(item, n.saturating_mul(8).saturating_add(hash_table_bytes(n, size_of::<usize>())))?;
        cx.decode_dict(
            item,
            |n| IndexMap::with_capacity_and_hasher(n, S::default()),
            |m, k, v| {
                m.insert(k, v);
            },
        )
    }
}

impl<'a, T, S> FromPickle<'a> for IndexSet<T, S>
where
    T: FromPickle<'a> + Eq + Hash,
    S: BuildHasher + Default,
{
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let n = cx.sequence(item, "a set")?.len();
        cx.charge(item, n.saturating_mul(8).saturating_add(hash_table_bytes(n, size_of::<usize>())))?;
        cx.decode_items(
            item,
            "a set",
            |n| IndexSet::with_capacity_and_hasher(n, S::default()),
            |s, x| {
                s.insert(x);
            },
        )
    }
}

impl<K: PyType, V: PyType, S> PyType for IndexMap<K, V, S> {
    fn py_type(b: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::generic("dict", vec![K::py_type(b), V::py_type(b)])
    }
}

impl<T: PyType, S> PyType for IndexSet<T, S> {
    fn py_type(b: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::generic("set", vec![T::py_type(b)])
    }
}
