//! The `collections` forms std impls read as plain containers: an
//! `OrderedDict`, `defaultdict` or `Counter` where a map is expected, a
//! `deque` or a namedtuple where a sequence is, as CPython writes them at
//! every protocol, and as pickle-rs's wrappers write them.

use std::borrow::Cow;

use crate::value::{Construct, Item, Node, Object, Value};

fn collections_class<'v>(v: &'v Value<'_>, item: Item) -> Option<(&'v Object, &'v str)> {
    let obj = v.as_object(item)?;
    let g = v.as_global(obj.class)?;
    (g.module == "collections").then(|| (obj, g.name.as_ref()))
}

/// The pairs of a list or tuple of 2-item lists or tuples, as
/// `OrderedDict([(k, v), ...])` takes them.
fn pair_list(v: &Value<'_>, item: Item) -> Option<Vec<(Item, Item)>> {
    let items = v.as_list(item).or_else(|| v.as_tuple(item))?;
    items
        .iter()
        .map(|&p| match v.as_tuple(p).or_else(|| v.as_list(p))? {
            &[k, val] => Some((k, val)),
            _ => None,
        })
        .collect()
}

/// `args` then `items`, borrowed when one is empty.
fn joined<'v, T: Clone>(first: Cow<'v, [T]>, then: &'v [T]) -> Cow<'v, [T]> {
    match (first.is_empty(), then.is_empty()) {
        (_, true) => first,
        (true, false) => Cow::Borrowed(then),
        (false, false) => {
            let mut all = first.into_owned();
            all.extend_from_slice(then);
            Cow::Owned(all)
        }
    }
}

/// The key-value pairs of a dict, an `OrderedDict`, a `defaultdict` or a
/// `Counter`, in order; `None` for anything else.
pub(crate) fn pairs<'v>(v: &'v Value<'_>, item: Item) -> Option<Cow<'v, [(Item, Item)]>> {
    if let Some(pairs) = v.as_dict(item) {
        return Some(Cow::Borrowed(pairs));
    }
    let (obj, name) = collections_class(v, item)?;
    // The constructor's initial contents: OrderedDict(pairs or dict),
    // defaultdict(factory, dict), Counter(dict); CPython itself passes no
    // contents and gives them with SETITEMS.
    let initial = match (name, obj.args.as_slice()) {
        ("OrderedDict", []) | ("defaultdict", [_]) | ("Counter", []) => Cow::Borrowed(&[][..]),
        ("OrderedDict", [x]) if v.as_tuple(*x).is_some_and(<[Item]>::is_empty) => Cow::Borrowed(&[][..]),
        ("OrderedDict" | "Counter", [x]) | ("defaultdict", [_, x]) => match v.as_dict(*x) {
            Some(d) => Cow::Borrowed(d),
            None => Cow::Owned(pair_list(v, *x)?),
        },
        _ => return None,
    };
    Some(joined(initial, &obj.dict_items))
}

/// The items of a list, tuple, set, frozenset, `deque` or namedtuple (an
/// instance made by `NEWOBJ` from its items, with no state, or by
/// `copyreg._reconstructor` from a tuple), in order; `None` for anything
/// else.
pub(crate) fn items<'v>(v: &'v Value<'_>, item: Item) -> Option<Cow<'v, [Item]>> {
    match v.get(item)? {
        Node::List(x) | Node::Tuple(x) | Node::Set(x) | Node::FrozenSet(x) => return Some(Cow::Borrowed(x)),
        Node::Object(_) => {}
        _ => return None,
    }
    if let Some((_, items)) = tuple_reconstructor(v, item) {
        return Some(Cow::Borrowed(items));
    }
    if let Some((obj, "deque")) = collections_class(v, item) {
        let initial = match obj.args.first() {
            None => Cow::Borrowed(&[][..]),
            Some(&x) => match v.get(x)? {
                Node::List(x) | Node::Tuple(x) => Cow::Borrowed(&x[..]),
                _ => return None,
            },
        };
        return Some(joined(initial, &obj.list_items));
    }
    let obj = v.as_object(item)?;
    let namedtuple = obj.construct == Construct::New
        && obj.state.is_none()
        && obj.kwargs.is_empty()
        && obj.list_items.is_empty()
        && obj.dict_items.is_empty()
        && obj.set_items.is_empty()
        && v.as_global(obj.class).is_some();
    namedtuple.then(|| Cow::Borrowed(&obj.args[..]))
}

/// A tuple subclass written at protocols 0 and 1:
/// `copyreg._reconstructor(class, builtins.tuple, items)`, which the machine
/// keeps as that call (it is `tuple.__new__(class, items)`, which no
/// `NEWOBJ` expresses for a namedtuple); the class and the items.
pub(crate) fn tuple_reconstructor<'v>(v: &'v Value<'_>, item: Item) -> Option<(Item, &'v [Item])> {
    let obj = v.as_object(item)?;
    let g = v.as_global(obj.class)?;
    if obj.construct != Construct::Call
        || g.name != "_reconstructor"
        || !matches!(g.module.as_ref(), "copyreg" | "copy_reg")
    {
        return None;
    }
    let &[class, base, state] = obj.args.as_slice() else { return None };
    let base = v.as_global(base)?;
    let tuple_base = base.name == "tuple" && matches!(base.module.as_ref(), "builtins" | "__builtin__");
    (tuple_base && obj.state.is_none()).then_some((class, v.as_tuple(state)?))
}

/// The `maxlen` of a `deque` object (`None` when unbounded or not a deque).
pub(crate) fn deque_maxlen(v: &Value<'_>, item: Item) -> Option<i64> {
    match collections_class(v, item)? {
        (obj, "deque") => match obj.args.get(1) {
            Some(Item::Int(n)) => Some(*n),
            _ => None,
        },
        _ => None,
    }
}
