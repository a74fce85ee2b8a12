//! NumPy arrays against the real python3 and numpy: pickle-rs writes
//! `NdArray`s that `pickle.load` returns as `numpy.ndarray`s, and reads the
//! arrays NumPy pickles at every protocol.

mod common;

use std::fmt::Debug;
use std::path::{Path, PathBuf};

use common::python_script;
use pickle_core::numpy::{Element, NdArray};
use pickle_core::{EncodeOptions, ErrorKind, Value};

const SHAPES: [(&str, &[usize]); 4] = [("empty", &[0]), ("one", &[5]), ("two", &[2, 3]), ("big", &[20000])];

/// An element type under test and element i of its test arrays:
/// (i * 7) % 100, plus 0.5 for floats (as tests/python/numpy_check.py).
trait TestElement: Element + PartialEq + Debug {
    fn nth(i: usize) -> Self;
}

macro_rules! test_elements {
    ($($t:ty => $f:expr;)*) => {$(
        impl TestElement for $t {
            fn nth(i: usize) -> Self {
                let f: fn(usize) -> $t = $f;
                f((i * 7) % 100)
            }
        }
    )*};
}

test_elements! {
    f64 => |v| v as f64 + 0.5;
    f32 => |v| v as f32 + 0.5;
    i64 => |v| v as i64;
    i32 => |v| v as i32;
    i16 => |v| v as i16;
    i8 => |v| v as i8;
    u64 => |v| v as u64;
    u32 => |v| v as u32;
    u16 => |v| v as u16;
    u8 => |v| v as u8;
}

fn expected<T: TestElement>(n: usize) -> Vec<T> {
    (0..n).map(T::nth).collect()
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pickle-rs-numpy-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_python(mode: &str, dir: &Path) -> String {
    let mut cmd = python_script("numpy_check.py");
    cmd.arg(mode).arg(dir);
    String::from_utf8(pickle_test_support::run_ok(cmd, b"")).expect("UTF-8")
}

/// Writes arrays of every shape at every protocol; returns how many.
fn write_arrays<T: TestElement>(dir: &Path) -> usize {
    let mut n = 0;
    for (name, shape) in SHAPES {
        let a = NdArray::new(shape.to_vec(), expected::<T>(shape.iter().product())).unwrap();
        for p in 0..=5u8 {
            let bytes = pickle_core::to_vec_with(&a, EncodeOptions::default().protocol(p)).unwrap();
            std::fs::write(dir.join(format!("{}.{name}.p{p}.pickle", T::DTYPE)), bytes).unwrap();
            n += 1;
        }
    }
    n
}

/// Reads the arrays numpy wrote for every shape and protocol; returns how many.
fn read_arrays<T: TestElement>(dir: &Path) -> usize {
    let mut n = 0;
    for (name, shape) in SHAPES {
        for p in 0..=5 {
            let path = dir.join(format!("{}.{name}.p{p}.pickle", T::DTYPE));
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
    }
    n
}

#[test]
fn python_loads_our_arrays_as_ndarrays_at_every_protocol() {
    let dir = temp_dir("write");
    let written = write_arrays::<f64>(&dir)
        + write_arrays::<f32>(&dir)
        + write_arrays::<i64>(&dir)
        + write_arrays::<i32>(&dir)
        + write_arrays::<i16>(&dir)
        + write_arrays::<i8>(&dir)
        + write_arrays::<u64>(&dir)
        + write_arrays::<u32>(&dir)
        + write_arrays::<u16>(&dir)
        + write_arrays::<u8>(&dir);
    assert_eq!(written, 240);
    assert_eq!(run_python("check", &dir).trim(), "ok 240");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn we_read_the_arrays_numpy_pickles_at_every_protocol() {
    let dir = temp_dir("read");
    assert_eq!(run_python("write", &dir).trim(), "wrote 242");
    let read = read_arrays::<f64>(&dir)
        + read_arrays::<f32>(&dir)
        + read_arrays::<i64>(&dir)
        + read_arrays::<i32>(&dir)
        + read_arrays::<i16>(&dir)
        + read_arrays::<i8>(&dir)
        + read_arrays::<u64>(&dir)
        + read_arrays::<u32>(&dir)
        + read_arrays::<u16>(&dir)
        + read_arrays::<u8>(&dir);
    assert_eq!(read, 240);

    // Big-endian data is converted; a Fortran-ordered 2-D array is refused.
    let bytes = std::fs::read(dir.join("be_f8.p4.pickle")).unwrap();
    let a: NdArray<f64> = pickle_core::from_slice(&bytes).unwrap();
    assert_eq!(a.into_vec(), expected::<f64>(6));
    let bytes = std::fs::read(dir.join("fortran.p4.pickle")).unwrap();
    let err = pickle_core::from_slice::<NdArray<f64>>(&bytes).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.message().contains("Fortran-ordered"), "{err}");

    // The wrong element type is a mismatch that names both dtypes.
    let bytes = std::fs::read(dir.join("i8.one.p4.pickle")).unwrap();
    let err = pickle_core::from_slice::<NdArray<f64>>(&bytes).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Mismatch);
    assert!(err.message().contains("expected an array of dtype f8, found dtype \"i8\""), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
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
