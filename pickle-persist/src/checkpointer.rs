//! The `Checkpointer`: a directory of step-numbered checkpoints with a lock,
//! retention, resume from the newest valid one, and background saving.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use pickle_core::{EncodeOptions, FromPickleOwned, ToPickle};

use crate::error::{Error, ErrorKind, Result};
use crate::file::{Mapped, TEMP_PREFIX, save_encoded, save_with, sync_dir};

const LOCK_FILE: &str = ".lock";
/// How long `open` waits for a lock that looks held (see `open`).
const LOCK_GRACE: std::time::Duration = std::time::Duration::from_millis(250);
const EXTENSION: &str = ".pickle";
/// Digits of a step in a file name: `u64::MAX` has 20.
const STEP_DIGITS: usize = 20;

/// A checkpoint file that [`Checkpointer::latest`] passed over, and why.
#[derive(Debug)]
pub struct Skipped {
    /// The checkpoint's step.
    pub step: u64,
    /// What was wrong with it.
    pub error: Error,
}

/// A directory of checkpoints, one file per step, named by the zero-padded
/// step (`00000000000000000042.pickle`) so that `ls` sorts them by step.
///
/// Each file is a plain pickle with an integrity trailer: Python opens it with
/// `pickle.load`. Saves are atomic and durable; a lock keeps a second process
/// from writing the same directory.
///
/// ```
/// use pickle_persist::Checkpointer;
///
/// let dir = std::env::temp_dir().join(format!("pickle-persist-ckpt-doc-{}", std::process::id()));
/// let mut ckpt = Checkpointer::open(&dir)?.keep_last(2);
/// for step in 0..5u64 {
///     ckpt.save(step, &(step, vec![step as f64; 3]))?;
/// }
/// let latest: Option<(u64, (u64, Vec<f64>))> = ckpt.latest()?;
/// assert_eq!(latest.map(|(step, _)| step), Some(4));
/// assert_eq!(ckpt.list()?, vec![3, 4]);
/// # drop(ckpt);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Checkpointer {
    dir: PathBuf,
    /// Held for the Checkpointer's life: the OS drops the lock when the
    /// process dies, however it dies.
    _lock: File,
    keep_last: Option<usize>,
    options: EncodeOptions,
    pending: Option<JoinHandle<Result<()>>>,
    skipped: Vec<Skipped>,
}

impl Checkpointer {
    /// Opens (creating if needed) the checkpoint directory `dir` and locks
    /// it. A second Checkpointer on the same directory, in this process or
    /// another, gets an [`ErrorKind::Locked`] error (after waiting up to
    /// 250 ms for the lock, which a process being spawned at that moment
    /// holds a copy of until it starts).
    pub fn open(dir: impl AsRef<Path>) -> Result<Checkpointer> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "cannot create the checkpoint directory", e))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, "cannot open the lock file", e))?;
        // The lock belongs to the open file, and a process that another
        // thread is spawning holds a copy of every descriptor from its fork
        // until its exec closes them: a Checkpointer just dropped may still
        // look locked for that moment. Only a lock held past LOCK_GRACE is
        // another Checkpointer's.
        let deadline = std::time::Instant::now() + LOCK_GRACE;
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(Error::new(
                        ErrorKind::Locked,
                        &dir,
                        "the checkpoint directory is in use by another Checkpointer (it holds the lock on .lock)",
                    ));
                }
                Err(fs::TryLockError::Error(e)) => return Err(Error::io(&lock_path, "cannot lock", e)),
            }
        }
        Ok(Checkpointer {
            dir,
            _lock: lock,
            keep_last: None,
            options: EncodeOptions::default(),
            pending: None,
            skipped: Vec::new(),
        })
    }

    /// Keeps only the `n` newest checkpoints (at least 1) after each save.
    /// The newest valid checkpoint is never deleted, even when newer files
    /// are damaged.
    pub fn keep_last(mut self, n: usize) -> Checkpointer {
        self.keep_last = Some(n.max(1));
        self
    }

    /// The encoding options for new checkpoints (protocol 4 by default).
    pub fn options(mut self, options: EncodeOptions) -> Checkpointer {
        self.options = options;
        self
    }

    /// The checkpoint directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of the checkpoint for `step`.
    pub fn path_for(&self, step: u64) -> PathBuf {
        self.dir.join(file_name(step))
    }

    /// Saves `state` as the checkpoint for `step`. Returns once the
    /// checkpoint is committed: written, synced, renamed into place, and the
    /// directory synced. Then applies retention. A pending background save
    /// finishes first, and its error, if any, is returned here.
    pub fn save<T: ToPickle + ?Sized>(&mut self, step: u64, state: &T) -> Result<()> {
        self.flush()?;
        save_with(self.path_for(step), state, self.options)?;
        retain(&self.dir, self.keep_last, step)
    }

    /// Saves in the background: this thread encodes `state` now, a worker
    /// thread writes, syncs and commits it. At most one write is pending:
    /// if the previous one is still running, this waits for it. An error
    /// from a background write is returned by the next call to
    /// `save_in_background`, [`save`](Self::save), [`flush`](Self::flush) or
    /// [`latest`](Self::latest). Dropping the Checkpointer finishes the pending write.
    pub fn save_in_background<T: ToPickle + ?Sized>(&mut self, step: u64, state: &T) -> Result<()> {
        let path = self.path_for(step);
        let bytes =
            pickle_core::to_vec_with(state, self.options).map_err(|e| Error::codec(ErrorKind::Encode, &path, e))?;
        self.flush()?;
        let dir = self.dir.clone();
        let keep_last = self.keep_last;
        let worker = std::thread::Builder::new()
            .name("pickle-persist-writer".into())
            .spawn(move || {
                save_encoded(&path, &bytes)?;
                retain(&dir, keep_last, step)
            })
            .map_err(|e| Error::io(&self.dir, "cannot start the background writer", e))?;
        self.pending = Some(worker);
        Ok(())
    }

    /// Waits for a pending background save and returns its result.
    pub fn flush(&mut self) -> Result<()> {
        match self.pending.take() {
            None => Ok(()),
            Some(worker) => worker
                .join()
                .unwrap_or_else(|_| Err(Error::new(ErrorKind::Io, &self.dir, "the background writer panicked"))),
        }
    }

    /// The steps that have a checkpoint file, oldest first. Files are not
    /// verified; [`latest`](Self::latest) and [`load`](Self::load) verify.
    pub fn list(&self) -> Result<Vec<u64>> {
        list_steps(&self.dir)
    }

    /// The newest valid checkpoint and its step, or `None` when there is
    /// none. Torn or corrupt files are passed over and reported through
    /// [`skipped`](Self::skipped); leftover temporary files from interrupted
    /// saves are removed.
    pub fn latest<T: FromPickleOwned>(&mut self) -> Result<Option<(u64, T)>> {
        self.flush()?;
        self.skipped.clear();
        remove_temp_files(&self.dir)?;
        for step in self.list()?.into_iter().rev() {
            match self.load::<T>(step) {
                Ok(state) => return Ok(Some((step, state))),
                Err(error) if error.kind() == ErrorKind::Corrupt => self.skipped.push(Skipped { step, error }),
                Err(error) => return Err(error),
            }
        }
        Ok(None)
    }

    /// The files the last call to [`latest`](Self::latest) passed over.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// Loads the checkpoint for `step`, verifying its checksum.
    pub fn load<T: FromPickleOwned>(&self, step: u64) -> Result<T> {
        let path = self.path_for(step);
        if !path.exists() {
            return Err(Error::new(ErrorKind::NotFound, &path, "no checkpoint for this step"));
        }
        crate::file::load_mapped(&open_checkpoint(&path)?)
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // A pending write is committed before the lock goes; its error has
        // nowhere to go but the caller's explicit `flush`.
        let _ = self.flush();
    }
}

/// Maps a checkpoint file. Unlike a plain pickle file, a checkpoint must
/// carry its trailer: every save writes one, so a file without it is torn.
fn open_checkpoint(path: &Path) -> Result<Mapped> {
    let mapped = Mapped::open(path)?;
    if !mapped.has_trailer() {
        return Err(Error::new(
            ErrorKind::Corrupt,
            path,
            "corrupt checkpoint: it has no integrity trailer (torn, or not written by a Checkpointer)",
        ));
    }
    Ok(mapped)
}

fn file_name(step: u64) -> String {
    format!("{step:0width$}{EXTENSION}", width = STEP_DIGITS)
}

fn parse_step(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(EXTENSION)?;
    if digits.len() != STEP_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn list_steps(dir: &Path) -> Result<Vec<u64>> {
    let mut steps = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, "cannot list the checkpoint directory", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, "cannot list the checkpoint directory", e))?;
        if let Some(step) = entry.file_name().to_str().and_then(parse_step) {
            steps.push(step);
        }
    }
    steps.sort_unstable();
    Ok(steps)
}

fn remove_temp_files(dir: &Path) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, "cannot list the checkpoint directory", e))?;
    for entry in entries.flatten() {
        if entry.file_name().to_str().is_some_and(|n| n.starts_with(TEMP_PREFIX)) {
            let path = entry.path();
            fs::remove_file(&path).map_err(|e| Error::io(&path, "cannot remove a leftover temporary file", e))?;
        }
    }
    Ok(())
}

/// Applies retention after `saved` was committed: keeps the `keep` newest
/// steps, plus the newest checkpoint that verifies (which is `saved` itself
/// unless newer files exist), and deletes the rest.
fn retain(dir: &Path, keep: Option<usize>, saved: u64) -> Result<()> {
    let Some(keep) = keep else { return Ok(()) };
    let steps = list_steps(dir)?;
    if steps.len() <= keep {
        return Ok(());
    }
    let mut kept: Vec<u64> = steps.iter().rev().take(keep).copied().collect();
    let newest_valid = steps.iter().rev().copied().find(|&step| {
        step == saved || {
            let path = dir.join(file_name(step));
            open_checkpoint(&path).and_then(|m| m.verify()).is_ok()
        }
    });
    kept.extend(newest_valid);
    let mut removed = false;
    for step in steps {
        if !kept.contains(&step) {
            let path = dir.join(file_name(step));
            fs::remove_file(&path).map_err(|e| Error::io(&path, "cannot remove an old checkpoint", e))?;
            removed = true;
        }
    }
    if removed { sync_dir(dir) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_step() {
        assert_eq!(file_name(42), "00000000000000000042.pickle");
        assert_eq!(file_name(u64::MAX), "18446744073709551615.pickle");
        assert_eq!(parse_step("00000000000000000042.pickle"), Some(42));
        assert_eq!(parse_step("42.pickle"), None);
        assert_eq!(parse_step("0000000000000000004x.pickle"), None);
        assert_eq!(parse_step(".pickle-persist-tmp.00000000000000000042.pickle.1.2"), None);
    }
}
