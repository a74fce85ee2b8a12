//! Short Python-like renderings of what a finding involves.

use crate::value::{Global, Item, Node, Value};

/// The longest preview of one argument, in chars.
const MAX_ARG: usize = 60;

/// `module.qualname`.
pub(super) fn global_name(g: &Global<'_>) -> String {
    format!("{}.{}", g.module, g.name)
}

/// The arguments of a call, as `('true', 1)`; long or nested values are
/// cut short.
pub(super) fn args_preview(v: &Value<'_>, args: &[Item]) -> String {
    tuple(v, args, 0)
}

/// Nested tuples are shown this deep (the input controls the nesting).
const MAX_NEST: u8 = 2;

fn tuple(v: &Value<'_>, args: &[Item], depth: u8) -> String {
    let parts: Vec<String> = args.iter().take(4).map(|&a| arg(v, a, depth)).collect();
    let more = if args.len() > 4 { ", ..." } else { "" };
    format!("({}{more})", parts.join(", "))
}

fn arg(v: &Value<'_>, item: Item, depth: u8) -> String {
    let text = match item {
        Item::None => "None".to_owned(),
        Item::Bool(b) => if b { "True" } else { "False" }.to_owned(),
        Item::Int(i) => i.to_string(),
        Item::Float(x) => x.to_string(),
        Item::Node(_) => match v.get(item) {
            Some(Node::Str(s)) => format!("{:?}", s.as_ref()),
            Some(Node::Bytes(b)) => format!("<{} bytes>", b.len()),
            Some(Node::Global(g)) => global_name(g),
            Some(Node::Object(o)) => match v.as_global(o.class) {
                Some(g) => format!("<result of {}>", global_name(g)),
                None => "<result of a call>".to_owned(),
            },
            Some(Node::Tuple(items)) if items.len() <= 4 && depth < MAX_NEST => tuple(v, items, depth + 1),
            _ => format!("<{}>", v.type_name(item)),
        },
    };
    if text.chars().count() > MAX_ARG {
        let cut: String = text.chars().take(MAX_ARG).collect();
        format!("{cut}...")
    } else {
        text
    }
}
