//! The commit protocol for steps kept in a [`Store`]: data first under keys
//! unique to each attempt, then a small commit marker created only if it
//! does not exist yet. A step exists once its marker does.
//!
//! ```text
//! steps/<step:020>/<attempt>/shard-<rank:05>-of-<world:05>.pickle   data: pickle, metadata, trailer
//! parts/<step:020>/<rank:05>-of-<world:05>.pickle                   receipt of one shard (sharded steps)
//! commits/<step:020>.pickle                                         commit marker
//! ```
//!
//! Markers and receipts are plain pickled dicts (protocol 2):
//! `{"format": 1, "step": int, "shards": int, "info": {...},
//! "objects": [{"key": str, "rank": int, "size": int, "crc32c": int}, ...]}`,
//! `info` being a [`StepInfo`] and the keys relative to the store's root.
//!
//! - A plain save uploads its object, then creates the marker.
//! - Each shard of a sharded step uploads its object, then creates its
//!   receipt; whoever then sees every receipt of the step (the last writer)
//!   creates the marker from them. A step whose receipts are all there but
//!   whose marker is not (its last writer died in between) is committed by
//!   the next [`collect`] instead.
//! - A second writer of a committed step finds the marker taken and gets
//!   [`ErrorKind::Conflict`]; its data is deleted. Until a sharded step
//!   commits, a rank may save its shard again (a restarted job redoing the
//!   step): its newest receipt counts.
//! - Dropping a step deletes its marker first, so it vanishes at once; a
//!   crash after that leaves only data no marker names, which [`collect`]
//!   deletes once older than its grace period.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use pickle_core::{Context, Encoder, FromPickle, Item, ToPickle};

use crate::error::{Error, ErrorKind, Result};
use crate::meta::StepInfo;
use crate::store::{Blob, Fill, Store};
use crate::trailer::Trailer;

const FORMAT: u32 = 1;
const COMMITS: &str = "commits/";
const PARTS: &str = "parts/";
const STEPS: &str = "steps/";

/// One object of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectRef {
    pub key: String,
    pub rank: u32,
    pub size: u64,
    pub crc32c: u32,
}

/// A commit marker, or a shard's receipt (one object).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Marker {
    pub step: u64,
    pub shards: u32,
    pub info: StepInfo,
    pub objects: Vec<ObjectRef>,
}

impl ToPickle for ObjectRef {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> pickle_core::Result<()> {
        let fields: [(&str, &dyn ToPickle); 4] =
            [("key", &self.key), ("rank", &self.rank), ("size", &self.size), ("crc32c", &self.crc32c)];
        enc.write_dict(fields)
    }
}

impl<'a> FromPickle<'a> for ObjectRef {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> pickle_core::Result<Self> {
        let (mut key, mut rank, mut size, mut crc32c) = (None, None, None, None);
        for (k, v) in cx.dict(item)?.iter().copied() {
            match cx.str(k)? {
                "key" => key = Some(cx.decode(v)?),
                "rank" => rank = Some(cx.decode(v)?),
                "size" => size = Some(cx.decode(v)?),
                "crc32c" => crc32c = Some(cx.decode(v)?),
                _ => {}
            }
        }
        match (key, rank, size, crc32c) {
            (Some(key), Some(rank), Some(size), Some(crc32c)) => Ok(ObjectRef { key, rank, size, crc32c }),
            _ => Err(cx.error(item, "an object entry needs \"key\", \"rank\", \"size\" and \"crc32c\"")),
        }
    }
}

impl ToPickle for Marker {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> pickle_core::Result<()> {
        let fields: [(&str, &dyn ToPickle); 5] = [
            ("format", &FORMAT),
            ("step", &self.step),
            ("shards", &self.shards),
            ("info", &self.info),
            ("objects", &self.objects),
        ];
        enc.write_dict(fields)
    }
}

impl<'a> FromPickle<'a> for Marker {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> pickle_core::Result<Self> {
        let (mut format, mut step, mut shards, mut info, mut objects) = (None, None, None, None, None);
        for (k, v) in cx.dict(item)?.iter().copied() {
            match cx.str(k)? {
                "format" => format = Some(cx.decode::<u32>(v)?),
                "step" => step = Some(cx.decode(v)?),
                "shards" => shards = Some(cx.decode(v)?),
                "info" => info = Some(cx.decode(v)?),
                "objects" => objects = Some(cx.decode(v)?),
                _ => {}
            }
        }
        if let Some(f) = format.filter(|&f| f != FORMAT) {
            return Err(cx.error(item, format!("the marker has format {f}, this build reads {FORMAT}")));
        }
        match (step, shards, info, objects) {
            (Some(step), Some(shards), Some(info), Some(objects)) => Ok(Marker { step, shards, info, objects }),
            _ => Err(cx.error(item, "a marker needs \"step\", \"shards\", \"info\" and \"objects\"")),
        }
    }
}

impl Marker {
    fn to_bytes(&self) -> Vec<u8> {
        // A dict of ints, strs and floats always encodes.
        pickle_core::to_vec_with(self, pickle_core::EncodeOptions::default().protocol(2)).unwrap_or_default()
    }

    /// The object of `rank`.
    pub(crate) fn object(&self, rank: u32) -> Option<&ObjectRef> {
        self.objects.iter().find(|o| o.rank == rank)
    }
}

pub(crate) fn marker_key(step: u64) -> String {
    format!("{COMMITS}{step:020}.pickle")
}

fn receipt_key(step: u64, rank: u32, world: u32) -> String {
    format!("{PARTS}{step:020}/{rank:05}-of-{world:05}.pickle")
}

fn parse_marker_key(key: &str) -> Option<u64> {
    let digits = key.strip_prefix(COMMITS)?.strip_suffix(".pickle")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().ok())?
}

/// `(step, rank, world)` of a receipt key.
fn parse_receipt_key(key: &str) -> Option<(u64, u32, u32)> {
    let (step, rest) = key.strip_prefix(PARTS)?.split_once('/')?;
    let (rank, world) = rest.strip_suffix(".pickle")?.split_once("-of-")?;
    Some((step.parse().ok()?, rank.parse().ok()?, world.parse().ok()?))
}

/// The step a data key belongs to.
fn parse_data_key(key: &str) -> Option<u64> {
    key.strip_prefix(STEPS)?.split_once('/')?.0.parse().ok()
}

/// A key no other attempt uses: time, process, a counter and random bits.
fn attempt_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let mut random = [0u8; 8];
    let _ = std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut random));
    format!(
        "{nanos:x}-{:x}-{:x}-{:016x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        u64::from_le_bytes(random)
    )
}

fn read_marker(store: &dyn Store, key: &str) -> Result<Option<Marker>> {
    let Some(blob) = store.read(key)? else { return Ok(None) };
    pickle_core::from_slice(blob.bytes()).map(Some).map_err(|e| Error::codec(ErrorKind::Corrupt, &store.name(key), e))
}

/// The marker of `step`, if it is committed.
pub(crate) fn marker(store: &dyn Store, step: u64) -> Result<Option<Marker>> {
    read_marker(store, &marker_key(step))
}

/// The committed steps, oldest first.
pub(crate) fn committed_steps(store: &dyn Store) -> Result<Vec<u64>> {
    let mut steps: Vec<u64> = store.list(COMMITS)?.iter().filter_map(|l| parse_marker_key(&l.key)).collect();
    steps.sort_unstable();
    Ok(steps)
}

/// Whether this save committed the step (a shard may leave that to a later
/// rank).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Committed,
    ShardSaved,
}

/// Saves one shard (`world` 1 for a plain save) of `step`: uploads the
/// object, then the receipt or marker. `pickle_len` and `fill` give the
/// pickle; `info` goes into the object's trailer and the marker.
pub(crate) fn save(
    store: &dyn Store,
    step: u64,
    rank: u32,
    world: u32,
    info: &StepInfo,
    pickle_len: u64,
    fill: Fill<'_>,
) -> Result<Outcome> {
    let mkey = marker_key(step);
    if world == 0 || rank >= world {
        return Err(Error::new(
            ErrorKind::Encode,
            &store.name(&mkey),
            format!("rank {rank} is not one of a world of {world} shards"),
        ));
    }
    if store.read(&mkey)?.is_some() {
        return Err(conflict(store, &mkey, step, "it is already committed"));
    }
    let key = format!("{STEPS}{step:020}/{}/shard-{rank:05}-of-{world:05}.pickle", attempt_id());
    let ext = info.to_pickle_bytes();
    let (size, crc32c) = store.put(&key, pickle_len, &ext, fill)?;
    let ours = Marker { step, shards: world, info: info.clone(), objects: vec![ObjectRef { key, rank, size, crc32c }] };
    if world == 1 {
        return create_or_conflict(store, &mkey, &ours).map(|()| Outcome::Committed);
    }
    // A rank may save its shard again until the step commits (a job
    // restarted after a crash redoes the step): the newest receipt counts.
    store.replace(&receipt_key(step, rank, world), &ours.to_bytes())?;
    if commit_if_complete(store, step, world)? { Ok(Outcome::Committed) } else { Ok(Outcome::ShardSaved) }
}

/// Creates `key` holding `marker`. When it exists already: ours (a retried
/// create whose answer was lost) is success; anyone else's is a conflict,
/// and our data goes.
fn create_or_conflict(store: &dyn Store, key: &str, marker: &Marker) -> Result<()> {
    if store.create(key, &marker.to_bytes())? {
        return Ok(());
    }
    let theirs = read_marker(store, key)?;
    if theirs.as_ref().map(|m| &m.objects) == Some(&marker.objects) {
        return Ok(());
    }
    for object in &marker.objects {
        store.delete(&object.key)?;
    }
    Err(conflict(store, key, marker.step, "another writer committed it first"))
}

fn conflict(store: &dyn Store, key: &str, step: u64, why: &str) -> Error {
    Error::new(ErrorKind::Conflict, &store.name(key), format!("step {step} was not saved: {why}"))
}

/// Creates the marker of `step` from its receipts if all `world` of them
/// are there. Returns whether the step is committed now.
fn commit_if_complete(store: &dyn Store, step: u64, world: u32) -> Result<bool> {
    let prefix = format!("{PARTS}{step:020}/");
    let mut ranks = BTreeSet::new();
    for listed in store.list(&prefix)? {
        if let Some((_, rank, _)) = parse_receipt_key(&listed.key).filter(|&(s, _, w)| s == step && w == world) {
            ranks.insert(rank);
        }
    }
    if ranks.len() != world as usize {
        return Ok(false);
    }
    let mut objects = Vec::with_capacity(world as usize);
    let mut info = None;
    for rank in 0..world {
        let key = receipt_key(step, rank, world);
        let Some(receipt) = read_marker(store, &key)? else { return Ok(false) };
        if rank == 0 {
            info = Some(receipt.info.clone());
        }
        objects.extend(receipt.objects);
    }
    let Some(mut info) = info else { return Ok(false) };
    info.shards = world;
    let marker = Marker { step, shards: world, info, objects };
    let mkey = marker_key(step);
    if store.create(&mkey, &marker.to_bytes())? {
        return Ok(true);
    }
    // Another rank saw every receipt too and committed the same objects.
    match read_marker(store, &mkey)? {
        Some(m) if m.objects == marker.objects => Ok(true),
        _ => Err(conflict(store, &mkey, step, "its marker names other objects")),
    }
}

/// Reads and verifies the object `rank` of a committed step: its size and
/// CRC-32C against the marker, and its trailer's shape. Returns the bytes
/// and the pickle's length.
pub(crate) fn open_object(store: &dyn Store, marker: &Marker, rank: u32) -> Result<(Blob, usize)> {
    let mkey = marker_key(marker.step);
    let Some(object) = marker.object(rank) else {
        return Err(Error::new(
            ErrorKind::NotFound,
            &store.name(&mkey),
            format!("step {} has no shard {rank} (it has {})", marker.step, marker.shards),
        ));
    };
    let name = store.name(&object.key);
    let corrupt = |why: String| Error::new(ErrorKind::Corrupt, &name, format!("corrupt checkpoint: {why}"));
    let Some(blob) = store.read(&object.key)? else {
        return Err(corrupt(format!("the object its marker names is missing ({})", mkey)));
    };
    let bytes = blob.bytes();
    if bytes.len() as u64 != object.size {
        return Err(corrupt(format!("the marker says {} bytes, the object holds {}", object.size, bytes.len())));
    }
    let crc = crc32c::crc32c(bytes);
    if crc != object.crc32c {
        return Err(corrupt(format!("its checksum is {crc:08x}, the marker says {:08x}", object.crc32c)));
    }
    let trailer = Trailer::find(bytes).ok_or_else(|| corrupt("it has no integrity trailer".into()))?;
    let len = trailer.check_shape(bytes).map_err(corrupt)?;
    Ok((blob, len))
}

/// Deletes a committed step: the marker first (the step is gone from then
/// on), then its objects, receipts and any other data under it.
pub(crate) fn drop_step(store: &dyn Store, step: u64) -> Result<()> {
    let marker = marker(store, step);
    store.delete(&marker_key(step))?;
    if let Ok(Some(marker)) = marker {
        for object in &marker.objects {
            store.delete(&object.key)?;
        }
    }
    for prefix in [format!("{PARTS}{step:020}/"), format!("{STEPS}{step:020}/")] {
        for listed in store.list(&prefix)? {
            store.delete(&listed.key)?;
        }
    }
    Ok(())
}

/// What [`collect`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Collected {
    /// Steps whose receipts were all there, committed now.
    pub rolled_forward: Vec<u64>,
    /// Objects deleted: no marker or receipt names them, older than grace.
    pub deleted: usize,
}

/// Finishes steps whose shards are all saved but whose marker is missing,
/// and deletes data and receipts of uncommitted steps older than `grace`
/// (younger ones may belong to a save in flight).
pub(crate) fn collect(store: &dyn Store, grace: Duration) -> Result<Collected> {
    let mut done = Collected::default();
    let committed: BTreeSet<u64> = committed_steps(store)?.into_iter().collect();
    let now = SystemTime::now();
    let old = |modified: SystemTime| now.duration_since(modified).is_ok_and(|age| age >= grace);

    // Receipts of uncommitted steps: roll forward, or delete when stale.
    let mut named = BTreeSet::new();
    let receipts = store.list(PARTS)?;
    let mut pending: BTreeSet<(u64, u32)> = BTreeSet::new();
    for listed in &receipts {
        if let Some((step, _, world)) = parse_receipt_key(&listed.key).filter(|k| !committed.contains(&k.0)) {
            pending.insert((step, world));
        }
    }
    for &(step, world) in &pending {
        if commit_if_complete(store, step, world).unwrap_or(false) {
            done.rolled_forward.push(step);
        }
    }
    let committed: BTreeSet<u64> = committed.into_iter().chain(done.rolled_forward.iter().copied()).collect();
    for listed in &receipts {
        let Some((step, ..)) = parse_receipt_key(&listed.key) else { continue };
        if committed.contains(&step) || !old(listed.modified) {
            if let Ok(Some(receipt)) = read_marker(store, &listed.key) {
                named.extend(receipt.objects.into_iter().map(|o| o.key));
            }
        } else {
            store.delete(&listed.key)?;
            done.deleted += 1;
        }
    }
    for &step in &committed {
        if let Ok(Some(marker)) = marker(store, step) {
            named.extend(marker.objects.into_iter().map(|o| o.key));
        }
    }
    for listed in store.list(STEPS)? {
        if named.contains(&listed.key) || !old(listed.modified) || parse_data_key(&listed.key).is_none() {
            continue;
        }
        store.delete(&listed.key)?;
        done.deleted += 1;
    }
    Ok(done)
}
