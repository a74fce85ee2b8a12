//! Round trips of random `Value` graphs and random typed values at every
//! protocol: `decode(encode(v)) == v`, where `==` on `Value` is graph
//! isomorphism (sharing and cycles included), except for what a protocol
//! cannot express, which must fail with `ErrorKind::Unsupported`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use pickle_core::{BigInt, Construct, EncodeOptions, ErrorKind, Global, Item, Node, Object, Value};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// A reference from one node to another or to a scalar. `node` is reduced
/// modulo the nodes it may point at when the graph is built.
#[derive(Debug, Clone)]
struct Edge {
    node: Option<u32>,
    scalar: Item,
}

#[derive(Debug, Clone)]
enum Spec {
    BigInt(BigInt),
    Complex(f64, f64),
    Str(String),
    Surrogates(Vec<u32>),
    Bytes(Vec<u8>),
    ByteArray(Vec<u8>),
    Global(String, String),
    /// Items may point at any node, later ones and itself included: a list
    /// exists (and is memoized) before its items, so it can close a cycle.
    List(Vec<Edge>),
    Dict(Vec<(Edge, Edge)>),
    /// Items point only at earlier nodes: these are made from their parts.
    Tuple(Vec<Edge>),
    Set(Vec<Edge>),
    FrozenSet(Vec<Edge>),
    Object(Box<ObjectSpec>),
    /// The id is a fresh str (which protocol 0 can write as text) or a scalar.
    PersId(Result<String, Item>),
    Ext(i32),
    Buffer(u64, bool),
}

#[derive(Debug, Clone)]
struct ObjectSpec {
    class: u32,
    construct: Construct,
    /// Arguments exist before the object: earlier nodes only.
    args: Vec<Edge>,
    kwargs: Vec<(Edge, Edge)>,
    /// State and items are added after the object exists: any node.
    state: Option<Edge>,
    list_items: Vec<Edge>,
    dict_items: Vec<(Edge, Edge)>,
    set_items: Vec<Edge>,
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<u64>().prop_map(f64::from_bits),
        Just(f64::NAN),
        Just(-f64::NAN),
        Just(f64::INFINITY),
        Just(-0.0),
        any::<f64>(),
    ]
}

fn scalar() -> impl Strategy<Value = Item> {
    prop_oneof![
        Just(Item::None),
        any::<bool>().prop_map(Item::Bool),
        any::<i64>().prop_map(Item::Int),
        prop_oneof![Just(i64::MIN), Just(i64::MAX), -300i64..300].prop_map(Item::Int),
        float().prop_map(Item::Float),
    ]
}

fn edge() -> impl Strategy<Value = Edge> {
    (proptest::option::weighted(0.7, any::<u32>()), scalar()).prop_map(|(node, scalar)| Edge { node, scalar })
}

fn edges() -> impl Strategy<Value = Vec<Edge>> {
    prop::collection::vec(edge(), 0..5)
}

fn pairs() -> impl Strategy<Value = Vec<(Edge, Edge)>> {
    prop::collection::vec((edge(), edge()), 0..4)
}

/// A big int outside the i64 range (inside it, the decoder makes an inline
/// int, as it must).
fn big_int() -> impl Strategy<Value = BigInt> {
    prop::collection::vec(any::<u8>(), 1..40).prop_map(|bytes| {
        let b = BigInt::from_signed_bytes_le(&bytes);
        if i64::try_from(&b).is_ok() { b + BigInt::from(u64::MAX) } else { b }
    })
}

/// Module and qualified names that no special reduction or Python 2 name
/// mapping touches; qualified names may be dotted (nested classes).
fn global() -> impl Strategy<Value = (String, String)> {
    ("mod_[a-z]{0,6}(\\.[a-z]{1,4})?", "[A-Z][a-zA-Z0-9_]{0,6}(\\.[A-Z][a-z]{0,4}){0,2}")
}

fn spec() -> impl Strategy<Value = Spec> {
    let object = (
        any::<u32>(),
        prop_oneof![Just(Construct::Call), Just(Construct::New), Just(Construct::NewEx)],
        edges(),
        pairs(),
        proptest::option::of(edge()),
        edges(),
        pairs(),
        prop::collection::vec(edge(), 0..2),
    )
        .prop_map(|(class, construct, args, kwargs, state, list_items, dict_items, set_items)| {
            let kwargs = if construct == Construct::NewEx { kwargs } else { Vec::new() };
            Spec::Object(Box::new(ObjectSpec {
                class,
                construct,
                args,
                kwargs,
                state,
                list_items,
                dict_items,
                set_items,
            }))
        });
    prop_oneof![
        big_int().prop_map(Spec::BigInt),
        (float(), float()).prop_map(|(re, im)| Spec::Complex(re, im)),
        any::<String>().prop_map(Spec::Str),
        "[a-z\\n\\\\\u{e9}\u{20ac}]{0,300}".prop_map(Spec::Str),
        (
            prop::collection::vec(prop_oneof![0u32..0x80, 0x80u32..0xd800, 0xe000u32..0x11_0000], 0..6),
            0xd800u32..0xe000
        )
            .prop_map(|(mut cps, lone)| {
                cps.insert(cps.len() / 2, lone);
                Spec::Surrogates(cps)
            }),
        prop::collection::vec(any::<u8>(), 0..300).prop_map(Spec::Bytes),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(Spec::ByteArray),
        global().prop_map(|(m, n)| Spec::Global(m, n)),
        edges().prop_map(Spec::List),
        pairs().prop_map(Spec::Dict),
        edges().prop_map(Spec::Tuple),
        edges().prop_map(Spec::Set),
        edges().prop_map(Spec::FrozenSet),
        object,
        prop_oneof!["[ -~]{0,12}".prop_map(Ok), "[a-z\u{e9}\\n]{1,4}".prop_map(Ok), scalar().prop_map(Err)]
            .prop_map(Spec::PersId),
        (1..=i32::MAX).prop_map(Spec::Ext),
        (0u64..4, any::<bool>()).prop_map(|(i, r)| Spec::Buffer(i, r)),
    ]
}

/// Node 0 is always a global, so every object has a class to point at.
fn graph() -> impl Strategy<Value = (Vec<Spec>, Edge)> {
    (global(), prop::collection::vec(spec(), 0..14), edge()).prop_map(|((m, n), mut specs, root)| {
        specs.insert(0, Spec::Global(m, n));
        (specs, root)
    })
}

fn surrogatepass(cps: &[u32]) -> Vec<u8> {
    let mut out = Vec::new();
    for &cp in cps {
        match cp {
            0..=0x7f => out.push(cp as u8),
            0x80..=0x7ff => out.extend([0xc0 | (cp >> 6) as u8, 0x80 | (cp & 0x3f) as u8]),
            0x800..=0xffff => {
                out.extend([0xe0 | (cp >> 12) as u8, 0x80 | ((cp >> 6) & 0x3f) as u8, 0x80 | (cp & 0x3f) as u8])
            }
            _ => out.extend([
                0xf0 | (cp >> 18) as u8,
                0x80 | ((cp >> 12) & 0x3f) as u8,
                0x80 | ((cp >> 6) & 0x3f) as u8,
                0x80 | (cp & 0x3f) as u8,
            ]),
        }
    }
    out
}

/// Builds the graph: node `i` of the arena is `specs[i]`, and extra nodes
/// (persistent-id strs) go after them.
fn build(specs: &[Spec], root: &Edge) -> Value<'static> {
    let n = specs.len() as u32;
    let mut value = Value::new();
    // Reserve ids 0..n first so that edges can point forward.
    let ids: Vec<Item> = (0..n).map(|_| value.push(Node::Ext(1))).collect();
    let any = |e: &Edge| e.node.map_or(e.scalar, |k| ids[(k % n) as usize]);
    let earlier = |e: &Edge, i: usize| match e.node {
        Some(k) if i > 0 => ids[k as usize % i],
        _ => e.scalar,
    };
    let id = |item: Item| match item {
        Item::Node(id) => id,
        _ => unreachable!("reserved ids are nodes"),
    };
    for (i, spec) in specs.iter().enumerate() {
        let node = match spec {
            Spec::BigInt(b) => Node::BigInt(Box::new(b.clone())),
            Spec::Complex(re, im) => Node::Complex(*re, *im),
            Spec::Str(s) => Node::Str(Cow::Owned(s.clone())),
            Spec::Surrogates(cps) => Node::SurrogateStr(Cow::Owned(surrogatepass(cps))),
            Spec::Bytes(b) => Node::Bytes(Cow::Owned(b.clone())),
            Spec::ByteArray(b) => Node::ByteArray(b.clone()),
            Spec::Global(m, q) => Node::Global(Box::new(Global::new(m.clone(), q.clone()))),
            Spec::List(es) => Node::List(es.iter().map(any).collect()),
            Spec::Dict(ps) => Node::Dict(ps.iter().map(|(k, v)| (any(k), any(v))).collect()),
            Spec::Tuple(es) => Node::Tuple(es.iter().map(|e| earlier(e, i)).collect()),
            Spec::Set(es) => Node::Set(es.iter().map(|e| earlier(e, i)).collect()),
            Spec::FrozenSet(es) => Node::FrozenSet(es.iter().map(|e| earlier(e, i)).collect()),
            Spec::Object(o) => {
                // The class: the nearest global at or before `o.class % i`.
                let globals: Vec<usize> = (0..i.max(1)).filter(|&k| matches!(specs[k], Spec::Global(..))).collect();
                let class = ids[globals[o.class as usize % globals.len()]];
                let mut obj = Object::new(class, o.construct, o.args.iter().map(|e| earlier(e, i)).collect());
                obj.kwargs = o.kwargs.iter().map(|(k, v)| (earlier(k, i), earlier(v, i))).collect();
                obj.state = o.state.as_ref().map(any);
                obj.list_items = o.list_items.iter().map(any).collect();
                obj.dict_items = o.dict_items.iter().map(|(k, v)| (any(k), any(v))).collect();
                obj.set_items = o.set_items.iter().map(any).collect();
                Node::Object(Box::new(obj))
            }
            Spec::PersId(Ok(text)) => Node::PersId(value.push(Node::Str(Cow::Owned(text.clone())))),
            Spec::PersId(Err(scalar)) => Node::PersId(*scalar),
            Spec::Ext(code) => Node::Ext(*code),
            Spec::Buffer(index, readonly) => Node::Buffer { index: *index, readonly: *readonly },
        };
        *value.node_mut(id(ids[i])) = node;
    }
    value.set_root(any(root));
    value
}

/// Why `proto` cannot express `value`, if it cannot.
fn inexpressible(value: &Value<'_>, proto: u8) -> Option<&'static str> {
    value.reachable().into_iter().find_map(|id| match value.node(id) {
        Node::Ext(_) if proto < 2 => Some("extension code below protocol 2"),
        Node::Buffer { .. } if proto < 5 => Some("out-of-band buffer below protocol 5"),
        Node::Object(o) if proto < 4 && !o.set_items.is_empty() => Some("ADDITEMS on an object below protocol 4"),
        Node::PersId(pid) if proto == 0 => {
            let text = value.as_str(*pid).filter(|s| s.is_ascii() && !s.contains('\n'));
            text.is_none().then_some("persistent id that is not an ASCII str at protocol 0")
        }
        _ => None,
    })
}

/// What a round trip may change without changing the graph: protocol 0 writes
/// floats as `repr()`, which keeps neither a NaN's payload nor its sign (as in
/// CPython), and buffer indices count `NEXT_BUFFER` opcodes in the order the
/// writer meets them.
fn normalize(value: &mut Value<'_>, proto: u8) {
    let canon = |x: f64| if proto == 0 && x.is_nan() { f64::NAN } else { x };
    let fix = |item: Item| match item {
        Item::Float(x) => Item::Float(canon(x)),
        other => other,
    };
    value.set_root(fix(value.root()));
    for id in value.reachable() {
        let node = value.node_mut(id);
        node.map_items(fix);
        match node {
            Node::Complex(re, im) => (*re, *im) = (canon(*re), canon(*im)),
            Node::Buffer { index, .. } => *index = 0,
            _ => {}
        }
    }
}

fn round_trip(value: &Value<'_>) -> Result<(), TestCaseError> {
    for proto in 0..=5u8 {
        let encoded = pickle_core::to_vec_with(value, EncodeOptions::default().protocol(proto));
        if let Some(why) = inexpressible(value, proto) {
            let err = encoded.expect_err(why);
            prop_assert_eq!(err.kind(), ErrorKind::Unsupported, "protocol {}: {}: {}", proto, why, err);
            continue;
        }
        let bytes = encoded.map_err(|e| TestCaseError::fail(format!("protocol {proto}: {e}\n{value:?}")))?;
        let mut back: Value = pickle_core::from_slice_with(&bytes, keep())
            .map_err(|e| TestCaseError::fail(format!("protocol {proto}: {e}\n{value:?}\n{bytes:?}")))?;
        let mut want = value.clone();
        normalize(&mut want, proto);
        normalize(&mut back, proto);
        prop_assert!(want == back, "protocol {}:\n{:?}\n{:?}\n{:?}", proto, want, back, bytes);
        // The reader entry point reads the same graph.
        let mut read: Value<'static> = pickle_core::from_reader_with(&bytes[..], keep())
            .map_err(|e| TestCaseError::fail(format!("protocol {proto} from_reader: {e}")))?;
        normalize(&mut read, proto);
        prop_assert!(read == back, "protocol {}: from_reader differs", proto);
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: 1024, ..Config::default() })]

    #[test]
    fn value_graphs_round_trip_at_every_protocol((specs, root) in graph()) {
        round_trip(&build(&specs, &root))?;
    }
}

/// Bit-exact float equality, except that protocol 0 keeps only "a NaN".
fn same_f64(a: f64, b: f64, proto: u8) -> bool {
    a.to_bits() == b.to_bits() || (proto == 0 && a.is_nan() && b.is_nan())
}

fn typed_round_trip<T>(v: &T, proto: u8) -> Result<T, TestCaseError>
where
    T: pickle_core::ToPickle + for<'a> pickle_core::FromPickle<'a>,
{
    let bytes = pickle_core::to_vec_with(v, EncodeOptions::default().protocol(proto))
        .map_err(|e| TestCaseError::fail(format!("protocol {proto}: {e}")))?;
    let from_slice: T =
        pickle_core::from_slice(&bytes).map_err(|e| TestCaseError::fail(format!("protocol {proto}: {e}")))?;
    // Decoding through a reader must agree; its result is checked by the caller
    // through from_slice's, so only success is asserted here.
    let _: T = pickle_core::from_reader(&bytes[..])
        .map_err(|e| TestCaseError::fail(format!("protocol {proto} from_reader: {e}")))?;
    Ok(from_slice)
}

/// Python has one `None`: `Some(None)` is written as `None` and read back as
/// the outermost `None`.
fn collapse(v: Option<Option<Option<i32>>>) -> Option<Option<Option<i32>>> {
    match v {
        Some(Some(Some(x))) => Some(Some(Some(x))),
        _ => None,
    }
}

proptest! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]

    #[test]
    fn typed_values_round_trip_at_every_protocol(
        rows in prop::collection::vec((any::<i64>(), any::<String>(), proptest::option::of(float())), 0..6),
        map in prop::collection::btree_map("[a-z\u{e9}]{0,5}", prop::collection::vec(any::<u8>(), 0..300), 0..4),
        nested in proptest::option::of(proptest::option::of(proptest::option::of(any::<i32>()))),
        wide in prop_oneof![Just(i128::MIN), Just(i128::MAX), Just(0), Just(-1), any::<i128>()],
        unsigned in prop_oneof![Just(u128::MAX), Just(0), Just(u128::from(u64::MAX) + 1), any::<u128>()],
        bits in any::<u64>(),
    ) {
        for proto in 0..=5u8 {
            let back = typed_round_trip(&rows, proto)?;
            prop_assert_eq!(back.len(), rows.len());
            for ((a, s, x), (b, t, y)) in rows.iter().zip(&back) {
                prop_assert_eq!((a, s), (b, t));
                match (x, y) {
                    (Some(x), Some(y)) => prop_assert!(same_f64(*x, *y, proto), "protocol {}: {} vs {}", proto, x, y),
                    (None, None) => {}
                    _ => prop_assert!(false, "protocol {}: {:?} vs {:?}", proto, x, y),
                }
            }
            prop_assert_eq!(&typed_round_trip::<BTreeMap<String, Vec<u8>>>(&map, proto)?, &map);
            prop_assert_eq!(typed_round_trip(&nested, proto)?, collapse(nested));
            prop_assert_eq!(typed_round_trip(&wide, proto)?, wide);
            prop_assert_eq!(typed_round_trip(&unsigned, proto)?, unsigned);
            let x = f64::from_bits(bits);
            let y = typed_round_trip(&x, proto)?;
            prop_assert!(same_f64(x, y, proto), "protocol {}: {:?} vs {:?}", proto, x.to_bits(), y.to_bits());
        }
    }
}

/// Regression (found by the fuzz target): a buffer, extension or empty tuple
/// node that the graph shares (`NEXT_BUFFER DUP`, `EXT1 MEMOIZE ... BINGET`,
/// `EMPTY_TUPLE DUP`) was written twice and read back as two nodes.
#[test]
fn shared_buffers_extensions_and_empty_tuples_stay_shared() {
    for input in [
        &b"\x80\x05\x97\x982\x86."[..],            // (buf, buf), readonly
        b"\x80\x05]\x94(h\x00\x97\x97\x972\x97e.", // buffers with a DUP among others
        b"\x80\x04\x82\x07\x94h\x00\x86.",         // (ext 7, ext 7)
        b"\x80\x03)2\x86.",                        // ((), ()), one shared empty tuple
    ] {
        let value: Value = pickle_core::from_slice(input).expect("decodes");
        let mut written = 0;
        for proto in 0..=5 {
            let bytes = match pickle_core::to_vec_with(&value, EncodeOptions::default().protocol(proto)) {
                Ok(bytes) => bytes,
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::Unsupported, "{input:?} at protocol {proto}: {e}");
                    continue;
                }
            };
            let back: Value = pickle_core::from_slice(&bytes).expect("decodes again");
            assert!(back == value, "{input:?} became {bytes:?} at protocol {proto}");
            written += 1;
        }
        assert!(written > 0);
    }
}

/// Regression (found by the property): an object whose constructor arguments
/// lead back to it is written inside its own arguments; its items and state
/// must then be written once, not again after the outer copy is dropped.
#[test]
fn an_object_inside_its_own_arguments_gets_its_state_once() {
    let mut value = Value::new();
    let class = value.push(Node::Global(Box::new(Global::new("mod_app", "Node"))));
    let args = value.push(Node::Dict(Vec::new()));
    let mut obj = Object::new(class, Construct::New, vec![args]);
    obj.state = Some(Item::Int(-947));
    obj.list_items = vec![Item::Bool(false)];
    let obj = value.push(Node::Object(Box::new(obj)));
    if let Some(Node::Dict(pairs)) = value.get_mut(args) {
        pairs.push((Item::None, obj));
    }
    value.set_root(obj);
    for proto in 0..=5 {
        let bytes = pickle_core::to_vec_with(&value, EncodeOptions::default().protocol(proto)).expect("encodes");
        let back: Value = pickle_core::from_slice(&bytes).expect("decodes");
        assert!(back == value, "protocol {proto}: {back:?}");
    }
}

/// Regression (found by the fuzz target): a persistent id whose id leads back
/// to it was read back as two nodes.
#[test]
fn a_persistent_id_inside_its_own_id_stays_one_node() {
    // pid = <persistent id [pid]>
    let mut value = Value::new();
    let list = value.push(Node::List(Vec::new()));
    let pid = value.push(Node::PersId(list));
    if let Some(Node::List(items)) = value.get_mut(list) {
        items.push(pid);
    }
    value.set_root(pid);
    for proto in 1..=5 {
        let bytes = pickle_core::to_vec_with(&value, EncodeOptions::default().protocol(proto)).expect("encodes");
        let back: Value = pickle_core::from_slice_with(&bytes, keep()).expect("decodes");
        assert!(back == value, "protocol {proto}: {bytes:?}");
        // By default a persistent id is refused, as CPython does without a persistent_load.
        let err = pickle_core::from_slice::<Value>(&bytes).expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Forbidden, "protocol {proto}: {err}");
    }
    let err = pickle_core::to_vec_with(&value, EncodeOptions::default().protocol(0)).expect_err("not a str id");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}

/// The graphs hold persistent ids: decode keeping them.
fn keep() -> pickle_core::DecodeOptions {
    pickle_core::DecodeOptions::default().persistent_ids(pickle_core::PersistentIds::Keep)
}
