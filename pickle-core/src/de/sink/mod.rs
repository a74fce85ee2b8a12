//! What the machine hands the items of a streamed root container to, and its
//! bookkeeping for that. The sinks themselves and the drivers that run the
//! machine with one are in `stream.rs`.

pub(crate) mod direct;
pub(crate) mod scalars;

use crate::error::{Error, Result};
use crate::value::{Item, NodeId, Value};

/// What receives the root container's items.
pub(crate) trait Sink<'a> {
    /// Whether the sink takes a dict's pairs (else a list's items).
    fn wants_dict(&self) -> bool;
    /// Items appended to the root list `root`, in order.
    fn items(&mut self, value: &Value<'a>, root: Item, items: &[Item]) -> Result<()>;
    /// Pairs set on the root dict `root`, in order.
    fn pairs(&mut self, value: &Value<'a>, root: Item, pairs: &[(Item, Item)]) -> Result<()>;
    /// Reads the batch of the root that starts at `bytes` (just after its
    /// MARK) straight from the input, up to (not including) the root's
    /// APPENDS or SETITEMS, with no node made (sink/direct.rs): the bytes
    /// read, or `None` when the sink declined the batch and nothing changed
    /// (the machine then reads it the usual way); with the bytes, how many
    /// dead memo writes it skipped (see [`MemoView`]). `room` is the stack
    /// slots left above the MARK.
    fn direct(
        &mut self,
        value: &Value<'a>,
        root: Item,
        bytes: &'a [u8],
        memo: MemoView<'_>,
        room: usize,
    ) -> Option<Direct>;
    /// The arena freed the nodes at `floor` and above: forget anything built
    /// for them, since their ids will be reused.
    fn forget_from(&mut self, floor: usize);
}

/// What the direct path sees of the machine's memo.
#[derive(Clone, Copy)]
pub(crate) struct MemoView<'m> {
    /// The dense slots (key = index).
    pub(crate) dense: &'m [Option<Item>],
    /// How many keys are stored: the key the next MEMOIZE writes.
    pub(crate) len: u64,
    /// No sparse key is stored: a key past `dense` is not in the memo.
    pub(crate) dense_only: bool,
}

/// A batch the sink read straight from the input.
pub(crate) struct Direct {
    /// The bytes read.
    pub(crate) read: usize,
    /// The MEMOIZEs (and BINPUTs of the next key) skipped as dead: the
    /// machine counts their keys as written.
    pub(crate) skipped: u64,
}

/// The machine's bookkeeping for a sink.
pub(crate) struct Stream<'o, 'a> {
    pub(crate) sink: &'o mut dyn Sink<'a>,
    /// The root container, once the stream has created it.
    pub(crate) root: Option<NodeId>,
    /// Nodes below this existed when the current window of items began.
    pub(crate) floor: usize,
    /// The machine's count of memo writes when the window began.
    pub(crate) memo_writes: u64,
    /// Whether a node below `floor` changed during the window.
    pub(crate) dirty: bool,
    /// Whether items went to the sink since the window began.
    pub(crate) pending: bool,
    /// Whether any item went to the sink at all.
    pub(crate) consumed: bool,
    /// Whether streaming gave up after consuming items.
    pub(crate) aborted: bool,
}

impl<'o, 'a> Stream<'o, 'a> {
    pub(crate) fn new(sink: &'o mut dyn Sink<'a>) -> Self {
        Stream {
            sink,
            root: None,
            floor: 0,
            memo_writes: 0,
            dirty: false,
            pending: false,
            consumed: false,
            aborted: false,
        }
    }

    /// The sink failed to convert an item. Until STOP confirms that the
    /// streamed list is the pickle's root, that failure is not the answer
    /// (the list may sit inside a tuple whose conversion succeeds), so
    /// streaming gives up and the whole graph decides.
    pub(crate) fn give_up(&mut self, e: Error) -> Error {
        self.consumed = true;
        self.aborted = true;
        e
    }
}

/// How a streaming run ended.
pub(crate) enum Streamed<'a> {
    /// The sink holds the result.
    Consumed,
    /// Nothing went to the sink: the whole graph, to convert as usual.
    Whole(Value<'a>),
    /// Streaming gave up after consuming items: decode again without it.
    Aborted,
}
