//! The [`Store`] of a local directory: objects are files under it, written
//! atomically and durably (temporary file, fsync, rename or hard link,
//! directory fsync).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Blob, Fill, Listed, Store};
use crate::error::{Error, Result};
use crate::file::{Mapped, TEMP_PREFIX, sync_dir, write_pickle_atomic};

/// Objects as files under `root`.
#[derive(Debug)]
pub(crate) struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub(crate) fn new(root: PathBuf) -> LocalStore {
        LocalStore { root }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    /// Writes `bytes` to a synced temporary file beside `path`; returns the
    /// directory and the temporary file.
    fn stage(&self, path: &Path, bytes: &[u8]) -> Result<(PathBuf, PathBuf)> {
        let dir = self.parent_of(path)?;
        let temp = crate::file::temp_path(&dir, path)?;
        let written = fs::File::create_new(&temp)
            .and_then(|mut f| io::Write::write_all(&mut f, bytes).and_then(|()| f.sync_all()));
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(Error::io(&temp, "cannot write the temporary file", e));
        }
        Ok((dir, temp))
    }

    fn parent_of(&self, path: &Path) -> Result<PathBuf> {
        let parent = path.parent().unwrap_or(&self.root).to_path_buf();
        fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, "cannot create the directory", e))?;
        Ok(parent)
    }
}

impl Store for LocalStore {
    fn put(&self, key: &str, pickle_len: u64, ext: &[u8], fill: Fill<'_>) -> Result<(u64, u32)> {
        let path = self.path(key);
        self.parent_of(&path)?;
        write_pickle_atomic(&path, pickle_len, ext, fill)
    }

    fn create(&self, key: &str, bytes: &[u8]) -> Result<bool> {
        let path = self.path(key);
        let (dir, temp) = self.stage(&path, bytes)?;
        link_new(&temp, &path, &dir)
    }

    fn replace(&self, key: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path(key);
        let (dir, temp) = self.stage(&path, bytes)?;
        if let Err(e) = fs::rename(&temp, &path) {
            let _ = fs::remove_file(&temp);
            return Err(Error::io(&path, "cannot rename the temporary file over it", e));
        }
        sync_dir(&dir)
    }

    fn read(&self, key: &str) -> Result<Option<Blob>> {
        let path = self.path(key);
        match fs::File::open(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, "cannot open", e)),
            Ok(_) => {}
        }
        Mapped::open(&path).map(|m| Some(Blob::Mapped(m)))
    }

    fn list(&self, prefix: &str) -> Result<Vec<Listed>> {
        // The directory part of the prefix, then a walk below it.
        let (dir_part, _) = prefix.rsplit_once('/').unwrap_or(("", prefix));
        let mut out = Vec::new();
        let mut stack = vec![self.root.join(dir_part)];
        while let Some(dir) = stack.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(&dir, "cannot list the directory", e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| Error::io(&dir, "cannot list the directory", e))?;
                let path = entry.path();
                if entry.file_name().to_str().is_some_and(|n| n.starts_with(TEMP_PREFIX)) {
                    continue;
                }
                // Other writers create and delete entries while we list:
                // one gone by the time we look at it was never listed.
                let meta = match entry.metadata() {
                    Ok(meta) => meta,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(Error::io(&path, "cannot stat", e)),
                };
                if meta.is_dir() {
                    stack.push(path);
                    continue;
                }
                let Some(key) = path.strip_prefix(&self.root).ok().and_then(|k| k.to_str()) else { continue };
                if key.starts_with(prefix) {
                    let modified = meta.modified().map_err(|e| Error::io(&path, "cannot stat", e))?;
                    out.push(Listed { key: key.to_owned(), modified });
                }
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    fn delete(&self, key: &str) -> Result<()> {
        let path = self.path(key);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io(&path, "cannot remove", e)),
        }
        // Empty directories left behind go too (a non-empty one stays).
        let mut dir = path.parent();
        while let Some(d) = dir.filter(|d| *d != self.root && d.starts_with(&self.root)) {
            if fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
        Ok(())
    }

    fn name(&self, key: &str) -> PathBuf {
        self.path(key)
    }

    fn remove_stale_temps(&self, grace: Duration) -> Result<()> {
        let now = std::time::SystemTime::now();
        let mut stack = vec![self.root.clone()];
        while let Some(d) = stack.pop() {
            let entries = match fs::read_dir(&d) {
                Ok(entries) => entries,
                Err(e) if d != self.root && e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(&d, "cannot list the checkpoint directory", e)),
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                let Ok(meta) = entry.metadata() else { continue };
                if meta.is_dir() {
                    // Below the root, only the trees of marker-committed steps.
                    if d != self.root || ["steps", "parts", "commits"].contains(&name) {
                        stack.push(entry.path());
                    }
                    continue;
                }
                if !name.starts_with(TEMP_PREFIX) {
                    continue;
                }
                let age = meta.modified().map(|t| now.duration_since(t).unwrap_or_default());
                if grace > Duration::ZERO && age.is_ok_and(|a| a < grace) {
                    continue;
                }
                let path = entry.path();
                match fs::remove_file(&path) {
                    Ok(()) => {}
                    // Another writer's cleanup, or its own commit, got there first.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(&path, "cannot remove a leftover temporary file", e)),
                }
            }
        }
        Ok(())
    }
}

/// Links the synced file `staged` in `dir` to `path` unless `path` exists
/// (the local conditional create: a hard link fails on a taken name), then
/// removes `staged`. Returns whether the link was made (and the directory
/// synced).
pub(crate) fn link_new(staged: &Path, path: &Path, dir: &Path) -> Result<bool> {
    let linked = fs::hard_link(staged, path);
    let _ = fs::remove_file(staged);
    match linked {
        Ok(()) => sync_dir(dir).map(|()| true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(Error::io(path, "cannot link the temporary file into place", e)),
    }
}
