//! CPython's batching rule for APPENDS, SETITEMS and ADDITEMS.

use crate::format::opcodes as op;

/// Items per APPENDS/SETITEMS/ADDITEMS batch, as CPython batches them.
pub(crate) const BATCH_SIZE: usize = 1000;

/// One batch of a run of `len` items: items `start..end`, after a MARK or
/// not, closed by `closing`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Batch {
    pub start: usize,
    pub end: usize,
    pub marked: bool,
    pub closing: u8,
}

/// Batch `k` of a run of `len` items, as CPython's C pickler cuts them
/// (the same rule `Encoder::write_batches` follows for iterators): at
/// protocol 0 one unmarked batch per item; a lone list or dict item
/// unmarked; otherwise MARKed batches of 1000, and a dict or set whose size
/// is a multiple of 1000 ends with an empty batch.
pub(crate) fn batch_at(kind: Batched, proto: u8, len: usize, k: usize) -> Option<Batch> {
    let (single, many) = match kind {
        Batched::List => (op::APPEND, op::APPENDS),
        Batched::Dict => (op::SETITEM, op::SETITEMS),
        Batched::Set => (op::ADDITEMS, op::ADDITEMS),
    };
    if proto == 0 {
        return (k < len).then_some(Batch { start: k, end: k + 1, marked: false, closing: single });
    }
    if len == 1 && kind != Batched::Set {
        return (k == 0).then_some(Batch { start: 0, end: 1, marked: false, closing: single });
    }
    let count = match (kind, len) {
        (_, 0) => 0,
        (Batched::List, _) => len.div_ceil(BATCH_SIZE),
        _ => len / BATCH_SIZE + 1,
    };
    (k < count).then(|| {
        let start = k * BATCH_SIZE;
        Batch { start, end: (start + BATCH_SIZE).min(len), marked: true, closing: many }
    })
}

/// What a batched run of items fills: CPython batches each a little
/// differently.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Batched {
    List,
    Dict,
    Set,
}
