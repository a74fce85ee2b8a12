//! Writes Rust data as a pickle that Python's `pickle.load` reads, reads it
//! back, and shows the same bytes through the `Value` model.
//!
//! `cargo run -p examples --example quickstart [OUT_FILE]`

use std::collections::BTreeMap;
use std::rc::Rc;

/// Named runs of measurements; runs may share one list.
type Runs = BTreeMap<String, Rc<Vec<f64>>>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "quickstart.pickle".to_string());

    // A shared list, referenced twice: Python gets one list object, twice.
    let shared = Rc::new(vec![1.5, 2.5, 3.5]);
    let mut runs = Runs::new();
    runs.insert("train".into(), Rc::clone(&shared));
    runs.insert("eval".into(), shared);
    let data = (42u64, "pickle-rs", runs, vec![0u8, 1, 255]);

    let bytes = pickle_core::to_vec(&data)?;
    std::fs::write(&path, &bytes)?;
    println!("wrote {} bytes to {path} (protocol 4)", bytes.len());

    let back: (u64, String, Runs, Vec<u8>) = pickle_core::from_slice(&bytes)?;
    let shared_again = Rc::ptr_eq(&back.2["train"], &back.2["eval"]);
    println!("read back: {} {:?}, shared list still shared: {shared_again}", back.0, back.1);

    let value: pickle_core::Value = pickle_core::from_slice(&bytes)?;
    println!("as a Value: {value:?}");
    println!("in Python: import pickle; print(pickle.load(open({path:?}, 'rb')))");
    Ok(())
}
