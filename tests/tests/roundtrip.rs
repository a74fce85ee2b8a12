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
