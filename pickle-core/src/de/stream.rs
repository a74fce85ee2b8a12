//! Streaming decode of a root list or dict into a Rust collection.
//!
//! Decoding `[item, item, ...]` into a `Vec<T>` by first building the whole
//! graph holds every item's nodes and every converted item at once. Here the
//! machine hands each item of the root container to a sink as soon as the
//! pickle appends it; the sink converts it, and the machine frees the nodes
//! the item needed once nothing else can reach them (the memo unchanged, no
//! older node changed, only the root on the stack). Peak memory is then the
//! result plus one batch of graph, not the result plus the whole graph.
//!
//! When the stream does something streaming cannot follow (it fetches the
//! root again from the memo, duplicates it, or returns something else at
//! STOP), the machine gives up: if nothing was consumed yet it simply goes on
//! building the whole graph, otherwise the caller decodes again without a sink.
//!
//! A slice can simply be decoded again. A reader cannot rewind, so while it
//! streams, every byte it hands over is also kept (`input.rs`: `Tee`); decoding again
//! reads those bytes, then the rest of the reader. The copy costs what the
//! input is, which is less than the graph it saves.

use super::count::{self, Reached};
use super::from_pickle::{Context, FromPickle, SharedCache};
use super::input::{Input, SliceInput, Source, Src};
use super::machine::Machine;
use super::sink::direct::Direct;
use super::sink::{Direct as DirectBatch, MemoView, Sink, Streamed};
use crate::error::Result;
use crate::format::opcodes as op;
use crate::options::{DecodeOptions, Limits};
use crate::value::{Item, Value};

struct VecSink<'l, T> {
    out: Vec<T>,
    /// The item the last element of `out` was converted from.
    last: Option<Item>,
    cache: SharedCache,
    limits: &'l Limits,
    tries: Tries,
}

/// After this many batches in a row declined, a sink declines the rest at
/// once: the items are not of a shape the direct path reads. A decline
/// costs at most a second parse of one batch.
const MAX_DECLINES: u8 = 2;

/// When a sink reads a batch directly, and which memo writes it may skip.
///
/// A first batch is often declined for what it defines: a class and field
/// names, memoized there and only fetched by later batches. It does not
/// count. When a later batch is declined at a memo write, the input
/// memoizes more than that, as CPython does every str, list, dict and
/// instance: a pass over the rest of the input then finds the keys any
/// later fetch reads (`count.rs`), the batch is read again, and the writes
/// of every other key are skipped from then on.
#[derive(Default)]
struct Tries {
    /// Batches declined in a row (see [`MAX_DECLINES`]).
    declined: u8,
    /// Whether a batch was tried before.
    tried: bool,
    /// The keys later fetches read, once the pass ran (`None` inside: it
    /// could not follow the input, or its set did not fit the budget).
    reached: Option<Option<Reached>>,
}

impl Tries {
    /// Runs `attempt` (with the keys later fetches read, if known), which
    /// gives the batch read or `None`, and whether it stopped at a memo write.
    #[allow(clippy::too_many_arguments)]
    fn run<'a>(
        &mut self,
        value: &Value<'a>,
        root: Item,
        limits: &Limits,
        cache: &mut SharedCache,
        bytes: &'a [u8],
        memo: MemoView<'_>,
        mut attempt: impl FnMut(&mut SharedCache, Option<&Reached>) -> (Option<DirectBatch>, bool),
    ) -> Option<DirectBatch> {
        if self.declined >= MAX_DECLINES {
            return None;
        }
        let (mut done, at_memo) = attempt(cache, self.reached.as_ref().and_then(Option::as_ref));
        if !std::mem::replace(&mut self.tried, true) && done.is_none() {
            return None;
        }
        if done.is_none() && at_memo && self.reached.is_none() {
            // The set's bits are charged like any allocation.
            let cap = memo.len.saturating_add(bytes.len() as u64).min(limits.max_memo as u64);
            let mut cx = Context::with_cache(value, root, limits, std::mem::take(cache));
            let fits = cx.try_charge((cap / 8) as usize + 8);
            *cache = cx.into_cache();
            let reached = if fits { count::reached_keys(bytes, cap) } else { None };
            if let Some(reached) = &reached {
                done = attempt(cache, Some(reached)).0;
            }
            self.reached = Some(reached);
        }
        if done.is_some() {
            self.declined = 0;
        } else {
            self.declined += 1;
        }
        done
    }
}

impl<'a, T: FromPickle<'a>> VecSink<'_, T> {
    /// Makes room for `more` items, growing by doubling, charging the new
    /// buffer while the old one still lives and giving the old one back
    /// once it is freed.
    fn grow(&mut self, cx: &mut Context<'_, 'a>, root: Item, more: usize) -> Result<()> {
        let (len, cap) = (self.out.len(), self.out.capacity());
        let need = len.saturating_add(more);
        if need > cap {
            let new_cap = need.max(cap.saturating_mul(2)).max(4);
            cx.charge(root, new_cap.saturating_mul(size_of::<T>()))?;
            self.out.reserve_exact(new_cap - len);
            cx.refund(cap.saturating_mul(size_of::<T>()));
        }
        Ok(())
    }
}

impl<'a, T: FromPickle<'a>> Sink<'a> for VecSink<'_, T> {
    fn wants_dict(&self) -> bool {
        false
    }

    fn items(&mut self, value: &Value<'a>, root: Item, items: &[Item]) -> Result<()> {
        let mut cx = Context::with_cache(value, root, self.limits, std::mem::take(&mut self.cache));
        if let Err(e) = self.grow(&mut cx, root, items.len()) {
            self.cache = cx.into_cache();
            return Err(e);
        }
        let result = items.iter().try_for_each(|&item| {
            // Another reference to the node just converted: a type that
            // shares (Rc, Arc) repeats it without converting again.
            if matches!(item, Item::Node(_))
                && self.last == Some(item)
                && let Some(again) = self.out.last().and_then(T::repeat)
            {
                self.out.push(again);
                return Ok(());
            }
            self.last = Some(item);
            cx.decode(item).map(|t| self.out.push(t))
        });
        self.cache = cx.into_cache();
        result
    }

    fn pairs(&mut self, _value: &Value<'a>, _root: Item, _pairs: &[(Item, Item)]) -> Result<()> {
        Ok(())
    }

    fn direct(
        &mut self,
        value: &Value<'a>,
        root: Item,
        bytes: &'a [u8],
        memo: MemoView<'_>,
        room: usize,
    ) -> Option<DirectBatch> {
        let VecSink { out, last, cache, limits, tries } = self;
        tries.run(value, root, limits, cache, bytes, memo, |cache, reached| {
            let mut cx = Context::with_cache(value, root, limits, std::mem::take(cache));
            let (start, charged) = (out.len(), cx.charged_so_far());
            let mut rd = Direct::new(bytes, memo, reached, &mut cx, room, limits);
            let mut taken = false;
            // The item the last element was converted from, while known: a
            // fetch of it again is repeated, as `items` repeats one. Only a
            // type that shares repeats: any other reads a fetch as it reads
            // any item.
            let mut prev = last.filter(|_| out.last().and_then(T::repeat).is_some());
            // The usual path checks the batch against the container limit.
            loop {
                if let Some(p) = prev
                    && rd.peek().is_some()
                {
                    let n = rd.fetch_run(p, rd.room_in(out.len() - start));
                    if n > 0 {
                        if rd.reserve(out, n).is_none() {
                            break;
                        }
                        let Some(shared) = out.last().and_then(T::repeat) else { break };
                        if !T::repeat_into(&shared, n, out) {
                            break;
                        }
                        if rd.peek() == Some(op::APPENDS) {
                            taken = true;
                            break;
                        }
                        continue;
                    }
                }
                if !(rd.fits(out.len() - start + 1) && rd.hold(1).is_some()) {
                    break;
                }
                prev = None;
                let Some(t) = rd.read::<T>() else { break };
                if rd.reserve(out, 1).is_none() {
                    break;
                }
                out.push(t);
                if rd.peek() == Some(op::APPENDS) {
                    taken = true;
                    break;
                }
            }
            let (at_memo, done) =
                (rd.at_memo_write(), DirectBatch { read: bytes.len() - rd.rest().len(), skipped: rd.skipped() });
            if !taken {
                out.truncate(start);
                cx.uncharge_to(charged);
            }
            *cache = cx.into_cache();
            if taken {
                *last = prev;
            }
            (taken.then_some(done), at_memo)
        })
    }

    fn forget_from(&mut self, floor: usize) {
        self.cache.forget_from(floor);
        if let Some(Item::Node(id)) = self.last
            && id.index() >= floor
        {
            self.last = None;
        }
    }
}

struct MapSink<'l, M, K, V> {
    out: M,
    insert: fn(&mut M, K, V),
    cache: SharedCache,
    limits: &'l Limits,
    /// A direct batch's pairs, inserted once the whole batch is read, so
    /// that a declined batch leaves the map as it was.
    batch: Vec<(K, V)>,
    tries: Tries,
}

impl<'a, M, K: FromPickle<'a>, V: FromPickle<'a>> Sink<'a> for MapSink<'_, M, K, V> {
    fn wants_dict(&self) -> bool {
        true
    }

    fn items(&mut self, _value: &Value<'a>, _root: Item, _items: &[Item]) -> Result<()> {
        Ok(())
    }

    fn pairs(&mut self, value: &Value<'a>, root: Item, pairs: &[(Item, Item)]) -> Result<()> {
        let mut cx = Context::with_cache(value, root, self.limits, std::mem::take(&mut self.cache));
        let charged = cx.charge(root, pairs.len().saturating_mul(size_of::<(K, V)>()));
        let result = charged.and_then(|()| {
            pairs.iter().try_for_each(|&(k, v)| {
                let key = cx.decode(k)?;
                let value = cx.decode(v)?;
                (self.insert)(&mut self.out, key, value);
                Ok(())
            })
        });
        self.cache = cx.into_cache();
        result
    }

    fn direct(
        &mut self,
        value: &Value<'a>,
        root: Item,
        bytes: &'a [u8],
        memo: MemoView<'_>,
        room: usize,
    ) -> Option<DirectBatch> {
        let MapSink { out, insert, cache, limits, batch, tries } = self;
        tries.run(value, root, limits, cache, bytes, memo, |cache, reached| {
            let mut cx = Context::with_cache(value, root, limits, std::mem::take(cache));
            let charged = cx.charged_so_far();
            let mut rd = Direct::new(bytes, memo, reached, &mut cx, room, limits);
            let mut taken = false;
            // The usual path checks the batch against the container limit
            // (here counting keys and values, to be sure).
            while rd.fits(2 * batch.len() + 2) && rd.hold(2).is_some() {
                let Some(k) = rd.read::<K>() else { break };
                let Some(v) = rd.read::<V>() else { break };
                if rd.reserve(batch, 1).is_none() {
                    break;
                }
                batch.push((k, v));
                if rd.peek() == Some(op::SETITEMS) {
                    taken = true;
                    break;
                }
            }
            let (at_memo, done) =
                (rd.at_memo_write(), DirectBatch { read: bytes.len() - rd.rest().len(), skipped: rd.skipped() });
            if taken {
                // The batch buffer is kept for the next batch, still charged.
                for (k, v) in batch.drain(..) {
                    insert(out, k, v);
                }
            } else {
                // Freed, as its charge is given back with the rest.
                *batch = Vec::new();
                cx.uncharge_to(charged);
            }
            *cache = cx.into_cache();
            (taken.then_some(done), at_memo)
        })
    }

    fn forget_from(&mut self, floor: usize) {
        self.cache.forget_from(floor);
    }
}

/// Runs the machine over the input with `sink`.
fn run<'a>(src: &mut Source<'_, 'a>, opts: &DecodeOptions, sink: &mut dyn Sink<'a>) -> Result<Streamed<'a>> {
    fn go<'a, I: Input<'a>>(
        input: &mut I,
        len: Option<u64>,
        opts: &DecodeOptions,
        sink: &mut dyn Sink<'a>,
    ) -> Result<Streamed<'a>> {
        Machine::new(opts, len).with_sink(sink).run_streaming(input)
    }
    match &mut src.src {
        Src::Slice(bytes) => go(&mut SliceInput::new(bytes), Some(bytes.len() as u64), opts, sink),
        Src::Reader(input) => go(input, None, opts, sink),
    }
}

/// Decodes a pickle whose root is a list into a `Vec<T>`, streaming its
/// items. `None` when streaming gave up: the caller decodes the whole graph.
pub(crate) fn vec_from_stream<'a, T: FromPickle<'a>>(
    src: &mut Source<'_, 'a>,
    opts: &DecodeOptions,
) -> Option<Result<Vec<T>>> {
    let mut sink = VecSink {
        out: Vec::new(),
        last: None,
        cache: SharedCache::default(),
        limits: &opts.limits,
        tries: Tries::default(),
    };
    match run(src, opts, &mut sink) {
        Ok(Streamed::Consumed) => Some(Ok(sink.out)),
        Ok(Streamed::Whole(value)) => Some(Vec::<T>::from_value(value, &opts.limits)),
        Ok(Streamed::Aborted) => None,
        Err(e) => Some(Err(e)),
    }
}

/// Decodes a pickle whose root is a dict into the map `empty(capacity)`,
/// streaming its pairs; `insert` adds one. `capacity` is what
/// [`dict_capacity`] finds in a slice (0 for a reader), `presized(capacity)`
/// the bytes the empty map then holds. `None` when streaming gave up.
pub(crate) fn map_from_stream<'a, M, K, V>(
    src: &mut Source<'_, 'a>,
    opts: &DecodeOptions,
    empty: impl FnOnce(usize) -> M,
    presized: fn(usize) -> usize,
    insert: fn(&mut M, K, V),
) -> Option<Result<M>>
where
    M: FromPickle<'a>,
    K: FromPickle<'a>,
    V: FromPickle<'a>,
{
    let capacity = src.bytes().map_or(0, |bytes| dict_capacity::<K, V>(bytes, opts));
    // The empty map's table is charged first.
    let cache = SharedCache::charged(presized(capacity) as u64);
    let mut sink = MapSink {
        out: empty(capacity),
        insert,
        cache,
        limits: &opts.limits,
        batch: Vec::new(),
        tries: Tries::default(),
    };
    match run(src, opts, &mut sink) {
        Ok(Streamed::Consumed) => Some(Ok(sink.out)),
        Ok(Streamed::Whole(value)) => Some(M::from_value(value, &opts.limits)),
        Ok(Streamed::Aborted) => None,
        Err(e) => Some(Err(e)),
    }
}

/// How many `(K, V)` pairs to make room for before decoding a pickle whose
/// root is a dict: the count of a quick pass over the input
/// (`count.rs`), so that a hash map never resizes, capped by what the
/// allocation budget could hold and by the container limit. 0 when the pass
/// cannot follow the input.
fn dict_capacity<K, V>(bytes: &[u8], opts: &DecodeOptions) -> usize {
    let budget = opts.limits.alloc_budget(bytes.len() as u64) / size_of::<(K, V)>().max(1) as u64;
    let cap = usize::try_from(budget).unwrap_or(usize::MAX).min(opts.limits.max_container_len);
    super::count::root_len(bytes, true).unwrap_or(0).min(cap)
}
