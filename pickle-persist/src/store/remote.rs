//! The [`Store`] of an object store (S3, GCS, Azure, memory) through the
//! `object_store` crate. Its API is async; each call here blocks on a small
//! runtime the store owns, so no async type reaches the caller.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, WriteMultipart};

use super::{Blob, Fill, Listed, Store};
use crate::error::{Error, ErrorKind, Result};
use crate::trailer::Trailer;

/// Objects above this size go up in parts of this size (S3 wants at least
/// 5 MiB per part).
pub(crate) const DEFAULT_PART_SIZE: usize = 16 << 20;
/// Parts in flight at once during a multipart upload.
const PARTS_IN_FLIGHT: usize = 4;

pub(crate) struct RemoteStore {
    store: Arc<dyn ObjectStore>,
    /// The root every key is under.
    root: String,
    /// How names are shown: `s3://bucket/prefix`.
    url: String,
    runtime: tokio::runtime::Runtime,
    part_size: AtomicUsize,
}

impl std::fmt::Debug for RemoteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteStore").field("url", &self.url).field("store", &self.store.to_string()).finish()
    }
}

impl RemoteStore {
    pub(crate) fn new(store: Arc<dyn ObjectStore>, root: &str, url: String) -> Result<RemoteStore> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("pickle-persist-io")
            .enable_all()
            .build()
            .map_err(|e| Error::io(&PathBuf::from(&url), "cannot start the I/O runtime", e))?;
        Ok(RemoteStore {
            store,
            root: root.trim_matches('/').to_owned(),
            url,
            runtime,
            part_size: AtomicUsize::new(DEFAULT_PART_SIZE),
        })
    }

    fn path(&self, key: &str) -> StorePath {
        let key = key.trim_end_matches('/');
        match (self.root.is_empty(), key.is_empty()) {
            (true, _) => StorePath::from(key),
            (false, true) => StorePath::from(self.root.as_str()),
            (false, false) => StorePath::from(format!("{}/{key}", self.root)),
        }
    }

    fn error(&self, key: &str, what: &str, e: object_store::Error) -> Error {
        let kind = match e {
            object_store::Error::NotFound { .. } => ErrorKind::NotFound,
            _ => ErrorKind::Io,
        };
        Error::store(kind, &self.name(key), what, e)
    }

    fn put_multipart(&self, key: &str, pickle_len: u64, ext: &[u8], fill: Fill<'_>) -> Result<(u64, u32)> {
        let path = self.path(key);
        let upload = self
            .runtime
            .block_on(self.store.put_multipart(&path))
            .map_err(|e| self.error(key, "cannot start the upload", e))?;
        let part_size = self.part_size.load(Ordering::Relaxed);
        let mut parts =
            Parts { store: self, key, upload: Some(WriteMultipart::new_with_chunk_size(upload, part_size)) };
        let written = write_object(&mut parts, pickle_len, ext, fill, &self.name(key));
        let upload = parts.upload.take();
        match (written, upload) {
            (Ok(sums), Some(upload)) => {
                self.runtime.block_on(upload.finish()).map_err(|e| self.error(key, "cannot finish the upload", e))?;
                Ok(sums)
            }
            (Err(e), upload) => {
                // The parts uploaded so far would otherwise stay (invisible,
                // billed) until a lifecycle rule removes them.
                if let Some(upload) = upload {
                    let _ = self.runtime.block_on(upload.abort());
                }
                Err(e)
            }
            (Ok(_), None) => Err(Error::new(ErrorKind::Io, &self.name(key), "the upload was aborted")),
        }
    }
}

/// Streams into a multipart upload, a part at a time, with at most
/// [`PARTS_IN_FLIGHT`] parts uploading.
struct Parts<'s> {
    store: &'s RemoteStore,
    key: &'s str,
    upload: Option<WriteMultipart>,
}

impl io::Write for Parts<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(upload) = self.upload.as_mut() else { return Err(io::Error::other("the upload was aborted")) };
        let runtime = &self.store.runtime;
        runtime.block_on(upload.wait_for_capacity(PARTS_IN_FLIGHT)).map_err(|e| {
            io::Error::other(format!("{}: cannot upload a part: {e}", self.store.name(self.key).display()))
        })?;
        // Parts start as tasks on the runtime.
        let _entered = runtime.enter();
        upload.write(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Checksums what passes through to `inner` and counts it.
struct Summing<W> {
    inner: W,
    crc: u32,
    len: u64,
}

impl<W: io::Write> io::Write for Summing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc = crc32c::crc32c_append(self.crc, &buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes a checkpoint object into `out`: the pickle `fill` writes (which
/// must be `pickle_len` bytes), `ext`, the trailer. Returns the size and the
/// CRC-32C of all of it.
fn write_object(
    out: &mut dyn io::Write,
    pickle_len: u64,
    ext: &[u8],
    fill: Fill<'_>,
    name: &std::path::Path,
) -> Result<(u64, u32)> {
    let mut sum = Summing { inner: out, crc: 0, len: 0 };
    fill(&mut sum)?;
    if sum.len != pickle_len {
        return Err(Error::new(
            ErrorKind::Encode,
            name,
            format!("the value encoded to {pickle_len} bytes, then to {} bytes: it changed while saving", sum.len),
        ));
    }
    let write = |sum: &mut Summing<&mut dyn io::Write>, bytes: &[u8]| {
        io::Write::write_all(sum, bytes).map_err(|e| Error::io(name, "cannot upload", e))
    };
    write(&mut sum, ext)?;
    let trailer = Trailer::new(pickle_len, ext.len() as u64, sum.crc);
    write(&mut sum, &trailer.to_bytes())?;
    Ok((sum.len, sum.crc))
}

impl Store for RemoteStore {
    fn put(&self, key: &str, pickle_len: u64, ext: &[u8], fill: Fill<'_>) -> Result<(u64, u32)> {
        let total = pickle_len + Trailer::new(pickle_len, ext.len() as u64, 0).suffix_len();
        if total > self.part_size.load(Ordering::Relaxed) as u64 {
            return self.put_multipart(key, pickle_len, ext, fill);
        }
        let mut buf = Vec::with_capacity(total as usize);
        let sums = write_object(&mut buf, pickle_len, ext, fill, &self.name(key))?;
        self.runtime
            .block_on(self.store.put(&self.path(key), PutPayload::from(buf)))
            .map_err(|e| self.error(key, "cannot upload", e))?;
        Ok(sums)
    }

    fn create(&self, key: &str, bytes: &[u8]) -> Result<bool> {
        let opts = PutOptions { mode: PutMode::Create, ..PutOptions::default() };
        let path = self.path(key);
        let put = self.store.put_opts(&path, PutPayload::from(bytes.to_vec()), opts);
        match self.runtime.block_on(put) {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => Ok(false),
            Err(e) => Err(self.error(key, "cannot create", e)),
        }
    }

    fn replace(&self, key: &str, bytes: &[u8]) -> Result<()> {
        self.runtime
            .block_on(self.store.put(&self.path(key), PutPayload::from(bytes.to_vec())))
            .map(drop)
            .map_err(|e| self.error(key, "cannot upload", e))
    }

    fn read(&self, key: &str) -> Result<Option<Blob>> {
        let got = self.runtime.block_on(async {
            let result = self.store.get(&self.path(key)).await?;
            result.bytes().await
        });
        match got {
            Ok(bytes) => Ok(Some(Blob::Owned(bytes.to_vec()))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(key, "cannot download", e)),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<Listed>> {
        // Listing is by whole path segments: list the directory part of the
        // prefix, then keep the keys that start with all of it.
        let (dir_part, _) = prefix.rsplit_once('/').unwrap_or(("", prefix));
        let under = self.path(dir_part);
        let metas: Vec<object_store::ObjectMeta> = self
            .runtime
            .block_on(self.store.list(Some(&under)).try_collect())
            .map_err(|e| self.error(prefix, "cannot list", e))?;
        let root = if self.root.is_empty() { String::new() } else { format!("{}/", self.root) };
        let mut out: Vec<Listed> = metas
            .into_iter()
            .filter_map(|m| {
                let key = m.location.as_ref().strip_prefix(root.as_str())?.to_owned();
                key.starts_with(prefix).then(|| Listed { key, modified: m.last_modified.into() })
            })
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    fn delete(&self, key: &str) -> Result<()> {
        match self.runtime.block_on(self.store.delete(&self.path(key))) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error(key, "cannot delete", e)),
        }
    }

    fn name(&self, key: &str) -> PathBuf {
        PathBuf::from(if key.is_empty() {
            self.url.clone()
        } else {
            format!("{}/{key}", self.url.trim_end_matches('/'))
        })
    }

    fn set_part_size(&self, bytes: usize) {
        self.part_size.store(bytes.max(5 << 20), Ordering::Relaxed);
    }
}
