//! The tagged JSON form of a decoded pickle, as `docs/json-format.md` states
//! it: lossless, canonical, and byte-identical to Python's
//! `json.dumps(x, ensure_ascii=True, separators=(",", ":"), allow_nan=False)`
//! of the same structure.
//!
//! The writer walks the graph with an explicit stack of pending work, so a
//! list nested a million deep costs heap, not native stack.

use std::collections::HashSet;
use std::fmt::Write as _;

use pickle_core::{Construct, Item, Node, NodeId, Object, Value};

use crate::base64;
use crate::repr::float_repr;
use pickle_core::text;

/// The tagged JSON text of `value`, without a trailing newline (the
/// `pickle json` command adds one).
///
/// ```
/// use pickle_core::{Item, Node, Value};
///
/// // l = [1]; l.append(l)
/// let mut value = Value::new();
/// let list = value.push(Node::List(vec![Item::Int(1)]));
/// if let Some(Node::List(items)) = value.get_mut(list) {
///     items.push(list);
/// }
/// value.set_root(list);
/// assert_eq!(pickle_cli::json::value_to_json(&value), r#"{"$id":0,"$value":[1,{"$ref":0}]}"#);
/// ```
pub fn value_to_json(value: &Value<'_>) -> String {
    let mut writer = Writer {
        value,
        counts: value.ref_counts(),
        ids: vec![None; value.node_count()],
        next_id: 0,
        out: String::new(),
        todo: vec![Task::Item(value.root())],
    };
    while let Some(task) = writer.todo.pop() {
        writer.run(task);
    }
    writer.out
}

/// Pending output. Sequences carry the rest of their slice, so a container
/// costs one task however long it is.
enum Task<'v> {
    Item(Item),
    Text(&'static str),
    /// Items separated by commas.
    Items {
        items: &'v [Item],
        first: bool,
    },
    /// Pairs as `[k,v]` separated by commas.
    Pairs {
        pairs: &'v [(Item, Item)],
        first: bool,
    },
    /// Pairs as object members `"k":v`; every key is an unshared str.
    Members {
        pairs: &'v [(Item, Item)],
        first: bool,
    },
}

struct Writer<'v, 'a> {
    value: &'v Value<'a>,
    counts: Vec<u32>,
    /// The `$id` given to each shared node at its first occurrence.
    ids: Vec<Option<u64>>,
    next_id: u64,
    out: String,
    todo: Vec<Task<'v>>,
}

impl<'v> Writer<'v, '_> {
    fn run(&mut self, task: Task<'v>) {
        match task {
            Task::Item(item) => self.item(item),
            Task::Text(text) => self.out.push_str(text),
            Task::Items { items, first } => {
                if let Some((&head, rest)) = items.split_first() {
                    self.comma(first);
                    self.todo.push(Task::Items { items: rest, first: false });
                    self.todo.push(Task::Item(head));
                }
            }
            Task::Pairs { pairs, first } => {
                if let Some((&(k, v), rest)) = pairs.split_first() {
                    self.comma(first);
                    self.out.push('[');
                    self.todo.push(Task::Pairs { pairs: rest, first: false });
                    self.todo.extend([Task::Text("]"), Task::Item(v), Task::Text(","), Task::Item(k)]);
                }
            }
            Task::Members { pairs, first } => {
                if let Some((&(k, v), rest)) = pairs.split_first() {
                    self.comma(first);
                    self.key(k);
                    self.out.push(':');
                    self.todo.push(Task::Members { pairs: rest, first: false });
                    self.todo.push(Task::Item(v));
                }
            }
        }
    }

    fn comma(&mut self, first: bool) {
        if !first {
            self.out.push(',');
        }
    }

    fn item(&mut self, item: Item) {
        match item {
            Item::None => self.out.push_str("null"),
            Item::Bool(b) => self.out.push_str(if b { "true" } else { "false" }),
            Item::Int(i) if i.unsigned_abs() <= 1 << 53 => {
                let _ = write!(self.out, "{i}");
            }
            Item::Int(i) => {
                let _ = write!(self.out, r#"{{"$int":"{i}"}}"#);
            }
            Item::Float(x) => self.float(x),
            Item::Node(id) => self.node(id),
        }
    }

    fn float(&mut self, x: f64) {
        if x.is_finite() {
            self.out.push_str(&float_repr(x));
        } else {
            let _ = write!(self.out, r#"{{"$float":"{}"}}"#, float_repr(x));
        }
    }

    fn node(&mut self, id: NodeId) {
        let Some(&count) = self.counts.get(id.index()) else {
            // An id from another arena: nothing to describe.
            self.out.push_str("null");
            return;
        };
        let node = self.value.node(id);
        if count > 1 && has_identity(node) {
            if let Some(n) = self.ids[id.index()] {
                let _ = write!(self.out, r#"{{"$ref":{n}}}"#);
                return;
            }
            let n = self.next_id;
            self.next_id += 1;
            self.ids[id.index()] = Some(n);
            let _ = write!(self.out, r#"{{"$id":{n},"$value":"#);
            self.todo.push(Task::Text("}"));
        }
        self.form(node);
    }

    /// Writes a node's form, pushing whatever it contains as tasks.
    fn form(&mut self, node: &'v Node<'_>) {
        match node {
            Node::BigInt(b) => {
                let _ = write!(self.out, r#"{{"$int":"{b}"}}"#);
            }
            Node::Complex(re, im) => {
                self.out.push_str(r#"{"$complex":["#);
                self.float(*re);
                self.out.push(',');
                self.float(*im);
                self.out.push_str("]}");
            }
            Node::Str(s) => push_json_str(&mut self.out, s.chars().map(u32::from)),
            Node::SurrogateStr(s) => push_json_str(&mut self.out, text::code_points(s)),
            Node::Bytes(b) => self.tagged_base64("$bytes", b),
            Node::ByteArray(b) => self.tagged_base64("$bytearray", b),
            Node::List(items) => self.seq("[", items, "]"),
            Node::Tuple(items) => self.seq(r#"{"$tuple":["#, items, "]}"),
            Node::Set(items) => self.seq(r#"{"$set":["#, items, "]}"),
            Node::FrozenSet(items) => self.seq(r#"{"$frozenset":["#, items, "]}"),
            Node::Dict(pairs) if self.is_plain_object(pairs) => {
                self.out.push('{');
                self.todo.push(Task::Text("}"));
                self.todo.push(Task::Members { pairs, first: true });
            }
            Node::Dict(pairs) => {
                self.out.push_str(r#"{"$dict":["#);
                self.todo.push(Task::Text("]}"));
                self.todo.push(Task::Pairs { pairs, first: true });
            }
            Node::Global(g) => {
                self.out.push_str(r#"{"$global":["#);
                push_json_str(&mut self.out, g.module.chars().map(u32::from));
                self.out.push(',');
                push_json_str(&mut self.out, g.name.chars().map(u32::from));
                self.out.push_str("]}");
            }
            Node::Object(obj) => self.object(obj),
            Node::PersId(pid) => {
                self.out.push_str(r#"{"$persid":"#);
                self.todo.push(Task::Text("}"));
                self.todo.push(Task::Item(*pid));
            }
            Node::Ext(code) => {
                let _ = write!(self.out, r#"{{"$ext":{code}}}"#);
            }
            Node::Buffer { index, readonly } => {
                let _ = write!(self.out, r#"{{"$buffer":{{"index":{index},"readonly":{readonly}}}}}"#);
            }
        }
    }

    fn tagged_base64(&mut self, tag: &str, bytes: &[u8]) {
        let _ = write!(self.out, r#"{{"{tag}":""#);
        base64::encode_into(bytes, &mut self.out);
        self.out.push_str("\"}");
    }

    fn seq(&mut self, open: &str, items: &'v [Item], close: &'static str) {
        self.out.push_str(open);
        self.todo.push(Task::Text(close));
        self.todo.push(Task::Items { items, first: true });
    }

    fn object(&mut self, obj: &'v Object) {
        let construct = match obj.construct {
            Construct::Call => r#","construct":"call","args":["#,
            Construct::New => r#","construct":"new","args":["#,
            Construct::NewEx => r#","construct":"new_ex","args":["#,
            Construct::Reconstruct => r#","construct":"reconstruct","args":["#,
        };
        self.out.push_str(r#"{"$object":{"class":"#);
        // Tasks run last-pushed first, so the sections are collected in
        // document order and pushed reversed.
        let mut sections = vec![
            Task::Item(obj.class),
            Task::Text(construct),
            Task::Items { items: &obj.args, first: true },
            Task::Text("]"),
        ];
        if !obj.kwargs.is_empty() {
            sections.extend([
                Task::Text(r#","kwargs":["#),
                Task::Pairs { pairs: &obj.kwargs, first: true },
                Task::Text("]"),
            ]);
        }
        if let Some(state) = obj.state {
            sections.extend([Task::Text(r#","state":"#), Task::Item(state)]);
        }
        if let Some(setter) = obj.state_setter {
            sections.extend([Task::Text(r#","state_setter":"#), Task::Item(setter)]);
        }
        if !obj.list_items.is_empty() {
            sections.extend([
                Task::Text(r#","listitems":["#),
                Task::Items { items: &obj.list_items, first: true },
                Task::Text("]"),
            ]);
        }
        if !obj.dict_items.is_empty() {
            sections.extend([
                Task::Text(r#","dictitems":["#),
                Task::Pairs { pairs: &obj.dict_items, first: true },
                Task::Text("]"),
            ]);
        }
        if !obj.set_items.is_empty() {
            sections.extend([
                Task::Text(r#","setitems":["#),
                Task::Items { items: &obj.set_items, first: true },
                Task::Text("]"),
            ]);
        }
        sections.push(Task::Text("}}"));
        self.todo.extend(sections.into_iter().rev());
    }

    /// The text of a str key, or `None` if the item is not a str.
    fn key_bytes(&self, key: Item) -> Option<&'v [u8]> {
        match self.value.get(key)? {
            Node::Str(s) => Some(s.as_bytes()),
            Node::SurrogateStr(s) => Some(s),
            _ => None,
        }
    }

    /// Whether a dict can be a plain JSON object: every key a str (strs
    /// carry no `$id`, so a shared key is fine), none starting with `$`,
    /// none repeated.
    fn is_plain_object(&self, pairs: &[(Item, Item)]) -> bool {
        let mut seen = HashSet::with_capacity(pairs.len());
        pairs.iter().all(|&(k, _)| self.key_bytes(k).is_some_and(|text| !text.starts_with(b"$") && seen.insert(text)))
    }

    fn key(&mut self, key: Item) {
        match self.value.get(key) {
            Some(Node::Str(s)) => push_json_str(&mut self.out, s.chars().map(u32::from)),
            Some(Node::SurrogateStr(s)) => push_json_str(&mut self.out, text::code_points(s)),
            // `is_plain_object` admits only str keys.
            _ => self.out.push_str("\"\""),
        }
    }
}

/// Whether sharing of this node is written with `$id`/`$ref`. Immutable
/// scalars (str, int, complex, bytes, class references, extension codes)
/// are written in full wherever they occur: Python gives their identity no
/// meaning a program may rely on, and writing them inline keeps dicts with
/// memoized str keys plain JSON objects.
fn has_identity(node: &Node<'_>) -> bool {
    !matches!(
        node,
        Node::Str(_)
            | Node::SurrogateStr(_)
            | Node::BigInt(_)
            | Node::Complex(..)
            | Node::Bytes(_)
            | Node::Global(_)
            | Node::Ext(_)
    )
}

/// Appends a JSON string as Python's `json.dumps(ensure_ascii=True)` writes
/// it: everything outside printable ASCII as `\uXXXX` (lowercase hex),
/// astral characters as surrogate pairs.
pub(crate) fn push_json_str(out: &mut String, chars: impl Iterator<Item = u32>) {
    out.push('"');
    for cp in chars {
        match cp {
            0x22 => out.push_str("\\\""),
            0x5C => out.push_str("\\\\"),
            0x0A => out.push_str("\\n"),
            0x0D => out.push_str("\\r"),
            0x09 => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0C => out.push_str("\\f"),
            0x20..=0x7E => out.push(char::from(cp as u8)),
            0..=0xFFFF => {
                let _ = write!(out, "\\u{cp:04x}");
            }
            _ => {
                let v = cp - 0x10000;
                let _ = write!(out, "\\u{:04x}\\u{:04x}", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
            }
        }
    }
    out.push('"');
}
