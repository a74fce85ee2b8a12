//! A long-running job that checkpoints its state and survives being killed.
//!
//! It fits a small model by gradient descent, checkpointing every
//! `--every` steps into `--dir` (default `checkpoints/`). Kill it at any
//! moment (Ctrl-C, `kill -9`) and start it again: it resumes from the newest
//! valid checkpoint. It also writes `job_state.py`, the Python classes of its
//! state, so that Python opens a checkpoint with plain `pickle.load`:
//!
//! ```text
//! cargo run --release -p examples --example checkpoint_job
//! python3 examples/analyze_checkpoint.py checkpoints   # needs numpy and pandas
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use pickle_core::pandas::{Column, DataFrame};
use pickle_core::{Pickle, PyModuleBuilder};
use pickle_persist::Checkpointer;

/// Everything the job needs to continue where it stopped.
#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(module = "job_state")]
pub struct TrainingState {
    /// Steps done so far.
    pub step: u64,
    /// Where the job is.
    pub phase: Phase,
    /// The model being fitted.
    pub model: Model,
    /// Loss after each step.
    pub losses: Vec<f64>,
    /// The same history as a `pandas.DataFrame` for the analysts (columns
    /// `step`, `loss`, `phase`), refreshed before each checkpoint.
    pub history: DataFrame,
    /// The random generator's state, so that a resumed run continues the
    /// same sequence as an uninterrupted one.
    pub rng: u64,
    /// What the job was started with.
    pub config: Config,
}

/// The job's phase: a Python `enum.Enum`.
#[derive(Pickle, Debug, Clone, Copy, PartialEq)]
#[pickle(module = "job_state")]
pub enum Phase {
    /// A higher learning rate for the first tenth of the steps.
    Warmup,
    /// The main phase.
    Training,
    /// All steps done.
    Done,
}

/// A model of layers; each layer's weights are a numpy array in Python.
#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(module = "job_state")]
pub struct Model {
    /// The layers, in order.
    pub layers: Vec<Layer>,
}

/// One layer.
#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(module = "job_state")]
pub struct Layer {
    /// Its name.
    pub name: String,
    /// Its weights, a 1-D `numpy.ndarray` of float64 in Python.
    #[pickle(with = "pickle_core::numpy::vec")]
    pub weights: Vec<f64>,
    /// Its bias.
    pub bias: f64,
}

/// The job's settings.
#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(module = "job_state")]
pub struct Config {
    /// How many steps to run.
    pub total_steps: u64,
    /// Checkpoint every this many steps.
    pub checkpoint_every: u64,
    /// The learning rate after warmup.
    pub learning_rate: f64,
}

const LAYERS: usize = 4;
const WIDTH: usize = 256;

impl TrainingState {
    /// The state before the first step.
    pub fn new(config: Config) -> TrainingState {
        let mut rng = 0x5eed_1234_abcd_0001;
        let layers = (0..LAYERS)
            .map(|l| Layer {
                name: format!("dense{l}"),
                weights: (0..WIDTH).map(|_| next_f64(&mut rng) - 0.5).collect(),
                bias: 0.0,
            })
            .collect();
        let history = history_of(&[], 0);
        TrainingState {
            step: 0,
            phase: Phase::Warmup,
            model: Model { layers },
            losses: Vec::new(),
            history,
            rng,
            config,
        }
    }

    /// Brings [`history`](TrainingState::history) up to date with the losses.
    pub fn refresh_history(&mut self) {
        self.history = history_of(&self.losses, self.config.total_steps / 10);
    }

    /// One step of gradient descent on a fresh random sample: each layer
    /// learns to map `x` to `target(x)`.
    pub fn step(&mut self) {
        let warmup = self.config.total_steps / 10;
        let lr = if self.step < warmup { self.config.learning_rate * 3.0 } else { self.config.learning_rate };
        let x: Vec<f64> = (0..WIDTH).map(|_| next_f64(&mut self.rng)).collect();
        let mut loss = 0.0;
        for (l, layer) in self.model.layers.iter_mut().enumerate() {
            let target = x.iter().enumerate().map(|(i, xi)| xi * ((i + l) % 7) as f64 / 7.0).sum::<f64>() + l as f64;
            let pred = layer.weights.iter().zip(&x).map(|(w, xi)| w * xi).sum::<f64>() + layer.bias;
            let err = pred - target;
            loss += err * err;
            for (w, xi) in layer.weights.iter_mut().zip(&x) {
                *w -= lr * err * xi;
            }
            layer.bias -= lr * err;
        }
        self.losses.push(loss / LAYERS as f64);
        self.step += 1;
        self.phase = if self.step >= self.config.total_steps {
            Phase::Done
        } else if self.step >= warmup {
            Phase::Training
        } else {
            Phase::Warmup
        };
    }
}

/// The loss history as a frame: one row per step.
fn history_of(losses: &[f64], warmup: u64) -> DataFrame {
    let steps: Vec<i64> = (1..=losses.len() as i64).collect();
    let phases: Vec<&str> =
        (1..=losses.len() as u64).map(|s| if s <= warmup { "warmup" } else { "training" }).collect();
    DataFrame::from_columns([
        ("step", Column::from(steps)),
        ("loss", Column::from(losses.to_vec())),
        ("phase", Column::from(phases)),
    ])
    .expect("the columns have one value per step")
}

/// A uniform float in [0, 1) from an xorshift generator.
fn next_f64(state: &mut u64) -> f64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

/// Runs (or resumes) the job in `dir` until it is done. `pause` slows each
/// step so that a person can watch and interrupt it. Returns the final state.
pub fn run(
    dir: &Path,
    config: Config,
    pause: Duration,
    quiet: bool,
) -> Result<TrainingState, Box<dyn std::error::Error>> {
    // Arrays laid out for mapping: Python's `job_state.load(path)` maps them
    // from the file; plain `pickle.load` reads them as before.
    let mut ckpt = Checkpointer::open(dir)?.keep_last(5).zero_copy_arrays();
    PyModuleBuilder::new().add::<TrainingState>().with_load_helper().write_package(dir)?;
    let mut state = match ckpt.latest::<TrainingState>()? {
        Some((step, state)) => {
            for skipped in ckpt.skipped() {
                eprintln!("skipped a damaged checkpoint: {}", skipped.error);
            }
            if !quiet {
                println!("resumed from the checkpoint of step {step}");
            }
            state
        }
        None => TrainingState::new(config),
    };
    while state.phase != Phase::Done {
        state.step();
        if state.step % state.config.checkpoint_every == 0 || state.phase == Phase::Done {
            // The caller's thread encodes; a worker writes and fsyncs.
            state.refresh_history();
            ckpt.save_in_background(state.step, &state)?;
            if !quiet {
                let loss = state.losses.last().copied().unwrap_or(f64::NAN);
                println!(
                    "step {:>5}/{}  loss {loss:>10.4}  {:?}  checkpoint saved",
                    state.step, state.config.total_steps, state.phase
                );
            }
        }
        std::thread::sleep(pause);
    }
    ckpt.flush()?;
    Ok(state)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut dir = PathBuf::from("checkpoints");
    let mut config = Config { total_steps: 3000, checkpoint_every: 100, learning_rate: 0.002 };
    let mut pause = Duration::from_millis(2);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--dir" => dir = PathBuf::from(value()?),
            "--steps" => config.total_steps = value()?.parse()?,
            "--every" => config.checkpoint_every = value()?.parse()?,
            "--pause-ms" => pause = Duration::from_millis(value()?.parse()?),
            _ => {
                return Err(format!(
                    "usage: checkpoint_job [--dir DIR] [--steps N] [--every N] [--pause-ms MS]; got {arg}"
                )
                .into());
            }
        }
    }
    let state = run(&dir, config, pause, false)?;
    let last = state.losses.last().copied().unwrap_or(f64::NAN);
    println!("done: {} steps, final loss {last:.6}; checkpoints in {}", state.step, dir.display());
    println!("analyze in Python: python3 examples/analyze_checkpoint.py {}", dir.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHILD_ENV: &str = "CHECKPOINT_JOB_CHILD_DIR";

    fn config() -> Config {
        Config { total_steps: 400, checkpoint_every: 20, learning_rate: 0.002 }
    }

    /// The job as a child process, for the kill test; idle otherwise.
    #[test]
    fn child_job() {
        if let Some(dir) = std::env::var_os(CHILD_ENV) {
            run(Path::new(&dir), config(), Duration::from_millis(2), false).expect("child job");
        }
    }

    #[test]
    fn killed_and_resumed_ends_where_an_uninterrupted_run_ends_and_python_analyzes_it() {
        if std::env::var_os(CHILD_ENV).is_some() {
            return;
        }
        let base = std::env::temp_dir().join(format!("checkpoint-job-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let straight = run(&base.join("straight"), config(), Duration::ZERO, true).expect("uninterrupted run");

        // Start the job, let it save a few checkpoints, kill it with SIGKILL.
        let dir = base.join("killed");
        let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", "tests::child_job", "--nocapture"])
            .env(CHILD_ENV, &dir)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn the job");
        let stdout = child.stdout.take().expect("stdout");
        let mut saved = 0;
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
            if line.contains("checkpoint saved") {
                saved += 1;
                if saved == 3 {
                    break;
                }
            }
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        assert_eq!(saved, 3, "the job saved checkpoints before it was killed");

        let resumed = run(&dir, config(), Duration::ZERO, true).expect("resumed run");
        assert_eq!(resumed, straight, "a killed and resumed job ends exactly where an uninterrupted one does");

        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("analyze_checkpoint.py");
        let out = std::process::Command::new("python3").arg(script).arg(&dir).output().expect("python3");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "analyze_checkpoint.py failed: {}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("step 400 of 400 (Phase.Done)"), "{text}");
        assert!(text.contains("dense3: 256 weights"), "{text}");
        let _ = std::fs::remove_dir_all(&base);
    }
}
