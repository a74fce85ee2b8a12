//! `DecodeOptions::globals`: a pickle naming a global the policy does not
//! allow fails with `Forbidden` at that global's opcode, whatever protocol
//! wrote it. Python writes the pickles; the offsets come from pickletools.
//! Nothing is ever unpickled in Python.

mod common;

use pickle_core::{DecodeOptions, ErrorKind, GlobalPolicy, Value};

const SCRIPT: &str = r#"
import collections, copyreg, os, pickle, pickletools, sys

class Payload:
    # What a malicious pickle does: call os.system. Only written, never loaded.
    def __reduce__(self):
        return (os.system, ("echo never run",))

class Ext:
    pass
Ext.__module__ = "ext_module"
sys.modules["ext_module"] = type(sys)("ext_module")
sys.modules["ext_module"].Ext = Ext
copyreg.add_extension("ext_module", "Ext", 240)

cases = {"payload": Payload(), "ordered": collections.OrderedDict(a=1), "set": {1, 2}, "ext": Ext}
for name, obj in cases.items():
    for p in range(6):
        data = pickle.dumps(obj, p)
        ops = [(op.name, pos) for op, _, pos in pickletools.genops(data)]
        first = next((pos for n, pos in ops if n in ("GLOBAL", "STACK_GLOBAL", "INST", "EXT1", "EXT2", "EXT4")), -1)
        print(name, p, first, data.hex())
"#;

#[test]
fn the_first_global_outside_the_policy_is_forbidden_at_its_offset() {
    let mut cmd = common::python();
    cmd.arg("-c").arg(SCRIPT);
    let out = String::from_utf8(pickle_test_support::run_ok(cmd, b"")).unwrap();
    let data = GlobalPolicy::deny_all().allow_module("collections").allow("builtins", "set");
    let mut checked = 0;
    for line in out.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let (name, proto, first) = (f[0], f[1], f[2].parse::<i64>().unwrap());
        let bytes = pickle_test_support::unhex(f[3]);
        let with = |policy: GlobalPolicy| {
            pickle_core::from_slice_with::<Value>(&bytes, DecodeOptions::default().globals(policy))
        };
        // Without a policy every pickle decodes into a graph.
        assert!(pickle_core::from_slice::<Value>(&bytes).is_ok(), "{name} p{proto}");
        match name {
            "payload" | "ext" => {
                let err = with(data.clone()).unwrap_err();
                assert_eq!(
                    (err.kind(), err.offset()),
                    (ErrorKind::Forbidden, Some(first as u64)),
                    "{name} p{proto}: {err}"
                );
                // Extension codes exist from protocol 2; below it the class is a GLOBAL.
                let what = match (name, proto) {
                    ("ext", "0" | "1") => "the global ext_module.Ext is not allowed",
                    ("ext", _) => "extension code 240",
                    _ => "the global posix.system is not allowed",
                };
                assert!(err.message().contains(what), "{name} p{proto}: {err}");
            }
            _ => {
                // Allowed (a Python 2 `__builtin__.set` is `builtins.set`).
                assert!(with(data.clone()).is_ok(), "{name} p{proto}");
                match with(GlobalPolicy::deny_all()) {
                    Err(err) => {
                        assert_eq!(
                            (err.kind(), err.offset()),
                            (ErrorKind::Forbidden, Some(first as u64)),
                            "{name} p{proto}"
                        );
                    }
                    // A set at protocol 4+ has opcodes of its own: no global.
                    Ok(_) => assert!(first < 0, "{name} p{proto} names a global and was allowed"),
                }
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 24);
}

const DATA_SCRIPT: &str = r#"
import collections, datetime, decimal, fractions, pathlib, pickle, re, sys, uuid
import numpy as np, pandas as pd
values = [{"a": [1, 2.5, None], "b": b"x", "s": {1}}, datetime.datetime(2020, 1, 2, tzinfo=datetime.timezone.utc),
          decimal.Decimal("1.5"), fractions.Fraction(1, 3), uuid.UUID(int=7), pathlib.PurePosixPath("/x"),
          collections.OrderedDict(a=1), collections.defaultdict(list), re.compile("a+"), ValueError("v"),
          np.arange(3.0), np.float32(1), pd.DataFrame({"x": [1, 2], "t": pd.to_datetime(["2020", "2021"])})]
for p in range(6):
    print("data", p, pickle.dumps(values, p).hex())

class Payload:
    # Only written, never loaded.
    def __reduce__(self):
        return (__import__("os").system, ("echo never run",))

class Cfg:
    pass
Cfg.__module__ = "myapp"
sys.modules["myapp"] = type(sys)("myapp")
sys.modules["myapp"].Cfg = Cfg
print("payload", 0, pickle.dumps(Payload(), 0).hex())
print("app", 4, pickle.dumps(Cfg(), 4).hex())
"#;

#[test]
fn the_builtin_allowlist_decodes_python_s_data_and_a_dangerous_global_is_never_allowed() {
    let mut cmd = common::python();
    cmd.arg("-c").arg(DATA_SCRIPT);
    let out = String::from_utf8(pickle_test_support::run_ok(cmd, b"")).unwrap();
    let mut lines: std::collections::HashMap<&str, Vec<(&str, Vec<u8>)>> = Default::default();
    for line in out.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        lines.entry(f[0]).or_default().push((f[1], pickle_test_support::unhex(f[2])));
    }
    for (proto, bytes) in &lines["data"] {
        let opts = DecodeOptions::default().globals(GlobalPolicy::builtin());
        let value = pickle_core::from_slice_with::<Value>(bytes, opts);
        assert!(value.is_ok(), "p{proto}: {:?}", value.err());
    }
    assert_eq!(lines["data"].len(), 6);
    // os.system (posix.system) at protocol 0: a policy that names it still refuses it.
    let payload = &lines["payload"][0].1;
    for policy in [
        GlobalPolicy::builtin(),
        GlobalPolicy::deny_all().allow("posix", "system"),
        GlobalPolicy::builtin().allow_module("posix"),
        GlobalPolicy::builtin().parse("posix:*\nposix:system\n").unwrap(),
    ] {
        let err = pickle_core::from_slice_with::<Value>(payload, DecodeOptions::default().globals(policy)).unwrap_err();
        assert_eq!((err.kind(), err.offset()), (ErrorKind::Forbidden, Some(0)), "{err}");
    }
    // An application's own class, allowed by a policy file (STACK_GLOBAL at byte 25, as pickletools shows).
    let app = &lines["app"][0].1;
    let strict = DecodeOptions::default().globals(GlobalPolicy::builtin());
    let err = pickle_core::from_slice_with::<Value>(app, strict).unwrap_err();
    assert_eq!((err.kind(), err.offset()), (ErrorKind::Forbidden, Some(25)), "{err}");
    let allowed = GlobalPolicy::builtin().parse("# mine\nmyapp:Cfg\n").unwrap();
    assert!(pickle_core::from_slice_with::<Value>(app, DecodeOptions::default().globals(allowed)).is_ok());
    let bad = GlobalPolicy::builtin().parse("myapp:Cfg\nmyapp Cfg\n").unwrap_err();
    assert_eq!(bad.to_string(), "line 2: \"myapp Cfg\" is not `module:qualname` or `module:*`");
}
