//! The integrity trailer that follows a checkpoint's `STOP` opcode.
//!
//! `pickle.load` stops reading at `STOP` and never sees it. Layout, 24 bytes,
//! little-endian:
//!
//! | bytes | field |
//! |---|---|
//! | 0..8 | magic `PKRSTRLR` |
//! | 8..12 | format version, 1 |
//! | 12..16 | CRC-32C of the pickle bytes |
//! | 16..24 | length of the pickle bytes |
//!
//! A file is whole when it is exactly `length + 24` bytes, the pickle ends
//! with `STOP`, and the checksum matches.

/// The trailer's size in bytes.
pub const TRAILER_LEN: usize = 24;
const MAGIC: [u8; 8] = *b"PKRSTRLR";
/// The format version this crate writes and reads.
pub const VERSION: u32 = 1;

/// A parsed trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trailer {
    /// The format version.
    pub version: u32,
    /// CRC-32C of the pickle bytes.
    pub crc: u32,
    /// Length of the pickle bytes.
    pub len: u64,
}

impl Trailer {
    /// The trailer's bytes.
    pub fn to_bytes(self) -> [u8; TRAILER_LEN] {
        let mut out = [0u8; TRAILER_LEN];
        out[0..8].copy_from_slice(&MAGIC);
        out[8..12].copy_from_slice(&self.version.to_le_bytes());
        out[12..16].copy_from_slice(&self.crc.to_le_bytes());
        out[16..24].copy_from_slice(&self.len.to_le_bytes());
        out
    }

    /// The trailer at the end of `file`, if its last 24 bytes carry the magic.
    /// Says nothing about whether it matches the rest: see [`Trailer::check`].
    pub fn find(file: &[u8]) -> Option<Trailer> {
        let start = file.len().checked_sub(TRAILER_LEN)?;
        let t = &file[start..];
        if t[0..8] != MAGIC {
            return None;
        }
        let u32_at = |at: usize| t.get(at..at + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
        let len = t.get(16..24).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes)?;
        Some(Trailer { version: u32_at(8)?, crc: u32_at(12)?, len })
    }

    /// Checks the trailer's shape against the file: version, length, final
    /// `STOP`. O(1). `Err` says what is wrong.
    pub fn check_shape(&self, file: &[u8]) -> Result<usize, String> {
        if self.version != VERSION {
            return Err(format!("its trailer has format version {}, this build reads {VERSION}", self.version));
        }
        let expected = (file.len() - TRAILER_LEN) as u64;
        if self.len != expected {
            return Err(format!("its trailer declares {} pickle bytes, the file holds {expected}", self.len));
        }
        let len = self.len as usize;
        if len == 0 || file[len - 1] != pickle_core::opcodes::STOP {
            return Err("the pickle before its trailer does not end with STOP".into());
        }
        Ok(len)
    }

    /// Checks the checksum of the pickle bytes. Reads them all.
    pub fn check_crc(&self, pickle: &[u8]) -> Result<(), String> {
        let crc = crc32c::crc32c(pickle);
        if crc != self.crc {
            return Err(format!("its checksum is {crc:08x}, the trailer says {:08x}", self.crc));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailer_round_trips_and_rejects_damage() {
        let pickle = b"\x80\x04K\x01.";
        let t = Trailer { version: VERSION, crc: crc32c::crc32c(pickle), len: pickle.len() as u64 };
        let mut file = pickle.to_vec();
        file.extend_from_slice(&t.to_bytes());
        let found = Trailer::find(&file).expect("trailer");
        assert_eq!(found, t);
        assert_eq!(found.check_shape(&file), Ok(pickle.len()));
        assert_eq!(found.check_crc(&file[..pickle.len()]), Ok(()));

        let mut flipped = file.clone();
        flipped[2] ^= 1;
        assert!(Trailer::find(&flipped).expect("trailer").check_crc(&flipped[..5]).unwrap_err().contains("checksum"));
        let short = &file[1..];
        assert!(Trailer::find(short).expect("trailer").check_shape(short).unwrap_err().contains("declares 5"));
        assert_eq!(Trailer::find(&file[..file.len() - 1]), None);
    }
}
