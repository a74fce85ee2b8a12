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

impl Batch {
    /// No batch: empty, ending at 0.
    pub(crate) const NONE: Batch = Batch { start: 0, end: 0, marked: false, closing: 0 };
}

/// What came before a batch in its run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Before {
    /// Nothing: this is the first batch.
    Nothing,
    /// A batch of [`BATCH_SIZE`] items.
    Full,
    /// A shorter batch, which ended the run.
    Partial,
}

/// The next batch of a run: up to `most` items, after a MARK or not, closed
/// by `closing`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Next {
    pub most: usize,
    pub marked: bool,
    pub closing: u8,
}

/// CPython's batching rule, the one place it is written (`_pickle.c`'s
/// `batch_list_exact`, `batch_dict_exact` and `save_set`): the next batch
/// after `before`, with `left` items still to write (a caller that cannot
/// count them may pass 2 for "more than one"). At protocol 0 every item is
/// its own unmarked batch; a list or dict of exactly one item is unmarked;
/// otherwise batches of 1000 are MARKed, and after a full batch a dict or
/// set gets one more batch even when no item is left (`MARK SETITEMS`).
pub(crate) fn next_batch(kind: Batched, proto: u8, before: Before, left: usize) -> Option<Next> {
    let (single, many) = match kind {
        Batched::List => (op::APPEND, op::APPENDS),
        Batched::Dict => (op::SETITEM, op::SETITEMS),
        Batched::Set => (op::ADDITEMS, op::ADDITEMS),
    };
    let unmarked = Next { most: 1, marked: false, closing: single };
    let marked = Next { most: BATCH_SIZE, marked: true, closing: many };
    match (proto, before, left) {
        (0, _, 0) => None,
        (0, _, _) => Some(unmarked),
        (_, Before::Partial, _) | (_, Before::Nothing, 0) => None,
        (_, Before::Nothing, 1) if kind != Batched::Set => Some(unmarked),
        (_, Before::Full, 0) if kind == Batched::List => None,
        (_, Before::Full, 0) => Some(Next { most: 0, ..marked }),
        _ => Some(marked),
    }
}

/// Batch `k` of a run of `len` items, by [`next_batch`]'s rule: every batch
/// before it was full, so its place follows from `k`.
pub(crate) fn batch_at(kind: Batched, proto: u8, len: usize, k: usize) -> Option<Batch> {
    let per = if proto == 0 { 1 } else { BATCH_SIZE };
    let start = k.checked_mul(per).filter(|&s| s <= len)?;
    let before = if k == 0 { Before::Nothing } else { Before::Full };
    let next = next_batch(kind, proto, before, len - start)?;
    Some(Batch { start, end: start + next.most.min(len - start), marked: next.marked, closing: next.closing })
}

/// What a batched run of items fills: CPython batches each a little
/// differently.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Batched {
    List,
    Dict,
    Set,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The batches of a run of `len`, as (start, end, marked, closing).
    fn batches(kind: Batched, proto: u8, len: usize) -> Vec<(usize, usize, bool, u8)> {
        (0..).map_while(|k| batch_at(kind, proto, len, k)).map(|b| (b.start, b.end, b.marked, b.closing)).collect()
    }

    #[test]
    fn batches_as_cpython_cuts_them() {
        use Batched::*;
        assert_eq!(batches(List, 0, 2), [(0, 1, false, op::APPEND), (1, 2, false, op::APPEND)]);
        assert_eq!(batches(List, 2, 0), []);
        assert_eq!(batches(Dict, 2, 0), []);
        assert_eq!(batches(List, 2, 1), [(0, 1, false, op::APPEND)]);
        assert_eq!(batches(Set, 4, 1), [(0, 1, true, op::ADDITEMS)]);
        assert_eq!(batches(List, 1, 1000), [(0, 1000, true, op::APPENDS)]);
        assert_eq!(batches(Dict, 1, 1000), [(0, 1000, true, op::SETITEMS), (1000, 1000, true, op::SETITEMS)]);
        assert_eq!(batches(Set, 4, 2000).len(), 3);
        assert_eq!(batches(List, 3, 1001), [(0, 1000, true, op::APPENDS), (1000, 1001, true, op::APPENDS)]);
    }
}
