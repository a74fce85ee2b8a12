//! A Python-like repr of a graph, for `Debug`.

use std::fmt;

use super::{Item, Node, NodeId, Value};

/// Prints a Python-like repr. Shared nodes print each time they are reached;
/// a node reached again inside itself prints as `...`, and nesting deeper
/// than 64 levels prints as `...` too, so printing never recurses deeply.
impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut open = Vec::new();
        ReprWriter { value: self, open: &mut open }.item(f, self.root)
    }
}

const REPR_DEPTH: usize = 64;

struct ReprWriter<'x, 'a> {
    value: &'x Value<'a>,
    open: &'x mut Vec<NodeId>,
}

impl ReprWriter<'_, '_> {
    fn item(&mut self, f: &mut fmt::Formatter<'_>, item: Item) -> fmt::Result {
        match item {
            Item::None => f.write_str("None"),
            Item::Bool(true) => f.write_str("True"),
            Item::Bool(false) => f.write_str("False"),
            Item::Int(i) => write!(f, "{i}"),
            Item::Float(x) => write!(f, "{x:?}"),
            Item::Node(id) => {
                if self.open.contains(&id) || self.open.len() >= REPR_DEPTH {
                    return f.write_str("...");
                }
                let Some(node) = self.value.nodes.get(id.index()) else {
                    return f.write_str("<invalid node>");
                };
                self.open.push(id);
                let result = self.node(f, node);
                self.open.pop();
                result
            }
        }
    }

    fn seq(&mut self, f: &mut fmt::Formatter<'_>, open: &str, items: &[Item], close: &str) -> fmt::Result {
        f.write_str(open)?;
        for (i, &item) in items.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            self.item(f, item)?;
        }
        f.write_str(close)
    }

    fn pairs(&mut self, f: &mut fmt::Formatter<'_>, pairs: &[(Item, Item)]) -> fmt::Result {
        f.write_str("{")?;
        for (i, &(k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            self.item(f, k)?;
            f.write_str(": ")?;
            self.item(f, v)?;
        }
        f.write_str("}")
    }

    fn node(&mut self, f: &mut fmt::Formatter<'_>, node: &Node<'_>) -> fmt::Result {
        match node {
            Node::BigInt(b) => write!(f, "{b}"),
            Node::Complex(re, im) => write!(f, "complex({re:?}, {im:?})"),
            Node::Str(s) => write!(f, "{s:?}"),
            Node::SurrogateStr(s) => write!(f, "{:?}", String::from_utf8_lossy(s)),
            Node::Bytes(b) => write!(f, "b'{}'", b.escape_ascii()),
            Node::ByteArray(b) => write!(f, "bytearray(b'{}')", b.escape_ascii()),
            Node::List(items) => self.seq(f, "[", items, "]"),
            Node::Tuple(items) if items.len() == 1 => self.seq(f, "(", items, ",)"),
            Node::Tuple(items) => self.seq(f, "(", items, ")"),
            Node::Dict(pairs) => self.pairs(f, pairs),
            Node::Set(items) => self.seq(f, "set([", items, "])"),
            Node::FrozenSet(items) => self.seq(f, "frozenset([", items, "])"),
            Node::Global(g) => write!(f, "<global {g}>"),
            Node::Object(obj) => {
                f.write_str("<object ")?;
                self.item(f, obj.class)?;
                self.seq(f, "(", &obj.args, ")")?;
                if let Some(state) = obj.state {
                    f.write_str(" state=")?;
                    self.item(f, state)?;
                }
                if !obj.list_items.is_empty() {
                    self.seq(f, " list_items=[", &obj.list_items, "]")?;
                }
                if !obj.dict_items.is_empty() {
                    f.write_str(" dict_items=")?;
                    self.pairs(f, &obj.dict_items)?;
                }
                f.write_str(">")
            }
            Node::PersId(pid) => {
                f.write_str("<persistent id ")?;
                self.item(f, *pid)?;
                f.write_str(">")
            }
            Node::Ext(code) => write!(f, "<extension {code}>"),
            Node::Buffer { index, readonly } => {
                write!(f, "<buffer {index}{}>", if *readonly { " readonly" } else { "" })
            }
        }
    }
}
