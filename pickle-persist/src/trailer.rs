//! The integrity trailer that follows a checkpoint's `STOP` opcode.
//!
//! `pickle.load` stops reading at `STOP` and never sees it. Both versions
//! end with the same 24 bytes, little-endian:
//!
//! | bytes from the end | field |
//! |---|---|
//! | 24..16 | magic `PKRSTRLR` |
//! | 16..12 | format version, 1 or 2 |
//! | 12..8 | CRC-32C of everything before the magic |
//! | 8..0 | length of the pickle bytes |
//!
//! Version 1 files are `pickle ‖ trailer`. Version 2 files carry an
//! extension between the pickle and the trailer, and its length just before
//! the magic: `pickle ‖ extension ‖ u64 extension length ‖ trailer`. The
//! extension is a second pickle, a plain dict (the step's metadata: see
//! [`StepInfo`](crate::StepInfo)), which Python reads with
//! `pickle.loads(data[pickle_len:pickle_len + ext_len])`. A reader that
//! knows only version 1 finds the magic and reports the version it cannot
//! read instead of a torn file.
//!
//! A file is whole when its length matches the trailer's lengths, the
//! pickle ends with `STOP`, and the checksum matches.

/// The size in bytes of the trailer's fixed part (all of version 1's).
pub const TRAILER_LEN: usize = 24;
const MAGIC: [u8; 8] = *b"PKRSTRLR";
/// The newest format version this crate writes and reads.
pub const VERSION: u32 = 2;
/// The format of files without an extension.
pub const VERSION_PLAIN: u32 = 1;

/// A parsed trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trailer {
    /// The format version.
    pub version: u32,
    /// CRC-32C of everything before the magic: the pickle, and in version 2
    /// the extension and its length.
    pub crc: u32,
    /// Length of the pickle bytes.
    pub len: u64,
    /// Length of the extension (0 in version 1).
    pub ext_len: u64,
}

impl Trailer {
    /// The trailer of a file whose pickle is `len` bytes followed by an
    /// extension of `ext_len` bytes (version 1 when there is none), given
    /// the CRC-32C of the pickle and extension bytes.
    pub fn new(len: u64, ext_len: u64, crc_of_pickle_and_ext: u32) -> Trailer {
        if ext_len == 0 {
            return Trailer { version: VERSION_PLAIN, crc: crc_of_pickle_and_ext, len, ext_len };
        }
        let crc = crc32c::crc32c_append(crc_of_pickle_and_ext, &ext_len.to_le_bytes());
        Trailer { version: VERSION, crc, len, ext_len }
    }

    /// How many bytes follow the pickle: the extension, its length and the
    /// fixed trailer.
    pub fn suffix_len(&self) -> u64 {
        if self.version == VERSION_PLAIN { TRAILER_LEN as u64 } else { self.ext_len + 8 + TRAILER_LEN as u64 }
    }

    /// The bytes that follow the extension (for version 1, all that follow
    /// the pickle).
    pub fn to_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + TRAILER_LEN);
        if self.version != VERSION_PLAIN {
            out.extend_from_slice(&self.ext_len.to_le_bytes());
        }
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&self.crc.to_le_bytes());
        out.extend_from_slice(&self.len.to_le_bytes());
        out
    }

    /// The trailer at the end of `file`, if its last 24 bytes carry the magic.
    /// Says nothing about whether it matches the rest: see
    /// [`Trailer::check_shape`].
    pub fn find(file: &[u8]) -> Option<Trailer> {
        let start = file.len().checked_sub(TRAILER_LEN)?;
        let t = &file[start..];
        if t[0..8] != MAGIC {
            return None;
        }
        let u32_at = |at: usize| t.get(at..at + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
        let len = t.get(16..24).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes)?;
        let version = u32_at(8)?;
        let ext_len = match version {
            VERSION_PLAIN => 0,
            _ => start
                .checked_sub(8)
                .and_then(|at| file.get(at..start))
                .and_then(|b| b.try_into().ok())
                .map(u64::from_le_bytes)
                .unwrap_or(u64::MAX),
        };
        Some(Trailer { version, crc: u32_at(12)?, len, ext_len })
    }

    /// Checks the trailer's shape against the file: version, lengths, final
    /// `STOP`. O(1). Returns the pickle's length; `Err` says what is wrong.
    pub fn check_shape(&self, file: &[u8]) -> Result<usize, String> {
        if self.version != VERSION && self.version != VERSION_PLAIN {
            return Err(format!(
                "its trailer has format version {}, this build reads {VERSION_PLAIN} and {VERSION}",
                self.version
            ));
        }
        let whole = self.len.checked_add(self.suffix_len()).filter(|&n| n == file.len() as u64);
        if whole.is_none() {
            let held = file.len() as u64;
            return Err(match self.version {
                VERSION_PLAIN => format!(
                    "its trailer declares {} pickle bytes, the file holds {}",
                    self.len,
                    held - TRAILER_LEN as u64
                ),
                _ => format!(
                    "its trailer declares {} pickle bytes and {} extension bytes, the file holds {} in all",
                    self.len,
                    self.ext_len,
                    held - TRAILER_LEN as u64 - 8
                ),
            });
        }
        let len = self.len as usize;
        if len == 0 || file[len - 1] != pickle_core::opcodes::STOP {
            return Err("the pickle before its trailer does not end with STOP".into());
        }
        Ok(len)
    }

    /// The extension's bytes (empty in version 1). Call after
    /// [`check_shape`](Self::check_shape) passed.
    pub fn extension<'f>(&self, file: &'f [u8]) -> &'f [u8] {
        let start = self.len as usize;
        file.get(start..start.saturating_add(self.ext_len as usize)).unwrap_or_default()
    }

    /// Checks the checksum over the whole `file`, which passed
    /// [`check_shape`](Self::check_shape). Reads every byte.
    pub fn check_crc(&self, file: &[u8]) -> Result<(), String> {
        let covered = &file[..file.len() - TRAILER_LEN];
        let crc = crc32c::crc32c(covered);
        if crc != self.crc {
            return Err(format!("its checksum is {crc:08x}, the trailer says {:08x}", self.crc));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_of(pickle: &[u8], ext: &[u8]) -> Vec<u8> {
        let crc = crc32c::crc32c_append(crc32c::crc32c(pickle), ext);
        let t = Trailer::new(pickle.len() as u64, ext.len() as u64, crc);
        let mut file = pickle.to_vec();
        file.extend_from_slice(ext);
        file.extend_from_slice(&t.to_bytes());
        file
    }

    #[test]
    fn version_1_round_trips_and_rejects_damage() {
        let pickle = b"\x80\x04K\x01.";
        let file = file_of(pickle, b"");
        assert_eq!(file.len(), pickle.len() + TRAILER_LEN);
        let found = Trailer::find(&file).expect("trailer");
        assert_eq!((found.version, found.len, found.ext_len), (1, 5, 0));
        assert_eq!(found.check_shape(&file), Ok(pickle.len()));
        assert_eq!(found.check_crc(&file), Ok(()));
        assert_eq!(found.extension(&file), b"");

        let mut flipped = file.clone();
        flipped[2] ^= 1;
        assert!(Trailer::find(&flipped).expect("trailer").check_crc(&flipped).unwrap_err().contains("checksum"));
        let short = &file[1..];
        let err = Trailer::find(short).expect("trailer").check_shape(short).unwrap_err();
        assert_eq!(err, "its trailer declares 5 pickle bytes, the file holds 4");
        assert_eq!(Trailer::find(&file[..file.len() - 1]), None);
    }

    #[test]
    fn version_2_carries_an_extension_under_the_checksum() {
        let pickle = b"\x80\x04K\x01.";
        let ext = b"\x80\x04}\x94.";
        let file = file_of(pickle, ext);
        assert_eq!(file.len(), pickle.len() + ext.len() + 8 + TRAILER_LEN);
        let found = Trailer::find(&file).expect("trailer");
        assert_eq!((found.version, found.len, found.ext_len), (2, 5, 5));
        assert_eq!(found.check_shape(&file), Ok(5));
        assert_eq!(found.extension(&file), ext);
        assert_eq!(found.check_crc(&file), Ok(()));

        // A flipped bit in the extension or in its length is caught.
        let mut flipped = file.clone();
        flipped[7] ^= 1;
        assert!(found.check_crc(&flipped).unwrap_err().contains("checksum"));
        let mut grown = file.clone();
        grown[11] ^= 1;
        let err = Trailer::find(&grown).expect("trailer").check_shape(&grown).unwrap_err();
        assert!(err.starts_with("its trailer declares 5 pickle bytes and 261 extension bytes"), "{err}");
        // An unknown version is named.
        let mut future = file.clone();
        let at = future.len() - 16;
        future[at] = 9;
        let err = Trailer::find(&future).expect("trailer").check_shape(&future).unwrap_err();
        assert_eq!(err, "its trailer has format version 9, this build reads 1 and 2");
    }
}
