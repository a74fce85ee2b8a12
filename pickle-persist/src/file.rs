//! Single files: atomic, durable saves written through a memory map, and
//! mapped loads that borrow from the map.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::{Mmap, MmapOptions};
use pickle_core::{EncodeOptions, FromPickle, FromPickleOwned, ToPickle, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::meta::StepInfo;
use crate::store::Fill;
use crate::trailer::{TRAILER_LEN, Trailer};

/// Saves `value` to `path` as a pickle (protocol 4) with an integrity trailer,
/// atomically and durably.
///
/// The pickle is written to a temporary file in the same directory through
/// a memory map sized to the encoded length; the map is flushed and the file
/// fsynced, then renamed over `path`, and the directory is fsynced. A reader
/// never sees a partial file under `path`, and a failed save leaves no
/// temporary file behind. Python opens the result with plain `pickle.load`.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("pickle-persist-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("state.pickle");
/// pickle_persist::save(&path, &vec![1.5f64, 2.5])?;
/// let back: Vec<f64> = pickle_persist::load(&path)?;
/// assert_eq!(back, [1.5, 2.5]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save<T: ToPickle + ?Sized>(path: impl AsRef<Path>, value: &T) -> Result<()> {
    save_with(path, value, EncodeOptions::default())
}

/// [`save`] with encoding options, such as the protocol.
pub fn save_with<T: ToPickle + ?Sized>(path: impl AsRef<Path>, value: &T, opts: EncodeOptions) -> Result<()> {
    let path = path.as_ref();
    let len = encoded_len(value, opts).map_err(|e| Error::codec(ErrorKind::Encode, path, e))?;
    write_pickle_atomic(path, len, &[], &mut |out| {
        pickle_core::to_writer_with(out, value, opts).map_err(|e| Error::codec(ErrorKind::Encode, path, e))
    })
    .map(drop)
}

/// Writes the `len` bytes of pickle that `fill` writes, then `ext` and the
/// trailer, atomically at `path`; returns the file's size and the CRC-32C of
/// all its bytes.
pub(crate) fn write_pickle_atomic(path: &Path, len: u64, ext: &[u8], fill: Fill<'_>) -> Result<(u64, u32)> {
    write_atomic(path, len, ext, |dst, file| {
        let mut out = SliceWriter::new(dst, file);
        fill(&mut out)?;
        if out.pos != out.buf.len() {
            return Err(Error::new(
                ErrorKind::Encode,
                path,
                format!("the value encoded to {} bytes, then to {} bytes: it changed while saving", len, out.pos),
            ));
        }
        Ok(out.crc)
    })
}

/// Saves bytes that are already a pickle, with the trailer and `ext` as its
/// extension, atomically; returns the file's size and the CRC-32C of all
/// its bytes.
pub(crate) fn save_encoded(path: &Path, pickle: &[u8], ext: &[u8]) -> Result<(u64, u32)> {
    write_atomic(path, pickle.len() as u64, ext, |dst, file| {
        let mut out = SliceWriter::new(dst, file);
        std::io::Write::write_all(&mut out, pickle)
            .map_err(|e| Error::io(path, "cannot copy into the mapped file", e))?;
        Ok(out.crc)
    })
}

/// How many bytes `value` encodes to, without keeping them.
pub(crate) fn encoded_len<T: ToPickle + ?Sized>(value: &T, opts: EncodeOptions) -> pickle_core::Result<u64> {
    let mut counter = Counted { inner: io::sink(), len: 0 };
    pickle_core::to_writer_with(&mut counter, value, opts)?;
    Ok(counter.len)
}

/// Passes bytes through to `inner`, counting them.
pub(crate) struct Counted<W> {
    pub inner: W,
    pub len: u64,
}

impl<W: io::Write> io::Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes into a fixed slice (the map), checksumming as the bytes pass, and
/// starting the disk writes of each filled stretch right away.
struct SliceWriter<'b> {
    buf: &'b mut [u8],
    pos: usize,
    crc: u32,
    /// The mapped file.
    file: &'b File,
    /// Bytes whose writeback has been started.
    written_back: usize,
    /// Bytes of `buf` whose pages are populated.
    populated: usize,
}

/// Writeback is started every this many bytes of filled map.
const WRITEBACK_STEP: usize = 32 << 20;

/// The map is populated this far ahead of the bytes being copied.
const POPULATE_STEP: usize = 8 << 20;

impl<'b> SliceWriter<'b> {
    fn new(buf: &'b mut [u8], file: &'b File) -> Self {
        SliceWriter { buf, pos: 0, crc: 0, file, written_back: 0, populated: 0 }
    }

    /// Populates the map's pages up to `end` (in steps), just ahead of the
    /// copy that fills them.
    fn populate_to(&mut self, end: usize) {
        while self.populated < end {
            let step = POPULATE_STEP.min(self.buf.len() - self.populated);
            prefault(&mut self.buf[self.populated..self.populated + step]);
            self.populated += step;
        }
    }

    /// Starts (without waiting for) the disk writes of what was filled since
    /// the last call, so that the final sync overlaps with filling instead of
    /// following it, as a write(2) loop's background writeback would.
    fn start_writeback(&mut self) {
        use std::os::fd::AsRawFd;
        if self.pos - self.written_back < WRITEBACK_STEP {
            return;
        }
        let (Ok(offset), Ok(len)) =
            (libc::off64_t::try_from(self.written_back), libc::off64_t::try_from(self.pos - self.written_back))
        else {
            return;
        };
        // SAFETY: the descriptor is open for the borrow of `file`, and
        // sync_file_range only reads its integer arguments. It is a hint:
        // a failure is caught by the msync and fsync that follow.
        let _ = unsafe { libc::sync_file_range(self.file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE) };
        self.written_back = self.pos;
    }
}

impl io::Write for SliceWriter<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let end = self.pos.checked_add(data.len()).filter(|&e| e <= self.buf.len()).ok_or_else(|| {
            io::Error::new(io::ErrorKind::WriteZero, "the value encoded longer than it did when it was measured")
        })?;
        self.populate_to(end);
        self.buf[self.pos..end].copy_from_slice(data);
        self.crc = crc32c::crc32c_append(self.crc, data);
        self.pos = end;
        self.start_writeback();
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The prefix of every temporary file this crate creates.
pub(crate) const TEMP_PREFIX: &str = ".pickle-persist-tmp.";

/// A fresh temporary name in `dir` for a file to be put at `path`.
pub(crate) fn temp_path(dir: &Path, path: &Path) -> Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| Error::new(ErrorKind::Io, path, "the path names no file"))?;
    Ok(dir.join(format!(
        "{TEMP_PREFIX}{}.{}.{}",
        name.to_string_lossy(),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    )))
}

/// A temporary file removed on drop unless it was committed.
struct TempFile {
    path: PathBuf,
    committed: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Writes `pickle_len` bytes produced by `fill` (which returns their
/// CRC-32C), then `ext` and the trailer, to a temp file through a map,
/// syncs it, renames it over `path`, syncs the directory. Returns the
/// file's size and the CRC-32C of all its bytes.
fn write_atomic(
    path: &Path,
    pickle_len: u64,
    ext: &[u8],
    fill: impl FnOnce(&mut [u8], &File) -> Result<u32>,
) -> Result<(u64, u32)> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let temp_path = temp_path(&dir, path)?;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&temp_path)
        .map_err(|e| Error::io(&temp_path, "cannot create the temporary file", e))?;
    let mut temp = TempFile { path: temp_path, committed: false };

    let suffix = Trailer::new(pickle_len, ext.len() as u64, 0).suffix_len();
    let total = pickle_len + suffix;
    let total_usize =
        usize::try_from(total).map_err(|_| Error::new(ErrorKind::Io, path, "the file is too large to map"))?;
    reserve(&file, total).map_err(|e| Error::io(&temp.path, "cannot reserve space for the temporary file", e))?;
    // Not MAP_POPULATE, which prefaults for reading and then faults again on
    // every write (4-5 s per GiB on ext4 here); the writer populates the
    // pages writable instead, a few MiB ahead of its copy (`prefault`).
    // SAFETY: the file was created just now with `create_new` under a name no
    // other writer uses; nothing else maps or writes it while this map lives,
    // so the slice the map hands out is not changed behind our back.
    let mut map = unsafe { MmapOptions::new().len(total_usize).map_mut(&file) }
        .map_err(|e| Error::io(&temp.path, "cannot map the temporary file", e))?;
    let pickle_end = pickle_len as usize;
    let crc = fill(&mut map[..pickle_end], &file)?;
    let ext_end = pickle_end + ext.len();
    map[pickle_end..ext_end].copy_from_slice(ext);
    let trailer = Trailer::new(pickle_len, ext.len() as u64, crc32c::crc32c_append(crc, ext));
    map[ext_end..].copy_from_slice(&trailer.to_bytes());
    let whole_crc = crc32c::crc32c_append(trailer.crc, &map[total_usize - TRAILER_LEN..]);
    map.flush().map_err(|e| Error::io(&temp.path, "cannot flush the mapped file", e))?;
    drop(map);
    file.sync_all().map_err(|e| Error::io(&temp.path, "cannot fsync the temporary file", e))?;
    drop(file);

    fs::rename(&temp.path, path).map_err(|e| Error::io(path, "cannot rename the temporary file over it", e))?;
    temp.committed = true;
    sync_dir(&dir)?;
    Ok((total, whole_crc))
}

/// Maps a stretch of the map writable in one call (MADV_POPULATE_WRITE,
/// Linux 5.14+) instead of one page fault per 4 KiB while copying. Done a
/// few MiB ahead of the copy (see [`POPULATE_STEP`]): measured here on
/// 1 GiB, faulting page by page took 1.1-2.1 s, populating the whole map
/// up front 0.40-2.4 s (erratic), and populating 2-32 MiB steps ahead of
/// the copy 0.29 s in five runs of six. Older kernels refuse the advice,
/// and then pages fault in as usual. `range` starts on a page boundary: the
/// map does, and steps are multiples of the page size.
fn prefault(range: &mut [u8]) {
    const MADV_POPULATE_WRITE: libc::c_int = 23;
    if range.is_empty() {
        return;
    }
    // SAFETY: the range is part of a live shared file mapping, borrowed
    // mutably for the call; the advice only populates its page tables and
    // changes no byte of it.
    let _ = unsafe { libc::madvise(range.as_mut_ptr().cast(), range.len(), MADV_POPULATE_WRITE) };
}

/// Sizes the file and reserves its blocks on disk. Writing through a map of
/// a sparse file on a full disk raises SIGBUS; reserving first turns a full
/// disk into an `ENOSPC` error here.
fn reserve(file: &File, len: u64) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let len = libc::off_t::try_from(len).map_err(|_| std::io::Error::from(std::io::ErrorKind::FileTooLarge))?;
    // SAFETY: the descriptor is open and owned by `file` for the whole call;
    // posix_fallocate only reads its integer arguments.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) };
    match rc {
        0 => Ok(()),
        // Filesystems without fallocate support: fall back to sizing only.
        libc::EOPNOTSUPP => file.set_len(len as u64),
        errno => Err(std::io::Error::from_raw_os_error(errno)),
    }
}

/// Fsyncs a directory, so that a rename in it is durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| Error::io(dir, "cannot fsync the directory", e))
}

/// A pickle file mapped into memory. Opening it costs O(1) in the file's
/// size: only the trailer is read. Values decoded from it borrow strings and
/// bytes from the map, so reaching one field of a large checkpoint touches
/// only the pages that lead to it.
///
/// ```
/// use pickle_core::Value;
///
/// let dir = std::env::temp_dir().join(format!("pickle-persist-mapped-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("blob.pickle");
/// pickle_persist::save(&path, &(7u32, vec![0u8; 1 << 20]))?;
///
/// let mapped = pickle_persist::Mapped::open(&path)?;
/// let (step, blob): (u32, &[u8]) = mapped.decode()?; // blob borrows from the map
/// assert_eq!((step, blob.len()), (7, 1 << 20));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Mapped {
    map: Mmap,
    path: PathBuf,
    pickle_len: usize,
    trailer: Option<Trailer>,
}

impl Mapped {
    /// Maps `path` and checks the shape of its trailer, if it has one.
    pub fn open(path: impl AsRef<Path>) -> Result<Mapped> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::io(path, "cannot open", e))?;
        let len = file.metadata().map_err(|e| Error::io(path, "cannot stat", e))?.len();
        if len == 0 {
            return Err(Error::new(ErrorKind::Corrupt, path, "corrupt checkpoint: the file is empty"));
        }
        // SAFETY: files under their final names are only ever replaced by an
        // atomic rename, never written in place, so the mapped inode does not
        // change while the map lives. A program that edits the file in place
        // breaks that promise; we document it on `Mapped`.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, "cannot map", e))?;
        let trailer = Trailer::find(&map);
        let pickle_len = match trailer {
            Some(t) => t
                .check_shape(&map)
                .map_err(|why| Error::new(ErrorKind::Corrupt, path, format!("corrupt checkpoint: {why}")))?,
            None => map.len(),
        };
        Ok(Mapped { map, path: path.to_path_buf(), pickle_len, trailer })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file carries an integrity trailer. Plain pickles (written
    /// by Python, say) do not.
    pub fn has_trailer(&self) -> bool {
        self.trailer.is_some()
    }

    /// Checks the checksum, reading the whole pickle. A plain pickle without
    /// a trailer has nothing to check and passes.
    pub fn verify(&self) -> Result<()> {
        match self.trailer {
            Some(t) => t
                .check_crc(&self.map)
                .map_err(|why| Error::new(ErrorKind::Corrupt, &self.path, format!("corrupt checkpoint: {why}"))),
            None => Ok(()),
        }
    }

    /// The step's metadata, from the trailer's extension (format 2). `None`
    /// for files without one; `Err` when the extension does not decode.
    pub fn info(&self) -> Result<Option<StepInfo>> {
        match self.trailer {
            Some(t) if t.ext_len > 0 => pickle_core::from_slice(t.extension(&self.map))
                .map(Some)
                .map_err(|e| Error::codec(ErrorKind::Corrupt, &self.path, e)),
            _ => Ok(None),
        }
    }

    /// The file's bytes, the trailer included.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// The pickle's bytes, without the trailer.
    pub fn pickle_bytes(&self) -> &[u8] {
        &self.map[..self.pickle_len]
    }

    /// Decodes the pickle into a [`Value`] that borrows from the map.
    pub fn value(&self) -> Result<Value<'_>> {
        self.decode()
    }

    /// Decodes the pickle into `T`, which may borrow from the map.
    pub fn decode<'m, T: FromPickle<'m>>(&'m self) -> Result<T> {
        pickle_core::from_slice(self.pickle_bytes()).map_err(|e| self.decode_error(e))
    }

    fn decode_error(&self, e: pickle_core::Error) -> Error {
        decode_error(&self.path, e)
    }
}

/// A decoding error of the pickle at `path`: a type mismatch is the
/// caller's problem; anything else means the bytes are damaged.
pub(crate) fn decode_error(path: &Path, e: pickle_core::Error) -> Error {
    let kind = match e.kind() {
        pickle_core::ErrorKind::Mismatch | pickle_core::ErrorKind::Custom => ErrorKind::Decode,
        _ => ErrorKind::Corrupt,
    };
    Error::codec(kind, path, e)
}

/// Loads the pickle at `path` into `T`: maps it, verifies the trailer's
/// checksum (when there is a trailer), and decodes straight from the map
/// into `T`, which owns its data. A torn or damaged file is an
/// [`ErrorKind::Corrupt`] error naming the path. For a [`Value`], use
/// [`load_value`]; to borrow from the file, use [`Mapped`].
pub fn load<T: FromPickleOwned>(path: impl AsRef<Path>) -> Result<T> {
    load_mapped(&Mapped::open(path)?)
}

/// Loads the pickle at `path` as a [`Value`] that owns its data, verified
/// like [`load`].
pub fn load_value(path: impl AsRef<Path>) -> Result<Value<'static>> {
    let mapped = Mapped::open(path)?;
    mapped.verify()?;
    pickle_core::from_slice_owned(mapped.pickle_bytes()).map_err(|e| mapped.decode_error(e))
}

/// Verifies a mapped file and decodes it into a value that owns its data.
pub(crate) fn load_mapped<T: FromPickleOwned>(mapped: &Mapped) -> Result<T> {
    mapped.verify()?;
    mapped.decode()
}
