//! The error type of pickle-persist.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong, in classes a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading, writing, syncing or renaming failed (disk full, permissions, ...).
    Io,
    /// A file is torn or damaged: a bad trailer, a bad checksum, or a pickle
    /// that does not decode.
    Corrupt,
    /// Another process holds the checkpoint directory's lock.
    Locked,
    /// The value could not be encoded.
    Encode,
    /// The file is whole but its value does not fit the Rust type asked for.
    Decode,
    /// No checkpoint for that step.
    NotFound,
    /// Another writer committed the same step (or shard) first: the save
    /// did not happen, and its data was removed.
    Conflict,
}

/// An error from pickle-persist: a kind, the path it concerns, a message,
/// and the underlying cause.
#[derive(thiserror::Error, Debug)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    path: Option<PathBuf>,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// The class of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The file or directory concerned.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    #[cold]
    pub(crate) fn new(kind: ErrorKind, path: &Path, message: impl fmt::Display) -> Error {
        Error { kind, path: Some(path.to_path_buf()), message: format!("{}: {message}", path.display()), source: None }
    }

    #[cold]
    pub(crate) fn io(path: &Path, what: &str, err: std::io::Error) -> Error {
        Error {
            kind: ErrorKind::Io,
            path: Some(path.to_path_buf()),
            message: format!("{}: {what}: {err}", path.display()),
            source: Some(Box::new(err)),
        }
    }

    #[cold]
    #[cfg(feature = "object-store")]
    pub(crate) fn store(kind: ErrorKind, name: &Path, what: &str, err: object_store::Error) -> Error {
        Error {
            kind,
            path: Some(name.to_path_buf()),
            message: format!("{}: {what}: {err}", name.display()),
            source: Some(Box::new(err)),
        }
    }

    #[cold]
    pub(crate) fn codec(kind: ErrorKind, path: &Path, err: pickle_core::Error) -> Error {
        let what = match kind {
            ErrorKind::Corrupt => "corrupt checkpoint",
            ErrorKind::Encode => "cannot encode the value",
            _ => "cannot decode the value",
        };
        Error {
            kind,
            path: Some(path.to_path_buf()),
            message: format!("{}: {what}: {err}", path.display()),
            source: Some(Box::new(err)),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
