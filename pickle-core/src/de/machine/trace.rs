//! What a traced run records besides the graph, for `pickle scan`: the
//! opcodes that run code in CPython but leave no node of their own (BUILD,
//! and APPEND/SETITEM/ADDITEMS on something other than a list, dict or set),
//! and the globals whose names the Python 2 mapping changed.

use crate::error::Error;
use crate::value::{Item, Value};

/// One opcode that calls into the object it targets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Event {
    /// The opcode's offset.
    pub(crate) at: u64,
    /// The opcode: BUILD, or one of the item opcodes.
    pub(crate) code: u8,
    /// The object whose `__setstate__`, `append`, `extend`, `__setitem__`
    /// or `add` runs.
    pub(crate) target: Item,
}

/// A global named one way in the stream and looked up another after the
/// Python 2 mapping (`__builtin__.eval` is `builtins.eval`).
#[derive(Debug, Clone)]
pub(crate) struct Renamed {
    /// The offset of the opcode that named it (its node's offset).
    pub(crate) at: u64,
    /// The module as written.
    pub(crate) module: String,
    /// The name as written.
    pub(crate) name: String,
}

#[derive(Debug, Default)]
pub(crate) struct Trace {
    pub(crate) events: Vec<Event>,
    pub(crate) renamed: Vec<Renamed>,
}

/// A traced run: everything built up to STOP or to the first error.
#[derive(Debug)]
pub(crate) struct Traced<'a> {
    /// Every node made, reachable or not (a popped call result too).
    pub(crate) value: Value<'a>,
    pub(crate) trace: Trace,
    /// The root, or the error that ended the run.
    pub(crate) result: Result<Item, Error>,
    /// The protocol the stream declared last.
    pub(crate) proto: u8,
}
