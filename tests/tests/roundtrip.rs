//! Python -> Rust `Value` -> Python: CPython pickles the objects of
//! `tests/python/golden_cases.py` at every protocol P, pickle-rs decodes each
//! into a `Value` and encodes it again at every protocol Q, and CPython loads
//! every result and checks it against the original (`tests/python/roundtrip.py
//! check`): equal, same types, same sharing and cycles, and no larger than
//! `pickle.dumps(original, Q)`. Two python3 launches in all.

mod common;

use common::python_script;
use pickle_core::{EncodeOptions, Value};
use pickle_test_support::{TempDir, file_names, run_ok};

#[test]
fn python_objects_survive_a_trip_through_value_at_every_protocol_pair() {
    let dir = TempDir::new("roundtrip");
    let mut dump = python_script("roundtrip.py");
    dump.arg("dump").arg(dir.path());
    run_ok(dump, b"");

    let mut written = 0usize;
    let mut failures = Vec::new();
    let originals: Vec<String> = file_names(dir.path()).into_iter().filter(|n| n.ends_with(".pickle")).collect();
    assert!(originals.len() > 300, "roundtrip.py dump wrote only {} pickles", originals.len());
    for name in &originals {
        let stem = name.strip_suffix(".pickle").expect("a .pickle file");
        let bytes = std::fs::read(dir.path().join(name)).expect("read a pickle CPython wrote");
        let value: Value<'_> = match pickle_core::from_slice(&bytes) {
            Ok(value) => value,
            Err(e) => {
                failures.push(format!("{stem}: decoding failed: {e}"));
                continue;
            }
        };
        for q in 0..=5u8 {
            match pickle_core::to_vec_with(&value, EncodeOptions::default().protocol(q)) {
                Ok(ours) => {
                    std::fs::write(dir.path().join(format!("{stem}.q{q}.pickle")), ours).expect("write our pickle");
                    written += 1;
                }
                Err(e) => failures.push(format!("{stem} -> q{q}: encoding failed: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "pickle-rs failed on {} round trips:\n{}", failures.len(), failures.join("\n"));

    let out = python_script("roundtrip.py").arg("check").arg(dir.path()).output().expect("run roundtrip.py check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "CPython found round trips that differ:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().last(),
        Some(format!("checked {written} combinations, 0 failures").as_str()),
        "roundtrip.py check must see every pickle we wrote"
    );
    println!("checked {written} (object, P, Q) round trips from {} CPython pickles", originals.len());
}

/// A `__reduce__` with a sixth item, `state_setter` (Python 3.8+): Python
/// writes `state_setter(obj, state)` and pops the result; decoded into a
/// `Value` and written again at every protocol, the setter still sets the
/// state (a BUILD would leave `via_setter` unset).
#[test]
fn a_state_setter_survives_a_trip_through_value_at_every_protocol() {
    let script = r#"
import pickle, sys, types
mod = types.ModuleType("setter_mod"); sys.modules["setter_mod"] = mod
class Box:
    def __reduce__(self):
        return (Box, (), {"x": self.x}, None, None, set_box)
def set_box(obj, state):
    obj.x = state["x"]
    obj.via_setter = True
Box.__module__ = set_box.__module__ = "setter_mod"
mod.Box, mod.set_box = Box, set_box
if sys.argv[1] == "dump":
    b = Box(); b.x = 42
    for p in range(6):
        print(pickle.dumps([b, b], p).hex())
else:
    for line in sys.stdin.read().split():
        a, b = pickle.loads(bytes.fromhex(line))
        assert a is b and a.x == 42 and a.via_setter, vars(a)
    print("ok")
"#;
    let mut cmd = common::python();
    cmd.arg("-c").arg(script).arg("dump");
    let dumped = String::from_utf8(pickle_test_support::run_ok(cmd, b"")).unwrap();
    let mut recoded = String::new();
    for line in dumped.lines() {
        let bytes = pickle_test_support::unhex(line);
        let value: pickle_core::Value = pickle_core::from_slice(&bytes).unwrap();
        let list = value.as_list(value.root()).unwrap();
        let obj = value.as_object(list[0]).unwrap();
        assert!(obj.state.is_some() && obj.state_setter.is_some(), "{obj:?}");
        for q in 0..=5u8 {
            let bytes = pickle_core::to_vec_with(&value, pickle_core::EncodeOptions::default().protocol(q)).unwrap();
            recoded.push_str(&pickle_test_support::hex(&bytes));
            recoded.push('\n');
        }
    }
    let mut cmd = common::python();
    cmd.arg("-c").arg(script).arg("check");
    assert_eq!(String::from_utf8(pickle_test_support::run_ok(cmd, recoded.as_bytes())).unwrap().trim(), "ok");
}

/// An object its own `__reduce__` arguments reach: CPython writes the
/// object inside its arguments, then `f args REDUCE POP GET`, dropping the
/// second copy. With arguments `(obj, x)` that is also the shape of a
/// `state_setter` call; the GET of an object made by the same call tells
/// them apart, so `bag` gets no state. Proptest found it: the round trip
/// gave the object a `state=None` it never had.
#[test]
fn an_object_reached_from_its_own_reduce_arguments_is_not_read_as_a_state_setter() {
    let script = r#"
import pickle, sys, types
mod = types.ModuleType("cycle_mod"); sys.modules["cycle_mod"] = mod
class Node:
    def __init__(self, child, tag):
        self.child, self.tag = child, tag
    def __reduce__(self):
        return (Node, (self.child, self.tag))
class Bag:
    def __init__(self):
        self.items = {}
    def __setitem__(self, k, v):
        self.items[k] = v
    def __reduce__(self):
        return (Bag, (), None, None, iter(self.items.items()))
Node.__module__ = Bag.__module__ = "cycle_mod"
mod.Node, mod.Bag = Node, Bag
if sys.argv[1] == "dump":
    bag = Bag(); root = Node(bag, None); bag[None] = root
    for p in range(6):
        print(pickle.dumps(root, p).hex())
    # Protocol 5 again, its frame split between the last POP and the GET.
    import pickletools, struct
    data = pickle.dumps(root, 5)
    ops = list(pickletools.genops(data))
    frame_end = ops[1][2] + 9
    body = data[ops[1][2] + 9:]
    cut = [pos for op, _, pos in ops if op.name == "POP"][-1] + 1 - frame_end
    split = data[:ops[1][2]] + b"".join(
        b"\x95" + struct.pack("<Q", len(part)) + part for part in (body[:cut], body[cut:])
    )
    assert pickle.loads(split).child.items[None] is not None
    print(split.hex())
else:
    n = 0
    for line in sys.stdin.read().split():
        r = pickle.loads(bytes.fromhex(line))
        assert type(r) is Node and r.tag is None and type(r.child) is Bag, vars(r)
        assert list(r.child.items) == [None] and r.child.items[None] is r, r.child.items
        n += 1
    print(n)
"#;
    let mut cmd = common::python();
    cmd.arg("-c").arg(script).arg("dump");
    let dumped = String::from_utf8(pickle_test_support::run_ok(cmd, b"")).unwrap();
    let mut recoded = String::new();
    // Lines 0-5 are protocols 0-5; line 6 is protocol 5 with a split frame.
    for (p, line) in dumped.lines().enumerate() {
        let bytes = pickle_test_support::unhex(line);
        let value: pickle_core::Value = pickle_core::from_slice(&bytes).unwrap();
        let root = value.as_object(value.root()).unwrap();
        assert_eq!(value.as_global(root.class).map(|g| g.name.as_ref()), Some("Node"), "p{p}");
        let bag = value.as_object(root.args[0]).unwrap();
        assert!(bag.state.is_none() && bag.state_setter.is_none(), "p{p}: {bag:?}");
        assert_eq!(bag.dict_items, [(pickle_core::Item::None, value.root())], "p{p}");
        for q in 0..=5u8 {
            let ours = pickle_core::to_vec_with(&value, pickle_core::EncodeOptions::default().protocol(q)).unwrap();
            let back: pickle_core::Value = pickle_core::from_slice(&ours).unwrap();
            assert_eq!(back, value, "p{p} -> q{q}");
            recoded.push_str(&pickle_test_support::hex(&ours));
            recoded.push('\n');
        }
    }
    let mut cmd = common::python();
    cmd.arg("-c").arg(script).arg("check");
    assert_eq!(String::from_utf8(pickle_test_support::run_ok(cmd, recoded.as_bytes())).unwrap().trim(), "42");
}

/// Fuzzing found it: a GLOBAL named `.` decodes (CPython would fail only
/// at import), but below protocol 4 it would be written as getattr chains
/// with empty names, which decoding refuses. Writing it there is
/// `Unsupported`; protocols 4 and 5 write it as STACK_GLOBAL and read it back.
#[test]
fn a_global_whose_qualname_has_an_empty_part_is_written_only_at_protocol_4_and_up() {
    // The crash file: `cF2\n.\n(F1.\ntp1\nRp2\n.`
    let input = pickle_test_support::unhex("6346320a2e0a2846312e0a7470310a5270320a2e");
    let value: pickle_core::Value = pickle_core::from_slice(&input).unwrap();
    for q in 0..=5u8 {
        let written = pickle_core::to_vec_with(&value, pickle_core::EncodeOptions::default().protocol(q));
        if q < 4 {
            let err = written.unwrap_err();
            assert_eq!(err.kind(), pickle_core::ErrorKind::Unsupported, "p{q}: {err}");
            assert!(err.message().contains("its qualified name has an empty part"), "p{q}: {err}");
        } else {
            let bytes = written.unwrap();
            let back: pickle_core::Value = pickle_core::from_slice(&bytes).unwrap();
            assert_eq!(back, value, "p{q}");
        }
    }
}
