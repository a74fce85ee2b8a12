//! A zip reader as lenient as PyTorch's (miniz): CRCs, flag bits and a
//! local name that differs from the central directory's are ignored, so
//! every member a loader could read is found. Members come from the
//! central directory and from a walk over the local headers, so a member
//! the directory hides (or lists twice) is still scanned; the anomalies are
//! reported.

use std::collections::BTreeMap;

const LOCAL: &[u8; 4] = b"PK\x03\x04";
const CENTRAL: &[u8; 4] = b"PK\x01\x02";
const END: &[u8; 4] = b"PK\x05\x06";
/// The largest member inflated, so a zip bomb is an error, not an OOM.
pub(crate) const MAX_INFLATED: usize = 1 << 30;
/// How much of a deflated member is inflated first, to see whether the
/// rest matters (an `.npy` of plain data needs only its header).
const PEEK: usize = 64 << 10;

/// One member's bytes, or why they could not be had.
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) name: String,
    /// Where its local header starts in the archive.
    pub(crate) offset: usize,
    pub(crate) data: Result<Vec<u8>, String>,
}

/// What is odd about an archive (torch.save never writes any of it).
#[derive(Debug, Default)]
pub(crate) struct Archive {
    pub(crate) members: Vec<Member>,
    pub(crate) anomalies: Vec<(usize, String)>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Whether `bytes` hold a zip: a local header at the start, or an
/// end-of-central-directory record anywhere (as `zipfile.is_zipfile`).
pub(crate) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(LOCAL) || find_end(bytes).is_some()
}

/// Whether the zip starts later than byte 0 (data before it).
pub(crate) fn starts_at_zero(bytes: &[u8]) -> bool {
    bytes.starts_with(LOCAL)
}

fn find_end(bytes: &[u8]) -> Option<usize> {
    // The record is 22 bytes plus a comment of up to 65535.
    let from = bytes.len().saturating_sub(22 + 65535);
    (from..=bytes.len().saturating_sub(22)).rev().find(|&i| bytes[i..].starts_with(END))
}

/// A central-directory entry: name, sizes, the local header's offset.
struct Entry {
    name: String,
    compressed: u64,
    local: u64,
}

fn central_directory(bytes: &[u8]) -> Vec<Entry> {
    let Some(end) = find_end(bytes) else { return Vec::new() };
    let (Some(count), Some(start)) = (u16_at(bytes, end + 10), u32_at(bytes, end + 16)) else { return Vec::new() };
    let mut entries = Vec::new();
    let mut at = start as usize;
    // A zip64 archive's directory offset is in its own record; the walk
    // from the first central header also finds it.
    if !bytes.get(at..).is_some_and(|b| b.starts_with(CENTRAL)) {
        match bytes.windows(4).position(|w| w == CENTRAL) {
            Some(i) => at = i,
            None => return entries,
        }
    }
    while bytes.get(at..).is_some_and(|b| b.starts_with(CENTRAL)) && entries.len() < usize::from(count).max(1 << 20) {
        let (Some(csize), Some(name_len), Some(extra_len), Some(comment_len), Some(local)) = (
            u32_at(bytes, at + 20),
            u16_at(bytes, at + 28),
            u16_at(bytes, at + 30),
            u16_at(bytes, at + 32),
            u32_at(bytes, at + 42),
        ) else {
            break;
        };
        let name_at = at + 46;
        let name =
            String::from_utf8_lossy(bytes.get(name_at..name_at + usize::from(name_len)).unwrap_or(&[])).into_owned();
        let extra =
            bytes.get(name_at + usize::from(name_len)..name_at + usize::from(name_len) + usize::from(extra_len));
        let (mut compressed, mut local) = (u64::from(csize), u64::from(local));
        if let Some(extra) = extra {
            zip64(extra, u32_at(bytes, at + 24) == Some(u32::MAX), &mut compressed, &mut local);
        }
        entries.push(Entry { name, compressed, local });
        at = name_at + usize::from(name_len) + usize::from(extra_len) + usize::from(comment_len);
    }
    entries
}

/// Reads the zip64 extra field (id 1) over the 32-bit values that overflowed.
fn zip64(extra: &[u8], usize_overflows: bool, compressed: &mut u64, local: &mut u64) {
    let mut at = 0;
    while let (Some(id), Some(len)) = (u16_at(extra, at), u16_at(extra, at + 2)) {
        if id == 1 {
            let mut field = at + 4;
            if usize_overflows {
                field += 8;
            }
            if *compressed == u64::from(u32::MAX) {
                if let Some(v) = u64_at(extra, field) {
                    *compressed = v;
                }
                field += 8;
            }
            if *local == u64::from(u32::MAX)
                && let Some(v) = u64_at(extra, field)
            {
                *local = v;
            }
            return;
        }
        at += 4 + usize::from(len);
    }
}

/// Every member, from the directory and from the local headers.
pub(crate) fn read(bytes: &[u8]) -> Archive {
    let mut archive = Archive::default();
    let entries = central_directory(bytes);
    let mut by_offset: BTreeMap<usize, (Option<String>, Option<u64>)> = BTreeMap::new();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for e in &entries {
        *names.entry(e.name.clone()).or_default() += 1;
        if let Ok(at) = usize::try_from(e.local) {
            by_offset.insert(at, (Some(e.name.clone()), Some(e.compressed)));
        }
    }
    for (name, n) in &names {
        if *n > 1 {
            archive.anomalies.push((0, format!("the central directory lists {name:?} {n} times")));
        }
    }
    // The local headers, walked wherever they are.
    let mut at = 0;
    while let Some(i) = bytes.get(at..).and_then(|b| b.windows(4).position(|w| w == LOCAL)) {
        let off = at + i;
        by_offset.entry(off).or_insert((None, None));
        at = off + 4;
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let starts: Vec<usize> = by_offset.keys().copied().collect();
    for (&off, (cd_name, cd_size)) in &by_offset {
        let Some(member) = local_member(bytes, off, cd_name.as_deref(), *cd_size, &starts, &mut archive.anomalies)
        else {
            continue;
        };
        if cd_name.is_none() && !entries.is_empty() {
            archive.anomalies.push((off, format!("member {:?} is not in the central directory", member.name)));
        }
        *seen.entry(member.name.clone()).or_default() += 1;
        archive.members.push(member);
    }
    for (name, n) in seen {
        if n > 1 && names.get(&name).copied().unwrap_or(0) <= 1 {
            archive.anomalies.push((0, format!("the archive holds {n} members named {name:?}")));
        }
    }
    archive
}

fn local_member(
    bytes: &[u8],
    off: usize,
    cd_name: Option<&str>,
    cd_size: Option<u64>,
    starts: &[usize],
    anomalies: &mut Vec<(usize, String)>,
) -> Option<Member> {
    let method = u16_at(bytes, off + 8)?;
    let csize = u32_at(bytes, off + 18)?;
    let name_len = usize::from(u16_at(bytes, off + 26)?);
    let extra_len = usize::from(u16_at(bytes, off + 28)?);
    let name = String::from_utf8_lossy(bytes.get(off + 30..off + 30 + name_len)?).into_owned();
    if let Some(cd) = cd_name
        && cd != name
    {
        anomalies.push((off, format!("member {cd:?} is named {name:?} in its local header")));
    }
    let data_at = off + 30 + name_len + extra_len;
    // The size: the directory's, else the local header's, else up to the
    // next header (a data descriptor follows the data).
    let next = starts.iter().copied().find(|&s| s > off).unwrap_or(bytes.len());
    let size = match (cd_size, csize) {
        (Some(s), _) => usize::try_from(s).unwrap_or(usize::MAX),
        (None, s) if s != 0 && s != u32::MAX => s as usize,
        _ => next.saturating_sub(data_at),
    };
    let raw = bytes.get(data_at..data_at.saturating_add(size).min(bytes.len())).unwrap_or(&[]);
    let data = match method {
        0 => Ok(raw.to_vec()),
        8 => inflate(raw),
        m => Err(format!("compression method {m} is not supported (stored and deflate are)")),
    };
    let name = cd_name.map_or(name, str::to_owned);
    Some(Member { name, offset: off, data })
}

fn inflate(raw: &[u8]) -> Result<Vec<u8>, String> {
    use miniz_oxide::inflate::{TINFLStatus, decompress_to_vec_with_limit};
    let failed = |e: miniz_oxide::inflate::DecompressError| match e.status {
        TINFLStatus::HasMoreOutput => format!("it inflates to more than {MAX_INFLATED} bytes"),
        status => format!("cannot inflate it: {status:?}"),
    };
    match decompress_to_vec_with_limit(raw, PEEK) {
        Ok(all) => Ok(all),
        Err(e) if e.status == TINFLStatus::HasMoreOutput => {
            if e.output.starts_with(super::npy::MAGIC) && super::npy::object_payload(&e.output) == Ok(None) {
                return Ok(e.output);
            }
            decompress_to_vec_with_limit(raw, MAX_INFLATED).map_err(failed)
        }
        Err(e) => Err(failed(e)),
    }
}
