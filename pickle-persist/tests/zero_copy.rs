//! Zero-copy arrays: a checkpoint saved with `zero_copy_arrays` loads with
//! plain `pickle.load` as before, and the generated module's `load(path)`
//! maps its arrays from the file (aligned, read-only, no anonymous memory
//! for their pages). Set `PICKLE_PERSIST_ZERO_COPY_MIB` for a larger array
//! (64 MiB by default) and `PICKLE_PERSIST_ZERO_COPY_TIME=1` to print the
//! time of a plain load against the helper's open and one element read.

use std::path::Path;

use pickle_core::numpy::NdArray;
use pickle_core::{Pickle, PyModuleBuilder};
use pickle_persist::Checkpointer;
use pickle_test_support::TempDir;

#[derive(Pickle, Debug, PartialEq, Clone)]
#[pickle(module = "zc_state")]
struct ZcState {
    step: u64,
    weights: NdArray<f64>,
    small: NdArray<i32>,
}

#[test]
fn mapped_arrays_load_in_python_without_anonymous_memory() {
    let mib: usize = std::env::var("PICKLE_PERSIST_ZERO_COPY_MIB").ok().and_then(|s| s.parse().ok()).unwrap_or(64);
    let dir = TempDir::new("zero-copy");
    let n = mib << 17; // f64s in `mib` MiB
    let state = ZcState {
        step: 42,
        weights: NdArray::new(vec![n / 8, 8], (0..n).map(|i| i as f64 * 0.25).collect()).expect("shape"),
        small: NdArray::from_vec((0..37).collect()),
    };
    let mut ckpt = Checkpointer::open(dir.path().join("ckpt")).expect("open").zero_copy_arrays();
    ckpt.save(42, &state).expect("save");
    // The small array's payload is aligned too; both are indexed.
    let info = &ckpt.list_info().expect("info")[0];
    assert_eq!(info.buffers.len(), 2, "{:?}", info.buffers);
    assert_eq!(info.buffers[0].1, (n * 8) as u64);
    assert!(info.buffers.iter().all(|&(op, _)| (op + 9) % 64 == 0), "{:?}", info.buffers);
    // Rust reads it back, mapped or not.
    assert_eq!(ckpt.load::<ZcState>(42).expect("load"), state);

    let module = PyModuleBuilder::new().add::<ZcState>().with_load_helper().render().expect("module");
    std::fs::write(dir.path().join("zc_state.py"), module).expect("write module");
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");
    let Some(python) = pickle_test_support::venv_python("numpy2") else { return };
    let mut cmd = pickle_test_support::python_at(&python, &[&here, dir.path()]);
    cmd.arg(here.join("zero_copy_check.py")).arg(ckpt.path_for(42));
    if std::env::var_os("PICKLE_PERSIST_ZERO_COPY_TIME").is_some() {
        cmd.arg("--time");
    }
    let out = String::from_utf8(pickle_test_support::run_ok(cmd, b"")).expect("UTF-8");
    println!("{}", out.trim());
    let words: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(words[0], "ok", "{out}");
    let (growth, array): (f64, f64) = (words[1].parse().expect("growth"), words[2].parse().expect("size"));
    assert_eq!(array, mib as f64);
    assert!(growth < array * 0.05, "anonymous memory grew {growth} MiB for a {array} MiB array");
}

#[test]
fn a_zero_copy_checkpoint_still_loads_with_plain_pickle_and_on_old_numpy() {
    let dir = TempDir::new("zero-copy-old");
    let state = ZcState { step: 1, weights: NdArray::from_vec(vec![1.5, -2.0]), small: NdArray::from_vec(vec![7]) };
    let mut ckpt = Checkpointer::open(dir.path()).expect("open").zero_copy_arrays();
    ckpt.save(1, &state).expect("save");
    let module = PyModuleBuilder::new().add::<ZcState>().render().expect("module");
    std::fs::write(dir.path().join("zc_state.py"), module).expect("write module");
    let Some(python) = pickle_test_support::venv_python("numpy1") else { return };
    let mut cmd = pickle_test_support::python_at(&python, &[dir.path()]);
    cmd.args([
        "-c",
        "import pickle, sys, numpy, zc_state\n\
         s = pickle.load(open(sys.argv[1], 'rb'))\n\
         print(numpy.__version__.split('.')[0], type(s).__name__, s.weights.tolist(), s.small.tolist(), \
         s.weights.flags.writeable)",
    ]);
    cmd.arg(ckpt.path_for(1));
    let out = String::from_utf8(pickle_test_support::run_ok(cmd, b"")).expect("UTF-8");
    assert_eq!(out.trim(), "1 ZcState [1.5, -2.0] [7] True");
}
