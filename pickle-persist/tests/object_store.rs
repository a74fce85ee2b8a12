//! Checkpoints on object stores (the `object-store` feature): the protocol,
//! races and faults on `object_store`'s in-memory store (which locks, where
//! the S3 server does not), and the real S3 API against a local moto server
//! (from the `s3` venv, on 127.0.0.1, stopped by its PID), with python3 and
//! boto3 reading the checkpoints back.
//!
//! The S3 tests run this binary again as the writer (with
//! `PICKLE_PERSIST_S3_CHILD` set), configured from the environment as a
//! user's job would be. Set `PICKLE_PERSIST_S3_KILLS` for a longer kill run
//! (the default is 110).
#![cfg(feature = "object-store")]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::{JobState, Rng, count_from_env};
use object_store::memory::InMemory;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use pickle_persist::{Checkpointer, ErrorKind, Keep};

const CHILD_ENV: &str = "PICKLE_PERSIST_S3_CHILD";
const URL_ENV: &str = "PICKLE_PERSIST_S3_URL";

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(f)
}

fn keys(store: &InMemory, prefix: &str) -> Vec<String> {
    use futures_util::TryStreamExt;
    let mut keys: Vec<String> = block_on(store.list(Some(&StorePath::from(prefix))).try_collect::<Vec<_>>())
        .expect("list")
        .into_iter()
        .map(|m| m.location.to_string())
        .collect();
    keys.sort();
    keys
}

#[test]
fn in_memory_saves_list_retain_and_verify() {
    let store = Arc::new(InMemory::new());
    let mut ckpt = Checkpointer::open_store(store.clone(), "jobs/a").expect("open").keep_last(2);
    for step in 1..=4u64 {
        ckpt.metric("loss", 1.0 / step as f64).save(step, &JobState::at(step, 50)).expect("save");
    }
    assert_eq!(ckpt.list().expect("list"), [3, 4]);
    assert_eq!(ckpt.list_info().expect("info")[1].metric("loss"), Some(0.25));
    // Retention took the markers and the data of steps 1 and 2.
    let all = keys(&store, "jobs/a");
    assert_eq!(all.iter().filter(|k| k.contains("/commits/")).count(), 2, "{all:?}");
    assert_eq!(all.iter().filter(|k| k.contains("/steps/")).count(), 2, "{all:?}");
    let (step, state) = ckpt.latest::<JobState>().expect("latest").expect("a step");
    assert_eq!((step, state), (4, JobState::at(4, 50)));
    assert_eq!(ckpt.path_for(4), Path::new("InMemory/jobs/a/commits/00000000000000000004.pickle"));

    // A damaged object is passed over, named, and reported Corrupt.
    let data = all.iter().find(|k| k.contains("/steps/00000000000000000004/")).expect("step 4 data");
    let mut bytes =
        block_on(async { store.get(&StorePath::from(data.as_str())).await?.bytes().await }).expect("get").to_vec();
    bytes[20] ^= 0x40;
    block_on(store.put(&StorePath::from(data.as_str()), PutPayload::from(bytes))).expect("damage");
    let (step, _) = ckpt.latest::<JobState>().expect("latest").expect("a step");
    assert_eq!(step, 3);
    let skipped = &ckpt.skipped()[0];
    assert_eq!((skipped.step, skipped.error.kind()), (4, ErrorKind::Corrupt));
    assert!(skipped.error.to_string().contains("checksum"), "{}", skipped.error);
    assert!(skipped.error.path().is_some_and(|p| p.starts_with("InMemory/jobs/a/steps/")), "{:?}", skipped.error);
}

#[test]
fn in_memory_large_states_go_up_in_parts() {
    let store = Arc::new(InMemory::new());
    let mut ckpt = Checkpointer::open_store(store, "big").expect("open").part_size(5 << 20);
    let state = JobState::at(7, 1_600_000); // 12.8 MB: three parts
    ckpt.save(7, &state).expect("multipart save");
    ckpt.save_in_background(8, &state).expect("queue");
    ckpt.flush().expect("background multipart save");
    assert_eq!(ckpt.load::<JobState>(7).expect("load 7"), state);
    assert_eq!(ckpt.load::<JobState>(8).expect("load 8"), state);
}

#[test]
fn in_memory_two_writers_racing_for_a_step_exactly_one_wins() {
    let store = Arc::new(InMemory::new());
    let rounds = 200u64;
    let barrier = Barrier::new(2);
    let wins: Vec<Vec<u64>> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..2u64)
            .map(|w| {
                let (store, barrier) = (store.clone(), &barrier);
                scope.spawn(move || {
                    let mut ckpt = Checkpointer::open_store(store, "race").expect("open");
                    let mut won = Vec::new();
                    for step in 0..rounds {
                        barrier.wait();
                        match ckpt.save(step, &JobState::at(step, 10 + w as usize)) {
                            Ok(()) => won.push(step),
                            Err(e) => assert_eq!(e.kind(), ErrorKind::Conflict, "{e}"),
                        }
                    }
                    won
                })
            })
            .collect();
        writers.into_iter().map(|h| h.join().expect("writer")).collect()
    });
    let mut ckpt = Checkpointer::open_store(store.clone(), "race").expect("open");
    assert_eq!(wins[0].len() + wins[1].len(), rounds as usize, "exactly one commit per step");
    assert!(
        !wins[0].is_empty() && !wins[1].is_empty(),
        "both writers won some rounds: {} / {}",
        wins[0].len(),
        wins[1].len()
    );
    for (w, won) in wins.iter().enumerate() {
        for &step in won {
            assert_eq!(ckpt.load::<JobState>(step).expect("load"), JobState::at(step, 10 + w), "step {step}");
        }
    }
    // The losers' data was deleted: one object per step remains.
    assert_eq!(keys(&store, "race/steps").len(), rounds as usize);
    assert!(ckpt.latest::<JobState>().expect("latest").is_some());
    println!("{rounds} races: writer 0 won {}, writer 1 won {}", wins[0].len(), wins[1].len());
}

#[test]
fn in_memory_open_collects_only_stale_unreferenced_data() {
    let store = Arc::new(InMemory::new());
    let mut ckpt = Checkpointer::open_store(store.clone(), "gc").expect("open");
    ckpt.save(1, &JobState::at(1, 5)).expect("save");
    // Data an interrupted save left (no marker names it), and 3 of 4 shards.
    let orphan = StorePath::from("gc/steps/00000000000000000002/dead-attempt/shard-00000-of-00001.pickle");
    block_on(store.put(&orphan, PutPayload::from(vec![1u8; 10]))).expect("orphan");
    for rank in 0..3 {
        ckpt.save_shard(3, rank, 4, &JobState::at(3, 5)).expect("shard");
    }
    drop(ckpt);
    // Young leftovers may be a save in flight: the default grace keeps them.
    Checkpointer::open_store(store.clone(), "gc").expect("open");
    assert_eq!(keys(&store, "gc/steps").len(), 5);
    let ckpt = Checkpointer::open_store(store.clone(), "gc").expect("open").gc_grace(Duration::ZERO);
    drop(ckpt);
    let mut ckpt = Checkpointer::open_store(store.clone(), "gc").expect("open").gc_grace(Duration::ZERO);
    ckpt.latest::<JobState>().expect("latest collects");
    assert_eq!(keys(&store, "gc/steps").len(), 1, "{:?}", keys(&store, "gc"));
    assert_eq!(keys(&store, "gc/parts"), Vec::<String>::new());
    assert_eq!(ckpt.list().expect("list"), [1]);
}

#[test]
fn in_memory_sharded_steps_and_best_n() {
    let store = Arc::new(InMemory::new());
    let mut writers: Vec<Checkpointer> = (0..4)
        .map(|_| {
            Checkpointer::open_store(store.clone(), "sh").expect("open").keep(Keep::lowest("loss", 1)).keep_last(1)
        })
        .collect();
    for step in 1..=3u64 {
        for rank in 0..4u32 {
            let loss = [0.5, 0.1, 0.3][step as usize - 1];
            let committed = writers[rank as usize]
                .metric("loss", loss)
                .save_shard(step, rank, 4, &JobState::at(step, rank as usize))
                .expect("shard");
            assert_eq!(committed, rank == 3);
        }
    }
    let reader = &mut writers[0];
    assert_eq!(reader.list().expect("list"), [2, 3], "the best loss (2) and the newest (3)");
    let (step, shards) = reader.latest_shards::<JobState>().expect("latest").expect("a step");
    assert_eq!(step, 3);
    assert_eq!(shards, (0..4).map(|r| JobState::at(3, r)).collect::<Vec<_>>());
}

// ---- S3 through a local moto server ----

/// A moto S3 server on a free 127.0.0.1 port, killed by its PID on drop.
struct Moto {
    child: Child,
    endpoint: String,
    python: std::path::PathBuf,
}

impl Moto {
    fn start() -> Option<Moto> {
        let python = pickle_test_support::venv_python("s3")?;
        let server = python.with_file_name("moto_server");
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", server.display()));
        let moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}"), python };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !moto.answers(port) {
            assert!(Instant::now() < deadline, "moto_server did not answer on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }

    fn answers(&self, port: u16) -> bool {
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let mut reply = String::new();
        s.write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").is_ok()
            && s.read_to_string(&mut reply).is_ok()
            && reply.starts_with("HTTP/1.")
            && reply.contains(" 200 ")
    }

    /// Runs tests/python/s3_checkpoints.py with boto3.
    fn python(&self, args: &[&str]) -> String {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");
        let mut cmd = pickle_test_support::python_at(&self.python, &[&here]);
        cmd.arg(here.join("s3_checkpoints.py")).arg(&self.endpoint).args(args);
        String::from_utf8(pickle_test_support::run_ok(cmd, b"")).expect("UTF-8").trim().to_owned()
    }

    /// This binary run again as `child`, configured from the environment.
    fn child(&self, child: &str, url: &str) -> Command {
        let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
        cmd.args(["--exact", child, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, child)
            .env(URL_ENV, url)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ALLOW_HTTP", "true");
        cmd
    }

    /// A checkpointer on `prefix` of `bucket`, configured in code.
    fn open(&self, bucket: &str, prefix: &str) -> Checkpointer {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let s3 = object_store::aws::AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_bucket_name(bucket)
            .with_region("us-east-1")
            .with_access_key_id("test")
            .with_secret_access_key("test")
            .build()
            .expect("S3 client");
        Checkpointer::open_store(Arc::new(s3), prefix).expect("open")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn child_url() -> Option<String> {
    std::env::var(URL_ENV).ok()
}

/// The writer of `s3_saves_load_in_python`.
#[test]
fn s3_child_saves() {
    if std::env::var(CHILD_ENV).as_deref() != Ok("s3_child_saves") {
        return;
    }
    let url = child_url().expect("url");
    let mut ckpt = Checkpointer::open_url(&url).expect("open_url").keep_last(3).part_size(5 << 20);
    for step in 1..=4 {
        ckpt.metric("loss", step as f64 / 10.0).save(step, &JobState::at(step, 100)).expect("save");
    }
    ckpt.save(5, &JobState::at(5, 1_600_000)).expect("multipart save");
    assert_eq!(ckpt.list().expect("list"), [3, 4, 5]);
    let (step, state) = ckpt.latest::<JobState>().expect("latest").expect("a step");
    assert_eq!((step, state.weights.len()), (5, 1_600_000));
    let err = Checkpointer::open_url(&url).expect("second writer").save(5, &JobState::at(5, 1)).expect_err("conflict");
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(err.to_string().starts_with(&format!("{url}/commits/00000000000000000005.pickle: ")), "{err}");
    ckpt.save_in_background(6, &JobState::at(6, 100)).expect("queue");
    ckpt.flush().expect("background save");
    for rank in 0..4 {
        ckpt.metric("loss", 0.01).save_shard(7, rank, 4, &JobState::at(7, 10 + rank as usize)).expect("shard");
    }
    assert_eq!(ckpt.list().expect("list"), [5, 6, 7]);
    println!("child done");
}

#[test]
fn s3_saves_load_in_python() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    assert_eq!(moto.python(&["mkbucket", "ckpt"]), "ok");
    let out = moto.child("s3_child_saves", "s3://ckpt/runs/one").output().expect("child");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("child done"), "child failed:\n{said}");
    assert_eq!(
        moto.python(&["latest", "ckpt", "runs/one"]),
        r#"7 4 object_store::common::JobState {"loss": 0.01} [10, 11, 12, 13]"#
    );
    // The multipart step and the background one load too.
    assert_eq!(moto.python(&["steps", "ckpt", "runs/one", "5", "6"]), "ok 2");
    // And from Rust, configured in code rather than from the environment.
    let mut ckpt = moto.open("ckpt", "runs/one");
    assert_eq!(ckpt.list().expect("list"), [5, 6, 7]);
    assert_eq!(ckpt.load::<JobState>(6).expect("load 6"), JobState::at(6, 100));
    assert_eq!(ckpt.latest_shards::<JobState>().expect("latest").map(|(s, v)| (s, v.len())), Some((7, 4)));
}

/// The writer of the kill test: resumes, then saves forever.
#[test]
fn s3_child_saves_forever() {
    if std::env::var(CHILD_ENV).as_deref() != Ok("s3_child_saves_forever") {
        return;
    }
    let url = child_url().expect("url");
    let mut ckpt = Checkpointer::open_url(&url).expect("child: open").part_size(5 << 20);
    let start = match ckpt.latest::<JobState>().expect("child: latest") {
        Some((step, state)) => {
            assert!(state.is_consistent(), "child resumed from a damaged state");
            step + 1
        }
        None => 1,
    };
    let mut rng = Rng(start.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    for step in start.. {
        // Mostly small states; some of 1.6 MB (one PUT) and 5.6 MB (two
        // parts), so that kills land inside uploads.
        let n = match rng.next() % 16 {
            0 => 700_000,
            1 | 2 => 200_000,
            _ => (rng.next() % 2_000) as usize,
        };
        println!("saving {step}");
        ckpt.save(step, &JobState::at(step, n)).expect("child: save");
        println!("committed {step}");
    }
}

#[test]
fn s3_sigkill_mid_upload_never_loses_a_commit() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let kills: usize = count_from_env("PICKLE_PERSIST_S3_KILLS", 110);
    let Some(moto) = Moto::start() else { return };
    assert_eq!(moto.python(&["mkbucket", "kills"]), "ok");
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut newest_reported: Option<u64> = None;
    let mut seen = Vec::new();
    let mut mid_save = 0;
    let mut ckpt = moto.open("kills", "job");
    for kill in 0..kills {
        let mut child = moto
            .child("s3_child_saves_forever", "s3://kills/job")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        // Whether the child's last word was "saving": the kill landed inside a save.
        let mut saving = false;
        let mut record = |line: &str| {
            saving = line.starts_with("saving ");
            if let Some(step) = line.strip_prefix("committed ").and_then(|s| s.parse::<u64>().ok()) {
                newest_reported = newest_reported.max(Some(step));
            }
        };
        // Odd kills wait for a first commit, then land within the next
        // saves; even ones land at a random moment from the start.
        if kill % 2 == 1 {
            for line in lines.by_ref().map_while(Result::ok) {
                record(&line);
                if line.starts_with("committed ") {
                    break;
                }
            }
            std::thread::sleep(Duration::from_micros(rng.next() % 60_000));
        } else {
            std::thread::sleep(Duration::from_micros(rng.next() % 300_000));
        }
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        for line in lines.map_while(Result::ok) {
            record(&line);
        }
        mid_save += usize::from(saving);
        let latest = ckpt.latest::<JobState>().expect("latest");
        assert!(ckpt.skipped().is_empty(), "kill {kill}: a committed step does not verify: {:?}", ckpt.skipped());
        match (newest_reported, &latest) {
            (None, _) => {}
            (Some(c), None) => panic!("kill {kill}: step {c} was reported committed, latest() found nothing"),
            (Some(c), Some((step, state))) => {
                assert!(*step >= c, "kill {kill}: latest() is step {step}, older than the reported commit {c}");
                assert!(state.is_consistent() && state.step == *step, "kill {kill}: damaged state at step {step}");
            }
        }
        if let Some((step, _)) = latest {
            seen.push(step.to_string());
        }
    }
    let newest = newest_reported.expect("the child committed something");
    assert!(mid_save >= kills / 4, "only {mid_save} of {kills} kills landed inside a save");
    assert!(newest as usize >= kills / 2, "only {newest} steps committed in {kills} runs");
    // python3 + boto3 load every step latest() returned after a kill.
    let mut args = vec!["steps", "kills", "job"];
    args.extend(seen.iter().map(String::as_str));
    assert_eq!(moto.python(&args), format!("ok {}", seen.len()));
    println!(
        "survived {kills} SIGKILLs of an S3 writer, {mid_save} inside a save; {newest} steps committed; python3 + \
         boto3 loaded the {} steps latest() returned",
        seen.len()
    );
}
