//! Where marker-committed steps live: a local directory or (with the
//! `object-store` feature) an object store, behind one small interface.
//!
//! Keys are relative, `/`-separated: `steps/<step>/<attempt>/<file>` for
//! data, `parts/<step>/<rank>-of-<world>.pickle` for shard receipts,
//! `commits/<step>.pickle` for commit markers (see [`crate::commit`]).

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::SystemTime;

use crate::error::Result;
use crate::file::Mapped;

pub(crate) mod local;
#[cfg(feature = "object-store")]
pub(crate) mod remote;

/// An object's bytes: mapped from a local file, or downloaded.
pub(crate) enum Blob {
    Mapped(Mapped),
    #[cfg(feature = "object-store")]
    Owned(Vec<u8>),
}

impl Blob {
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Blob::Mapped(m) => m.bytes(),
            #[cfg(feature = "object-store")]
            Blob::Owned(v) => v,
        }
    }
}

/// An object found by [`Store::list`].
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    /// Its key, relative to the store's root.
    pub key: String,
    /// When it was last written.
    pub modified: SystemTime,
}

/// What writes an object's bytes into the writer it is given.
pub(crate) type Fill<'f> = &'f mut dyn FnMut(&mut dyn io::Write) -> Result<()>;

/// The operations the commit protocol needs. Every call blocks until done.
pub(crate) trait Store: Send + Sync + fmt::Debug {
    /// Writes a checkpoint object under a key no other writer uses (so no
    /// precondition is needed): the `pickle_len` bytes of pickle that `fill`
    /// writes, then `ext` and the trailer (see [`crate::trailer`]). Returns
    /// the object's size and the CRC-32C of all its bytes.
    fn put(&self, key: &str, pickle_len: u64, ext: &[u8], fill: Fill<'_>) -> Result<(u64, u32)>;
    /// Creates `key` holding `bytes` unless it exists: `Ok(false)` when it
    /// already did (its content untouched).
    fn create(&self, key: &str, bytes: &[u8]) -> Result<bool>;
    /// Writes `bytes` under `key`, replacing what is there, atomically.
    fn replace(&self, key: &str, bytes: &[u8]) -> Result<()>;
    /// The object under `key`, or `None`.
    fn read(&self, key: &str) -> Result<Option<Blob>>;
    /// The objects whose keys start with `prefix`, in key order.
    fn list(&self, prefix: &str) -> Result<Vec<Listed>>;
    /// Deletes `key`; a missing key is not an error.
    fn delete(&self, key: &str) -> Result<()>;
    /// How errors and `Debug` name `key`: a path, or a URL.
    fn name(&self, key: &str) -> PathBuf;
    /// Objects above this size are uploaded in parts of it, where the store
    /// has multipart uploads.
    fn set_part_size(&self, _bytes: usize) {}
    /// Removes temporary files older than `grace` that interrupted writes
    /// left, where the store has any (a local directory).
    fn remove_stale_temps(&self, _grace: std::time::Duration) -> Result<()> {
        Ok(())
    }
}
