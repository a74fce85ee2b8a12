//! The [`Store`] of a local directory: objects are files under it, written
//! atomically and durably (temporary file, fsync, rename or hard link,
//! directory fsync).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

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
        // A hard link fails when the name exists: the local conditional create.
        let linked = fs::hard_link(&temp, &path);
        let _ = fs::remove_file(&temp);
        match linked {
            Ok(()) => sync_dir(&dir).map(|()| true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(Error::io(&path, "cannot link the temporary file into place", e)),
        }
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
}
