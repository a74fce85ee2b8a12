//! The memo: PUT/BINPUT/MEMOIZE and the GETs, with the dense table that
//! makes a long run of BINGETs cheap.

use super::*;

/// The memo: dense slots for the keys picklers use (0, 1, 2, ...), a map for
/// the sparse keys only a hostile or odd stream uses.
#[derive(Default)]
pub(super) struct Memo {
    dense: Vec<Option<Item>>,
    sparse: HashMap<u64, Item>,
    count: usize,
}

/// Keys this far past the dense end still grow the dense table.
const MEMO_DENSE_SLACK: u64 = 4096;

impl Memo {
    /// How many keys are stored.
    pub(super) fn len(&self) -> usize {
        self.count
    }

    /// What the direct path reads of the memo (sink/direct.rs).
    pub(super) fn view(&self) -> MemoView<'_> {
        MemoView { dense: &self.dense, len: self.count as u64, dense_only: self.sparse.is_empty() }
    }

    /// Counts `n` keys as written that the direct path skipped, the next
    /// ones in order: no later fetch reads them, so they hold nothing, but
    /// the keys later MEMOIZEs write move on past them.
    pub(super) fn count_skipped(&mut self, n: u64) {
        self.count += n as usize;
    }

    fn get(&self, key: u64) -> Option<Item> {
        match self.dense.get(key as usize) {
            Some(slot) => *slot,
            None => self.sparse.get(&key).copied(),
        }
    }
}

impl<'a> Machine<'a, '_> {
    pub(super) fn memo_put(&mut self, key: u64, item: Item, at: u64) -> Res<()> {
        self.memo_writes += 1;
        let memo = &mut self.memo;
        let exists = memo.get(key).is_some();
        if !exists && memo.count >= self.opts.limits.max_memo {
            return Err(err(
                ErrorKind::LimitExceeded,
                at,
                "memo too large",
                format_args!("it would exceed the limit of {} entries", self.opts.limits.max_memo),
            ));
        }
        let dense_len = memo.dense.len() as u64;
        if key < dense_len {
            memo.dense[key as usize] = Some(item);
        } else if key < dense_len + MEMO_DENSE_SLACK {
            let grow = key + 1 - dense_len;
            self.used = self.used.saturating_add(grow * ITEM_COST);
            if self.used > self.budget {
                self.over_budget_unless_grown(at)?;
            }
            let memo = &mut self.memo;
            memo.dense.resize(key as usize + 1, None);
            memo.dense[key as usize] = Some(item);
        } else {
            self.charge(ITEM_COST * 3, at)?;
            self.memo.sparse.insert(key, item);
        }
        if !exists {
            self.memo.count += 1;
        }
        Ok(())
    }

    #[inline]
    pub(super) fn memo_get(&mut self, key: u64, code: u8, at: u64) -> Res<()> {
        match self.memo.get(key) {
            Some(item) => {
                if self.is_stream_root(item) {
                    self.leave_stream()?;
                }
                if self.setter_call.is_some() {
                    self.copy_dropped(item, at);
                }
                self.push(item, at)
            }
            None => Err(missing_memo(code, key, at)),
        }
    }

    /// The BINGETs and LONG_BINGETs that directly follow one (a list of
    /// shared references is a long run of them), in one tight loop over the
    /// buffered input. The loop stops before anything unusual (a key not in
    /// the dense memo, the streamed root, the depth limit, a truncated
    /// argument) and leaves it to the general path, which reports errors at
    /// their offsets.
    #[inline]
    pub(super) fn memo_get_run<I: Input<'a>>(&mut self, input: &mut I) {
        let bytes = input.buffered();
        let root = self.stream.as_ref().and_then(|s| s.root);
        let mut room = self.opts.limits.max_depth.saturating_sub(self.stack.len() + self.marks.len());
        let mut at = 0;
        while room > 0 {
            let (key, width) = match bytes.get(at..) {
                Some([op::BINGET, k, ..]) => (usize::from(*k), 2),
                Some([op::LONG_BINGET, a, b, c, d, ..]) => (u32::from_le_bytes([*a, *b, *c, *d]) as usize, 5),
                _ => break,
            };
            let item = match self.memo.dense.get(key) {
                Some(Some(Item::Node(id))) if Some(*id) == root => break,
                Some(Some(item)) => *item,
                _ => break,
            };
            self.stack.push(item);
            room -= 1;
            at += width;
        }
        input.skip(at);
    }
}
