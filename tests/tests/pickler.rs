//! One stream, several pickles, one memo: `Pickler` against Python's
//! `pickle.Unpickler`, and Python's `pickle.Pickler` against
//! `Decoder::keep_memo`.

mod common;

use pickle_core::{Decoder, EncodeOptions, ErrorKind, Pickle, Pickler};

#[derive(Pickle, Debug, PartialEq, Clone)]
#[pickle(module = "stream_classes")]
struct Row {
    id: i64,
    label: String,
}

const CLASSES: &str = "import sys, types\nmod = types.ModuleType('stream_classes')\n\
                       class Row: pass\nRow.__module__ = 'stream_classes'\nmod.Row = Row\nsys.modules['stream_classes'] = mod\n";

fn rows(from: i64) -> Vec<Row> {
    (from..from + 3).map(|id| Row { id, label: format!("row {id}") }).collect()
}

fn python(script: &str, stdin: &[u8]) -> String {
    let mut cmd = common::python();
    cmd.arg("-c").arg(format!("{CLASSES}{script}"));
    String::from_utf8(pickle_test_support::run_ok(cmd, stdin)).expect("UTF-8")
}

#[test]
fn one_unpickler_reads_a_picklers_stream_and_clear_memo_starts_over() {
    for protocol in 0..=5u8 {
        let mut out = Vec::new();
        let mut ends = Vec::new();
        let mut pickler = Pickler::with_options(&mut out, EncodeOptions::default().protocol(protocol));
        pickler.dump(&rows(0)).unwrap();
        pickler.dump(&rows(10)).unwrap();
        pickler.clear_memo();
        pickler.dump(&rows(20)).unwrap();
        drop(pickler);
        // Where each pickle ends, found by decoding with a kept memo.
        let mut decoder = Decoder::from_slice(&out).keep_memo(true);
        for from in [0, 10, 20] {
            assert_eq!(decoder.decode::<Vec<Row>>().unwrap(), rows(from), "p{protocol}");
            ends.push(decoder.position() as usize);
        }
        assert!(decoder.is_at_end());
        // The second pickle refers to the first's memo: alone it fails.
        let mut alone = Decoder::from_slice(&out[ends[0]..]);
        let err = alone.decode::<Vec<Row>>().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MissingMemo, "p{protocol}: {err}");
        // After clear_memo the third stands on its own.
        assert_eq!(pickle_core::from_slice::<Vec<Row>>(&out[ends[1]..]).unwrap(), rows(20));
        // The second is smaller than the first: the class and field names are references.
        assert!(ends[1] - ends[0] < ends[0], "p{protocol}: {ends:?}");

        let script = format!(
            "import io, pickle\ndata = sys.stdin.buffer.read()\nu = pickle.Unpickler(io.BytesIO(data))\n\
             got = [[(r.id, r.label) for r in u.load()] for _ in range(3)]\n\
             assert got == [[(i, 'row %d' % i) for i in range(f, f + 3)] for f in (0, 10, 20)], got\n\
             try:\n    pickle.loads(data[{a}:])\n    print('second alone loaded')\nexcept (KeyError, pickle.UnpicklingError):\n    pass\n\
             assert len(pickle.loads(data[{b}:])) == 3\nprint('ok')\n",
            a = ends[0],
            b = ends[1]
        );
        assert_eq!(python(&script, &out).trim(), "ok", "p{protocol}");
    }
}

#[test]
fn keep_memo_reads_what_one_python_pickler_writes() {
    // Python dumps a list, then a dict holding that same list: the second
    // pickle refers to the first's memo.
    let script = "import pickle\nshared = ['a', 'b']\nfor p in range(6):\n    import io\n    f = io.BytesIO()\n    \
                  pk = pickle.Pickler(f, p)\n    pk.dump(shared)\n    pk.dump({'x': shared, 'n': 1})\n    \
                  print(f.getvalue().hex())\n";
    let out = python(script, b"");
    for (p, line) in out.lines().enumerate() {
        let bytes = pickle_test_support::unhex(line);
        let mut decoder = Decoder::from_slice(&bytes).keep_memo(true);
        let first: Vec<String> = decoder.decode().unwrap();
        let second: std::collections::BTreeMap<String, pickle_core::Value> = decoder.decode().unwrap();
        assert_eq!(first, ["a", "b"], "p{p}");
        let x = &second["x"];
        assert_eq!(x.as_list(x.root()).map(<[_]>::len), Some(2), "p{p}");
        // From a reader too.
        let mut reader = Decoder::from_reader(&bytes[..]).keep_memo(true);
        let _: Vec<String> = reader.decode().unwrap();
        let again: std::collections::BTreeMap<String, pickle_core::Value> = reader.decode().unwrap();
        assert_eq!(again.len(), 2, "p{p}");
        // Without the kept memo the reference is wrong: an error at its
        // offset, or at protocols 4 and 5 (whose MEMOIZE numbers entries by
        // the memo's size) another object, as pickle.loads of that pickle
        // alone gives too.
        let mut plain = Decoder::from_slice(&bytes);
        let _: Vec<String> = plain.decode().unwrap();
        let start = plain.position();
        match plain.decode::<std::collections::BTreeMap<String, pickle_core::Value>>() {
            Err(err) => {
                assert!(p < 4, "p{p}: {err}");
                assert_eq!(err.kind(), ErrorKind::MissingMemo, "p{p}: {err}");
                assert!(err.offset().is_some_and(|o| o > start), "p{p}: {err}");
            }
            Ok(wrong) => {
                assert!(p >= 4, "p{p}: the second pickle read without the first's memo");
                let x = &wrong["x"];
                assert_eq!(x.type_name(x.root()), "dict", "p{p}");
            }
        }
    }
}
