//! `#[derive(Pickle)]` on structs: named, tuple, unit, generic, borrowed,
//! against the real python3 at every protocol and class style.

mod common;

use std::rc::Rc;

use common::{DUMPS_PER_VALUE, all_protocols, python};
use pickle_core::{ErrorKind, Pickle, PyClass};

#[derive(Pickle, Debug, PartialEq, Clone)]
#[pickle(module = "app.models")]
struct Point {
    x: i64,
    y: i64,
    label: String,
    tags: Vec<String>,
    weight: Option<f64>,
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(module = "app.models")]
struct Pair(i32, String);

#[derive(Pickle, Debug, PartialEq)]
#[pickle(module = "app.models")]
struct Marker;

#[derive(Pickle, Debug, PartialEq)]
#[pickle(module = "app.models", name = "Line")]
struct Segment {
    start: Point,
    end: Point,
    data: Vec<u8>,
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(module = "app.models")]
struct Boxed<T> {
    item: T,
    items: Vec<T>,
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(module = "app.models")]
struct Named<'a> {
    name: &'a str,
    raw: &'a [u8],
}

#[derive(Pickle, Debug)]
#[pickle(module = "app.models")]
struct Shared {
    a: Rc<Pair>,
    b: Rc<Pair>,
}

#[derive(Pickle, Debug, PartialEq)]
struct DefaultModule {
    v: u8,
}

const SPEC: &str = r#"{
    "app.models:Point": ["x", "y", "label", "tags", "weight"],
    "app.models:Pair": ["_0", "_1"],
    "app.models:Marker": [],
    "app.models:Line": ["start", "end", "data"],
    "app.models:Boxed": ["item", "items"],
    "app.models:Shared": ["a", "b"]
}"#;

fn point() -> Point {
    Point { x: 1, y: -2, label: "début".into(), tags: vec!["a".into(), "b".into()], weight: None }
}

/// The shared round trip with this file's classes.
fn round_trip(pickles: &str, modify: &str) -> (Vec<String>, common::Dumps) {
    common::round_trip(SPEC, pickles, modify)
}

#[test]
fn class_names() {
    assert_eq!((Point::MODULE, Point::QUALNAME), ("app.models", "Point"));
    assert_eq!((Segment::MODULE, Segment::QUALNAME), ("app.models", "Line"));
    assert_eq!(DefaultModule::MODULE, "derive_structs");
}

#[test]
fn named_struct_at_every_protocol_and_style() {
    let (described, back) = round_trip(&all_protocols(&point()), "obj.x += 10; obj.tags.append('c'); obj.weight = 2.5");
    let expected =
        r#"{"class": "app.models.Point", "label": "d\u00e9but", "tags": ["a", "b"], "weight": null, "x": 1, "y": -2}"#;
    for d in &described {
        assert_eq!(d, expected);
    }
    assert_eq!(back.len(), DUMPS_PER_VALUE);
    let want = Point { x: 11, tags: vec!["a".into(), "b".into(), "c".into()], weight: Some(2.5), ..point() };
    for (kind, proto, bytes) in back {
        let got: Point = pickle_core::from_slice(&bytes).unwrap_or_else(|e| panic!("{kind} p{proto}: {e}"));
        assert_eq!(got, want, "{kind} p{proto}");
    }
}

/// `Point` written in CPython's form for classes with a `__dict__`.
#[derive(Pickle, Debug, PartialEq, Clone)]
#[pickle(module = "app.models", name = "Point", dict_state)]
struct DictPoint {
    x: i64,
    y: i64,
    label: String,
    tags: Vec<String>,
    weight: Option<f64>,
}

#[test]
fn encoding_matches_cpython_opcodes() {
    // By default a struct is written as CPython writes an instance of a
    // `__slots__` class (state `(None, {slots})`, protocol 2+); with
    // `dict_state` as CPython writes a plain instance (protocol 0+). The
    // opcodes are the same once pickletools.optimize drops the memo entries
    // nothing reads back.
    let p = point();
    let dict = DictPoint { x: p.x, y: p.y, label: p.label.clone(), tags: p.tags.clone(), weight: p.weight };
    for (kind, pickles, first) in [("slots", all_protocols(&p), 2), ("plain", all_protocols(&dict), 0)] {
        let script = format!(
            "from derive_helper import *\nimport pickletools\n\
             classes({{'app.models:Point': ['x','y','label','tags','weight']}}, '{kind}')\n\
             P = sys.modules['app.models'].Point\np = P.__new__(P)\n\
             for k, v in dict(x=1, y=-2, label='début', tags=['a', 'b'], weight=None).items(): setattr(p, k, v)\n\
             for proto, ours in enumerate(read_pickles()):\n    if proto < {first}: continue\n    \
             theirs = pickle.dumps(p, proto)\n    print(proto, pickletools.optimize(ours) == pickletools.optimize(theirs))\n"
        );
        let lines = python(&script, &pickles);
        let want: Vec<String> = (first..=5).map(|p| format!("{p} True")).collect();
        assert_eq!(lines, want, "{kind}");
    }
}

#[test]
fn dict_state_loads_into_classes_with_their_own_setstate() {
    // A class whose __setstate__ expects the dict its __getstate__ gave gets
    // the plain dict with `dict_state`; the default form gives it a tuple.
    let p = point();
    let dict = DictPoint { x: p.x, y: p.y, label: p.label.clone(), tags: p.tags.clone(), weight: p.weight };
    let script = "from derive_helper import *\nclasses({'app.models:Point': ['x','y','label','tags','weight']}, 'setstate')\n\
                  for b in read_pickles():\n    try:\n        print(describe(pickle.loads(b))['x'])\n    \
                  except AttributeError as e:\n        print('AttributeError')\n";
    let lines = python(script, &(all_protocols(&dict) + &all_protocols(&p)));
    let mut want = vec!["1"; 6];
    want.extend(["AttributeError"; 6]);
    assert_eq!(lines, want);
}

#[test]
fn tuple_and_unit_structs() {
    let (described, back) = round_trip(&all_protocols(&Pair(7, "seven".into())), "obj._0 = -obj._0");
    for d in &described {
        assert_eq!(d, r#"{"_0": 7, "_1": "seven", "class": "app.models.Pair"}"#);
    }
    for (kind, proto, bytes) in back {
        let got: Pair = pickle_core::from_slice(&bytes).unwrap_or_else(|e| panic!("{kind} p{proto}: {e}"));
        assert_eq!(got, Pair(-7, "seven".into()), "{kind} p{proto}");
    }
    let (described, back) = round_trip(&all_protocols(&Marker), "pass");
    for d in &described {
        assert_eq!(d, r#"{"class": "app.models.Marker"}"#);
    }
    assert_eq!(back.len(), DUMPS_PER_VALUE);
    for (kind, proto, bytes) in back {
        let got: Marker = pickle_core::from_slice(&bytes).unwrap_or_else(|e| panic!("{kind} p{proto}: {e}"));
        assert_eq!(got, Marker);
    }
}

#[test]
fn nested_and_generic_structs() {
    let seg = Segment { start: point(), end: Point { x: 5, ..point() }, data: vec![0, 255] };
    let (described, back) = round_trip(&all_protocols(&seg), "obj.end.y = 99; obj.data = bytes([1, 2, 3])");
    let p =
        r#"{"class": "app.models.Point", "label": "d\u00e9but", "tags": ["a", "b"], "weight": null, "x": X, "y": Y}"#;
    let expected = format!(
        r#"{{"class": "app.models.Line", "data": {{"bytes": "00ff"}}, "end": {}, "start": {}}}"#,
        p.replace('X', "5").replace('Y', "-2"),
        p.replace('X', "1").replace('Y', "-2")
    );
    for d in &described {
        assert_eq!(d, &expected);
    }
    for (kind, proto, bytes) in back {
        let got: Segment = pickle_core::from_slice(&bytes).unwrap_or_else(|e| panic!("{kind} p{proto}: {e}"));
        assert_eq!(got.end.y, 99, "{kind} p{proto}");
        assert_eq!(got.data, [1, 2, 3]);
        assert_eq!(got.start, point());
    }

    let boxed = Boxed { item: 1.5f64, items: vec![2.5] };
    let (described, back) = round_trip(&all_protocols(&boxed), "obj.items.append(obj.item)");
    for d in &described {
        assert_eq!(d, r#"{"class": "app.models.Boxed", "item": {"float": "1.5"}, "items": [{"float": "2.5"}]}"#);
    }
    for (_, _, bytes) in back {
        let got: Boxed<f64> = pickle_core::from_slice(&bytes).expect("decodes");
        assert_eq!(got, Boxed { item: 1.5, items: vec![2.5, 1.5] });
    }
}

#[test]
fn borrowed_fields_borrow_from_the_input() {
    let named = Named { name: "zero-copy", raw: b"\x00\x01" };
    let bytes = pickle_core::to_vec(&named).expect("encodes");
    let back: Named<'_> = pickle_core::from_slice(&bytes).expect("decodes");
    assert_eq!(back, named);
    let start = bytes.as_ptr() as usize;
    assert!((start..start + bytes.len()).contains(&(back.name.as_ptr() as usize)));
}

#[test]
fn shared_rc_fields_stay_shared() {
    let script = "from derive_helper import *\nclasses({'app.models:Pair': ['_0', '_1'], 'app.models:Shared': ['a', 'b']})\n\
                  m = sys.modules['app.models']\np = m.Pair(); p._0 = 1; p._1 = 'one'\ns = m.Shared(); s.a = p; s.b = p\n\
                  for proto in range(6):\n    print(pickle.dumps(s, proto).hex())\n";
    for line in python(script, "") {
        let got: Shared = pickle_core::from_slice(&common::unhex(&line)).expect("decodes");
        assert!(Rc::ptr_eq(&got.a, &got.b));
        assert_eq!(*got.a, Pair(1, "one".into()));
    }
    // And Rust writes the sharing back: Python sees one object.
    let p = Rc::new(Pair(2, "two".into()));
    let shared = Shared { a: p.clone(), b: p };
    let script = "from derive_helper import *\nclasses({'app.models:Pair': ['_0', '_1'], 'app.models:Shared': ['a', 'b']})\n\
                  for b in read_pickles():\n    s = pickle.loads(b)\n    print(s.a is s.b)\n";
    assert_eq!(python(script, &all_protocols(&shared)), vec!["True"; 6]);
}

#[test]
fn protocol_0_inst_and_obj_forms() {
    // Python 2 wrote plain instances with INST (protocol 0) and OBJ (1): the
    // stream is assembled here, and python3 itself confirms what it loads to.
    let script = "from derive_helper import *\nclasses({'app.models:Pair': ['_0', '_1']})\n\
                  inst = b\"(iapp.models\\nPair\\n(dV_0\\nI4\\nsV_1\\nVfour\\nsb.\"\n\
                  obj = b\"(capp.models\\nPair\\no}(X\\x02\\x00\\x00\\x00_0K\\x04X\\x02\\x00\\x00\\x00_1X\\x04\\x00\\x00\\x00fouru b.\".replace(b' ', b'')\n\
                  for b in (inst, obj):\n    emit(describe(pickle.loads(b)))\n    print(b.hex())\n";
    let lines = python(script, "");
    assert_eq!(lines.len(), 4);
    for pair in lines.chunks(2) {
        assert_eq!(pair[0], r#"{"_0": 4, "_1": "four", "class": "app.models.Pair"}"#);
        let got: Pair = pickle_core::from_slice(&common::unhex(&pair[1])).expect("decodes");
        assert_eq!(got, Pair(4, "four".into()));
    }
}

#[test]
fn reading_errors_name_the_class_and_field() {
    let script = "from derive_helper import *\nclasses({'app.models:Pair': ['_0', '_1'], 'other:Thing': ['_0']})\n\
                  m = sys.modules['app.models']\np = m.Pair(); p._0 = 'x'; p._1 = 'one'\nprint(pickle.dumps(p, 2).hex())\n\
                  q = m.Pair(); q._1 = 'one'\nprint(pickle.dumps(q, 2).hex())\n\
                  t = sys.modules['other'].Thing(); t._0 = 1\nprint(pickle.dumps(t, 2).hex())\n";
    let lines = python(script, "");
    let err = pickle_core::from_slice::<Pair>(&common::unhex(&lines[0])).expect_err("wrong field type");
    assert_eq!(err.kind(), ErrorKind::Mismatch);
    assert_eq!(err.message(), "field `_0` of app.models.Pair: expected an int for i32, found str at byte 38");
    let err = pickle_core::from_slice::<Pair>(&common::unhex(&lines[1])).expect_err("missing field");
    assert_eq!(err.kind(), ErrorKind::Mismatch);
    assert_eq!(err.message(), "the app.models.Pair instance has no attribute `_0` at byte 22");
    let err = pickle_core::from_slice::<Pair>(&common::unhex(&lines[2])).expect_err("wrong class");
    assert_eq!(err.message(), "expected an instance of app.models.Pair, found an instance of other.Thing at byte 18");
    assert_eq!(err.offset(), Some(18));
}
