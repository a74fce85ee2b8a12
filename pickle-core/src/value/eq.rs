//! Structural equality of graphs.

use std::collections::HashMap;

use super::{Item, Node, NodeId, Value};

/// Two values are equal when their graphs have the same shape from the root:
/// the same data, and the same sharing. A node shared in one must be shared
/// in the other, and cycles must match. Floats compare by bits, so a NaN
/// equals the same NaN. Unreachable nodes and offsets do not matter.
impl PartialEq for Value<'_> {
    fn eq(&self, other: &Value<'_>) -> bool {
        GraphEq { a: self, b: other, map_ab: HashMap::new(), map_ba: HashMap::new(), todo: Vec::new() }.run()
    }
}

struct GraphEq<'x, 'a, 'b> {
    a: &'x Value<'a>,
    b: &'x Value<'b>,
    map_ab: HashMap<NodeId, NodeId>,
    map_ba: HashMap<NodeId, NodeId>,
    todo: Vec<(NodeId, NodeId)>,
}

impl GraphEq<'_, '_, '_> {
    fn run(mut self) -> bool {
        if !self.item(self.a.root, self.b.root) {
            return false;
        }
        while let Some((x, y)) = self.todo.pop() {
            if !self.node(x, y) {
                return false;
            }
        }
        true
    }

    /// Compares two items; pairs of nodes seen for the first time are queued.
    fn item(&mut self, x: Item, y: Item) -> bool {
        match (x, y) {
            (Item::None, Item::None) => true,
            (Item::Bool(p), Item::Bool(q)) => p == q,
            (Item::Int(p), Item::Int(q)) => p == q,
            (Item::Float(p), Item::Float(q)) => p.to_bits() == q.to_bits(),
            (Item::Node(p), Item::Node(q)) => {
                if p.index() >= self.a.nodes.len() || q.index() >= self.b.nodes.len() {
                    return false;
                }
                match (self.map_ab.get(&p), self.map_ba.get(&q)) {
                    (Some(&mq), Some(&mp)) => mq == q && mp == p,
                    (None, None) => {
                        self.map_ab.insert(p, q);
                        self.map_ba.insert(q, p);
                        self.todo.push((p, q));
                        true
                    }
                    _ => false,
                }
            }
            _ => false,
        }
    }

    fn items(&mut self, xs: &[Item], ys: &[Item]) -> bool {
        xs.len() == ys.len() && xs.iter().zip(ys).all(|(&x, &y)| self.item(x, y))
    }

    fn pairs(&mut self, xs: &[(Item, Item)], ys: &[(Item, Item)]) -> bool {
        xs.len() == ys.len() && xs.iter().zip(ys).all(|(&(k, v), &(l, w))| self.item(k, l) && self.item(v, w))
    }

    fn node(&mut self, x: NodeId, y: NodeId) -> bool {
        let (a, b) = (self.a, self.b);
        match (a.node(x), b.node(y)) {
            (Node::BigInt(p), Node::BigInt(q)) => p == q,
            (Node::Complex(r1, i1), Node::Complex(r2, i2)) => {
                r1.to_bits() == r2.to_bits() && i1.to_bits() == i2.to_bits()
            }
            (Node::Str(p), Node::Str(q)) => p == q,
            (Node::SurrogateStr(p), Node::SurrogateStr(q)) => p == q,
            (Node::Bytes(p), Node::Bytes(q)) => p == q,
            (Node::ByteArray(p), Node::ByteArray(q)) => p == q,
            (Node::List(p), Node::List(q))
            | (Node::Tuple(p), Node::Tuple(q))
            | (Node::Set(p), Node::Set(q))
            | (Node::FrozenSet(p), Node::FrozenSet(q)) => self.items(p, q),
            (Node::Dict(p), Node::Dict(q)) => self.pairs(p, q),
            (Node::Global(p), Node::Global(q)) => p == q,
            (Node::Object(p), Node::Object(q)) => {
                p.construct == q.construct
                    && self.item(p.class, q.class)
                    && self.items(&p.args, &q.args)
                    && self.pairs(&p.kwargs, &q.kwargs)
                    && match (p.state, q.state) {
                        (Some(s), Some(t)) => self.item(s, t),
                        (None, None) => true,
                        _ => false,
                    }
                    && self.items(&p.list_items, &q.list_items)
                    && self.pairs(&p.dict_items, &q.dict_items)
                    && self.items(&p.set_items, &q.set_items)
                    && match (p.state_setter, q.state_setter) {
                        (Some(s), Some(t)) => self.item(s, t),
                        (None, None) => true,
                        _ => false,
                    }
            }
            (Node::PersId(p), Node::PersId(q)) => self.item(*p, *q),
            (Node::Ext(p), Node::Ext(q)) => p == q,
            (Node::Buffer { index: i, readonly: r }, Node::Buffer { index: j, readonly: s }) => i == j && r == s,
            _ => false,
        }
    }
}
