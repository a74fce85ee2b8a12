//! Reading and writing instances as CPython makes them: a plain class's
//! state dict (or `(dict, slots)` state), and `enum.Enum` members. The
//! derive's generated code calls these through `__private`.

use std::fmt;

use crate::de::collections::tuple_reconstructor;
use crate::de::{Context, Direct, FromPickle};
use crate::error::{Error, Result};
use crate::format::opcodes as op;
use crate::ser::Encoder;
use crate::value::{Construct, Global, Item, Node, Object};

/// The Python class of a derived type (or of one variant of a derived enum).
#[derive(Debug)]
pub struct ClassInfo {
    /// The module.
    pub module: &'static str,
    /// The qualified name.
    pub qualname: &'static str,
    /// Other `(module, qualname)` accepted when reading.
    pub aliases: &'static [(&'static str, &'static str)],
}

impl ClassInfo {
    pub(crate) fn matches(&self, g: &Global<'_>) -> bool {
        g.is(self.module, self.qualname) || self.aliases.iter().any(|&(m, q)| g.is(m, q))
    }
}

impl fmt::Display for ClassInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.module, self.qualname)
    }
}

/// The attributes of an instance: its state dict, merged with the slot
/// state of a `(dict, slots)` state.
#[derive(Debug)]
pub struct State<'c> {
    item: Item,
    fields: Vec<(&'c str, Item)>,
    non_str_key: Option<Item>,
}

impl<'c> State<'c> {
    /// The `(name, value)` attributes, in the order the pickle gave them.
    pub fn fields(&self) -> &[(&'c str, Item)] {
        &self.fields
    }

    /// The error for a field missing from the state.
    #[cold]
    pub fn missing(&self, cx: &Context<'_, '_>, info: &ClassInfo, field: &str) -> Error {
        cx.error(self.item, format_args!("the {info} instance has no attribute `{field}`"))
    }

    /// The error for an attribute no field takes (`deny_unknown_fields`).
    #[cold]
    pub fn unknown(&self, cx: &Context<'_, '_>, info: &ClassInfo, name: &str) -> Error {
        cx.error(self.item, format_args!("the {info} instance has an unknown attribute `{name}`"))
    }

    /// For `deny_unknown_fields`: fails if the state had a key that is not a str.
    pub fn deny_non_str_keys(&self, cx: &Context<'_, '_>, info: &ClassInfo) -> Result<()> {
        match self.non_str_key {
            Some(key) => Err(
                cx.error(self.item, format_args!("the {info} instance has an attribute named by {}", cx.describe(key)))
            ),
            None => Ok(()),
        }
    }

    /// For `deny_unknown_fields` on a type with no fields to read.
    pub fn deny_all(&self, cx: &Context<'_, '_>, info: &ClassInfo) -> Result<()> {
        self.deny_non_str_keys(cx, info)?;
        match self.fields.first() {
            Some((name, _)) => Err(self.unknown(cx, info, name)),
            None => Ok(()),
        }
    }
}

/// The class global of the object `item`, or a mismatch error naming `expected`.
fn object_of<'c>(cx: &Context<'c, '_>, item: Item, expected: &dyn fmt::Display) -> Result<&'c Object> {
    match cx.value().get(item) {
        Some(Node::Object(obj)) => Ok(obj),
        _ => Err(cx.mismatch(item, &format!("an instance of {expected}"))),
    }
}

/// The class of the object `item`, if it is an object of a class global.
fn class_of<'c, 'a>(cx: &Context<'c, 'a>, item: Item) -> Option<&'c Global<'a>> {
    match cx.value().get(item) {
        Some(Node::Object(obj)) => cx.value().as_global(obj.class),
        _ => None,
    }
}

/// Whether the object `item` is an instance of `info`'s class.
pub fn is_instance(cx: &Context<'_, '_>, item: Item, info: &ClassInfo) -> bool {
    class_of(cx, item).is_some_and(|g| info.matches(g))
}

/// The error for an object of none of an enum's variant classes.
#[cold]
pub fn no_variant_class(cx: &Context<'_, '_>, item: Item, variants: &[&ClassInfo]) -> Error {
    let names: Vec<String> = variants.iter().map(|v| v.to_string()).collect();
    cx.mismatch(item, &format!("an instance of one of {}", names.join(", ")))
}

/// The attribute names of a tuple struct's fields, for namedtuples.
const TUPLE_FIELDS: [&str; 32] = [
    "_0", "_1", "_2", "_3", "_4", "_5", "_6", "_7", "_8", "_9", "_10", "_11", "_12", "_13", "_14", "_15", "_16", "_17",
    "_18", "_19", "_20", "_21", "_22", "_23", "_24", "_25", "_26", "_27", "_28", "_29", "_30", "_31",
];

/// A namedtuple (a tuple subclass made from its items): its items are the
/// fields `_0`, `_1`, ... of a tuple struct.
fn namedtuple_state<'c>(cx: &Context<'c, '_>, item: Item, info: &ClassInfo, items: &'c [Item]) -> Result<State<'c>> {
    let Some(names) = TUPLE_FIELDS.get(..items.len()) else {
        return Err(cx.error(item, format_args!("the {info} namedtuple has more than {} items", TUPLE_FIELDS.len())));
    };
    let fields = names.iter().copied().zip(items.iter().copied()).collect();
    Ok(State { item, fields, non_str_key: None })
}

/// Checks that `item` is an instance of `info`'s class made the way CPython
/// makes a plain instance, and returns its attributes; a namedtuple of the
/// class gives its items as the attributes `_0`, `_1`, ...
pub fn instance_state<'c>(cx: &Context<'c, '_>, item: Item, info: &ClassInfo) -> Result<State<'c>> {
    if let Some((class, items)) = tuple_reconstructor(cx.value(), item)
        && cx.value().as_global(class).is_some_and(|g| info.matches(g))
    {
        return namedtuple_state(cx, item, info, items);
    }
    let obj = object_of(cx, item, info)?;
    if !cx.value().as_global(obj.class).is_some_and(|g| info.matches(g)) {
        return Err(cx.mismatch(item, &format!("an instance of {info}")));
    }
    if !obj.args.is_empty() && obj.kwargs.is_empty() && obj.construct == Construct::New && obj.state.is_none() {
        return namedtuple_state(cx, item, info, &obj.args);
    }
    // A protocol 0/1 instance's one argument is its base class.
    let made_with_args = obj.construct != Construct::Reconstruct && !obj.args.is_empty();
    if made_with_args || !obj.kwargs.is_empty() {
        return Err(cx.error(
            item,
            format_args!("the {info} instance was created with arguments, which plain instances never are"),
        ));
    }
    let mut state = State { item, fields: Vec::new(), non_str_key: None };
    let Some(st) = obj.state else { return Ok(state) };
    let v = cx.value();
    let add = |state: &mut State<'c>, dict: Item| -> Result<()> {
        if dict == Item::None {
            return Ok(());
        }
        let pairs = v.as_dict(dict).ok_or_else(|| {
            cx.error(item, format_args!("the state of the {info} instance is {}, not a dict", cx.describe(dict)))
        })?;
        for &(k, val) in pairs {
            match v.get(k) {
                Some(Node::Str(s)) => state.fields.push((s, val)),
                _ => state.non_str_key = state.non_str_key.or(Some(k)),
            }
        }
        Ok(())
    };
    match v.as_tuple(st) {
        Some(&[dict, slots]) => {
            add(&mut state, dict)?;
            add(&mut state, slots)?;
        }
        _ => add(&mut state, st)?,
    }
    Ok(state)
}

/// An instance's state being read straight from the input
/// ([`direct_instance`]).
#[derive(Debug)]
pub struct DirectState {
    /// The state is `(None, {slots})` rather than a dict.
    slots: bool,
    step: Step,
    pairs: usize,
    /// Stack slots held for the instance, its state and the open MARK.
    held: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    /// In `MARK name value ... SETITEMS`.
    Batch,
    /// In `name value SETITEM ...`; `pending`: a value was read whose
    /// SETITEM comes next.
    Single {
        pending: bool,
    },
    /// The state's pairs are read; its close and BUILD come next.
    Close,
    Done,
}

/// Starts reading an instance of `info`'s class straight from the input, as
/// pickle-rs writes one at protocol 2 and above: the class fetched from the
/// memo, `EMPTY_TUPLE NEWOBJ`, then a state dict or `(None, {slots})`
/// (`NONE EMPTY_DICT ... TUPLE2 BUILD`), as CPython writes one too, with
/// memo writes that the reader skips when no later fetch reads them. `None`
/// for anything else, which the usual path reads (and [`instance_state`]
/// checks): another class, another construction, a memo write kept.
pub fn direct_instance(rd: &mut Direct<'_, '_, '_>, info: &ClassInfo) -> Option<DirectState> {
    rd.hold(2)?;
    match rd.memo_node()? {
        Node::Global(g) if info.matches(g) => {}
        _ => return None,
    }
    if !(rd.eat(op::EMPTY_TUPLE) && rd.eat(op::NEWOBJ)) {
        return None;
    }
    rd.after_value();
    rd.release(1);
    let slots = rd.eat(op::NONE);
    if !rd.eat(op::EMPTY_DICT) {
        return None;
    }
    rd.after_value();
    let mut held = 2 + usize::from(slots);
    rd.hold(held - 1)?;
    let step = if rd.eat(op::MARK) {
        rd.hold(1)?;
        held += 1;
        Step::Batch
    } else {
        Step::Single { pending: false }
    };
    Some(DirectState { slots, step, pairs: 0, held })
}

impl DirectState {
    /// The name of the next attribute, whose value the caller reads next;
    /// `Some(None)` once the state and its BUILD are read; `None` for
    /// anything else (the usual path reads the batch).
    #[inline]
    pub fn key<'c>(&mut self, rd: &mut Direct<'_, 'c, '_>) -> Option<Option<&'c str>> {
        loop {
            match self.step {
                Step::Batch => {
                    if rd.eat(op::SETITEMS) {
                        rd.release(1 + 2 * self.pairs);
                        self.held -= 1;
                        self.step = Step::Close;
                        continue;
                    }
                    return self.name(rd).map(Some);
                }
                Step::Single { pending } => {
                    if pending {
                        if !rd.eat(op::SETITEM) {
                            return None;
                        }
                        rd.release(2);
                    }
                    match self.name(rd) {
                        Some(name) => {
                            self.step = Step::Single { pending: true };
                            return Some(Some(name));
                        }
                        None => self.step = Step::Close,
                    }
                }
                Step::Close => {
                    if self.slots {
                        if !rd.eat(op::TUPLE2) {
                            return None;
                        }
                        rd.after_value();
                    }
                    if !rd.eat(op::BUILD) {
                        return None;
                    }
                    rd.release(self.held);
                    self.step = Step::Done;
                    return Some(None);
                }
                Step::Done => return Some(None),
            }
        }
    }

    fn name<'c>(&mut self, rd: &mut Direct<'_, 'c, '_>) -> Option<&'c str> {
        if !rd.fits(self.pairs + 1) {
            return None;
        }
        let name = rd.name()?;
        rd.hold(2)?;
        self.pairs += 1;
        Some(name)
    }
}

/// Decodes a field, naming it and its class in any error.
#[inline]
pub fn field<'a, T: FromPickle<'a>>(cx: &mut Context<'_, 'a>, item: Item, info: &ClassInfo, name: &str) -> Result<T> {
    cx.decode(item).map_err(|e| e.context(format_args!("field `{name}` of {info}")))
}

/// Decodes a field with a `with` module's `from_pickle`.
#[inline]
pub fn field_with<'c, 'a, T>(
    cx: &mut Context<'c, 'a>,
    item: Item,
    info: &ClassInfo,
    name: &str,
    read: fn(&mut Context<'c, 'a>, Item) -> Result<T>,
) -> Result<T> {
    read(cx, item).map_err(|e| e.context(format_args!("field `{name}` of {info}")))
}

/// The value of an enum member.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EnumValue<'c> {
    /// An int value.
    Int(i64),
    /// A str value.
    Str(&'c str),
    /// Anything else.
    Other,
    /// A member named rather than called with its value: the bare global
    /// `module.NAME` or `getattr(Class, 'NAME')`, as enums converted with
    /// `global_enum` pickle (`signal.SIGINT` on 3.8).
    Name(&'c str),
}

/// Writes an `enum.Enum` member as CPython does: `class T(value) REDUCE`.
pub fn write_enum_member(enc: &mut Encoder<'_>, info: &ClassInfo, value: EnumValue<'static>) -> Result<()> {
    enc.write_class(info.module, info.qualname)?;
    enc.write_tuple_raw(1, |enc| match value {
        EnumValue::Int(i) => enc.write_i64(i),
        EnumValue::Str(s) => enc.write_static_str(s),
        EnumValue::Other | EnumValue::Name(_) => enc.write_none(),
    })?;
    enc.write_reduce()?;
    enc.boundary()
}

/// The value of the enum member `item` of `info`'s class.
pub fn enum_value<'c>(cx: &Context<'c, '_>, item: Item, info: &ClassInfo) -> Result<EnumValue<'c>> {
    if let Some(Node::Global(g)) = cx.value().get(item) {
        return member_name(g, info)
            .map(EnumValue::Name)
            .ok_or_else(|| cx.mismatch(item, &format!("a member of {info}")));
    }
    let obj = object_of(cx, item, info)?;
    if !cx.value().as_global(obj.class).is_some_and(|g| info.matches(g)) {
        return Err(cx.mismatch(item, &format!("a member of {info}")));
    }
    match (obj.construct, obj.args.as_slice()) {
        (Construct::Call, &[value]) => Ok(match (value, cx.value().get(value)) {
            (Item::Int(i), _) => EnumValue::Int(i),
            (_, Some(Node::Str(s))) => EnumValue::Str(s),
            _ => EnumValue::Other,
        }),
        _ => Err(cx.error(item, format_args!("expected a member of {info}, called with its value"))),
    }
}

/// The member name a global gives for `info`'s enum: `Class.NAME` in the
/// class's module, or a module-level `NAME`.
fn member_name<'c>(g: &'c Global<'_>, info: &ClassInfo) -> Option<&'c str> {
    let modules = std::iter::once((info.module, info.qualname)).chain(info.aliases.iter().copied());
    for (module, qualname) in modules {
        if g.module != module {
            continue;
        }
        match g.name.strip_prefix(qualname).and_then(|rest| rest.strip_prefix('.')) {
            Some(name) if !name.contains('.') => return Some(name),
            _ if !g.name.contains('.') => return Some(&g.name),
            _ => {}
        }
    }
    None
}

/// The error for an enum value that no variant has.
#[cold]
pub fn no_member(cx: &Context<'_, '_>, item: Item, info: &ClassInfo, value: EnumValue<'_>) -> Error {
    let value = match value {
        EnumValue::Int(i) => i.to_string(),
        EnumValue::Str(s) => format!("{s:?}"),
        EnumValue::Name(n) => return cx.error(item, format_args!("{info} has no member named {n}")),
        EnumValue::Other => match cx.value().as_object(item).and_then(|o| o.args.first()) {
            Some(&v) => cx.describe(v),
            None => "no value".to_owned(),
        },
    };
    cx.error(item, format_args!("{info} has no member with the value {value}"))
}

/// A Python literal for an enum value, for the generated module.
pub fn enum_literal(value: EnumValue<'_>) -> String {
    match value {
        EnumValue::Int(i) => i.to_string(),
        EnumValue::Str(s) => python_str(s),
        EnumValue::Other | EnumValue::Name(_) => "None".to_owned(),
    }
}

fn python_str(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}
