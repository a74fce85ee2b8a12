//! Walks over the graph: extracting a part, counting references, finding
//! the nodes reachable from the root and those on cycles. Every walk is
//! iterative, so deep graphs cost heap, not stack.

use std::collections::HashMap;

use super::{Item, NodeId, Value};

impl<'a> Value<'a> {
    /// The part of the graph reachable from `item`, as a value of its own
    /// (nodes renumbered, sharing and cycles kept). Walks iteratively.
    pub fn extract(&self, item: Item) -> Value<'a> {
        let mut map: HashMap<NodeId, NodeId> = HashMap::new();
        let mut order: Vec<NodeId> = Vec::new();
        let mut todo: Vec<NodeId> = Vec::new();
        let visit = |it: Item, map: &mut HashMap<NodeId, NodeId>, order: &mut Vec<NodeId>, todo: &mut Vec<NodeId>| {
            if let Item::Node(id) = it
                && id.index() < self.nodes.len()
                && !map.contains_key(&id)
            {
                map.insert(id, NodeId(order.len() as u32));
                order.push(id);
                todo.push(id);
            }
        };
        visit(item, &mut map, &mut order, &mut todo);
        while let Some(id) = todo.pop() {
            self.nodes[id.index()].for_each_child(|c| visit(c, &mut map, &mut order, &mut todo));
        }
        let remap = |it: Item| match it {
            Item::Node(id) => map.get(&id).map_or(Item::None, |&n| Item::Node(n)),
            other => other,
        };
        let mut out = Value::new();
        for id in order {
            let mut node = self.nodes[id.index()].clone();
            node.map_items(remap);
            out.nodes.push(node);
            out.offsets.push(self.offsets[id.index()]);
        }
        out.root = remap(item);
        out
    }

    /// How many times each node is referenced from the graph reachable from
    /// the root (the root itself counts once). Walks iteratively.
    ///
    /// ```
    /// use std::rc::Rc;
    /// use pickle_core::Item;
    ///
    /// let shared = Rc::new(vec![1]);
    /// let bytes = pickle_core::to_vec(&vec![Rc::clone(&shared), shared])?;
    /// let value: pickle_core::Value = pickle_core::from_slice(&bytes)?;
    /// let counts = value.ref_counts();
    /// let Some(&[Item::Node(inner), _]) = value.as_list(value.root()) else { panic!("a list of two") };
    /// assert_eq!(counts[inner.index()], 2);
    /// # Ok::<(), pickle_core::Error>(())
    /// ```
    pub fn ref_counts(&self) -> Vec<u32> {
        let mut counts = vec![0u32; self.nodes.len()];
        let mut todo = Vec::new();
        let mut visit = |item: Item, todo: &mut Vec<NodeId>| {
            if let Item::Node(id) = item
                && let Some(count) = counts.get_mut(id.index())
            {
                *count = count.saturating_add(1);
                if *count == 1 {
                    todo.push(id);
                }
            }
        };
        visit(self.root, &mut todo);
        while let Some(id) = todo.pop() {
            self.nodes[id.index()].for_each_child(|child| visit(child, &mut todo));
        }
        counts
    }

    /// The nodes reachable from the root, each once, in the order a
    /// depth-first walk first reaches them.
    ///
    /// ```
    /// let bytes = pickle_core::to_vec(&vec![vec![1], vec![2]])?;
    /// let value: pickle_core::Value = pickle_core::from_slice(&bytes)?;
    /// assert_eq!(value.reachable().len(), 3);
    /// # Ok::<(), pickle_core::Error>(())
    /// ```
    pub fn reachable(&self) -> Vec<NodeId> {
        let mut seen = vec![false; self.nodes.len()];
        let mut todo = Vec::new();
        let mut out = Vec::new();
        let mut visit = |item: Item, todo: &mut Vec<NodeId>| {
            if let Item::Node(id) = item
                && let Some(seen) = seen.get_mut(id.index())
                && !*seen
            {
                *seen = true;
                todo.push(id);
            }
        };
        visit(self.root, &mut todo);
        while let Some(id) = todo.pop() {
            out.push(id);
            self.nodes[id.index()].for_each_child(|child| visit(child, &mut todo));
        }
        out
    }
}

/// Marks the nodes that lie on a cycle (in a strongly connected component
/// with more than one node, or with an edge to itself), reachable from the
/// root. Iterative Tarjan, so deep graphs cost heap, not stack.
pub(crate) fn cyclic_nodes(value: &Value<'_>) -> Vec<bool> {
    let n = value.nodes.len();
    let mut t = Tarjan {
        value,
        index: vec![u32::MAX; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        cyclic: vec![false; n],
        stack: Vec::new(),
        calls: Vec::new(),
        next: 0,
    };
    if let Item::Node(root) = value.root
        && root.index() < n
    {
        t.run(root);
    }
    t.cyclic
}

struct Tarjan<'x, 'a> {
    value: &'x Value<'a>,
    index: Vec<u32>,
    low: Vec<u32>,
    on_stack: Vec<bool>,
    cyclic: Vec<bool>,
    stack: Vec<NodeId>,
    /// The DFS path: each node with its children and how many are done.
    calls: Vec<(NodeId, Vec<NodeId>, usize)>,
    next: u32,
}

impl Tarjan<'_, '_> {
    fn enter(&mut self, id: NodeId) {
        let i = id.index();
        self.index[i] = self.next;
        self.low[i] = self.next;
        self.next += 1;
        self.stack.push(id);
        self.on_stack[i] = true;
        let mut kids = Vec::new();
        self.value.nodes[i].for_each_child(|c| {
            if let Item::Node(c) = c
                && c.index() < self.value.nodes.len()
            {
                kids.push(c)
            }
        });
        self.calls.push((id, kids, 0));
    }

    fn run(&mut self, root: NodeId) {
        self.enter(root);
        while let Some((id, kids, done)) = self.calls.last_mut() {
            let id = *id;
            if let Some(&kid) = kids.get(*done) {
                *done += 1;
                let (k, i) = (kid.index(), id.index());
                if kid == id {
                    self.cyclic[i] = true;
                }
                if self.index[k] == u32::MAX {
                    self.enter(kid);
                } else if self.on_stack[k] {
                    self.low[i] = self.low[i].min(self.index[k]);
                }
                continue;
            }
            self.calls.pop();
            let i = id.index();
            if let Some((parent, _, _)) = self.calls.last() {
                let p = parent.index();
                self.low[p] = self.low[p].min(self.low[i]);
            }
            if self.low[i] == self.index[i] {
                let pos = self.stack.iter().rposition(|&m| m == id).unwrap_or(0);
                let members = self.stack.split_off(pos);
                let is_cycle = members.len() > 1;
                for m in members {
                    self.on_stack[m.index()] = false;
                    self.cyclic[m.index()] |= is_cycle;
                }
            }
        }
    }
}
