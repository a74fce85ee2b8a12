//! Lists, tuples, dicts, sets and frozensets, batched as CPython batches them.

use super::batch::{BATCH_SIZE, Batched, Before, batch_at, next_batch};
use super::{Encoder, ToPickle};
use crate::error::{Error, Result};
use crate::format::opcodes as op;

impl<'w> Encoder<'w> {
    /// A list of the items, batched as CPython batches them.
    pub fn write_list<I>(&mut self, items: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: ToPickle,
    {
        self.begin_list();
        self.write_appends(items.into_iter(), |enc, item| item.to_pickle(enc))
    }

    /// A list of a slice's items: [`Encoder::write_list`] for a length known
    /// up front, cut into CPython's batches by [`batch_at`] rather than by
    /// peeking an iterator.
    pub(crate) fn write_slice<T: ToPickle>(&mut self, items: &[T]) -> Result<()> {
        self.write_slice_batches(items, |enc, run, marked| {
            for item in run {
                item.to_pickle(enc)?;
                if marked {
                    enc.boundary()?;
                }
            }
            Ok(())
        })
    }

    /// A list of shared values (`Rc`, `Arc`), byte for byte what
    /// [`write_slice`](Encoder::write_slice) writes: a run of references to
    /// the value written or fetched last (`last_shared`) is that many
    /// copies of its memo fetch, copied in blocks rather than looked up one
    /// by one. `addr` is an item's identity, `write` writes one item.
    pub(crate) fn write_shared_slice<T>(
        &mut self,
        items: &[T],
        addr: impl Fn(&T) -> usize,
        write: impl Fn(&mut Self, &T) -> Result<()>,
    ) -> Result<()> {
        // Copies of one fetch's bytes, kept across batches: (memo index,
        // width) of what `block` holds.
        let mut block = [0u8; 1020];
        let mut holds: Option<(u32, usize)> = None;
        self.write_slice_batches(items, |enc, mut rest, marked| {
            while let Some(first) = rest.first() {
                let a = addr(first);
                // The memo index of the value written last, and how many
                // items from here refer to it.
                let run =
                    enc.shared_hit(a).map(|idx| (idx, rest.iter().position(|x| addr(x) != a).unwrap_or(rest.len())));
                let Some((idx, same @ 2..)) = run else {
                    write(enc, first)?;
                    if marked {
                        enc.boundary()?;
                    }
                    rest = &rest[1..];
                    continue;
                };
                let (run, tail) = rest.split_at(same);
                let width = match holds {
                    Some((held, width)) if held == idx => width,
                    _ => {
                        // The fetch's bytes, as write_get writes them.
                        let start = enc.out.len();
                        enc.write_get(idx);
                        let width = enc.out.len() - start;
                        for slot in block.chunks_exact_mut(width) {
                            slot.copy_from_slice(&enc.out[start..]);
                        }
                        enc.out.truncate(start);
                        holds = Some((idx, width));
                        width
                    }
                };
                let per = block.len() / width;
                enc.write_runs(run, marked, width, |enc, part| {
                    for chunk in part.chunks(per) {
                        enc.out.extend_from_slice(&block[..chunk.len() * width]);
                    }
                })?;
                rest = tail;
            }
            Ok(())
        })
    }

    /// A list of strs at protocol 4+, byte for byte what
    /// [`write_slice`](Encoder::write_slice) writes, with the short strs
    /// (SHORT_BINUNICODE) written inline in one loop.
    pub(crate) fn write_str_slice<S: AsRef<str>>(&mut self, items: &[S]) -> Result<()> {
        debug_assert!(self.proto >= 4);
        self.write_slice_batches(items, |enc, run, marked| {
            for s in run {
                let b = s.as_ref().as_bytes();
                if b.len() < 256 {
                    enc.put_short_payload(op::SHORT_BINUNICODE, b);
                } else {
                    enc.write_str(s.as_ref())?;
                }
                if marked {
                    enc.boundary()?;
                }
            }
            Ok(())
        })
    }

    /// A list of floats at protocol 1+, byte for byte what
    /// [`write_slice`](Encoder::write_slice) writes: every item is a
    /// 9-byte BINFLOAT, so the items between two places where a frame may
    /// end are written in one tight run into space reserved up front.
    pub(crate) fn write_f64_slice<T: Copy + Into<f64>>(&mut self, items: &[T]) -> Result<()> {
        debug_assert!(self.proto >= 1);
        self.write_slice_batches(items, |enc, items, marked| {
            enc.write_runs(items, marked, 9, |enc, run| {
                for &x in run {
                    let e = x.into().to_be_bytes();
                    enc.out.extend_from_slice(&[op::BINFLOAT, e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7]]);
                }
            })
        })
    }

    /// A list of ints at protocol 2+, byte for byte what
    /// [`write_slice`](Encoder::write_slice) writes: every item is at most
    /// 10 bytes (BININT1/2/4, or LONG1 with up to 8 bytes), so the items
    /// before the first place where a frame may end are written in one run
    /// into space reserved up front, with a frame check only after the run.
    pub(crate) fn write_int_slice<T: Copy + Into<i64>>(&mut self, items: &[T]) -> Result<()> {
        const MAX_ITEM: usize = 10;
        debug_assert!(self.proto >= 2);
        self.write_slice_batches(items, |enc, items, marked| {
            enc.write_runs(items, marked, MAX_ITEM, |enc, run| {
                for &x in run {
                    // SAFETY: write_runs reserved MAX_ITEM bytes for each
                    // item of the run and each writes at most MAX_ITEM, so
                    // at least MAX_ITEM are spare before every item.
                    unsafe { enc.write_i64_reserved(x.into()) };
                }
            })
        })
    }

    /// Writes a batch's items in runs, each item taking at most `max_item`
    /// bytes: in a MARKed batch a run ends at the first item after which
    /// [`boundary`](Encoder::boundary) could act (no earlier item can reach
    /// it), and the frame check follows the run, so frames end where a check
    /// after every item would end them. Each run's space is reserved before
    /// `write` writes it.
    fn write_runs<T>(
        &mut self,
        mut rest: &[T],
        marked: bool,
        max_item: usize,
        mut write: impl FnMut(&mut Self, &[T]),
    ) -> Result<()> {
        while !rest.is_empty() {
            let n = if marked {
                (self.bytes_before_boundary().saturating_sub(1) / max_item + 1).min(rest.len())
            } else {
                rest.len()
            };
            let (run, tail) = rest.split_at(n);
            self.out.reserve(n.saturating_mul(max_item));
            write(self, run);
            if marked {
                self.boundary()?;
            }
            rest = tail;
        }
        Ok(())
    }

    /// The list of a slice, cut into CPython's batches by [`batch_at`]
    /// rather than by peeking an iterator; `write` writes each batch's
    /// items (given whether the batch is MARKed). As `write_batches`: a
    /// frame may end after each item of a MARKed batch (`write` calls
    /// [`boundary`](Encoder::boundary)), and after the closing opcode of an
    /// unmarked one.
    fn write_slice_batches<T>(
        &mut self,
        items: &[T],
        mut write: impl FnMut(&mut Self, &[T], bool) -> Result<()>,
    ) -> Result<()> {
        if self.proto >= 1 && (2..BATCH_SIZE).contains(&items.len()) {
            // One MARKed batch, as batch_at would say: EMPTY_LIST MARK
            // items APPENDS.
            self.put([op::EMPTY_LIST, op::MARK], 2);
            write(self, items, true)?;
            self.out.push(op::APPENDS);
            return Ok(());
        }
        self.begin_list();
        let mut k = 0;
        while let Some(b) = batch_at(Batched::List, self.proto, items.len(), k) {
            if b.marked {
                self.out.push(op::MARK);
            }
            write(self, &items[b.start..b.end], b.marked)?;
            self.out.push(b.closing);
            if !b.marked {
                self.boundary()?;
            }
            k += 1;
        }
        Ok(())
    }

    pub(crate) fn begin_list(&mut self) {
        if self.proto >= 1 {
            self.out.push(op::EMPTY_LIST);
        } else {
            self.out.extend_from_slice(&[op::MARK, op::LIST]);
        }
    }

    /// Appends items to the list (or list-like object) on top of the stack:
    /// `MARK items APPENDS` per batch of 1000, the only item of a list of one
    /// as `APPEND`, and one `APPEND` per item at protocol 0, as CPython writes
    /// them.
    pub(crate) fn write_appends<T>(
        &mut self,
        items: impl Iterator<Item = T>,
        mut write: impl FnMut(&mut Self, T) -> Result<()>,
    ) -> Result<()> {
        self.write_batches(items, Batched::List, |enc, item| write(enc, item))
    }

    /// The batching loop for items that come one by one: [`next_batch`]
    /// decides each batch, told whether items are left (and, for the first
    /// batch, whether there is exactly one).
    pub(super) fn write_batches<T>(
        &mut self,
        items: impl Iterator<Item = T>,
        kind: Batched,
        mut write: impl FnMut(&mut Self, T) -> Result<()>,
    ) -> Result<()> {
        let mut items = items.peekable();
        let first = items.next();
        let left = usize::from(first.is_some()) + usize::from(items.peek().is_some());
        let mut items = first.into_iter().chain(items).peekable();
        let (mut before, mut left) = (Before::Nothing, left);
        while let Some(batch) = next_batch(kind, self.proto, before, left) {
            if batch.marked {
                self.out.push(op::MARK);
            }
            let mut taken = 0;
            for item in items.by_ref().take(batch.most) {
                write(self, item)?;
                // A frame may end after each item of a MARKed batch, and
                // after the closing opcode of an unmarked one.
                if batch.marked {
                    self.boundary()?;
                }
                taken += 1;
            }
            self.out.push(batch.closing);
            if !batch.marked {
                self.boundary()?;
            }
            before = if taken == BATCH_SIZE { Before::Full } else { Before::Partial };
            left = if items.peek().is_some() { 2 } else { 0 };
        }
        Ok(())
    }

    /// A tuple of exactly `len` items, each written through the
    /// [`TupleWriter`] `write` is given: `EMPTY_TUPLE`, `TUPLE1`-`TUPLE3` from
    /// protocol 2, else `MARK ... TUPLE`. Writing fewer or more items than
    /// `len` is an error, never a different tuple.
    ///
    /// ```
    /// use pickle_core::{Encoder, Result, ToPickle};
    ///
    /// struct Pair(i32, &'static str);
    ///
    /// impl ToPickle for Pair {
    ///     fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
    ///         enc.write_tuple_with(2, |t| {
    ///             t.item(&self.0)?;
    ///             t.item(self.1)
    ///         })
    ///     }
    /// }
    ///
    /// let back: (i32, String) = pickle_core::from_slice(&pickle_core::to_vec(&Pair(7, "x"))?)?;
    /// assert_eq!(back, (7, "x".to_string()));
    /// # Ok::<(), pickle_core::Error>(())
    /// ```
    pub fn write_tuple_with(
        &mut self,
        len: usize,
        write: impl FnOnce(&mut TupleWriter<'_, 'w>) -> Result<()>,
    ) -> Result<()> {
        self.write_tuple_raw(len, |enc| {
            let mut tuple = TupleWriter { enc, len, done: 0 };
            write(&mut tuple)?;
            if tuple.done != len {
                return Err(Error::custom(format!(
                    "write_tuple_with was told {len} items and {} were written",
                    tuple.done
                )));
            }
            Ok(())
        })
    }

    /// [`Encoder::write_tuple_with`] for the encoder's own callers, which
    /// write exactly `len` items by construction.
    pub(crate) fn write_tuple_raw(&mut self, len: usize, write: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        if len == 0 {
            if self.proto >= 1 {
                self.out.push(op::EMPTY_TUPLE);
            } else {
                self.out.extend_from_slice(&[op::MARK, op::TUPLE]);
            }
            return Ok(());
        }
        if self.proto >= 2 && len <= 3 {
            write(self)?;
            self.out.push(op::TUPLE1 + (len as u8 - 1));
            return Ok(());
        }
        self.out.push(op::MARK);
        write(self)?;
        self.out.push(op::TUPLE);
        Ok(())
    }

    /// A tuple of the items.
    pub fn write_tuple<I>(&mut self, items: I) -> Result<()>
    where
        I: IntoIterator,
        I::IntoIter: ExactSizeIterator,
        I::Item: ToPickle,
    {
        let items = items.into_iter();
        self.write_tuple_with(items.len(), |t| items.into_iter().try_for_each(|item| t.item(&item)))
    }

    /// A dict of the pairs, in order, batched as CPython batches them.
    pub fn write_dict<I, K, V>(&mut self, pairs: I) -> Result<()>
    where
        I: IntoIterator<Item = (K, V)>,
        K: ToPickle,
        V: ToPickle,
    {
        self.begin_dict();
        self.write_setitems(pairs.into_iter(), |enc, (k, v)| {
            k.to_pickle(enc)?;
            v.to_pickle(enc)
        })
    }

    pub(crate) fn begin_dict(&mut self) {
        if self.proto >= 1 {
            self.out.push(op::EMPTY_DICT);
        } else {
            self.out.extend_from_slice(&[op::MARK, op::DICT]);
        }
    }

    /// Sets pairs on the dict (or dict-like object) on top of the stack;
    /// `write` writes one key and its value.
    pub(crate) fn write_setitems<T>(
        &mut self,
        pairs: impl Iterator<Item = T>,
        write: impl FnMut(&mut Self, T) -> Result<()>,
    ) -> Result<()> {
        self.write_batches(pairs, Batched::Dict, write)
    }

    /// A set: `EMPTY_SET` and `ADDITEMS` from protocol 4, else
    /// `builtins.set([...])`.
    pub fn write_set<I>(&mut self, items: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: ToPickle,
    {
        self.write_set_like(false, items.into_iter(), |enc, item| item.to_pickle(enc))
    }

    /// A frozenset: `MARK ... FROZENSET` from protocol 4, else
    /// `builtins.frozenset([...])`.
    pub fn write_frozenset<I>(&mut self, items: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: ToPickle,
    {
        self.write_set_like(true, items.into_iter(), |enc, item| item.to_pickle(enc))
    }

    pub(crate) fn write_set_like<T>(
        &mut self,
        frozen: bool,
        items: impl Iterator<Item = T>,
        mut write: impl FnMut(&mut Self, T) -> Result<()>,
    ) -> Result<()> {
        if self.proto >= 4 {
            if frozen {
                self.out.push(op::MARK);
                for item in items {
                    write(self, item)?;
                    self.boundary()?;
                }
                self.out.push(op::FROZENSET);
                return Ok(());
            }
            self.out.push(op::EMPTY_SET);
            return self.write_additems(items, write);
        }
        self.write_class("builtins", if frozen { "frozenset" } else { "set" })?;
        self.write_tuple_raw(1, |enc| {
            enc.begin_list();
            enc.write_appends(items, write)
        })?;
        self.out.push(op::REDUCE);
        Ok(())
    }

    pub(crate) fn write_additems<T>(
        &mut self,
        items: impl Iterator<Item = T>,
        write: impl FnMut(&mut Self, T) -> Result<()>,
    ) -> Result<()> {
        self.write_batches(items, Batched::Set, write)
    }
}

/// Writes the items of a tuple; see [`Encoder::write_tuple_with`]. It counts
/// them, so a tuple never gets more or fewer items than it announced.
#[derive(Debug)]
pub struct TupleWriter<'e, 'w> {
    enc: &'e mut Encoder<'w>,
    len: usize,
    done: usize,
}

impl<'w> TupleWriter<'_, 'w> {
    /// Writes the next item.
    pub fn item<T: ToPickle + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.item_with(|enc| value.to_pickle(enc))
    }

    /// Writes the next item with `write`, which must write exactly one value.
    pub fn item_with(&mut self, write: impl FnOnce(&mut Encoder<'w>) -> Result<()>) -> Result<()> {
        if self.done >= self.len {
            return Err(Error::custom(format!("an item beyond the {} the tuple announced", self.len)));
        }
        self.done += 1;
        write(self.enc)
    }
}
