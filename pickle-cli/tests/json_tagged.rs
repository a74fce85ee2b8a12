//! The tagged JSON form (docs/json-format.md): exact text for hand-built
//! values covering every tag, sharing and cycles; each text is then fed to
//! CPython's `json.loads` and must come back unchanged from `json.dumps` with
//! the canonical settings.

mod common;

use pickle_cli::json::value_to_json;
use pickle_core::{BigInt, Construct, Global, Item, Node, Object, Value};

use common::{pickle, python};
use pickle_test_support::run_ok;

fn str_node(value: &mut Value<'_>, s: &str) -> Item {
    value.push(Node::Str(s.to_string().into()))
}

fn root(mut value: Value<'_>, item: Item) -> Value<'_> {
    value.set_root(item);
    value
}

/// Every case: the value and the exact JSON it must print as.
fn cases() -> Vec<(&'static str, Value<'static>, &'static str)> {
    let mut cases = Vec::new();
    for (name, item, text) in [
        ("none", Item::None, "null"),
        ("true", Item::Bool(true), "true"),
        ("false", Item::Bool(false), "false"),
        ("int 2**53", Item::Int(1 << 53), "9007199254740992"),
        ("int -2**53", Item::Int(-(1 << 53)), "-9007199254740992"),
        ("int 2**53+1", Item::Int((1 << 53) + 1), r#"{"$int":"9007199254740993"}"#),
        ("int min", Item::Int(i64::MIN), r#"{"$int":"-9223372036854775808"}"#),
        ("float 1.0", Item::Float(1.0), "1.0"),
        ("float 1e100", Item::Float(1e100), "1e+100"),
        ("float 1e-05", Item::Float(1e-5), "1e-05"),
        ("float -0.0", Item::Float(-0.0), "-0.0"),
        ("float 0.1", Item::Float(0.1), "0.1"),
        ("nan", Item::Float(f64::NAN), r#"{"$float":"nan"}"#),
        ("inf", Item::Float(f64::INFINITY), r#"{"$float":"inf"}"#),
        ("-inf", Item::Float(f64::NEG_INFINITY), r#"{"$float":"-inf"}"#),
    ] {
        cases.push((name, Value::scalar(item), text));
    }

    let mut v = Value::new();
    let s = str_node(&mut v, "a\"\\\n\r\t\u{8}\u{c}\u{1}\u{7f} \u{e9}\u{65e5}\u{1F600}/");
    cases.push(("str escapes", root(v, s), r#""a\"\\\n\r\t\b\f\u0001\u007f \u00e9\u65e5\ud83d\ude00/""#));

    let mut v = Value::new();
    let s = v.push(Node::SurrogateStr(b"a\xed\xa0\x80\xed\xbf\xbfz".to_vec().into()));
    cases.push(("lone surrogates", root(v, s), r#""a\ud800\udfffz""#));

    let mut v = Value::new();
    let items = vec![
        v.push(Node::Bytes(b"\x00\xffab".to_vec().into())),
        v.push(Node::ByteArray(b"xyz".to_vec())),
        v.push(Node::Bytes(Vec::new().into())),
        v.push(Node::BigInt(Box::new(-(BigInt::from(1u8) << 100usize)))),
        v.push(Node::Complex(1.5, f64::NAN)),
        v.push(Node::Global(Box::new(Global::new("mod", "Outer.Inner")))),
        v.push(Node::Ext(7)),
        v.push(Node::Buffer { index: 0, readonly: true }),
        v.push(Node::Buffer { index: 1, readonly: false }),
        v.push(Node::Set(vec![Item::Int(1), Item::None])),
        v.push(Node::FrozenSet(Vec::new())),
        v.push(Node::Tuple(Vec::new())),
        v.push(Node::List(Vec::new())),
        v.push(Node::Dict(Vec::new())),
    ];
    let pid = str_node(&mut v, "pid");
    let persid = v.push(Node::PersId(pid));
    let tuple_str = str_node(&mut v, "s");
    let tuple = v.push(Node::Tuple(vec![Item::Int(1), tuple_str]));
    let list = v.push(Node::List([items, vec![persid, tuple]].concat()));
    cases.push((
        "every scalar-like tag",
        root(v, list),
        concat!(
            r#"[{"$bytes":"AP9hYg=="},{"$bytearray":"eHl6"},{"$bytes":""},"#,
            r#"{"$int":"-1267650600228229401496703205376"},{"$complex":[1.5,{"$float":"nan"}]},"#,
            r#"{"$global":["mod","Outer.Inner"]},{"$ext":7},{"$buffer":{"index":0,"readonly":true}},"#,
            r#"{"$buffer":{"index":1,"readonly":false}},{"$set":[1,null]},{"$frozenset":[]},{"$tuple":[]},[],{},"#,
            r#"{"$persid":"pid"},{"$tuple":[1,"s"]}]"#
        ),
    ));

    let mut v = Value::new();
    let (k, k2, k3, k4, k5) = (
        str_node(&mut v, "k"),
        str_node(&mut v, "k"),
        str_node(&mut v, "$x"),
        str_node(&mut v, "k"),
        str_node(&mut v, "j"),
    );
    let plain = v.push(Node::Dict(vec![(k, Item::Int(1)), (k5, Item::None)]));
    let repeated = v.push(Node::Dict(vec![(k2, Item::Int(1)), (k4, Item::Int(2))]));
    let dollar = v.push(Node::Dict(vec![(k3, Item::Int(1))]));
    let non_str = v.push(Node::Dict(vec![(Item::Int(1), Item::Int(2)), (Item::None, Item::Bool(false))]));
    let list = v.push(Node::List(vec![plain, repeated, dollar, non_str]));
    cases.push((
        "dicts",
        root(v, list),
        concat!(
            r#"[{"k":1,"j":null},{"$dict":[["k",1],["k",2]]},{"$dict":[["$x",1]]},"#,
            r#"{"$dict":[[1,2],[null,false]]}]"#
        ),
    ));

    let mut v = Value::new();
    let class = v.push(Node::Global(Box::new(Global::new("app", "Thing"))));
    let (a, kw, d) = (str_node(&mut v, "a"), str_node(&mut v, "kw"), str_node(&mut v, "d"));
    let state = v.push(Node::Dict(vec![(a, Item::Int(1))]));
    let mut full = Object::new(class, Construct::NewEx, vec![Item::Int(1)]);
    full.kwargs = vec![(kw, Item::Int(2))];
    full.state = Some(state);
    full.list_items = vec![Item::Int(3)];
    full.dict_items = vec![(d, Item::Int(4))];
    full.set_items = vec![Item::Int(5)];
    let full = v.push(Node::Object(Box::new(full)));
    let class2 = v.push(Node::Global(Box::new(Global::new("app", "Other"))));
    let call = v.push(Node::Object(Box::new(Object::new(class2, Construct::Call, Vec::new()))));
    let mut new = Object::new(Item::None, Construct::New, vec![Item::Float(2.0)]);
    new.state = Some(Item::None);
    let new = v.push(Node::Object(Box::new(new)));
    let list = v.push(Node::List(vec![full, call, new]));
    cases.push((
        "objects",
        root(v, list),
        concat!(
            r#"[{"$object":{"class":{"$global":["app","Thing"]},"construct":"new_ex","args":[1],"#,
            r#""kwargs":[["kw",2]],"state":{"a":1},"listitems":[3],"dictitems":[["d",4]],"setitems":[5]}},"#,
            r#"{"$object":{"class":{"$global":["app","Other"]},"construct":"call","args":[]}},"#,
            r#"{"$object":{"class":null,"construct":"new","args":[2.0],"state":null}}]"#
        ),
    ));

    // l = [1]; l.append(l): the spec's own example.
    let mut v = Value::new();
    let l = v.push(Node::List(vec![Item::Int(1)]));
    if let Some(Node::List(items)) = v.get_mut(l) {
        items.push(l);
    }
    cases.push(("cyclic list", root(v, l), r#"{"$id":0,"$value":[1,{"$ref":0}]}"#));

    let mut v = Value::new();
    let key = str_node(&mut v, "self");
    let d = v.push(Node::Dict(Vec::new()));
    if let Some(Node::Dict(pairs)) = v.get_mut(d) {
        pairs.push((key, d));
    }
    cases.push(("cyclic dict", root(v, d), r#"{"$id":0,"$value":{"self":{"$ref":0}}}"#));

    // Ids count in document order: b is met first, then t. The shared str
    // inside t is written in full: strs carry no $id.
    let mut v = Value::new();
    let a = str_node(&mut v, "a");
    let b = v.push(Node::ByteArray(b"b".to_vec()));
    let t = v.push(Node::Tuple(vec![a, a]));
    let unreachable = v.push(Node::List(vec![b, b, a]));
    let _ = unreachable;
    let list = v.push(Node::List(vec![b, t, t, b, Item::Int(7)]));
    cases.push((
        "shared in document order",
        root(v, list),
        r#"[{"$id":0,"$value":{"$bytearray":"Yg=="}},{"$id":1,"$value":{"$tuple":["a","a"]}},{"$ref":1},{"$ref":0},7]"#,
    ));

    // A shared str key (CPython memoizes interned attribute names) keeps
    // the dicts plain objects: strs carry no $id.
    let mut v = Value::new();
    let k = str_node(&mut v, "k");
    let d1 = v.push(Node::Dict(vec![(k, Item::Int(1))]));
    let d2 = v.push(Node::Dict(vec![(k, Item::Int(2))]));
    let list = v.push(Node::List(vec![d1, d2]));
    cases.push(("shared dict key", root(v, list), r#"[{"k":1},{"k":2}]"#));

    let mut v = Value::new();
    let inner = v.push(Node::List(Vec::new()));
    let s = v.push(Node::Set(vec![inner]));
    let persid = v.push(Node::PersId(s));
    let list = v.push(Node::List(vec![persid, s, inner]));
    cases.push((
        "shared through persid",
        root(v, list),
        r#"[{"$persid":{"$id":0,"$value":{"$set":[{"$id":1,"$value":[]}]}}},{"$ref":0},{"$ref":1}]"#,
    ));
    cases
}

/// Asks CPython whether each text is JSON that `json.dumps` writes back
/// unchanged with the canonical settings.
fn assert_canonical_in_python(texts: &[String]) {
    let script = r#"
import json, sys
n = 0
for line in sys.stdin.read().split("\n")[:-1]:
    again = json.dumps(json.loads(line), ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    assert again == line, (line, again)
    n += 1
print(n)
"#;
    let mut input = String::new();
    for text in texts {
        assert!(!text.contains('\n'));
        input.push_str(text);
        input.push('\n');
    }
    let mut cmd = python();
    cmd.args(["-c", script]);
    assert_eq!(String::from_utf8_lossy(&run_ok(cmd, input.as_bytes())), format!("{}\n", texts.len()));
}

#[test]
fn hand_built_values_print_exactly_and_are_canonical_json() {
    let mut texts = Vec::new();
    for (name, value, want) in cases() {
        let got = value_to_json(&value);
        assert_eq!(got, want, "case {name}");
        texts.push(got);
    }
    assert_canonical_in_python(&texts);
}

#[test]
fn deep_nesting_needs_no_native_stack() {
    const DEPTH: usize = 100_000;
    let mut v = Value::new();
    let mut item = v.push(Node::List(Vec::new()));
    for _ in 1..DEPTH {
        item = v.push(Node::List(vec![item]));
    }
    v.set_root(item);
    let text = value_to_json(&v);
    assert_eq!(text, format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH)));

    // The same through the binary: PROTO 2, DEPTH x EMPTY_LIST, APPENDs, STOP.
    let mut bytes = b"\x80\x02".to_vec();
    bytes.extend(std::iter::repeat_n(b']', DEPTH));
    bytes.extend(std::iter::repeat_n(b'a', DEPTH - 1));
    bytes.push(b'.');
    let mut cmd = pickle();
    cmd.args(["json", "-"]);
    assert_eq!(String::from_utf8_lossy(&run_ok(cmd, &bytes)), format!("{text}\n"));
}

#[test]
fn json_command_prints_python_pickles() {
    let script = r#"
import pickle, sys
x = [1]; x.append(x)
k = "key"
obj = {"a": [1, 2.5, None, True, 2**64], "b": (b"\x00", "\u00e9", {1, 2}, bytearray(b"z")), "c": x, "d": [{k: 1}, {k: 2}], "e": 1j}
for p in range(6):
    sys.stdout.buffer.write(pickle.dumps(obj, p))
"#;
    let mut cmd = python();
    cmd.args(["-c", script]);
    let stream = run_ok(cmd, b"");
    let want = concat!(
        r#"{"a":[1,2.5,null,true,{"$int":"18446744073709551616"}],"#,
        r#""b":{"$tuple":[{"$bytes":"AA=="},"\u00e9",{"$set":[1,2]},{"$bytearray":"eg=="}]},"#,
        r#""c":{"$id":0,"$value":[1,{"$ref":0}]},"#,
        r#""d":[{"key":1},{"key":2}],"#,
        r#""e":{"$complex":[0.0,1.0]}}"#,
        "\n"
    );
    let mut decoder = pickle_core::Decoder::from_slice(&stream);
    let mut outputs = Vec::new();
    for protocol in 0..=5 {
        let start = decoder.position() as usize;
        decoder.decode::<pickle_core::Value>().expect("python's pickle decodes");
        let mut cmd = pickle();
        cmd.args(["json", "-"]);
        let got = String::from_utf8(run_ok(cmd, &stream[start..decoder.position() as usize])).expect("ASCII output");
        assert_eq!(got, want, "protocol {protocol}");
        outputs.push(got.trim_end().to_string());
    }
    assert!(decoder.is_at_end());
    assert_canonical_in_python(&outputs);
}
