//! `pickle-bench count WORKLOAD OP SCALE`: builds one workload's data and
//! runs one operation on it once, for instruction counts under callgrind
//! (`scripts/callgrind.sh`, which subtracts a run that stops before the
//! operation: `none` builds the data, `encoded` and `serde-encoded` also
//! encode it, so that construction and encoding cancel out of decodes).
//! Counts are the stable figure on a noisy machine; this prints nothing but
//! the number of items. Decoded results are leaked, not dropped, as the
//! bench frees them outside the timed region.

use std::collections::HashMap;
use std::hint::black_box;

use pickle_core::{FromPickle, ToPickle};

use crate::Error;
use crate::workloads::{self, Item, Record};

/// One workload's data and how it is counted, with serde-pickle beside
/// pickle-rs.
fn run<T>(data: T, items: usize, op: &str) -> Result<usize, Error>
where
    T: ToPickle + for<'a> FromPickle<'a> + serde::Serialize + serde::de::DeserializeOwned,
{
    match op {
        "serde-encoded" | "serde-dec" => {
            let theirs = serde_pickle::to_vec(&data, serde_pickle::SerOptions::new())?;
            if op == "serde-dec" {
                std::mem::forget(black_box(serde_pickle::from_slice::<T>(&theirs, serde_pickle::DeOptions::new())?));
            }
        }
        "serde-enc" => drop(black_box(serde_pickle::to_vec(&data, serde_pickle::SerOptions::new())?)),
        _ => return run_ours(data, items, op),
    }
    drop(black_box(data));
    Ok(items)
}

/// pickle-rs's operations; workloads without a serde form (h) have only
/// these.
fn run_ours<T>(data: T, items: usize, op: &str) -> Result<usize, Error>
where
    T: ToPickle + for<'a> FromPickle<'a>,
{
    let ours = if matches!(op, "dec" | "value" | "encoded") { pickle_core::to_vec(&data)? } else { Vec::new() };
    match op {
        "none" | "encoded" => {}
        "enc" => drop(black_box(pickle_core::to_vec(&data)?)),
        "dec" => std::mem::forget(black_box(pickle_core::from_slice::<T>(&ours)?)),
        "value" => std::mem::forget(black_box(pickle_core::from_slice::<pickle_core::Value>(&ours)?)),
        other => {
            return Err(format!(
                "no operation {other}: none, encoded, enc, dec, value (and serde-encoded, serde-enc, serde-dec where serde-pickle takes the data)"
            )
            .into());
        }
    }
    drop(black_box(data));
    Ok(items)
}

pub fn main() -> Result<(), Error> {
    let mut it = std::env::args().skip(2);
    let usage = "count needs WORKLOAD OP SCALE";
    let name = it.next().ok_or(usage)?;
    let op = it.next().ok_or(usage)?;
    let s: f64 = it.next().ok_or(usage)?.parse()?;
    let items = match name.as_str() {
        "a" => {
            let data: Vec<Item> = workloads::items(s);
            let n = data.len();
            run(data, n, &op)?
        }
        "b" => {
            let data: HashMap<String, i64> = workloads::dict(s);
            let n = data.len();
            run(data, n, &op)?
        }
        "c" => {
            let data = workloads::floats(s);
            let n = data.len();
            run(data, n, &op)?
        }
        "d" => {
            let data = workloads::strings(s);
            let n = data.len();
            run(data, n, &op)?
        }
        "e" => {
            let data = workloads::shared(s);
            let n = data.len();
            run(data, n, &op)?
        }
        "h" => {
            let data: Vec<Record> = workloads::records(s);
            let n = data.len();
            run_ours(data, n, &op)?
        }
        other => return Err(format!("no counted workload {other}: a, b, c, d, e or h").into()),
    };
    println!("{items}");
    Ok(())
}
