//! NumPy arrays and scalars against NumPy 1.26 and 2.x (the venvs
//! scripts/venvs.sh makes): pickle-rs writes
//! `NdArray`s that `pickle.load` returns as `numpy.ndarray`s, and reads the
//! arrays NumPy pickles at every protocol.

mod common;

use std::fmt::Debug;
use std::path::Path;

use half::f16;
use num_complex::Complex;
use pickle_core::numpy::{BytesArray, DateTime64Array, Element, NdArray, Scalar, StrArray, TimeDelta64Array, TimeUnit};
use pickle_core::{EncodeOptions, ErrorKind, FromPickleOwned, Value};
use pickle_test_support::TempDir;

const SHAPES: [(&str, &[usize]); 4] = [("empty", &[0]), ("one", &[5]), ("two", &[2, 3]), ("big", &[20000])];

/// The NumPy versions tested: the venvs scripts/venvs.sh makes.
const VENVS: [&str; 2] = ["numpy1", "numpy2"];

/// An element type under test and element i of its test arrays:
/// (i * 7) % 100, plus 0.5 for floats, odd for bools (as
/// tests/python/numpy_check.py).
trait TestElement: Element + PartialEq + Debug {
    /// The dtype in file names, without byte order.
    const NAME: &'static str;
    fn nth(i: usize) -> Self;
}

macro_rules! test_elements {
    ($($t:ty, $name:literal => $f:expr;)*) => {$(
        impl TestElement for $t {
            const NAME: &'static str = $name;
            fn nth(i: usize) -> Self {
                let f: fn(usize) -> $t = $f;
                f((i * 7) % 100)
            }
        }
    )*};
}

test_elements! {
    f64, "f8" => |v| v as f64 + 0.5;
    f32, "f4" => |v| v as f32 + 0.5;
    i64, "i8" => |v| v as i64;
    i32, "i4" => |v| v as i32;
    i16, "i2" => |v| v as i16;
    i8, "i1" => |v| v as i8;
    u64, "u8" => |v| v as u64;
    u32, "u4" => |v| v as u32;
    u16, "u2" => |v| v as u16;
    u8, "u1" => |v| v as u8;
    bool, "b1" => |v| v % 2 == 1;
    Complex<f64>, "c16" => |v| Complex::new(v as f64 + 0.5, v as f64);
    Complex<f32>, "c8" => |v| Complex::new(v as f32 + 0.5, v as f32);
    f16, "f2" => |v| f16::from_f64(v as f64 + 0.5);
}

fn expected<T: TestElement>(n: usize) -> Vec<T> {
    (0..n).map(T::nth).collect()
}

fn run_python(python: &Path, mode: &str, dir: &Path) -> String {
    let mut cmd = pickle_test_support::python_at(python, &[]);
    cmd.arg(common::python_dir().join("numpy_check.py")).arg(mode).arg(dir);
    String::from_utf8(pickle_test_support::run_ok(cmd, b"")).expect("UTF-8")
}

/// Writes arrays of every shape and a scalar at every protocol; returns how many.
fn write_arrays<T: TestElement>(dir: &Path) -> usize {
    let mut n = 0;
    for p in 0..=5u8 {
        let opts = EncodeOptions::default().protocol(p);
        for (name, shape) in SHAPES {
            let a = NdArray::new(shape.to_vec(), expected::<T>(shape.iter().product())).unwrap();
            let bytes = pickle_core::to_vec_with(&a, opts).unwrap();
            std::fs::write(dir.join(format!("array.{}.{name}.p{p}.pickle", T::NAME)), bytes).unwrap();
            n += 1;
        }
        let bytes = pickle_core::to_vec_with(&Scalar(T::nth(1)), opts).unwrap();
        std::fs::write(dir.join(format!("scalar.{}.scalar.p{p}.pickle", T::NAME)), bytes).unwrap();
        n += 1;
    }
    n
}

/// Reads the arrays and scalars numpy wrote for every shape and protocol;
/// returns how many.
fn read_arrays<T: TestElement + FromPickleOwned>(dir: &Path) -> usize {
    let mut n = 0;
    for p in 0..=5 {
        for (name, shape) in SHAPES {
            let path = dir.join(format!("array.{}.{name}.p{p}.pickle", T::NAME));
            let bytes = std::fs::read(&path).unwrap();
            let a: NdArray<T> = pickle_core::from_slice(&bytes).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            assert_eq!(a.shape(), shape, "{path:?}");
            assert_eq!(a.data(), expected::<T>(shape.iter().product()).as_slice(), "{path:?}");
            let flat: Vec<T> = {
                let value: Value = pickle_core::from_slice(&bytes).unwrap();
                let mut cx = pickle_core::Context::new(&value, &pickle_core::Limits::default());
                pickle_core::numpy::vec::from_pickle(&mut cx, value.root()).unwrap()
            };
            assert_eq!(flat, a.into_vec(), "{path:?} through numpy::vec");
            n += 1;
        }
        // A NumPy scalar reads as the primitive and as Scalar<T>.
        let path = dir.join(format!("scalar.{}.scalar.p{p}.pickle", T::NAME));
        let bytes = std::fs::read(&path).unwrap();
        let plain: T = pickle_core::from_slice(&bytes).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let wrapped: Scalar<T> = pickle_core::from_slice(&bytes).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        assert_eq!((plain, wrapped), (T::nth(1), Scalar(T::nth(1))), "{path:?}");
        n += 1;
    }
    n
}

fn write_all(dir: &Path) -> usize {
    write_arrays::<f64>(dir)
        + write_arrays::<f32>(dir)
        + write_arrays::<i64>(dir)
        + write_arrays::<i32>(dir)
        + write_arrays::<i16>(dir)
        + write_arrays::<i8>(dir)
        + write_arrays::<u64>(dir)
        + write_arrays::<u32>(dir)
        + write_arrays::<u16>(dir)
        + write_arrays::<u8>(dir)
        + write_arrays::<bool>(dir)
        + write_arrays::<Complex<f64>>(dir)
        + write_arrays::<Complex<f32>>(dir)
        + write_arrays::<f16>(dir)
}

/// The arrays of numpy_check.py's shared_extras, as Rust writes them.
type Writer = Box<dyn Fn(u8) -> Vec<u8>>;

fn shared_extras() -> Vec<(&'static str, Writer)> {
    fn writer<T: pickle_core::ToPickle + 'static>(value: T) -> Writer {
        Box::new(move |p| pickle_core::to_vec_with(&value, EncodeOptions::default().protocol(p)).unwrap())
    }
    let s = |x: &str| x.to_owned();
    vec![
        ("dt64", writer(dt64())),
        ("td64", writer(td64())),
        ("unicode", writer(StrArray { shape: vec![3], items: vec![s("a"), s("héllo"), s("")] })),
        ("unicode2d", writer(StrArray { shape: vec![2, 2], items: vec![s("ab"), s("c"), s(""), s("déf")] })),
        ("bytes", writer(BytesArray { shape: vec![3], items: vec![b"ab".to_vec(), vec![], b"xyz".to_vec()] })),
        // An ndarray in Fortran order is written in C order.
        ("matrix", writer(fortran_matrix())),
    ]
}

fn dt64() -> DateTime64Array {
    DateTime64Array {
        unit: TimeUnit::Nanos,
        values: NdArray::from_vec(vec![1_710_505_845_123_456_789, pickle_core::numpy::NAT, -1_000_000_000]),
    }
}

fn td64() -> TimeDelta64Array {
    TimeDelta64Array { unit: TimeUnit::Seconds, values: NdArray::from_vec(vec![1, -2, 86_400]) }
}

/// [`matrix`] laid out in Fortran order.
fn fortran_matrix() -> ndarray::Array2<f64> {
    let f = matrix().reversed_axes().as_standard_layout().into_owned().reversed_axes();
    assert!(!f.is_standard_layout() && f == matrix());
    f
}

fn matrix() -> ndarray::Array2<f64> {
    ndarray::Array2::from_shape_vec((3, 4), expected::<f64>(12)).unwrap()
}

fn read_all(dir: &Path) -> usize {
    read_arrays::<f64>(dir)
        + read_arrays::<f32>(dir)
        + read_arrays::<i64>(dir)
        + read_arrays::<i32>(dir)
        + read_arrays::<i16>(dir)
        + read_arrays::<i8>(dir)
        + read_arrays::<u64>(dir)
        + read_arrays::<u32>(dir)
        + read_arrays::<u16>(dir)
        + read_arrays::<u8>(dir)
        + read_arrays::<bool>(dir)
        + read_arrays::<Complex<f64>>(dir)
        + read_arrays::<Complex<f32>>(dir)
        + read_arrays::<f16>(dir)
}

#[test]
fn numpy_1_and_2_load_our_arrays_and_scalars_at_every_protocol() {
    for venv in VENVS {
        let Some(python) = pickle_test_support::venv_python(venv) else { continue };
        let dir = TempDir::new("numpy-write");
        assert_eq!(write_all(dir.path()), 420);
        for (name, write) in shared_extras() {
            for p in 0..=5 {
                dir.file(&format!("extra.{name}.p{p}.pickle"), &write(p));
            }
        }
        let out = run_python(&python, "check", dir.path());
        assert!(out.starts_with("ok 456 numpy "), "{venv}: {out}");
    }
}

#[test]
fn we_read_what_numpy_1_and_2_pickle_at_every_protocol() {
    for venv in VENVS {
        let Some(python) = pickle_test_support::venv_python(venv) else { continue };
        let dir = TempDir::new("numpy-read");
        let dir = dir.path();
        assert_eq!(run_python(&python, "write", dir).trim(), "wrote 492");
        assert_eq!(read_all(dir), 420);

        // Unusual layouts come back in C order with the same values.
        for p in 0..=5 {
            let read = |name: &str| std::fs::read(dir.join(format!("extra.{name}.p{p}.pickle"))).unwrap();
            let a: NdArray<f64> = pickle_core::from_slice(&read("bigendian")).unwrap();
            assert_eq!(a.into_vec(), expected::<f64>(6), "{venv} p{p}");
            let a: NdArray<i32> = pickle_core::from_slice(&read("bigendian2d")).unwrap();
            assert_eq!((a.shape(), a.data()), (&[3, 4][..], &expected::<i32>(12)[..]), "{venv} p{p}");
            let a: NdArray<f64> = pickle_core::from_slice(&read("fortran")).unwrap();
            assert_eq!((a.shape(), a.data()), (&[2, 3][..], &expected::<f64>(6)[..]), "{venv} p{p}");
            let a: NdArray<f64> = pickle_core::from_slice(&read("fortran3d")).unwrap();
            assert_eq!((a.shape(), a.data()), (&[2, 3, 4][..], &expected::<f64>(24)[..]), "{venv} p{p}");
            let a: NdArray<f64> = pickle_core::from_slice(&read("noncontiguous")).unwrap();
            let every_other: Vec<f64> = expected::<f64>(12).into_iter().step_by(2).collect();
            assert_eq!(a.into_vec(), every_other, "{venv} p{p}");
            let a: NdArray<f64> = pickle_core::from_slice(&read("zerod")).unwrap();
            assert_eq!((a.shape(), a.data()), (&[][..], &[0.5][..]), "{venv} p{p}");
            // The dtypes without a plain element type.
            assert_eq!(pickle_core::from_slice::<DateTime64Array>(&read("dt64")).unwrap(), dt64(), "{venv} p{p}");
            assert_eq!(pickle_core::from_slice::<TimeDelta64Array>(&read("td64")).unwrap(), td64(), "{venv} p{p}");
            let u: StrArray = pickle_core::from_slice(&read("unicode")).unwrap();
            assert_eq!((u.shape, u.items), (vec![3], vec!["a".to_owned(), "héllo".into(), "".into()]), "{venv} p{p}");
            let u: StrArray = pickle_core::from_slice(&read("unicode2d")).unwrap();
            assert_eq!(u.items, ["ab", "c", "", "déf"], "{venv} p{p}");
            let b: BytesArray = pickle_core::from_slice(&read("bytes")).unwrap();
            assert_eq!(b.items, [b"ab".to_vec(), vec![], b"xyz".to_vec()], "{venv} p{p}");
            // ndarray: the dimension asked for, from C and Fortran order.
            let m: ndarray::Array2<f64> = pickle_core::from_slice(&read("matrix")).unwrap();
            assert_eq!(m, matrix(), "{venv} p{p}");
            let f: ndarray::Array3<f64> = pickle_core::from_slice(&read("fortran3d")).unwrap();
            assert_eq!(f.as_slice().unwrap(), expected::<f64>(24), "{venv} p{p}");
            let d: ndarray::ArrayD<f64> = pickle_core::from_slice(&read("fortran3d")).unwrap();
            assert_eq!(d.shape(), [2, 3, 4], "{venv} p{p}");
            let err = pickle_core::from_slice::<ndarray::Array2<f64>>(&read("fortran3d")).unwrap_err();
            assert!(err.message().starts_with("expected an array of 2 dimensions, found 3"), "{err}");
        }

        // A list of NumPy scalars reads as a Vec of primitives, streamed or not.
        let mut cmd = pickle_test_support::python_at(&python, &[]);
        cmd.arg("-c").arg("import numpy as np, pickle, sys\nsys.stdout.buffer.write(pickle.dumps([np.float64(1.5), np.float32(2.5), np.int64(3)], 4))");
        let list = pickle_test_support::run_ok(cmd, b"");
        assert_eq!(pickle_core::from_slice::<Vec<f64>>(&list).unwrap(), [1.5, 2.5, 3.0], "{venv}");
        assert_eq!(pickle_core::from_reader::<_, Vec<f64>>(&list[..]).unwrap(), [1.5, 2.5, 3.0], "{venv}");

        // The wrong element type is a mismatch that names both dtypes, at the dtype's offset.
        let bytes = std::fs::read(dir.join("array.i8.one.p4.pickle")).unwrap();
        let err = pickle_core::from_slice::<NdArray<f64>>(&bytes).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Mismatch);
        assert!(err.message().contains("expected an array of dtype <f8, found dtype <i8"), "{err}");
        assert!(err.offset().is_some(), "{err}");
        // A float scalar does not read as an int, and says what it is.
        let bytes = std::fs::read(dir.join("scalar.f8.scalar.p4.pickle")).unwrap();
        let err = pickle_core::from_slice::<i64>(&bytes).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Mismatch);
        assert!(err.message().starts_with("expected an int for i64, found a numpy <f8 scalar at byte"), "{err}");
        let err = pickle_core::from_slice::<Scalar<f32>>(&bytes).unwrap_err();
        assert!(err.message().starts_with("expected a numpy.float32 scalar, found a numpy <f8 scalar"), "{err}");
    }
}

#[test]
fn a_value_borrows_the_array_payload_from_the_input() {
    let a = NdArray::from_vec(expected::<f64>(10_000));
    let bytes = pickle_core::to_vec(&a).unwrap();
    let value: Value = pickle_core::from_slice(&bytes).unwrap();
    let obj = value.as_object(value.root()).unwrap();
    let state = value.as_tuple(obj.state.unwrap()).unwrap();
    let payload = value.as_bytes(state[4]).unwrap();
    assert_eq!(payload.len(), 80_000);
    assert!(bytes.as_ptr_range().contains(&payload.as_ptr()), "the payload is borrowed, not copied");
}

/// An analyst's record (the bench's workload (h)): a UTC datetime, a
/// Decimal and a float32 array, as a derived class.
#[derive(pickle_core::Pickle, Debug, PartialEq, Clone)]
#[pickle(module = "records")]
struct Record {
    when: chrono::DateTime<chrono::Utc>,
    amount: rust_decimal::Decimal,
    values: NdArray<f32>,
}

std::thread_local! {
    static DIRECT_READS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A `T` that counts the items `from_slice` reads straight from the input
/// (`FromPickle::from_direct`).
#[derive(Debug, PartialEq)]
struct Counted<T>(T);

impl<'a, T: pickle_core::FromPickle<'a>> pickle_core::FromPickle<'a> for Counted<T> {
    fn from_pickle(
        cx: &mut pickle_core::Context<'_, 'a>,
        item: pickle_core::__private::Item,
    ) -> pickle_core::Result<Self> {
        T::from_pickle(cx, item).map(Counted)
    }

    fn from_direct(rd: &mut pickle_core::__private::Direct<'_, '_, 'a>) -> Option<Self> {
        let t = T::from_direct(rd)?;
        DIRECT_READS.with(|c| c.set(c.get() + 1));
        Some(Counted(t))
    }
}

/// NumPy 1 and 2 pickle 2,500 records (with CPython's memo writes, which
/// the direct path skips once it finds no later GET reads them): Rust reads
/// the same values as the usual path (`from_reader`), and from protocol 3
/// (where a datetime's state is bytes) reads every batch after the first
/// straight from the input.
#[test]
fn numpy_written_records_decode_directly() {
    let script = r#"
import datetime, decimal, pickle, sys, types
import numpy as np
mod = types.ModuleType("records")
sys.modules["records"] = mod
class Record:
    pass
Record.__module__ = "records"
mod.Record = Record
utc = datetime.timezone.utc
records = []
for i in range(2500):
    r = Record()
    r.when = datetime.datetime.fromtimestamp(1_600_000_000 + i * 37, utc)
    r.amount = decimal.Decimal(i * 100 + 7).scaleb(-2)
    r.values = np.arange(i * 16, i * 16 + 16, dtype=np.float32)
    records.append(r)
for p in (2, 4, 5):
    sys.stdout.write(pickle.dumps(records, p).hex() + "\n")
"#;
    let want: Vec<Record> = (0..2500i64)
        .map(|i| Record {
            when: chrono::DateTime::from_timestamp(1_600_000_000 + i * 37, 0).expect("in range"),
            amount: rust_decimal::Decimal::new(i * 100 + 7, 2),
            values: NdArray::from_vec((0..16).map(|k| (i * 16 + k) as f32).collect()),
        })
        .collect();
    for venv in VENVS {
        let Some(python) = pickle_test_support::venv_python(venv) else { continue };
        let mut cmd = pickle_test_support::python_at(&python, &[]);
        cmd.arg("-c").arg(script);
        let out = String::from_utf8(pickle_test_support::run_ok(cmd, b"")).expect("UTF-8");
        for (line, p) in out.lines().zip([2, 4, 5]) {
            let bytes: Vec<u8> =
                (0..line.len() / 2).map(|i| u8::from_str_radix(&line[2 * i..2 * i + 2], 16).expect("hex")).collect();
            DIRECT_READS.with(|c| c.set(0));
            let direct: Vec<Counted<Record>> = pickle_core::from_slice(&bytes).expect("from_slice");
            let reads = DIRECT_READS.with(std::cell::Cell::get);
            let usual: Vec<Record> = pickle_core::from_reader(&bytes[..]).expect("from_reader");
            assert_eq!(usual, want, "{venv} p{p}: the usual path");
            assert!(direct.into_iter().map(|c| c.0).eq(want.iter().cloned()), "{venv} p{p}: the direct path");
            if p >= 4 {
                assert!(reads >= 1500, "{venv} p{p}: {reads} records read directly");
            }
        }
    }
}
