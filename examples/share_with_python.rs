//! Shares Rust state with Python: writes a pickle of derived types and the
//! Python package of their classes, then prints the two lines of Python that
//! load it.
//!
//! ```text
//! cargo run -p examples --example share_with_python -- /tmp/shared
//! ```

use std::path::{Path, PathBuf};

use pickle_core::{Pickle, PyModuleBuilder};

/// A point of a survey.
#[derive(Pickle, Debug, PartialEq)]
#[pickle(module = "survey.models")]
pub struct Sample {
    /// Where.
    pub site: String,
    /// What was measured.
    pub readings: Vec<f64>,
    /// How it was measured.
    pub method: Method,
}

/// How a sample was taken.
#[derive(Pickle, Debug, PartialEq)]
#[pickle(module = "survey.models")]
pub enum Method {
    /// By hand, by whom.
    Manual { by: String },
    /// By a sensor, with its id.
    Sensor(u32),
}

/// Writes `samples.pkl` and the `survey` package under `dir`; returns the two
/// lines of Python that load the pickle.
pub fn share(dir: &Path) -> Result<[String; 2], pickle_core::Error> {
    let samples = vec![
        Sample { site: "north".into(), readings: vec![1.5, 2.25], method: Method::Manual { by: "ada".into() } },
        Sample { site: "south".into(), readings: vec![], method: Method::Sensor(7) },
    ];
    std::fs::create_dir_all(dir)?;
    PyModuleBuilder::new().add::<Sample>().write_package(dir)?;
    let pickle = dir.join("samples.pkl");
    pickle_core::to_writer(std::fs::File::create(&pickle)?, &samples)?;
    Ok([
        format!("import sys, pickle; sys.path.insert(0, {:?})", dir.display().to_string()),
        format!("samples = pickle.load(open({:?}, 'rb'))", pickle.display().to_string()),
    ])
}

fn main() -> Result<(), pickle_core::Error> {
    let dir = std::env::args().nth(1).map_or_else(|| std::env::temp_dir().join("pickle-rs-share"), PathBuf::from);
    for line in share(&dir)? {
        println!("{line}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_runs_the_printed_lines() {
        let dir = std::env::temp_dir().join(format!("pickle-rs-share-test-{}", std::process::id()));
        let lines = share(&dir).expect("shares");
        let script = format!(
            "{}\n{}\nimport survey.models as m\nassert type(samples[0]) is m.Sample\n\
             assert type(samples[1].method) is m.Method.Sensor\n\
             print(samples[0].site, samples[0].readings, samples[0].method.by, samples[1].method._0)\n",
            lines[0], lines[1]
        );
        let out = std::process::Command::new("python3").arg("-c").arg(&script).output().expect("python3 runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "north [1.5, 2.25] ada 7\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
