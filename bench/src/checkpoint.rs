//! Workload (g): a large state of f64 arrays inside structs, saved as a
//! checkpoint, against `dd conv=fsync` of the same size; and opening the
//! mapped checkpoint to read one field against a full read.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use pickle_core::Pickle;

use crate::measure::{best, ratio, secs};

type Error = Box<dyn std::error::Error>;

/// Python class `bench_models.Layer`; its weights are a `numpy.ndarray`.
#[derive(Debug, Clone, PartialEq, Pickle)]
#[pickle(module = "bench_models")]
pub struct Layer {
    pub name: String,
    #[pickle(with = "pickle_core::numpy::vec")]
    pub weights: Vec<f64>,
}

/// Python class `bench_models.Checkpoint`.
#[derive(Debug, Clone, PartialEq, Pickle)]
#[pickle(module = "bench_models")]
pub struct Checkpoint {
    pub step: u64,
    pub layers: Vec<Layer>,
}

const LAYERS: usize = 64;

fn state(mib: usize) -> Checkpoint {
    let per_layer = (mib << 20) / 8 / LAYERS;
    let layers = (0..LAYERS)
        .map(|l| Layer {
            name: format!("layer{l}"),
            weights: (0..per_layer).map(|i| (l * per_layer + i) as f64).collect(),
        })
        .collect();
    Checkpoint { step: 1234, layers }
}

/// The checkpoint figures.
pub struct Figures {
    mib: usize,
    file_bytes: u64,
    save: Duration,
    dd: Duration,
    open_one_field: Duration,
    full_read: Duration,
}

pub fn run(mib: usize, runs: usize, dir: &Path) -> Result<Figures, Error> {
    eprintln!("workload g: {mib} MiB checkpoint");
    let state = state(mib);
    let path = dir.join("checkpoint.pickle");
    // Save and dd alternate, each after a system-wide sync, so that neither
    // pays for dirty pages other work left behind (the earlier workloads
    // write a gigabyte of pickles).
    let dd_path = dir.join("dd.bin");
    let (mut save, mut dd) = (Duration::MAX, Duration::MAX);
    for _ in 0..runs.max(1) {
        // A new file each time, as a Checkpointer writes each step to a new
        // name (and as dd's file is new): replacing the last run's file
        // would add freeing its gigabyte to the save.
        let _ = std::fs::remove_file(&path);
        settle();
        let start = Instant::now();
        pickle_persist::save(&path, &state)?;
        save = save.min(start.elapsed());
        settle();
        let start = Instant::now();
        let status = Command::new("dd")
            .arg("if=/dev/zero")
            .arg(format!("of={}", dd_path.display()))
            .args(["bs=1M", &format!("count={mib}"), "conv=fsync", "status=none"])
            .status()?;
        dd = dd.min(start.elapsed());
        if !status.success() {
            return Err("dd failed".into());
        }
        std::fs::remove_file(&dd_path)?;
    }
    let file_bytes = std::fs::metadata(&path)?.len();
    let open_one_field = best(runs, || -> Result<u64, String> {
        let mapped = pickle_persist::Mapped::open(&path).map_err(|e| e.to_string())?;
        let value = mapped.value().map_err(|e| e.to_string())?;
        let step = value.attr(value.root(), "step").ok_or("no step")?;
        match step {
            pickle_core::Item::Int(s) => Ok(s as u64),
            _ => Err("step is not an int".into()),
        }
    });
    let full_read = best(runs, || pickle_persist::load::<Checkpoint>(&path).map_err(|e| e.to_string()));
    let back: Checkpoint = pickle_persist::load(&path)?;
    if back != state {
        return Err("workload g: the checkpoint does not round-trip".into());
    }
    std::fs::remove_file(&path)?;
    Ok(Figures { mib, file_bytes, save, dd, open_one_field, full_read })
}

/// Flushes every dirty page of the system and waits for it.
fn settle() {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
}

pub fn print(f: &Figures) {
    let mib_s = |bytes: u64, d: Duration| bytes as f64 / (1 << 20) as f64 / d.as_secs_f64().max(1e-9);
    let ours = mib_s(f.file_bytes, f.save);
    let dd = mib_s((f.mib as u64) << 20, f.dd);
    println!("\n## (g) Checkpoint of {} MiB of f64 arrays inside derived structs\n", f.mib);
    println!("| figure | value |");
    println!("|---|---|");
    println!("| pickle-persist save ({} bytes) | {} s, {ours:.0} MiB/s |", f.file_bytes, secs(f.save));
    println!("| dd conv=fsync, same size | {} s, {dd:.0} MiB/s |", secs(f.dd));
    println!("| save throughput / dd throughput | {:.0}% |", ours / dd * 100.0);
    println!("| open mapped checkpoint and read one field | {} s |", secs(f.open_one_field));
    println!("| full read (load into structs) | {} s |", secs(f.full_read));
    println!("| one field / full read | {} |", ratio(f.open_one_field, f.full_read));
}
