//! `pickle-bench`: pickle-rs, CPython's C pickle and serde-pickle on the same
//! data, in one run, reported as ratios.
//!
//! ```text
//! cargo run --release -p bench -- [--scale F] [--runs N] [--only a,b,...] [--checkpoint-mib M]
//! ```
//!
//! Every figure is the best of at least `--runs` runs, and every ratio
//! compares figures from the same run. Each workload runs in a process of
//! its own (`pickle-bench row NAME ...`), as CPython's side does, so that no
//! workload inherits the allocator state an earlier one left behind. CPython
//! is timed inside python3 by bench/python/bench.py on objects equal to the
//! Rust data. Peak RSS of a typed decode is measured in a further child
//! process (`pickle-bench rss ...`).

mod checkpoint;
mod count;
mod measure;
mod row;
mod workloads;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::time::Duration;

use measure::{Op, best, best_each, proc_status_bytes, ratio, secs};
use pickle_core::{EncodeOptions, FromPickle, ToPickle, Value};
use row::Row;
use workloads::{DataSize, Item};

type Error = Box<dyn std::error::Error>;

struct Args {
    scale: f64,
    runs: usize,
    only: Vec<String>,
    checkpoint_mib: usize,
}

fn parse_args() -> Result<Args, Error> {
    let mut args = Args { scale: 1.0, runs: 3, only: Vec::new(), checkpoint_mib: 1024 };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--scale" => args.scale = value()?.parse()?,
            "--runs" => args.runs = value()?.parse()?,
            "--only" => args.only = value()?.split(',').map(str::to_string).collect(),
            "--checkpoint-mib" => args.checkpoint_mib = value()?.parse()?,
            "-h" | "--help" => {
                println!("usage: pickle-bench [--scale F] [--runs N] [--only a,b,...,g] [--checkpoint-mib M]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    Ok(args)
}

fn main() -> Result<(), Error> {
    match std::env::args().nth(1).as_deref() {
        Some("rss") => return rss_child(),
        Some("row") => return row_child(),
        Some("count") => return count::main(),
        _ => {}
    }
    let args = parse_args()?;
    let scratch = Scratch::new()?;
    let dir = scratch.0.clone();
    let wanted = |w: &str| args.only.is_empty() || args.only.iter().any(|o| o == w);
    let mut rows = Vec::new();
    for name in ["a", "b", "c", "d", "e", "f", "h", "i"].into_iter().filter(|w| wanted(w)) {
        rows.push(run_child(name, &args)?);
    }
    let checkpoint = if wanted("g") { Some(checkpoint::run(args.checkpoint_mib, args.runs, &dir)?) } else { None };
    drop(scratch);
    print_report(&rows, checkpoint.as_ref(), &args);
    Ok(())
}

/// This process's scratch directory for the files a run writes, removed
/// when dropped, on an early return with an error too.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, Error> {
        let dir = std::env::temp_dir().join(format!("pickle-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs workload `name` in a child process (`pickle-bench row NAME SCALE
/// RUNS`) and reads back its row.
fn run_child(name: &str, args: &Args) -> Result<Row, Error> {
    let out = Command::new(std::env::current_exe()?)
        .args(["row", name, &args.scale.to_string(), &args.runs.to_string()])
        .stderr(Stdio::inherit())
        .output()?;
    if !out.status.success() {
        return Err(format!("workload {name} failed").into());
    }
    Row::parse(&String::from_utf8(out.stdout)?).ok_or_else(|| format!("workload {name} printed no row").into())
}

/// The child side of [`run_child`]: one workload, its row on stdout.
fn row_child() -> Result<(), Error> {
    let mut it = std::env::args().skip(2);
    let name = it.next().ok_or("row needs a workload")?;
    let scale: f64 = it.next().ok_or("row needs a scale")?.parse()?;
    let runs: usize = it.next().ok_or("row needs runs")?.parse()?;
    let args = Args { scale, runs, only: vec![name.clone()], checkpoint_mib: 0 };
    let scratch = Scratch::new()?;
    let dir = scratch.0.clone();
    let s = scale;
    let row = match name.as_str() {
        "a" => run_typed("a", "1M derived structs", &workloads::items(s), &args, &dir, serde_side),
        "b" => run_typed("b", "dict of 1M str -> int", &workloads::dict(s), &args, &dir, serde_side),
        "c" => run_typed("c", "list of 10M floats", &workloads::floats(s), &args, &dir, serde_side),
        "d" => run_typed("d", "2M short strings", &workloads::strings(s), &args, &dir, serde_side),
        "e" => run_typed("e", "1M refs to one 5-int list", &workloads::shared(s), &args, &dir, serde_side).and_then(
            |mut row| {
                row.notes.insert(0, linearity(&args)?);
                Ok(row)
            },
        ),
        "f" => run_nested(&args, &dir),
        "h" => {
            let label = "1M records: DateTime<Utc>, Decimal, 16 f32";
            run_typed("h", label, &workloads::records(s), &args, &dir, |_, row: &mut Row| {
                row.notes.push("serde-pickle skipped: it has no form for datetime, Decimal or numpy arrays".into());
                None
            })
        }
        "i" => run_file(&args, &dir),
        other => Err(format!("no workload {other}").into()),
    };
    drop(scratch);
    print!("{}", row?.to_line());
    Ok(())
}

fn write_protocols<T: ToPickle + ?Sized>(data: &T, dir: &Path, name: &str) -> Result<HashMap<u8, PathBuf>, Error> {
    let mut files = HashMap::new();
    for p in [2u8, 4, 5] {
        let path = dir.join(format!("{name}.p{p}.pickle"));
        std::fs::write(&path, pickle_core::to_vec_with(data, EncodeOptions::default().protocol(p))?)?;
        files.insert(p, path);
    }
    Ok(files)
}

/// serde-pickle's encode and decode of `data`, when it round-trips, as
/// operations to time beside pickle-rs's.
fn serde_side<'d, T>(data: &'d T, row: &mut Row) -> Option<(Op<'d>, Op<'d>)>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + 'static,
{
    let Ok(theirs) = serde_pickle::to_vec(data, serde_pickle::SerOptions::new()) else {
        row.notes.push("serde-pickle cannot encode this data".into());
        return None;
    };
    let options = || serde_pickle::DeOptions::new().keep_restore_state().replace_unresolved_globals();
    match serde_pickle::from_slice::<T>(&theirs, options()) {
        Ok(back) if &back == data => {
            let enc: Op<'d> = Box::new(move || Box::new(serde_pickle::to_vec(data, serde_pickle::SerOptions::new())));
            let dec: Op<'d> = Box::new(move || Box::new(serde_pickle::from_slice::<T>(&theirs, options())));
            Some((enc, dec))
        }
        Ok(_) => {
            row.notes.push("serde-pickle does not round-trip this data".into());
            None
        }
        Err(e) => {
            row.notes.push(format!("serde-pickle cannot decode its own output: {e}"));
            None
        }
    }
}

fn run_typed<'d, T>(
    name: &str,
    label: &str,
    data: &'d T,
    args: &Args,
    dir: &Path,
    serde: impl FnOnce(&'d T, &mut Row) -> Option<(Op<'d>, Op<'d>)>,
) -> Result<Row, Error>
where
    T: ToPickle + for<'a> FromPickle<'a> + DataSize + PartialEq + Clone + 'static,
{
    eprintln!("workload {name}: {label}");
    let mut row = Row { name: format!("({name}) {label}"), ..Row::default() };
    let runs = args.runs;
    let ours = pickle_core::to_vec(data)?;
    let back: T = pickle_core::from_slice(&ours)?;
    if &back != data {
        return Err(format!("workload {name}: pickle-rs does not round-trip the data").into());
    }
    drop(back);
    // pickle-rs, serde-pickle and the floor are timed in turns, encodes
    // first, then decodes, so that each sees the heap as the others do.
    // The floors. Encode: a fresh buffer filled to the output's length
    // with the data's scalars and str bytes, read from where they live.
    // Decode: the same value built again from one in memory.
    let (serde_enc, serde_dec) = serde(data, &mut row).unzip();
    let len = ours.len();
    let mut encodes: Vec<Op<'_>> = vec![
        Box::new(|| Box::new(pickle_core::to_vec(data))),
        Box::new(move || {
            let mut out = Vec::with_capacity(len);
            data.gather(&mut out);
            out.resize(len, 0);
            Box::new(out)
        }),
    ];
    encodes.extend(serde_enc);
    let times = best_each(runs, &mut encodes);
    drop(encodes);
    (row.rs_enc, row.enc_floor, row.serde_enc) = (Some(times[0]), Some(times[1]), times.get(2).copied());
    let rebuild = data.rebuilder();
    let mut decodes: Vec<Op<'_>> =
        vec![Box::new(|| Box::new(pickle_core::from_slice::<T>(&ours))), Box::new(|| Box::new(rebuild()))];
    decodes.extend(serde_dec);
    let times = best_each(runs, &mut decodes);
    drop(decodes);
    drop(rebuild);
    (row.rs_dec, row.dec_floor, row.serde_dec) = (Some(times[0]), Some(times[1]), times.get(2).copied());
    let value: Value = pickle_core::from_slice(&ours)?;
    row.rs_enc_value = Some(best(runs, || pickle_core::to_vec(&value)));
    row.rs_dec_value = Some(best(runs, || pickle_core::from_slice::<Value>(&ours)));
    drop(value);
    let files = write_protocols(data, dir, name)?;
    python(name, args, &files, &mut row)?;
    row.rss = Some(measure_rss(name, &files[&4])?);
    Ok(row)
}

/// Workload (f): 100k-deep nested lists, through `Value` (a Rust type that
/// deep would be a recursive type, and typed conversion bounds recursion).
fn run_nested(args: &Args, dir: &Path) -> Result<Row, Error> {
    eprintln!("workload f: 100k-deep nested lists");
    let value = workloads::nested(args.scale);
    let mut row = Row { name: "(f) 100k-deep nested lists".into(), ..Row::default() };
    let ours = pickle_core::to_vec(&value)?;
    let back: Value = pickle_core::from_slice(&ours)?;
    if back != value {
        return Err("workload f: pickle-rs does not round-trip the nesting".into());
    }
    drop(back);
    row.rs_enc_value = Some(best(args.runs, || pickle_core::to_vec(&value)));
    row.rs_dec_value = Some(best(args.runs, || pickle_core::from_slice::<Value>(&ours)));
    row.notes.push("decoded and dropped without stack overflow; serde-pickle skipped (it recurses per level)".into());
    let files = write_protocols(&value, dir, "f")?;
    python("f", args, &files, &mut row)?;
    Ok(row)
}

/// Workload (i): 1 GiB of f64s written with `to_writer` through a
/// `BufWriter` into a file and read back with `from_reader` through a
/// `BufReader`, against CPython's `pickle.dump` and `pickle.load` of files.
fn run_file(args: &Args, dir: &Path) -> Result<Row, Error> {
    use std::io::{BufReader, BufWriter};
    eprintln!("workload i: 1 GiB Vec<f64> through a file");
    let data = workloads::gib_floats(args.scale);
    let mut row = Row { name: "(i) 1 GiB Vec<f64> through a file".into(), ..Row::default() };
    let path = dir.join("i.p4.pickle");
    let write = || -> Result<(), Error> {
        let mut out = BufWriter::new(std::fs::File::create(&path)?);
        pickle_core::to_writer(&mut out, &data)?;
        out.flush()?;
        Ok(())
    };
    let read =
        || -> Result<Vec<f64>, Error> { Ok(pickle_core::from_reader(BufReader::new(std::fs::File::open(&path)?))?) };
    write()?;
    if read()? != data {
        return Err("workload i: pickle-rs does not round-trip the floats".into());
    }
    row.rs_enc = Some(best(args.runs, || write().map_err(|e| e.to_string())));
    row.rs_dec = Some(best(args.runs, || read().map_err(|e| e.to_string())));
    let bytes = std::fs::read(&path)?;
    let copy = dir.join("i.copy");
    row.enc_floor = Some(best(args.runs, || std::fs::write(&copy, &bytes)));
    row.dec_floor = Some(best(args.runs, || data.clone()));
    let _ = std::fs::remove_file(&copy);
    row.notes.push(
        "both sides on the page cache, no fsync; encode floor: std::fs::write of the same bytes; \
         decode floor: a clone of the Vec<f64>"
            .into(),
    );
    let job = format!(
        "{{\"workload\": \"i\", \"scale\": {}, \"runs\": {}, \"file\": {:?}}}",
        args.scale,
        args.runs,
        path.display().to_string()
    );
    let text = run_bench_py(&job, "i")?;
    let dur = |key: &str| json_num(&text, key).map(Duration::from_secs_f64);
    row.py_dumps = dur("dumps");
    row.py_loads = dur("loads");
    row.py_loads_ours = dur("loads_ours");
    row.py_loads_own = dur("loads_own_again");
    let cpython = json_num(&text, "4").unwrap_or(f64::NAN) as usize;
    row.sizes.push((4, bytes.len(), cpython));
    Ok(row)
}

/// Decode time of (e) at half, full and double size: linear means each
/// doubling takes about twice as long.
fn linearity(args: &Args) -> Result<String, Error> {
    let time = |scale: f64| -> Result<f64, Error> {
        let bytes = pickle_core::to_vec(&workloads::shared(scale))?;
        Ok(best(args.runs, || pickle_core::from_slice::<Vec<Rc<Vec<i64>>>>(&bytes)).as_secs_f64().max(1e-9))
    };
    let (half, full, double) = (time(args.scale / 2.0)?, time(args.scale)?, time(args.scale * 2.0)?);
    Ok(format!(
        "typed decode time, full / half size = {:.2}, double / full size = {:.2} (linear is 2.00)",
        full / half,
        double / full
    ))
}

/// Runs bench/python/bench.py on `job` and returns the JSON it prints.
fn run_bench_py(job: &str, name: &str) -> Result<String, Error> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("python");
    let mut child = Command::new("python3")
        .arg(here.join("bench.py"))
        .env("PYTHONPATH", &here)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    child.stdin.take().ok_or("no stdin")?.write_all(job.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Err(format!("python3 bench.py failed for workload {name}").into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// The number after `"key": ` in bench.py's flat JSON.
fn json_num(text: &str, key: &str) -> Option<f64> {
    let at = text.find(&format!("\"{key}\": "))? + key.len() + 4;
    let rest = &text[at..];
    rest[..rest.find([',', '}'])?].trim().parse().ok()
}

fn python(name: &str, args: &Args, files: &HashMap<u8, PathBuf>, row: &mut Row) -> Result<(), Error> {
    let ours: Vec<String> =
        files.iter().map(|(p, path)| format!("\"{p}\": {:?}", path.display().to_string())).collect();
    let job = format!(
        "{{\"workload\": \"{name}\", \"scale\": {}, \"runs\": {}, \"ours\": {{{}}}}}",
        args.scale,
        args.runs,
        ours.join(", ")
    );
    let text = run_bench_py(&job, name)?;
    let num = |key: &str| json_num(&text, key);
    let dur = |key: &str| num(key).map(Duration::from_secs_f64);
    row.py_dumps = dur("dumps");
    row.py_loads = dur("loads");
    row.py_loads_ours = dur("loads_ours");
    row.py_loads_own = dur("loads_own_again");
    if let (Some(a), Some(b)) = (num("linear_full_half"), num("linear_double_full")) {
        row.notes.push(format!("CPython's loads on the same sizes: full / half = {a:.2}, double / full = {b:.2}"));
    }
    for p in [2u8, 4, 5] {
        let ours = std::fs::metadata(&files[&p])?.len() as usize;
        let cpython = num(&p.to_string()).unwrap_or(f64::NAN) as usize;
        row.sizes.push((p, ours, cpython));
    }
    Ok(())
}

/// Runs `pickle-bench rss NAME FILE` and returns (peak RSS growth while
/// decoding, size of the decoded data by its capacities, RSS growth the
/// decoded data retains once everything else is freed).
fn measure_rss(name: &str, file: &Path) -> Result<(u64, usize, usize, u64), Error> {
    let out = Command::new(std::env::current_exe()?).args(["rss", name]).arg(file).output()?;
    let text = String::from_utf8(out.stdout)?;
    let mut parts = text.split_whitespace();
    let peak = parts.next().and_then(|s| s.parse().ok()).ok_or("rss child printed no peak")?;
    let data = parts.next().and_then(|s| s.parse().ok()).ok_or("rss child printed no size")?;
    let allocated = parts.next().and_then(|s| s.parse().ok()).ok_or("rss child printed no allocated size")?;
    let retained = parts.next().and_then(|s| s.parse().ok()).ok_or("rss child printed no retained size")?;
    Ok((peak, data, allocated, retained))
}

/// The child side of [`measure_rss`]: reads the file, notes RSS, decodes,
/// and prints the growth of the high-water mark, the data's size by its
/// capacities, and the growth of RSS once the decoder's temporaries are
/// returned to the system (the memory the result really occupies, malloc's
/// overhead included).
fn rss_child() -> Result<(), Error> {
    let mut args = std::env::args().skip(2);
    let name = args.next().ok_or("rss needs a workload")?;
    let bytes = std::fs::read(args.next().ok_or("rss needs a file")?)?;
    let before = proc_status_bytes("VmRSS:").ok_or("no /proc/self/status")?;
    let decode = |name: &str| -> Result<(Box<dyn std::any::Any>, usize, usize), Error> {
        Ok(match name {
            "a" => keep(pickle_core::from_slice::<Vec<Item>>(&bytes)?),
            "b" => keep(pickle_core::from_slice::<HashMap<String, i64>>(&bytes)?),
            "c" => keep(pickle_core::from_slice::<Vec<f64>>(&bytes)?),
            "d" => keep(pickle_core::from_slice::<Vec<String>>(&bytes)?),
            "e" => keep(pickle_core::from_slice::<Vec<Rc<Vec<i64>>>>(&bytes)?),
            "h" => keep(pickle_core::from_slice::<Vec<workloads::Record>>(&bytes)?),
            other => return Err(format!("no rss workload {other}").into()),
        })
    };
    let (result, size, allocated) = decode(&name)?;
    let peak = proc_status_bytes("VmHWM:").ok_or("no /proc/self/status")?;
    // SAFETY: malloc_trim only returns free heap memory to the system; it
    // touches no live allocation.
    unsafe { libc::malloc_trim(0) };
    let after = proc_status_bytes("VmRSS:").ok_or("no /proc/self/status")?;
    println!("{} {size} {allocated} {}", peak.saturating_sub(before), after.saturating_sub(before));
    drop(result);
    Ok(())
}

/// Keeps a decoded result alive (type-erased) with its data sizes.
fn keep<T: DataSize + 'static>(data: T) -> (Box<dyn std::any::Any>, usize, usize) {
    let (size, allocated) = (data.data_size(), data.allocated());
    (Box::new(data), size, allocated)
}

fn opt(d: Option<Duration>) -> String {
    d.map_or("-".into(), secs)
}

fn opt_ratio(a: Option<Duration>, b: Option<Duration>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => ratio(a, b),
        _ => "-".into(),
    }
}

fn print_report(rows: &[Row], checkpoint: Option<&checkpoint::Figures>, args: &Args) {
    println!("# pickle-rs benchmark (scale {}, best of {} runs)\n", args.scale, args.runs);
    println!("## Times (seconds)\n");
    println!(
        "| workload | pickle-rs encode typed | encode Value | serde-pickle encode | CPython dumps | pickle-rs decode typed | decode Value | serde-pickle decode | CPython loads |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.name,
            opt(r.rs_enc),
            opt(r.rs_enc_value),
            opt(r.serde_enc),
            opt(r.py_dumps),
            opt(r.rs_dec),
            opt(r.rs_dec_value),
            opt(r.serde_dec),
            opt(r.py_loads)
        );
    }
    println!("\n## Ratios (speedups are other / pickle-rs: higher is better)\n");
    println!(
        "| workload | decode typed vs CPython | decode best vs serde-pickle | encode typed vs CPython | encode best vs serde-pickle | size vs CPython p2 / p4 / p5 | python3 loads ours / own | peak RSS of typed decode / data (by capacities; by allocations; by retained RSS) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in rows {
        let best_dec = [r.rs_dec, r.rs_dec_value].into_iter().flatten().min();
        let best_enc = [r.rs_enc, r.rs_enc_value].into_iter().flatten().min();
        let sizes: Vec<String> =
            r.sizes.iter().map(|(_, ours, cpy)| format!("{:.3}", *ours as f64 / (*cpy).max(1) as f64)).collect();
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.name,
            opt_ratio(r.py_loads, r.rs_dec),
            opt_ratio(r.serde_dec, best_dec),
            opt_ratio(r.py_dumps, r.rs_enc),
            opt_ratio(r.serde_enc, best_enc),
            if sizes.is_empty() { "-".into() } else { sizes.join(" / ") },
            opt_ratio(r.py_loads_ours, r.py_loads_own),
            r.rss.map_or("-".into(), |(peak, data, allocated, retained)| format!(
                "{:.2}x; {:.2}x; {:.2}x",
                peak as f64 / data.max(1) as f64,
                peak as f64 / allocated.max(1) as f64,
                peak as f64 / retained.max(1) as f64
            )),
        );
    }
    println!(
        "\n## Floors (encode: a fresh buffer of the output's length filled with the data's scalars and str bytes, \
         read where they live; decode: the same value built again from memory, a clone or, for a hash map, a collect)\n"
    );
    println!("| workload | encode floor | encode typed / floor | decode floor | decode typed / floor |");
    println!("|---|---|---|---|---|");
    for r in rows.iter().filter(|r| r.enc_floor.is_some() || r.dec_floor.is_some()) {
        println!(
            "| {} | {} | {} | {} | {} |",
            r.name,
            opt(r.enc_floor),
            opt_ratio(r.rs_enc, r.enc_floor),
            opt(r.dec_floor),
            opt_ratio(r.rs_dec, r.dec_floor)
        );
    }
    for r in rows.iter().filter(|r| !r.notes.is_empty()) {
        println!("\n- {}: {}", r.name, r.notes.join("; "));
    }
    if let Some(c) = checkpoint {
        checkpoint::print(c);
    }
}
