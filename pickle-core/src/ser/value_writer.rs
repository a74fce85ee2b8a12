//! Writes a [`Value`] graph: iteratively, so depth costs heap not stack, and
//! with every node that is referenced more than once memoized, so Python
//! gets back the same sharing and cycles.

use super::Encoder;
use super::batch::{Batched, batch_at};
use crate::error::{Error, ErrorKind, Result};
use crate::format::opcodes as op;
use crate::identity::MemoKey;
use crate::value::{Construct, Item, Node, NodeId, Object, Value};

/// Which run of items a batched writer works through.
#[derive(Clone, Copy)]
enum Run {
    Items,
    ObjList,
    ObjDict,
    ObjSet,
    ObjKwargs,
}

/// Work left to do, on an explicit stack.
enum Task {
    Item(Item),
    Byte(u8),
    /// Write batch `batch` and the ones after it of a run (APPENDS,
    /// SETITEMS, ADDITEMS).
    Batches {
        id: NodeId,
        run: Run,
        batch: usize,
    },
    /// End a batch: `closing` after a MARKed batch.
    Close(u8),
    /// After the items of a tuple or frozenset: if writing them memoized the
    /// node, drop the items and fetch the memoized one, as CPython's
    /// save_tuple does; else write `closing` and memoize.
    SealTuple {
        id: NodeId,
        closing: &'static [u8],
        pops: usize,
        marked: bool,
    },
    /// After the class and arguments of an object: write `closing` (the
    /// call); if the arguments memoized the object, drop the new one and
    /// fetch the memoized one, as CPython's save_reduce does; else memoize.
    SealObject {
        id: NodeId,
        closing: &'static [u8],
    },
    /// The kwargs dict of a NEWOBJ_EX object.
    Kwargs(NodeId),
    /// The state argument of a `_reconstructor` object: None, or an empty
    /// list or dict for those bases (the items follow).
    BaseState(NodeId),
    /// The rest of an object after it is created: items and state.
    ObjectRest(NodeId),
}

pub(crate) fn write_value(enc: &mut Encoder<'_>, value: &Value<'_>) -> Result<()> {
    let mut counts = value.ref_counts();
    mark_cycles(value, &mut counts);
    // An object whose state a state_setter sets is referenced again by
    // that call: memoize it.
    for (i, count) in counts.iter_mut().enumerate() {
        if *count > 0
            && let Node::Object(obj) = value.node(NodeId::from_index(i))
            && obj.state_setter.is_some()
        {
            *count += 1;
        }
    }
    let mut w = Writer { enc, value, counts, tasks: vec![Task::Item(value.root())] };
    w.run()
}

/// A node on a cycle must be memoized when it is created even if only one
/// reference points at it, so that a tuple (which Python can only memoize
/// after its items) met again inside itself finds the cycle closed, as
/// CPython's memoize-everything pickler does. Cycles need a shared node that
/// is memoized after its parts; without one, the pass is skipped.
fn mark_cycles(value: &Value<'_>, counts: &mut [u32]) {
    let nodes = value.nodes_slice();
    let needs_pass = counts.iter().enumerate().any(|(i, &c)| {
        c > 1
            && matches!(
                nodes[i],
                Node::Tuple(_) | Node::FrozenSet(_) | Node::Set(_) | Node::Object(_) | Node::PersId(_)
            )
    });
    if !needs_pass {
        return;
    }
    let cyclic = crate::value::cyclic_nodes(value);
    for (i, &on_cycle) in cyclic.iter().enumerate() {
        if !on_cycle {
            continue;
        }
        counts[i] = counts[i].max(2);
        // A tuple or frozenset on a cycle is written twice (its parts, then
        // again when the cycle comes back to it), so its parts are memoized
        // too, and the second time they are memo reads, as in CPython.
        if let Node::Tuple(items) | Node::FrozenSet(items) = &nodes[i] {
            for item in items {
                if let Item::Node(child) = *item
                    && let Some(count) = counts.get_mut(child.index())
                {
                    *count = (*count).max(2);
                }
            }
        }
    }
}

struct Writer<'e, 'w, 'v, 'a> {
    enc: &'e mut Encoder<'w>,
    value: &'v Value<'a>,
    counts: Vec<u32>,
    tasks: Vec<Task>,
}

impl Writer<'_, '_, '_, '_> {
    fn key(&self, id: NodeId) -> MemoKey {
        MemoKey::Addr(self.value.node(id) as *const Node<'_> as usize)
    }

    fn shared(&self, id: NodeId) -> bool {
        self.counts.get(id.index()).is_some_and(|&c| c > 1)
    }

    fn memo(&mut self, id: NodeId) -> Result<()> {
        if self.shared(id) && self.enc.memo_get(self.key(id)).is_none() {
            self.enc.memoize(self.key(id))?;
        }
        Ok(())
    }

    fn push(&mut self, task: Task) -> Result<()> {
        if self.tasks.len() >= self.enc.max_depth() {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                None,
                format!(
                    "the value nests deeper than the encoder's limit of {} pending steps, or loops through tuples or constructor arguments, which pickle cannot express",
                    self.enc.max_depth()
                ),
            ));
        }
        self.tasks.push(task);
        Ok(())
    }

    fn push_items_rev(&mut self, items: &[Item]) -> Result<()> {
        for &item in items.iter().rev() {
            self.push(Task::Item(item))?;
        }
        Ok(())
    }

    fn run(&mut self) -> Result<()> {
        while let Some(task) = self.tasks.pop() {
            match task {
                Task::Item(item) => self.item(item)?,
                Task::Byte(b) => self.enc.out().push(b),
                Task::Batches { id, run, batch } => self.batches(id, run, batch)?,
                Task::Close(b) => {
                    self.enc.out().push(b);
                    self.enc.boundary()?;
                }
                Task::SealTuple { id, closing, pops, marked } => self.seal_tuple(id, closing, pops, marked)?,
                Task::SealObject { id, closing } => self.seal_object(id, closing)?,
                Task::Kwargs(id) => self.kwargs(id)?,
                Task::BaseState(id) => self.base_state(id)?,
                Task::ObjectRest(id) => self.object_rest(id)?,
            }
        }
        Ok(())
    }

    fn item(&mut self, item: Item) -> Result<()> {
        match item {
            Item::None => self.enc.write_none(),
            Item::Bool(b) => self.enc.write_bool(b),
            Item::Int(i) => self.enc.write_i64(i),
            Item::Float(x) => self.enc.write_f64(x),
            Item::Node(id) => {
                if id.index() >= self.value.node_count() {
                    return Err(Error::new(
                        ErrorKind::InvalidStructure,
                        None,
                        format!("node id {} is not in this value", id.index()),
                    ));
                }
                if let Some(idx) = self.enc.memo_get(self.key(id)) {
                    self.enc.write_get(idx);
                    return Ok(());
                }
                self.node(id)
            }
        }
    }

    fn node(&mut self, id: NodeId) -> Result<()> {
        let value = self.value;
        let proto = self.enc.protocol();
        match value.node(id) {
            Node::BigInt(b) => {
                self.enc.write_bigint(b)?;
                self.memo(id)
            }
            Node::Complex(re, im) => {
                self.enc.write_complex(*re, *im)?;
                self.memo(id)
            }
            Node::Str(s) => {
                self.enc.write_str(s)?;
                self.memo(id)
            }
            Node::SurrogateStr(b) => {
                self.enc.write_str_surrogates(b)?;
                self.memo(id)
            }
            Node::Bytes(b) => {
                self.enc.write_bytes(b)?;
                self.memo(id)
            }
            Node::ByteArray(b) => {
                self.enc.write_bytearray(b)?;
                self.memo(id)
            }
            Node::Global(g) => {
                self.enc.write_global(&g.module, &g.name)?;
                self.memo(id)
            }
            Node::Ext(code) => {
                let code = *code;
                if proto < 2 {
                    return Err(unsupported(format!("extension code {code} needs protocol 2 or higher")));
                }
                let out = self.enc.out();
                if let Ok(c) = u8::try_from(code) {
                    out.extend_from_slice(&[op::EXT1, c]);
                } else if let Ok(c) = u16::try_from(code) {
                    out.push(op::EXT2);
                    out.extend_from_slice(&c.to_le_bytes());
                } else {
                    out.push(op::EXT4);
                    out.extend_from_slice(&code.to_le_bytes());
                }
                // CPython never memoizes EXT results, but a node the graph
                // shares must stay one node when read back.
                self.memo(id)
            }
            Node::Buffer { readonly, .. } => {
                if proto < 5 {
                    return Err(unsupported("an out-of-band buffer needs protocol 5".into()));
                }
                self.enc.out().push(op::NEXT_BUFFER);
                if *readonly {
                    self.enc.out().push(op::READONLY_BUFFER);
                }
                // As for EXT: shared, it is memoized so that it stays shared.
                self.memo(id)
            }
            Node::PersId(pid) => {
                let pid = *pid;
                if proto == 0 {
                    let text = value.as_str(pid).filter(|s| s.is_ascii() && !s.contains('\n')).ok_or_else(|| {
                        unsupported("a persistent id at protocol 0 must be an ASCII str without newlines".into())
                    })?;
                    let out = self.enc.out();
                    out.push(op::PERSID);
                    out.extend_from_slice(text.as_bytes());
                    out.push(b'\n');
                    return self.memo(id);
                }
                // Like a tuple, it exists only after its id: if the id leads
                // back to it, the copy written inside wins, as for REDUCE.
                self.push(Task::SealObject { id, closing: &[op::BINPERSID] })?;
                self.push(Task::Item(pid))
            }
            Node::List(items) => {
                self.enc.begin_list();
                self.memo(id)?;
                if !items.is_empty() {
                    self.push(Task::Batches { id, run: Run::Items, batch: 0 })?;
                }
                Ok(())
            }
            Node::Dict(pairs) => {
                self.enc.begin_dict();
                self.memo(id)?;
                if !pairs.is_empty() {
                    self.push(Task::Batches { id, run: Run::Items, batch: 0 })?;
                }
                Ok(())
            }
            Node::Set(items) if proto >= 4 => {
                self.enc.out().push(op::EMPTY_SET);
                self.memo(id)?;
                if !items.is_empty() {
                    self.push(Task::Batches { id, run: Run::Items, batch: 0 })?;
                }
                Ok(())
            }
            Node::FrozenSet(items) if proto >= 4 => {
                self.enc.out().push(op::MARK);
                self.push(Task::SealTuple { id, closing: &[op::FROZENSET], pops: 0, marked: true })?;
                self.push_items_rev(items)
            }
            Node::Set(items) | Node::FrozenSet(items) => {
                // builtins.set([items]) / builtins.frozenset([items]), memoized
                // after the REDUCE, as CPython's save_reduce does.
                let name = if matches!(value.node(id), Node::Set(_)) { "set" } else { "frozenset" };
                self.enc.write_class("builtins", name)?;
                let marked = proto < 2;
                if marked {
                    self.enc.out().push(op::MARK);
                }
                self.enc.begin_list();
                let closing: &'static [u8] = if marked { &[op::TUPLE, op::REDUCE] } else { &[op::TUPLE1, op::REDUCE] };
                self.push(Task::SealObject { id, closing })?;
                if !items.is_empty() {
                    self.push(Task::Batches { id, run: Run::Items, batch: 0 })?;
                }
                Ok(())
            }
            Node::Tuple(items) => {
                let n = items.len();
                if n == 0 {
                    // The empty tuple is a singleton that CPython never
                    // memoizes; a node the graph shares is, so that it stays
                    // one node when read back.
                    self.enc.write_tuple_raw(0, |_| Ok(()))?;
                    return self.memo(id);
                }
                if proto >= 2 && n <= 3 {
                    const CLOSE: [[u8; 1]; 3] = [[op::TUPLE1], [op::TUPLE2], [op::TUPLE3]];
                    self.push(Task::SealTuple { id, closing: &CLOSE[n - 1], pops: n, marked: false })?;
                } else {
                    self.enc.out().push(op::MARK);
                    self.push(Task::SealTuple { id, closing: &[op::TUPLE], pops: n, marked: true })?;
                }
                self.push_items_rev(items)
            }
            Node::Object(obj) => self.object(id, obj),
        }
    }

    /// Writes how an object is created, then queues the rest.
    fn object(&mut self, id: NodeId, obj: &Object) -> Result<()> {
        let proto = self.enc.protocol();
        self.push(Task::ObjectRest(id))?;
        match obj.construct {
            Construct::Call => self.push_call(id, obj, &[op::REDUCE]),
            Construct::New if proto >= 2 => self.push_call(id, obj, &[op::NEWOBJ]),
            Construct::New => {
                // copyreg.__newobj__(class, *args) means what NEWOBJ means, at
                // any protocol. CPython writes plain instances at protocols 0
                // and 1 as _reconstructor(class, object, None), but that form
                // needs the class's base (object.__new__ refuses list and dict
                // subclasses), which a NEWOBJ stream does not record.
                self.enc.write_class("copyreg", "__newobj__")?;
                self.enc.out().push(op::MARK);
                self.push(Task::SealObject { id, closing: &[op::TUPLE, op::REDUCE] })?;
                self.push_items_rev(&obj.args)?;
                self.push(Task::Item(obj.class))
            }
            Construct::Reconstruct => {
                // copyreg._reconstructor(class, base, state) at any protocol,
                // with an empty state for a list or dict base: the items
                // follow as APPENDS / SETITEMS.
                self.enc.write_class("copyreg", "_reconstructor")?;
                let marked = proto < 2;
                if marked {
                    self.enc.out().push(op::MARK);
                }
                let closing: &'static [u8] = if marked { &[op::TUPLE, op::REDUCE] } else { &[op::TUPLE3, op::REDUCE] };
                self.push(Task::SealObject { id, closing })?;
                self.push(Task::BaseState(id))?;
                self.push_items_rev(&obj.args)?;
                self.push(Task::Item(obj.class))
            }
            Construct::NewEx if proto >= 4 => {
                self.push(Task::SealObject { id, closing: &[op::NEWOBJ_EX] })?;
                self.push(Task::Kwargs(id))?;
                self.push_args_tuple(&obj.args)?;
                self.push(Task::Item(obj.class))
            }
            Construct::NewEx => {
                // copyreg.__newobj_ex__(class, args, kwargs)
                self.enc.write_class("copyreg", "__newobj_ex__")?;
                let marked = proto < 2;
                if marked {
                    self.enc.out().push(op::MARK);
                }
                let closing: &'static [u8] = if marked { &[op::TUPLE, op::REDUCE] } else { &[op::TUPLE3, op::REDUCE] };
                self.push(Task::SealObject { id, closing })?;
                self.push(Task::Kwargs(id))?;
                self.push_args_tuple(&obj.args)?;
                self.push(Task::Item(obj.class))
            }
        }
    }

    /// `class args-tuple closing`, for REDUCE and NEWOBJ.
    fn push_call(&mut self, id: NodeId, obj: &Object, closing: &'static [u8]) -> Result<()> {
        self.push(Task::SealObject { id, closing })?;
        self.push_args_tuple(&obj.args)?;
        self.push(Task::Item(obj.class))
    }

    /// Queues a tuple of `args` (inline items, not a node).
    fn push_args_tuple(&mut self, args: &[Item]) -> Result<()> {
        let n = args.len();
        let proto = self.enc.protocol();
        if n == 0 && proto >= 1 {
            return self.push(Task::Byte(op::EMPTY_TUPLE));
        }
        if proto >= 2 && (1..=3).contains(&n) {
            self.push(Task::Byte([op::TUPLE1, op::TUPLE2, op::TUPLE3][n - 1]))?;
            return self.push_items_rev(args);
        }
        self.push(Task::Byte(op::TUPLE))?;
        self.push_items_rev(args)?;
        self.push(Task::Byte(op::MARK))
    }

    /// Writes the kwargs dict of a NEWOBJ_EX object.
    fn kwargs(&mut self, id: NodeId) -> Result<()> {
        self.enc.begin_dict();
        self.push(Task::Batches { id, run: Run::ObjKwargs, batch: 0 })
    }

    fn base_state(&mut self, id: NodeId) -> Result<()> {
        let Node::Object(obj) = self.value.node(id) else { return Ok(()) };
        let base = obj.args.first().and_then(|&b| self.value.as_global(b)).map(|g| g.name.as_ref());
        match base {
            Some("list") => self.enc.begin_list(),
            Some("dict") => self.enc.begin_dict(),
            _ => return self.enc.write_none(),
        }
        Ok(())
    }

    fn object_rest(&mut self, id: NodeId) -> Result<()> {
        let Node::Object(obj) = self.value.node(id) else { return Ok(()) };
        match (obj.state, obj.state_setter) {
            // state_setter(obj, state), its result popped, as CPython writes it.
            (Some(state), Some(setter)) => {
                let marked = self.enc.protocol() < 2;
                self.push(Task::Byte(op::POP))?;
                self.push(Task::Byte(op::REDUCE))?;
                self.push(Task::Byte(if marked { op::TUPLE } else { op::TUPLE2 }))?;
                self.push(Task::Item(state))?;
                self.push(Task::Item(Item::Node(id)))?;
                if marked {
                    // setter MARK obj state TUPLE: the tuple is the arguments.
                    self.push(Task::Byte(op::MARK))?;
                }
                self.push(Task::Item(setter))?;
            }
            (Some(state), None) => {
                self.push(Task::Byte(op::BUILD))?;
                self.push(Task::Item(state))?;
            }
            _ => {}
        }
        if !obj.set_items.is_empty() {
            if self.enc.protocol() < 4 {
                return Err(unsupported("items added to an object (ADDITEMS) need protocol 4 or higher".into()));
            }
            self.push(Task::Batches { id, run: Run::ObjSet, batch: 0 })?;
        }
        if !obj.dict_items.is_empty() {
            self.push(Task::Batches { id, run: Run::ObjDict, batch: 0 })?;
        }
        if !obj.list_items.is_empty() {
            self.push(Task::Batches { id, run: Run::ObjList, batch: 0 })?;
        }
        Ok(())
    }

    fn seal_object(&mut self, id: NodeId, closing: &'static [u8]) -> Result<()> {
        self.enc.out().extend_from_slice(closing);
        if let Some(idx) = self.enc.memo_get(self.key(id)) {
            self.enc.out().push(op::POP);
            self.enc.write_get(idx);
            // The copy written inside the arguments already got the items
            // and state: writing them again would BUILD twice and repeat the
            // items (CPython's save_reduce does; its loader tolerates it).
            if matches!(self.tasks.last(), Some(Task::ObjectRest(rest)) if *rest == id) {
                self.tasks.pop();
            }
            return Ok(());
        }
        self.memo(id)
    }

    fn seal_tuple(&mut self, id: NodeId, closing: &'static [u8], pops: usize, marked: bool) -> Result<()> {
        if let Some(idx) = self.enc.memo_get(self.key(id)) {
            // Writing the parts wrote the node itself: discard the parts.
            let proto = self.enc.protocol();
            let out = self.enc.out();
            if marked {
                if proto >= 1 {
                    out.push(op::POP_MARK);
                } else {
                    out.extend(std::iter::repeat_n(op::POP, pops + 1));
                }
            } else {
                out.extend(std::iter::repeat_n(op::POP, pops));
            }
            self.enc.write_get(idx);
            return Ok(());
        }
        self.enc.out().extend_from_slice(closing);
        self.memo(id)
    }

    fn batches(&mut self, id: NodeId, run: Run, batch: usize) -> Result<()> {
        let node = self.value.node(id);
        let proto = self.enc.protocol();
        let (len, kind) = match (node, run) {
            (Node::List(items), Run::Items) => (items.len(), Batched::List),
            (Node::Set(items), Run::Items) if proto >= 4 => (items.len(), Batched::Set),
            (Node::Set(items) | Node::FrozenSet(items), Run::Items) => (items.len(), Batched::List),
            (Node::Dict(pairs), Run::Items) => (pairs.len(), Batched::Dict),
            (Node::Object(o), Run::ObjList) => (o.list_items.len(), Batched::List),
            (Node::Object(o), Run::ObjDict) => (o.dict_items.len(), Batched::Dict),
            (Node::Object(o), Run::ObjSet) => (o.set_items.len(), Batched::Set),
            (Node::Object(o), Run::ObjKwargs) => (o.kwargs.len(), Batched::Dict),
            _ => return Ok(()),
        };
        let Some(b) = batch_at(kind, proto, len, batch) else { return Ok(()) };
        let entry = |i: usize| -> (Item, Option<Item>) {
            match (node, run) {
                (Node::List(v) | Node::Set(v) | Node::FrozenSet(v), Run::Items) => (v[i], None),
                (Node::Dict(p), Run::Items) => (p[i].0, Some(p[i].1)),
                (Node::Object(o), Run::ObjList) => (o.list_items[i], None),
                (Node::Object(o), Run::ObjDict) => (o.dict_items[i].0, Some(o.dict_items[i].1)),
                (Node::Object(o), Run::ObjSet) => (o.set_items[i], None),
                (Node::Object(o), Run::ObjKwargs) => (o.kwargs[i].0, Some(o.kwargs[i].1)),
                _ => (Item::None, None),
            }
        };
        // Queued in reverse: the next batch, this batch's closing opcode, its items.
        self.push(Task::Batches { id, run, batch: batch + 1 })?;
        self.push(Task::Close(b.closing))?;
        for i in (b.start..b.end).rev() {
            let (a, v) = entry(i);
            if let Some(v) = v {
                self.push(Task::Item(v))?;
            }
            self.push(Task::Item(a))?;
        }
        if b.marked {
            self.enc.out().push(op::MARK);
        }
        Ok(())
    }
}

fn unsupported(message: String) -> Error {
    Error::new(ErrorKind::Unsupported, None, message)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use crate::{EncodeOptions, ToPickle, Value};

    /// Encoding a typed value and encoding the Value decoded from it give
    /// the same bytes: both follow CPython's batching and memoization.
    fn same_bytes<T: ToPickle>(typed: &T, what: &str) {
        for p in 0..=5u8 {
            let opts = EncodeOptions::default().protocol(p);
            let direct = crate::to_vec_with(typed, opts).expect("typed");
            let value: Value = crate::from_slice(&direct).expect("decode");
            let again = crate::to_vec_with(&value, opts).expect("value");
            assert_eq!(direct, again, "{what} at protocol {p}");
        }
    }

    #[test]
    fn value_writer_batches_like_the_typed_encoder() {
        for n in [0usize, 1, 2, 999, 1000, 1001, 2000, 2500] {
            let list: Vec<i64> = (0..n as i64).collect();
            same_bytes(&list, &format!("list of {n}"));
            let dict: BTreeMap<i64, i64> = (0..n as i64).map(|i| (i, -i)).collect();
            same_bytes(&dict, &format!("dict of {n}"));
            let set: BTreeSet<i64> = (0..n as i64).collect();
            same_bytes(&set, &format!("set of {n}"));
        }
        let bytes: Vec<Vec<u8>> = vec![vec![1, 2], vec![], vec![255; 300]];
        same_bytes(&bytes, "bytes");
    }
}
