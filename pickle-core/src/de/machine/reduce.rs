//! The well-known reductions that stand for native values (sets, bytes and
//! bytearrays below the protocols that have opcodes for them, complex,
//! copyreg's NEWOBJ helpers). Everything else stays an object node for
//! `FromPickle` impls to read.

use super::*;

impl<'a> Machine<'a, '_> {
    /// The reductions that stand for native values: sets, bytes and
    /// bytearrays below the protocols that have opcodes for them, complex,
    /// and copyreg's helpers that stand for NEWOBJ.
    pub(super) fn reduce_special(&self, callable: Item, args: &[Item]) -> Option<Node<'a>> {
        let v = &self.value;
        let global = v.as_global(callable)?;
        let module = match global.module.as_ref() {
            "__builtin__" => "builtins",
            "copy_reg" => "copyreg",
            m => m,
        };
        match (module, global.name.as_ref(), args) {
            ("builtins", "set", []) => Some(Node::Set(Vec::new())),
            ("builtins", "frozenset", []) => Some(Node::FrozenSet(Vec::new())),
            ("builtins", "set", [items]) => Some(Node::Set(v.as_list(*items).or_else(|| v.as_tuple(*items))?.to_vec())),
            ("builtins", "frozenset", [items]) => {
                Some(Node::FrozenSet(v.as_list(*items).or_else(|| v.as_tuple(*items))?.to_vec()))
            }
            ("builtins", "bytes", []) => Some(Node::Bytes(Cow::Borrowed(&[]))),
            ("builtins", "bytearray", []) => Some(Node::ByteArray(Vec::new())),
            ("builtins", "bytearray", [b]) => match v.get(*b)? {
                Node::Bytes(b) => Some(Node::ByteArray(b.to_vec())),
                _ => None,
            },
            ("builtins", "bytearray", [s, enc]) if is_latin1_name(v.as_str(*enc)?) => {
                Some(Node::ByteArray(latin1_bytes(v.as_str(*s)?)?))
            }
            ("_codecs", "encode", [s, enc]) if is_latin1_name(v.as_str(*enc)?) => {
                Some(Node::Bytes(Cow::Owned(latin1_bytes(v.as_str(*s)?)?)))
            }
            ("builtins", "complex", [re]) => Some(Node::Complex(as_float(*re)?, 0.0)),
            ("builtins", "complex", [re, im]) => Some(Node::Complex(as_float(*re)?, as_float(*im)?)),
            ("copyreg", "_reconstructor", [class, base, state]) => {
                // base.__new__(class, state) then base.__init__(obj, state):
                // list and dict subclasses copy their base state, as the
                // items APPENDS/SETITEMS give them in the NEWOBJ form.
                let base_item = *base;
                let base = v.as_global(base_item)?;
                if !matches!(base.module.as_ref(), "builtins" | "__builtin__") {
                    return None;
                }
                // base.__new__(class), not class.__new__: kept apart from
                // NEWOBJ, which calls the class's own __new__.
                let mut obj = Object::new(*class, Construct::Reconstruct, vec![base_item]);
                match (base.name.as_ref(), state) {
                    ("object", Item::None) => {}
                    ("list", _) => obj.list_items = v.as_list(*state)?.to_vec(),
                    ("dict", _) => obj.dict_items = v.as_dict(*state)?.to_vec(),
                    _ => return None,
                }
                Some(Node::Object(Box::new(obj)))
            }
            ("copyreg", "__newobj__", [class, rest @ ..]) => {
                Some(Node::Object(Box::new(Object::new(*class, Construct::New, rest.to_vec()))))
            }
            ("copyreg", "__newobj_ex__", [class, a, kw]) => {
                let mut obj = Object::new(*class, Construct::NewEx, v.as_tuple(*a)?.to_vec());
                obj.kwargs = v.as_dict(*kw)?.to_vec();
                Some(Node::Object(Box::new(obj)))
            }
            ("builtins", "getattr", [owner, attr]) => {
                let owner = v.as_global(*owner)?;
                let attr = v.as_str(*attr)?;
                Some(Node::Global(Box::new(Global {
                    module: owner.module.clone(),
                    name: Cow::Owned(format!("{}.{attr}", owner.name)),
                })))
            }
            _ => None,
        }
    }
}

/// The heap bytes a node made by [`Machine::reduce_special`] holds.
pub(super) fn copied_bytes(node: &Node<'_>) -> u64 {
    let items = |n: usize| ITEM_COST.saturating_mul(n as u64);
    match node {
        Node::Set(v) | Node::FrozenSet(v) => items(v.len()),
        Node::Bytes(b) => b.len() as u64,
        Node::ByteArray(b) => b.len() as u64,
        Node::Global(g) => (g.module.len() + g.name.len()) as u64,
        Node::Object(o) => items(o.args.len() + 2 * o.kwargs.len() + o.list_items.len() + 2 * o.dict_items.len()),
        _ => 0,
    }
}

pub(super) fn is_latin1_name(enc: &str) -> bool {
    matches!(enc, "latin1" | "latin-1" | "latin_1" | "iso-8859-1" | "iso8859-1" | "l1")
}

pub(super) fn latin1_bytes(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

pub(super) fn as_float(item: Item) -> Option<f64> {
    match item {
        Item::Float(x) => Some(x),
        Item::Int(i) => Some(i as f64),
        _ => None,
    }
}
