//! pandas DataFrames and Series against pandas 1.5 (NumPy 1.26), 2.2
//! (NumPy 1.26) and 3.1 (NumPy 2.4), in the venvs scripts/venvs.sh makes:
//! Rust-written frames load in each as frames equal to the ones pandas
//! builds itself (`assert_frame_equal`), through `pickle.load` and
//! `pd.read_pickle`; the native pickles each pandas writes (`pickle.dumps`
//! at protocols 0-5 and `to_pickle`) read back with the same columns,
//! dtypes and values. tests/python/pandas_check.py has the Python side.

use std::path::Path;

use pickle_core::numpy::{NAT, TimeUnit};
use pickle_core::pandas::{Column, DataFrame, Index, IndexValues, Series};
use pickle_core::{EncodeOptions, ErrorKind};
use pickle_test_support::TempDir;

/// pandas venv, pandas version, NumPy version.
const VENVS: [(&str, &str, &str); 3] =
    [("pandas15", "1.5.3", "1.26.4"), ("pandas2", "2.2.3", "1.26.4"), ("pandas3", "3.1.1", "2.4.6")];

/// 2024-03-15T12:30:45.123456789, NaT, 1969-12-31T23:59:59 in ns.
const NS: [i64; 3] = [1_710_505_845_123_456_789, NAT, -1_000_000_000];

fn s(x: &str) -> Option<String> {
    Some(x.to_owned())
}

fn dt(tz: Option<&str>) -> Column {
    Column::DateTime { unit: TimeUnit::Nanos, values: NS.to_vec(), tz: tz.map(str::to_owned) }
}

/// The frames of pandas_check.py's CASES, by name.
fn frames() -> Vec<(&'static str, DataFrame)> {
    let frame = |cols: Vec<(&str, Column)>| DataFrame::from_columns(cols).unwrap();
    vec![
        (
            "numbers",
            frame(vec![
                ("i64", Column::from(vec![1i64, -2, 3])),
                ("f64", Column::from(vec![1.5, f64::NAN, -3.25])),
                ("flag", Column::from(vec![true, false, true])),
                ("i32", Column::from(vec![7i32, 8, 9])),
                ("u8", Column::from(vec![0u8, 128, 255])),
                ("f32", Column::from(vec![0.5f32, 1.5, 2.5])),
            ]),
        ),
        (
            "strings",
            frame(vec![("s", Column::Str(vec![s("a"), None, s("c")])), ("t", Column::from(vec!["x", "y", "z"]))]),
        ),
        (
            "datetimes",
            frame(vec![
                ("naive", dt(None)),
                ("utc", dt(Some("UTC"))),
                ("paris", dt(Some("Europe/Paris"))),
                ("delta", Column::TimeDelta { unit: TimeUnit::Nanos, values: vec![1, -2, 3_000_000_000] }),
            ]),
        ),
        (
            "categorical",
            frame(vec![
                (
                    "c",
                    Column::Categorical {
                        codes: vec![0, 1, 0, -1],
                        categories: vec!["a".into(), "b".into()],
                        ordered: false,
                    },
                ),
                (
                    "o",
                    Column::Categorical {
                        codes: vec![1, 1, 0, 0],
                        categories: vec!["lo".into(), "hi".into()],
                        ordered: true,
                    },
                ),
            ]),
        ),
        (
            "nullable",
            frame(vec![
                ("n", Column::NullableInt64(vec![Some(1), None, Some(3)])),
                ("b", Column::NullableBool(vec![Some(true), None, Some(false)])),
            ]),
        ),
        (
            "str_index",
            frame(vec![("v", Column::from(vec![1.5, 2.5, 3.5]))])
                .with_index(Index { name: s("k"), values: IndexValues::Str(vec!["x".into(), "y".into(), "z".into()]) })
                .unwrap(),
        ),
        (
            "int_index",
            frame(vec![("v", Column::from(vec![1i64, 2, 3]))])
                .with_index(Index { name: None, values: IndexValues::Int64(vec![10, 20, 30]) })
                .unwrap(),
        ),
        (
            "dt_index",
            frame(vec![("v", Column::from(vec![1.0, 2.0, 3.0]))])
                .with_index(Index {
                    name: s("ts"),
                    values: IndexValues::DateTime { unit: TimeUnit::Nanos, values: vec![NS[0]; 3], tz: None },
                })
                .unwrap(),
        ),
        (
            "range_index",
            frame(vec![("v", Column::from(vec![1i64, 2]))])
                .with_index(Index { name: None, values: IndexValues::Range { start: 10, stop: 14, step: 2 } })
                .unwrap(),
        ),
        ("empty", frame(vec![("v", Column::from(Vec::<f64>::new()))])),
    ]
}

fn series() -> Series {
    Series {
        name: s("val"),
        values: Column::from(vec![1.5, 2.5]),
        index: Index { name: None, values: IndexValues::Str(vec!["x".into(), "y".into()]) },
    }
}

fn run(python: &Path, mode: &str, dir: &Path) -> String {
    let mut cmd = pickle_test_support::python_at(python, &[]);
    cmd.arg(pickle_test_support::workspace_root().join("tests/python/pandas_check.py")).arg(mode).arg(dir);
    String::from_utf8(pickle_test_support::run_ok(cmd, b"")).expect("UTF-8")
}

/// Equal, NaN equal to NaN (a Column's PartialEq is f64's).
fn same_frame(a: &DataFrame, b: &DataFrame) -> bool {
    let canon = |df: &DataFrame| format!("{df:?}").replace("NaN", "nan");
    canon(a) == canon(b)
}

#[test]
fn every_pandas_loads_our_frames_as_its_own() {
    for (venv, pandas, numpy) in VENVS {
        let Some(python) = pickle_test_support::venv_python(venv) else { continue };
        let dir = TempDir::new("pandas-write");
        let mut n = 0;
        for (name, df) in frames() {
            for p in 0..=5u8 {
                dir.file(
                    &format!("{name}.p{p}.pickle"),
                    &pickle_core::to_vec_with(&df, EncodeOptions::default().protocol(p)).unwrap(),
                );
                n += 1;
            }
        }
        for p in 0..=5u8 {
            dir.file(
                &format!("series.p{p}.pickle"),
                &pickle_core::to_vec_with(&series(), EncodeOptions::default().protocol(p)).unwrap(),
            );
            n += 1;
        }
        let out = run(&python, "check", dir.path());
        assert_eq!(out.trim(), format!("ok {n} pandas {pandas} numpy {numpy}"), "{venv}");
        eprintln!("pandas {pandas} (NumPy {numpy}) loaded {n} frames and series Rust wrote, equal to its own");
    }
}

#[test]
fn we_read_what_every_pandas_pickles() {
    for (venv, pandas, numpy) in VENVS {
        let Some(python) = pickle_test_support::venv_python(venv) else { continue };
        let dir = TempDir::new("pandas-read");
        let out = run(&python, "write", dir.path());
        assert!(out.starts_with("wrote "), "{venv}: {out}");
        let mut read = 0;
        for (name, want) in frames() {
            for file in
                pickle_test_support::file_names(dir.path()).iter().filter(|f| f.starts_with(&format!("{name}.")))
            {
                let bytes = std::fs::read(dir.path().join(file)).unwrap();
                let got: DataFrame =
                    pickle_core::from_slice(&bytes).unwrap_or_else(|e| panic!("pandas {pandas}, {file}: {e}"));
                assert!(same_frame(&got, &want), "pandas {pandas}, {file}:\n got {got:?}\nwant {want:?}");
                read += 1;
            }
        }
        for file in pickle_test_support::file_names(dir.path()).iter().filter(|f| f.starts_with("series.")) {
            let bytes = std::fs::read(dir.path().join(file)).unwrap();
            let got: Series =
                pickle_core::from_slice(&bytes).unwrap_or_else(|e| panic!("pandas {pandas}, {file}: {e}"));
            assert_eq!(got, series(), "pandas {pandas}, {file}");
            read += 1;
        }
        assert!(read >= 11 * 5, "pandas {pandas}: {read} read");
        eprintln!("Rust read the {read} pickles pandas {pandas} (NumPy {numpy}) wrote");
    }
}

#[test]
fn our_frames_read_back_in_rust() {
    for (name, df) in frames() {
        for p in 0..=5u8 {
            let bytes = pickle_core::to_vec_with(&df, EncodeOptions::default().protocol(p)).unwrap();
            let back: DataFrame = pickle_core::from_slice(&bytes).unwrap_or_else(|e| panic!("{name} p{p}: {e}"));
            assert!(same_frame(&back, &df), "{name} p{p}:\n got {back:?}\nwant {df:?}");
        }
    }
    let bytes = pickle_core::to_vec(&series()).unwrap();
    assert_eq!(pickle_core::from_slice::<Series>(&bytes).unwrap(), series());
}

#[test]
fn columns_of_unequal_length_are_an_error() {
    let err =
        DataFrame::from_columns([("a", Column::from(vec![1i64, 2])), ("b", Column::from(vec![1.0]))]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.message().contains("column \"b\" has 1 values, and the frame 2 rows"), "{err}");
    let df = DataFrame::from_columns([("a", Column::from(vec![1i64, 2]))]).unwrap();
    let err = df.with_index(Index::range(3)).unwrap_err();
    assert!(err.message().contains("column \"a\" has 2 values, and the frame 3 rows"), "{err}");
}

/// Blocks that disagree with their axes, written by pandas' own classes in
/// the form pandas writes good frames: errors at the block's offset (the
/// `REDUCE` of its `_unpickle_block`, as Python's unpickler finds it).
#[test]
fn blocks_that_disagree_with_their_axes_are_errors_at_the_block() {
    let Some(python) = pickle_test_support::venv_python("pandas3") else { return };
    let dir = TempDir::new("pandas-bad");
    let out = run(&python, "bad", dir.path());
    let expected = [
        ("block_shape", "column \"a\" has 4 values and the index 3"),
        ("column_count", "the block holds 2 columns and its placement names 3"),
        ("index_length", "column \"a\" has 3 values and the index 4"),
    ];
    let mut seen = 0;
    for line in out.lines() {
        let (name, offset) = line.split_once(' ').unwrap();
        let offset: u64 = offset.parse().unwrap();
        let (_, message) = expected.iter().find(|(n, _)| *n == name).unwrap();
        let bytes = std::fs::read(dir.path().join(format!("{name}.pickle"))).unwrap();
        let err = pickle_core::from_slice::<DataFrame>(&bytes).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Mismatch, "{name}: {err}");
        assert_eq!(err.offset(), Some(offset), "{name}: {err}");
        assert!(err.message().starts_with(message), "{name}: {err}");
        seen += 1;
    }
    assert_eq!(seen, expected.len());
}

#[derive(pickle_core::Pickle, Debug, PartialEq)]
#[pickle(module = "app.runs")]
struct Run {
    name: String,
    history: DataFrame,
}

/// A DataFrame as a field of a derived struct: the generated module hints
/// it `pandas.DataFrame`; pandas 3 loads it inside the struct, adds a
/// column, and writes the struct back.
#[test]
fn a_frame_is_a_field_of_a_derived_struct() {
    let Some(python) = pickle_test_support::venv_python("pandas3") else { return };
    let dir = TempDir::new("pandas-field");
    let builder = pickle_core::PyModuleBuilder::new().add::<Run>();
    builder.write_package(dir.path()).unwrap();
    let source = builder.render_module("app.runs").unwrap();
    assert!(source.contains("history: pandas.DataFrame") && source.contains("import pandas\n"), "{source}");
    let history =
        DataFrame::from_columns([("step", Column::from(vec![1i64, 2])), ("loss", Column::from(vec![0.5, 0.25]))])
            .unwrap();
    let run = Run { name: "r1".into(), history };
    let script = "import pickle, sys\nimport pandas as pd\nfrom app.runs import Run\n\
                  r = pickle.loads(sys.stdin.buffer.read())\nassert type(r) is Run and type(r.history) is pd.DataFrame\n\
                  pd.testing.assert_frame_equal(r.history, pd.DataFrame({'step': [1, 2], 'loss': [0.5, 0.25]}))\n\
                  r.history['half'] = r.history['loss'] / 2\nfor p in range(2, 6):\n    print(pickle.dumps(r, p).hex())\n";
    let mut cmd = pickle_test_support::python_at(&python, &[dir.path()]);
    cmd.arg("-c").arg(script);
    let out = String::from_utf8(pickle_test_support::run_ok(cmd, &pickle_core::to_vec(&run).unwrap())).unwrap();
    assert_eq!(out.lines().count(), 4);
    for line in out.lines() {
        let back: Run = pickle_core::from_slice(&pickle_test_support::unhex(line)).unwrap();
        assert_eq!(back.history.column_names(), ["step", "loss", "half"]);
        assert_eq!(back.history.column("half").and_then(Column::as_f64), Some(&[0.25, 0.125][..]));
    }
}

/// What a Column cannot hold is an error that names the column (or the
/// axis) and what it holds, in every pandas.
#[test]
fn unsupported_content_is_an_error_that_says_what_it_is() {
    let expected = [
        ("multiindex_columns", "a MultiIndex is not supported"),
        ("multiindex_rows", "a MultiIndex is not supported"),
        ("object_column", "column \"obj\" holds dict, not str or a missing value"),
        ("sparse_column", "column \"sp\" holds a pandas SparseArray, which Column does not hold"),
        ("int_labels", "the column labels are ints, not str"),
    ];
    for (venv, pandas, _) in VENVS {
        let Some(python) = pickle_test_support::venv_python(venv) else { continue };
        let dir = TempDir::new("pandas-unsupported");
        assert_eq!(run(&python, "unsupported", dir.path()).trim(), format!("wrote {}", expected.len()));
        for (name, message) in expected {
            let bytes = std::fs::read(dir.path().join(format!("{name}.pickle"))).unwrap();
            let err = pickle_core::from_slice::<DataFrame>(&bytes).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Mismatch, "pandas {pandas}, {name}: {err}");
            assert!(err.offset().is_some(), "pandas {pandas}, {name}: {err}");
            assert!(err.message().contains(message), "pandas {pandas}, {name}: {err}");
        }
    }
}
