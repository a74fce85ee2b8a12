//! The `Checkpointer`: step-numbered checkpoints in a local directory or an
//! object store, with a lock, retention and save policies, per-step
//! metadata, sharded saves, resume from the newest valid one, and
//! background saving.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, UNIX_EPOCH};

use pickle_core::{BufferSpan, EncodeOptions, FromPickleOwned, ToPickle};

use crate::commit::{self, Outcome};
use crate::error::{Error, ErrorKind, Result};
use crate::file::{Counted, Mapped, save_encoded, sync_dir, temp_path};
use crate::meta::StepInfo;
use crate::policy::{Keep, LastSave, SaveEvery, keep_set};
use crate::store::Store;
use crate::store::local::LocalStore;

const LOCK_FILE: &str = ".lock";
/// How long `open` waits for a lock that looks held (see `open`).
const LOCK_GRACE: Duration = Duration::from_millis(250);
const EXTENSION: &str = ".pickle";
/// Digits of a step in a file name: `u64::MAX` has 20.
const STEP_DIGITS: usize = 20;
/// How old data no marker names must be before it is deleted, where other
/// writers may be saving (see [`Checkpointer::gc_grace`]).
const DEFAULT_GRACE: Duration = Duration::from_secs(3600);

/// A checkpoint that [`Checkpointer::latest`] passed over, and why.
#[derive(Debug)]
pub struct Skipped {
    /// The checkpoint's step.
    pub step: u64,
    /// What was wrong with it.
    pub error: Error,
}

/// Step-numbered checkpoints in a directory or (with the `object-store`
/// feature) an object store.
///
/// In a directory, a plain save is one file per step, named by the
/// zero-padded step (`00000000000000000042.pickle`) so that `ls` sorts them
/// by step; sharded saves and object stores use commit markers (see the
/// crate's README and the `commit` module). Each file is a plain pickle
/// with an integrity trailer that carries the step's [`StepInfo`]: Python
/// opens it with `pickle.load`. Saves are atomic and durable; a lock keeps a
/// second process from writing the same directory.
///
/// ```
/// use pickle_persist::{Checkpointer, Keep};
///
/// let dir = std::env::temp_dir().join(format!("pickle-persist-ckpt-doc-{}", std::process::id()));
/// let mut ckpt = Checkpointer::open(&dir)?.keep(Keep::Last(2)).keep(Keep::lowest("loss", 1));
/// for step in 0..5u64 {
///     let loss = [0.9, 0.1, 0.5, 0.4, 0.3][step as usize];
///     ckpt.metric("loss", loss).save(step, &(step, vec![step as f64; 3]))?;
/// }
/// let latest: Option<(u64, (u64, Vec<f64>))> = ckpt.latest()?;
/// assert_eq!(latest.map(|(step, _)| step), Some(4));
/// assert_eq!(ckpt.list()?, vec![1, 3, 4]); // the best loss, and the last two
/// assert_eq!(ckpt.list_info()?[0].metric("loss"), Some(0.1));
/// # drop(ckpt);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Checkpointer {
    target: Target,
    /// Held for the Checkpointer's life: the OS drops the lock when the
    /// process dies, however it dies. `None` on object stores.
    _lock: Option<File>,
    options: EncodeOptions,
    save_every: SaveEvery,
    last_save: LastSave,
    metrics: BTreeMap<String, f64>,
    pending: Option<JoinHandle<Result<()>>>,
    skipped: Vec<Skipped>,
}

/// Where the steps are and what retention keeps: all a background writer
/// needs, so it is cloned into it.
#[derive(Debug, Clone)]
struct Target {
    /// The local directory, whose plain saves are files named by step;
    /// `None` for an object store.
    dir: Option<PathBuf>,
    /// Marker-committed steps: under `dir`, or in the object store.
    store: Arc<dyn Store>,
    /// Whether this Checkpointer is the only writer (an exclusive lock).
    exclusive: bool,
    keep: Vec<Keep>,
    grace: Duration,
}

/// How a step is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// A file named by the step, in the directory.
    File,
    /// A commit marker and the objects it names.
    Marked,
}

impl Checkpointer {
    /// Opens (creating if needed) the checkpoint directory `dir` and locks
    /// it. A second Checkpointer on the same directory, in this process or
    /// another, gets an [`ErrorKind::Locked`] error (after waiting up to
    /// 250 ms for the lock, which a process being spawned at that moment
    /// holds a copy of until it starts).
    pub fn open(dir: impl AsRef<Path>) -> Result<Checkpointer> {
        Checkpointer::open_dir(dir.as_ref(), true)
    }

    /// Opens `dir` for one of several processes that save shards of the same
    /// steps ([`save_shard`](Self::save_shard)): the lock is shared, so
    /// other `open_shared` Checkpointers may write beside this one, while
    /// [`open`](Self::open) is refused. Plain saves still work; a second
    /// writer of the same step gets [`ErrorKind::Conflict`].
    pub fn open_shared(dir: impl AsRef<Path>) -> Result<Checkpointer> {
        Checkpointer::open_dir(dir.as_ref(), false)
    }

    /// Opens the checkpoints under a URL: `s3://bucket/prefix`,
    /// `gs://bucket/prefix`, `az://container/prefix` (also
    /// `abfs[s]://container@account.dfs.core.windows.net/prefix`),
    /// `file:///path` or `memory://` (a fresh in-memory store). Object
    /// stores are configured from the environment as their own tools are:
    /// `AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_REGION`, `AWS_ALLOW_HTTP`, ...; `GOOGLE_SERVICE_ACCOUNT`, ...;
    /// `AZURE_STORAGE_ACCOUNT_NAME`, `AZURE_STORAGE_ACCOUNT_KEY`, ....
    ///
    /// Every step is committed by a marker created only if absent (see the
    /// crate's README), so several writers never overwrite each other: a
    /// second writer of a step gets [`ErrorKind::Conflict`]. There is no
    /// lock; `open` deletes data of uncommitted saves older than
    /// [`gc_grace`](Self::gc_grace) (an hour). The methods block; do not
    /// call them from inside an async runtime's worker thread.
    #[cfg(feature = "object-store")]
    pub fn open_url(url: &str) -> Result<Checkpointer> {
        use object_store::ObjectStoreScheme;
        let name = PathBuf::from(url);
        let bad = |why: String| Error::new(ErrorKind::Io, &name, why);
        let parsed = url::Url::parse(url).map_err(|e| bad(format!("not a URL: {e}")))?;
        let (scheme, root) = ObjectStoreScheme::parse(&parsed).map_err(|e| bad(e.to_string()))?;
        let built: std::result::Result<Arc<dyn object_store::ObjectStore>, object_store::Error> = match scheme {
            ObjectStoreScheme::Local => {
                // Our own durable local store (fsync, link) under the path,
                // with markers as on an object store.
                let dir = parsed.to_file_path().map_err(|()| bad("not a local path".into()))?;
                fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "cannot create the checkpoint directory", e))?;
                return Checkpointer::open_marked(Arc::new(LocalStore::new(dir)));
            }
            ObjectStoreScheme::Memory => Ok(Arc::new(object_store::memory::InMemory::new())),
            ObjectStoreScheme::AmazonS3 => {
                install_crypto();
                object_store::aws::AmazonS3Builder::from_env().with_url(url).build().map(|s| Arc::new(s) as _)
            }
            ObjectStoreScheme::GoogleCloudStorage => {
                install_crypto();
                object_store::gcp::GoogleCloudStorageBuilder::from_env().with_url(url).build().map(|s| Arc::new(s) as _)
            }
            ObjectStoreScheme::MicrosoftAzure => {
                install_crypto();
                object_store::azure::MicrosoftAzureBuilder::from_env().with_url(url).build().map(|s| Arc::new(s) as _)
            }
            other => return Err(bad(format!("{other:?} URLs are not supported"))),
        };
        let store = built.map_err(|e| Error::store(ErrorKind::Io, &name, "cannot configure the object store", e))?;
        Checkpointer::open_object_store(store, root.as_ref(), url.trim_end_matches('/').to_owned())
    }

    /// Opens the checkpoints under `prefix` of an `object_store` store you
    /// configured yourself (an `InMemory` one for tests, a wrapper that
    /// throttles or injects faults, ...), as [`open_url`](Self::open_url)
    /// does.
    #[cfg(feature = "object-store")]
    pub fn open_store(store: Arc<dyn object_store::ObjectStore>, prefix: &str) -> Result<Checkpointer> {
        let url = format!("{store}/{}", prefix.trim_matches('/'));
        Checkpointer::open_object_store(store, prefix, url)
    }

    #[cfg(feature = "object-store")]
    fn open_object_store(store: Arc<dyn object_store::ObjectStore>, root: &str, url: String) -> Result<Checkpointer> {
        Checkpointer::open_marked(Arc::new(crate::store::remote::RemoteStore::new(store, root, url)?))
    }

    /// Opens steps kept only by markers in `store`, which other writers may
    /// share (no lock), and collects stale leftovers.
    #[cfg(feature = "object-store")]
    fn open_marked(store: Arc<dyn Store>) -> Result<Checkpointer> {
        let target = Target { dir: None, store, exclusive: false, keep: Vec::new(), grace: DEFAULT_GRACE };
        let ckpt = Checkpointer::with_target(target, None)?;
        ckpt.target.collect()?;
        Ok(ckpt)
    }

    /// On an object store, objects larger than `bytes` (16 MiB by default,
    /// at least 5 MiB) are uploaded in parts of that size, four at a time,
    /// so a save holds at most a few parts in memory beyond the state.
    pub fn part_size(self, bytes: usize) -> Checkpointer {
        self.target.store.set_part_size(bytes);
        self
    }

    fn open_dir(dir: &Path, exclusive: bool) -> Result<Checkpointer> {
        let dir = dir.to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "cannot create the checkpoint directory", e))?;
        let lock = lock(&dir, exclusive)?;
        let target = Target {
            store: Arc::new(LocalStore::new(dir.clone())),
            dir: Some(dir),
            exclusive,
            keep: Vec::new(),
            grace: if exclusive { Duration::ZERO } else { DEFAULT_GRACE },
        };
        Checkpointer::with_target(target, Some(lock))
    }

    fn with_target(target: Target, lock: Option<File>) -> Result<Checkpointer> {
        let newest = target.entries()?.last().map(|&(step, _)| step);
        Ok(Checkpointer {
            target,
            _lock: lock,
            options: EncodeOptions::default(),
            save_every: SaveEvery::default(),
            last_save: LastSave { step: newest, at: Instant::now() },
            metrics: BTreeMap::new(),
            pending: None,
            skipped: Vec::new(),
        })
    }

    /// Keeps only the `n` newest checkpoints (at least 1) after each save:
    /// [`keep`](Self::keep)`(Keep::Last(n))`.
    pub fn keep_last(self, n: usize) -> Checkpointer {
        self.keep(Keep::Last(n.max(1)))
    }

    /// Adds a retention policy, applied after each save that commits a step.
    /// Policies compose by union: a step is kept when any policy keeps it.
    /// The newest valid checkpoint is never deleted, even when newer ones
    /// are damaged. Without a policy every step is kept.
    pub fn keep(mut self, policy: Keep) -> Checkpointer {
        self.target.keep.push(policy);
        self
    }

    /// How often [`save_if_due`](Self::save_if_due) saves.
    pub fn save_every(mut self, policy: SaveEvery) -> Checkpointer {
        self.save_every = policy;
        self
    }

    /// How old data of uncommitted saves must be before `open` and
    /// [`latest`](Self::latest) delete it (an hour by default, where other
    /// writers may be saving; no wait for a directory opened with
    /// [`open`](Self::open), which has no other writer).
    pub fn gc_grace(mut self, grace: Duration) -> Checkpointer {
        self.target.grace = grace;
        self
    }

    /// Writes NumPy arrays ([`pickle_core::numpy::NdArray`]) so that Python
    /// can map them from the file instead of reading them: protocol 5,
    /// each payload 64-byte aligned, and an index of the payloads in the
    /// trailer's metadata (`buffers`). Plain `pickle.load` still returns the
    /// same objects; the `load(path)` helper of a generated Python module
    /// ([`pickle_core::PyModuleBuilder`]) returns arrays backed by the map.
    pub fn zero_copy_arrays(mut self) -> Checkpointer {
        self.options = self.options.protocol(5).align_arrays(64);
        self
    }

    /// The encoding options for new checkpoints (protocol 4 by default).
    pub fn options(mut self, options: EncodeOptions) -> Checkpointer {
        self.options = options;
        self
    }

    /// Records a metric with the next save (any kind), for
    /// [`Keep::Best`] and [`list_info`](Self::list_info).
    pub fn metric(&mut self, name: &str, value: f64) -> &mut Checkpointer {
        self.metrics.insert(name.to_owned(), value);
        self
    }

    /// The checkpoint directory, or the object store's root URL.
    pub fn dir(&self) -> PathBuf {
        match &self.target.dir {
            Some(dir) => dir.clone(),
            None => self.target.store.name(""),
        }
    }

    /// The path of the plain checkpoint file for `step` in a directory; on
    /// an object store, the name of the step's commit marker.
    pub fn path_for(&self, step: u64) -> PathBuf {
        self.target.file_or_marker(step)
    }

    /// Whether the save policy would save `step` now.
    pub fn is_due(&self, step: u64) -> bool {
        self.save_every.is_due(step, &self.last_save, Instant::now())
    }

    /// Saves `state` as `step` if the save policy says it is due (see
    /// [`SaveEvery`]); returns whether it saved.
    pub fn save_if_due<T: ToPickle + ?Sized>(&mut self, step: u64, state: &T) -> Result<bool> {
        if !self.is_due(step) {
            return Ok(false);
        }
        self.save(step, state).map(|()| true)
    }

    /// Saves `state` as the checkpoint for `step`. Returns once the
    /// checkpoint is committed: written, synced, renamed into place (or its
    /// marker created), and the directory synced. Then applies retention. A
    /// pending background save finishes first, and its error, if any, is
    /// returned here. A step another writer committed first is an
    /// [`ErrorKind::Conflict`] error.
    pub fn save<T: ToPickle + ?Sized>(&mut self, step: u64, state: &T) -> Result<()> {
        self.flush()?;
        let info = self.next_info::<T>(step, 1);
        let opts = self.options;
        let name = self.path_for(step);
        self.target.commit_plain(step, &info, Payload::Value(&|w| encode_into(w, state, opts, &name)))?;
        self.saved(step);
        self.target.retain(step)
    }

    /// Saves shard `rank` of `world` of `step` from one of several writers
    /// (processes opened with [`open_shared`](Self::open_shared), or on an
    /// object store). The step becomes visible, to [`latest`](Self::latest)
    /// and [`list`](Self::list), only once every shard is committed: the
    /// writer that commits the last one writes the step's marker and
    /// applies retention. Returns whether this call committed the step.
    pub fn save_shard<T: ToPickle + ?Sized>(&mut self, step: u64, rank: u32, world: u32, state: &T) -> Result<bool> {
        self.flush()?;
        let info = self.next_info::<T>(step, world);
        let opts = self.options;
        let name = self.path_for(step);
        let outcome = self.target.commit_shard(
            step,
            rank,
            world,
            &info,
            Payload::Value(&|w| encode_into(w, state, opts, &name)),
        )?;
        self.saved(step);
        if outcome == Outcome::Committed {
            self.target.retain(step)?;
        }
        Ok(outcome == Outcome::Committed)
    }

    /// Saves in the background: this thread encodes `state` now, a worker
    /// thread writes, syncs and commits it. At most one write is pending:
    /// if the previous one is still running, this waits for it. An error
    /// from a background write is returned by the next call to
    /// `save_in_background`, [`save`](Self::save), [`flush`](Self::flush) or
    /// [`latest`](Self::latest). Dropping the Checkpointer finishes the
    /// pending write; call `flush` before exit to see its error.
    pub fn save_in_background<T: ToPickle + ?Sized>(&mut self, step: u64, state: &T) -> Result<()> {
        let name = self.path_for(step);
        let mut bytes = Vec::new();
        let (_, spans) = encode_into(&mut bytes, state, self.options, &name)?;
        self.flush()?;
        let info = self.next_info::<T>(step, 1);
        let target = self.target.clone();
        let worker = std::thread::Builder::new()
            .name("pickle-persist-writer".into())
            .spawn(move || {
                target.commit_plain(step, &info, Payload::Encoded(&bytes, &spans))?;
                target.retain(step)
            })
            .map_err(|e| Error::io(&name, "cannot start the background writer", e))?;
        self.saved(step);
        self.pending = Some(worker);
        Ok(())
    }

    /// Saves in the background without a copy of the state: `state` moves
    /// to the worker thread, which encodes it straight into the
    /// checkpoint's file (through the map, locally; a part at a time, on an
    /// object store), so a save needs no memory beyond the state itself.
    /// Hand it an `Arc` of the state (a reference-count bump) and make the
    /// next version with `Arc::make_mut`, which copies only what changes
    /// while the save runs; or move a state you no longer need. Otherwise
    /// like [`save_in_background`](Self::save_in_background).
    ///
    /// ```
    /// use std::sync::Arc;
    /// # let dir = std::env::temp_dir().join(format!("pickle-persist-owned-doc-{}", std::process::id()));
    /// let mut ckpt = pickle_persist::Checkpointer::open(&dir)?;
    /// let mut weights = Arc::new(vec![0.5f64; 1 << 16]);
    /// ckpt.save_owned(1, Arc::clone(&weights))?; // no copy of the weights
    /// Arc::make_mut(&mut weights)[0] = 1.0;      // copies them once, if the save still holds them
    /// ckpt.flush()?;
    /// assert_eq!(ckpt.load::<Vec<f64>>(1)?[0], 0.5);
    /// # drop(ckpt);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save_owned<T: ToPickle + Send + 'static>(&mut self, step: u64, state: T) -> Result<()> {
        self.flush()?;
        let info = self.next_info::<T>(step, 1);
        let target = self.target.clone();
        let opts = self.options;
        let name = self.path_for(step);
        let worker = std::thread::Builder::new()
            .name("pickle-persist-writer".into())
            .spawn(move || {
                let encode = |w: &mut dyn std::io::Write| encode_into(w, &state, opts, &name);
                target.commit_plain(step, &info, Payload::Value(&encode))?;
                drop(state);
                target.retain(step)
            })
            .map_err(|e| Error::io(&self.dir(), "cannot start the background writer", e))?;
        self.saved(step);
        self.pending = Some(worker);
        Ok(())
    }

    fn next_info<T: ?Sized>(&mut self, step: u64, shards: u32) -> StepInfo {
        StepInfo::now::<T>(step, shards, std::mem::take(&mut self.metrics))
    }

    fn saved(&mut self, step: u64) {
        self.last_save = LastSave { step: Some(step), at: Instant::now() };
    }

    /// Waits for a pending background save and returns its result.
    pub fn flush(&mut self) -> Result<()> {
        match self.pending.take() {
            None => Ok(()),
            Some(worker) => worker
                .join()
                .unwrap_or_else(|_| Err(Error::new(ErrorKind::Io, &self.dir(), "the background writer panicked"))),
        }
    }

    /// The committed steps, oldest first. Checkpoints are not verified;
    /// [`latest`](Self::latest) and [`load`](Self::load) verify.
    pub fn list(&self) -> Result<Vec<u64>> {
        Ok(self.target.entries()?.into_iter().map(|(step, _)| step).collect())
    }

    /// The committed steps with their metadata (time, type, writer, shards,
    /// metrics), oldest first. A file written before format 2 has only its
    /// step and modification time.
    pub fn list_info(&self) -> Result<Vec<StepInfo>> {
        self.target.entries()?.into_iter().map(|(step, kind)| self.target.info(step, kind)).collect()
    }

    /// The newest valid checkpoint and its step, or `None` when there is
    /// none. Torn or corrupt checkpoints are passed over and reported
    /// through [`skipped`](Self::skipped); leftovers of interrupted saves
    /// are removed (see [`gc_grace`](Self::gc_grace)), and a sharded step
    /// whose shards are all saved but whose marker is missing is committed.
    /// A sharded step is an [`ErrorKind::Decode`] error here: read it with
    /// [`latest_shards`](Self::latest_shards).
    pub fn latest<T: FromPickleOwned>(&mut self) -> Result<Option<(u64, T)>> {
        self.latest_with(|target, step, kind| target.load(step, kind, None))
    }

    /// The newest valid step's shard `rank`, like [`latest`](Self::latest).
    /// A plain step is shard 0 of 1.
    pub fn latest_shard<T: FromPickleOwned>(&mut self, rank: u32) -> Result<Option<(u64, T)>> {
        self.latest_with(|target, step, kind| target.load(step, kind, Some(rank)))
    }

    /// The newest valid step's shards, in rank order, like
    /// [`latest`](Self::latest). A plain step is one shard.
    pub fn latest_shards<T: FromPickleOwned>(&mut self) -> Result<Option<(u64, Vec<T>)>> {
        self.latest_with(|target, step, kind| target.load_all(step, kind))
    }

    fn latest_with<R>(&mut self, load: impl Fn(&Target, u64, Kind) -> Result<R>) -> Result<Option<(u64, R)>> {
        self.flush()?;
        self.skipped.clear();
        self.target.collect()?;
        for (step, kind) in self.target.entries()?.into_iter().rev() {
            match load(&self.target, step, kind) {
                Ok(state) => return Ok(Some((step, state))),
                Err(error) if error.kind() == ErrorKind::Corrupt => self.skipped.push(Skipped { step, error }),
                Err(error) => return Err(error),
            }
        }
        Ok(None)
    }

    /// The checkpoints the last call to [`latest`](Self::latest) passed over.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// Loads the checkpoint for `step`, verifying its checksum.
    pub fn load<T: FromPickleOwned>(&self, step: u64) -> Result<T> {
        let kind = self.target.kind_of(step)?;
        self.target.load(step, kind, None)
    }

    /// Loads shard `rank` of `step`, verified.
    pub fn load_shard<T: FromPickleOwned>(&self, step: u64, rank: u32) -> Result<T> {
        let kind = self.target.kind_of(step)?;
        self.target.load(step, kind, Some(rank))
    }

    /// Loads every shard of `step`, in rank order, verified.
    pub fn load_shards<T: FromPickleOwned>(&self, step: u64) -> Result<Vec<T>> {
        let kind = self.target.kind_of(step)?;
        self.target.load_all(step, kind)
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // A pending write is committed before the lock goes; its error has
        // nowhere to go but the caller's explicit `flush`.
        let _ = self.flush();
    }
}

/// rustls needs a crypto provider chosen before the first HTTPS client is
/// built; ring is the one this crate builds with. A provider installed
/// already (by the application) stays.
#[cfg(feature = "object-store")]
fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Takes the directory's lock, exclusive or shared.
fn lock(dir: &Path, exclusive: bool) -> Result<File> {
    let lock_path = dir.join(LOCK_FILE);
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::io(&lock_path, "cannot open the lock file", e))?;
    // The lock belongs to the open file, and a process that another thread
    // is spawning holds a copy of every descriptor from its fork until its
    // exec closes them: a Checkpointer just dropped may still look locked
    // for that moment. Only a lock held past LOCK_GRACE is another
    // Checkpointer's.
    let deadline = Instant::now() + LOCK_GRACE;
    loop {
        let tried = if exclusive { lock.try_lock() } else { lock.try_lock_shared() };
        match tried {
            Ok(()) => return Ok(lock),
            Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(Error::new(
                    ErrorKind::Locked,
                    dir,
                    if exclusive {
                        "the checkpoint directory is in use by another Checkpointer (it holds the lock on .lock)"
                    } else {
                        "the checkpoint directory is in use by a Checkpointer opened with `open` (it holds the lock on .lock)"
                    },
                ));
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::io(&lock_path, "cannot lock", e)),
        }
    }
}

/// A plain save's pickle: a value to encode while writing, or bytes
/// encoded already.
enum Payload<'p> {
    Value(&'p dyn Fn(&mut dyn std::io::Write) -> Result<Encoded>),
    Encoded(&'p [u8], &'p [BufferSpan]),
}

/// How long an encoded state is, and where its aligned arrays are.
type Encoded = (u64, Vec<BufferSpan>);

impl Payload<'_> {
    /// The pickle's length, and `info` with the index of its arrays
    /// (encoding a value once, to nowhere).
    fn measure(&self, info: &StepInfo) -> Result<(u64, StepInfo)> {
        let (len, spans) = match self {
            Payload::Value(encode) => encode(&mut std::io::sink())?,
            Payload::Encoded(bytes, spans) => (bytes.len() as u64, spans.to_vec()),
        };
        let buffers = spans.iter().map(|s| (s.opcode_offset, s.len)).collect();
        Ok((len, StepInfo { buffers, ..info.clone() }))
    }

    /// Writes the pickle into `w`.
    fn write(&self, w: &mut dyn std::io::Write) -> Result<()> {
        match self {
            Payload::Value(encode) => encode(w).map(drop),
            // The store's writer names the object in its own errors.
            Payload::Encoded(bytes, _) => w.write_all(bytes).map_err(|e| Error::io(Path::new(""), "cannot write", e)),
        }
    }
}

/// Encodes `state` into `w`; returns how many bytes it wrote and where the
/// aligned arrays went. `name` is the checkpoint's, for errors.
fn encode_into<T: ToPickle + ?Sized>(
    w: &mut dyn std::io::Write,
    state: &T,
    opts: EncodeOptions,
    name: &Path,
) -> Result<Encoded> {
    let mut counter = Counted { inner: w, len: 0 };
    let spans = pickle_core::to_writer_indexed(&mut counter, state, opts)
        .map_err(|e| Error::codec(ErrorKind::Encode, name, e))?;
    Ok((counter.len, spans))
}

impl Target {
    /// The committed steps and how each is stored, oldest first.
    fn entries(&self) -> Result<Vec<(u64, Kind)>> {
        let mut out: Vec<(u64, Kind)> = match &self.dir {
            Some(dir) => list_files(dir)?.into_iter().map(|s| (s, Kind::File)).collect(),
            None => Vec::new(),
        };
        out.extend(commit::committed_steps(&*self.store)?.into_iter().map(|s| (s, Kind::Marked)));
        out.sort_unstable();
        out.dedup_by_key(|e| e.0);
        Ok(out)
    }

    fn kind_of(&self, step: u64) -> Result<Kind> {
        if let Some(dir) = &self.dir
            && dir.join(file_name(step)).exists()
        {
            return Ok(Kind::File);
        }
        if self.store.read(&commit::marker_key(step))?.is_some() {
            return Ok(Kind::Marked);
        }
        Err(Error::new(ErrorKind::NotFound, &self.file_or_marker(step), "no checkpoint for this step"))
    }

    fn file_or_marker(&self, step: u64) -> PathBuf {
        match &self.dir {
            Some(dir) => dir.join(file_name(step)),
            None => self.store.name(&commit::marker_key(step)),
        }
    }

    /// Commits a plain (unsharded) save of `step`.
    fn commit_plain(&self, step: u64, info: &StepInfo, payload: Payload<'_>) -> Result<()> {
        let (len, info) = payload.measure(info)?;
        let ext = info.to_pickle_bytes();
        let Some(dir) = &self.dir else {
            return commit::save(&*self.store, step, 0, 1, &info, len, &mut |w| payload.write(w)).map(drop);
        };
        let path = dir.join(file_name(step));
        if self.store.read(&commit::marker_key(step))?.is_some() {
            return Err(Error::new(ErrorKind::Conflict, &path, format!("step {step} is committed as shards already")));
        }
        let write = |to: &Path| match payload {
            // Measured above, now written through the map.
            Payload::Value(_) => crate::file::write_pickle_atomic(to, len, &ext, &mut |w| payload.write(w)),
            Payload::Encoded(bytes, _) => save_encoded(to, bytes, &ext),
        };
        if self.exclusive {
            return write(&path).map(drop);
        }
        // Other writers may save this step: stage, then link into place,
        // which fails when the name is taken.
        let staged = temp_path(dir, &path)?;
        write(&staged)?;
        if crate::store::local::link_new(&staged, &path, dir)? {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::Conflict,
            &path,
            format!("step {step} was not saved: another writer committed it first"),
        ))
    }

    fn commit_shard(&self, step: u64, rank: u32, world: u32, info: &StepInfo, payload: Payload<'_>) -> Result<Outcome> {
        if let Some(dir) = &self.dir {
            let path = dir.join(file_name(step));
            if path.exists() {
                return Err(Error::new(ErrorKind::Conflict, &path, format!("step {step} is committed unsharded")));
            }
        }
        let (len, info) = payload.measure(info)?;
        commit::save(&*self.store, step, rank, world, &info, len, &mut |w| payload.write(w))
    }

    fn info(&self, step: u64, kind: Kind) -> Result<StepInfo> {
        match kind {
            Kind::File => {
                let path = self.file_or_marker(step);
                let info = Mapped::open(&path).ok().and_then(|m| m.info().ok().flatten());
                Ok(info.unwrap_or_else(|| {
                    let time = fs::metadata(&path).and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH);
                    StepInfo::bare(step, time)
                }))
            }
            Kind::Marked => match commit::marker(&*self.store, step)? {
                Some(marker) => Ok(marker.info),
                None => Err(Error::new(ErrorKind::NotFound, &self.file_or_marker(step), "no checkpoint for this step")),
            },
        }
    }

    fn marker(&self, step: u64) -> Result<commit::Marker> {
        commit::marker(&*self.store, step)?
            .ok_or_else(|| Error::new(ErrorKind::NotFound, &self.file_or_marker(step), "no checkpoint for this step"))
    }

    /// Loads `step`: the whole of a plain step (`rank` `None` or 0), or one
    /// shard.
    fn load<T: FromPickleOwned>(&self, step: u64, kind: Kind, rank: Option<u32>) -> Result<T> {
        match kind {
            Kind::File => {
                let path = self.file_or_marker(step);
                if let Some(rank) = rank.filter(|&r| r != 0) {
                    return Err(Error::new(ErrorKind::NotFound, &path, format!("step {step} has no shard {rank}")));
                }
                crate::file::load_mapped(&open_checkpoint(&path)?)
            }
            Kind::Marked => {
                let marker = self.marker(step)?;
                if rank.is_none() && marker.shards != 1 {
                    return Err(Error::new(
                        ErrorKind::Decode,
                        &self.file_or_marker(step),
                        format!("step {step} is sharded ({} shards): load it by shard", marker.shards),
                    ));
                }
                self.decode_object(&marker, rank.unwrap_or(0))
            }
        }
    }

    fn load_all<T: FromPickleOwned>(&self, step: u64, kind: Kind) -> Result<Vec<T>> {
        match kind {
            Kind::File => self.load(step, kind, Some(0)).map(|one| vec![one]),
            Kind::Marked => {
                let marker = self.marker(step)?;
                (0..marker.shards).map(|rank| self.decode_object(&marker, rank)).collect()
            }
        }
    }

    fn decode_object<T: FromPickleOwned>(&self, marker: &commit::Marker, rank: u32) -> Result<T> {
        let (blob, len) = commit::open_object(&*self.store, marker, rank)?;
        let name = marker.object(rank).map(|o| self.store.name(&o.key)).unwrap_or_default();
        pickle_core::from_slice(&blob.bytes()[..len]).map_err(|e| crate::file::decode_error(&name, e))
    }

    /// Verifies every byte of `step`.
    fn verify(&self, step: u64, kind: Kind) -> Result<()> {
        match kind {
            Kind::File => open_checkpoint(&self.file_or_marker(step)).and_then(|m| m.verify()),
            Kind::Marked => {
                let marker = self.marker(step)?;
                (0..marker.shards).try_for_each(|rank| commit::open_object(&*self.store, &marker, rank).map(drop))
            }
        }
    }

    fn drop_step(&self, step: u64, kind: Kind) -> Result<()> {
        match kind {
            Kind::File => {
                let path = self.file_or_marker(step);
                match fs::remove_file(&path) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(Error::io(&path, "cannot remove an old checkpoint", e)),
                }
            }
            Kind::Marked => commit::drop_step(&*self.store, step),
        }
    }

    /// Applies retention after `saved` was committed: keeps what the
    /// policies keep, plus the newest checkpoint that verifies (which is
    /// `saved` itself unless newer ones exist), and deletes the rest.
    fn retain(&self, saved: u64) -> Result<()> {
        if self.keep.is_empty() {
            return Ok(());
        }
        let entries = self.entries()?;
        // Only a metric policy needs each step's metadata (a read per step,
        // a request each on an object store).
        let by_metric = self.keep.iter().any(|k| matches!(k, Keep::Best { .. }));
        let infos: Vec<StepInfo> = entries
            .iter()
            .map(|&(step, kind)| if by_metric { self.info(step, kind) } else { Ok(StepInfo::bare(step, UNIX_EPOCH)) })
            .collect::<Result<_>>()?;
        let Some(mut kept) = keep_set(&self.keep, &infos) else { return Ok(()) };
        if entries.iter().all(|(step, _)| kept.contains(step)) {
            return Ok(());
        }
        let newest_valid = entries
            .iter()
            .rev()
            .find(|&&(step, kind)| step == saved || self.verify(step, kind).is_ok())
            .map(|&(step, _)| step);
        kept.extend(newest_valid);
        let mut removed_file = false;
        for &(step, kind) in &entries {
            if !kept.contains(&step) {
                self.drop_step(step, kind)?;
                removed_file |= kind == Kind::File;
            }
        }
        match &self.dir {
            Some(dir) if removed_file => sync_dir(dir),
            _ => Ok(()),
        }
    }

    /// Removes leftovers of interrupted saves (see `commit::collect`).
    fn collect(&self) -> Result<()> {
        self.store.remove_stale_temps(self.grace)?;
        commit::collect(&*self.store, self.grace).map(drop)
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

fn list_files(dir: &Path) -> Result<Vec<u64>> {
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
