//! `pickle scan`: whether loading a file in Python is safe. Containers are
//! recognized by content, never by name: a pickle (several back to back in
//! a legacy `torch.save` file), a zip (a PyTorch archive, an `.npz`; every
//! member that holds a pickle or an `.npy` is scanned), an `.npy` with
//! object arrays, and a pickle with a zip after it (both are scanned).
//! Each pickle is judged by [`pickle_core::scan::Scanner`].

mod npy;
pub mod report;
mod zip;

use pickle_core::scan::{Finding, Report, Scanner, Severity, Use, Verdict};
use pickle_core::{DecodeOptions, Node, Value};

/// The magic number a legacy (pre-1.6) `torch.save` file pickles first.
const TORCH_LEGACY_MAGIC: u128 = 0x1950a86a20f9469cfc6c;
/// How many pickles a legacy torch file holds: magic, protocol version,
/// system info, the data, the storage keys.
const TORCH_LEGACY_STREAMS: usize = 5;

/// One scanned pickle of a file, with the archive member it is in.
#[derive(Debug)]
pub struct Part {
    /// The archive member, for a pickle inside a zip.
    pub member: Option<String>,
    /// Where the pickle starts in the file or member (its findings'
    /// offsets count from there).
    pub base: u64,
    /// What the scan found.
    pub report: Report,
}

/// Something about the container itself: an anomaly a loader ignores
/// (duplicate members, mismatched names), or TorchScript code.
#[derive(Debug, Clone)]
pub struct Note {
    /// The member concerned, if one.
    pub member: Option<String>,
    /// Offset in the file.
    pub offset: u64,
    /// Rule id.
    pub rule: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// What was found.
    pub reason: String,
}

/// Everything found in one file.
#[derive(Debug)]
pub struct FileReport {
    /// The path as given.
    pub path: String,
    /// `pickle`, `legacy-torch`, `zip`, `npy`.
    pub container: &'static str,
    /// Each pickle scanned.
    pub parts: Vec<Part>,
    /// Container-level findings.
    pub notes: Vec<Note>,
    /// Why the file, or a part a loader reads, could not be read.
    pub errors: Vec<String>,
}

impl FileReport {
    /// The file's verdict: `dangerous` over `error` over `unknown` over
    /// `safe`.
    pub fn verdict(&self) -> Verdict {
        let mut v = Verdict::Safe;
        for p in &self.parts {
            v = v.max(p.report.verdict());
        }
        for n in &self.notes {
            v = v.max(match n.severity {
                Severity::Dangerous => Verdict::Dangerous,
                _ => Verdict::Unknown,
            });
        }
        if !self.errors.is_empty() {
            v = v.max(Verdict::Error);
        }
        v
    }

    /// Whether the file is plainly not a pickle: its first byte is no
    /// opcode and it is no known container, so `pickle.load` fails before
    /// running anything. Directory scans skip such files.
    pub fn is_not_a_pickle(&self) -> bool {
        match (self.container, self.parts.as_slice()) {
            ("pickle", [part]) => {
                part.report.findings.is_empty()
                    && part
                        .report
                        .error
                        .as_ref()
                        .is_some_and(|e| e.offset() == Some(0) && e.kind() == pickle_core::ErrorKind::InvalidOpcode)
            }
            _ => false,
        }
    }

    /// A file that could not be read at all.
    pub fn unreadable(path: &str, why: String) -> FileReport {
        FileReport {
            path: path.to_owned(),
            container: "unreadable",
            parts: Vec::new(),
            notes: Vec::new(),
            errors: vec![why],
        }
    }

    /// Every finding, with the member it is in and its offset in the file
    /// or member.
    pub fn findings(&self) -> impl Iterator<Item = (Option<&str>, u64, &Finding)> {
        self.parts
            .iter()
            .flat_map(|p| p.report.findings.iter().map(move |f| (p.member.as_deref(), p.base + f.offset, f)))
    }
}

/// Scans one file's bytes.
pub fn scan_bytes(path: &str, bytes: &[u8], scanner: &Scanner) -> FileReport {
    let mut file = FileReport {
        path: path.to_owned(),
        container: "pickle",
        parts: Vec::new(),
        notes: Vec::new(),
        errors: Vec::new(),
    };
    if let Some(kind) = compressed(bytes) {
        file.container = kind;
        file.errors.push(format!("{kind}-compressed: decompress it and scan the result"));
        return file;
    }
    if bytes.starts_with(npy::MAGIC) {
        file.container = "npy";
        scan_npy(bytes, None, scanner, &mut file);
        return file;
    }
    if zip::is_zip(bytes) {
        file.container = "zip";
        if !zip::starts_at_zero(bytes) {
            // A pickle (or anything) before the archive: pickle.load reads it.
            let report = scanner.scan(bytes);
            if holds_pickle(&report) {
                file.notes.push(Note {
                    member: None,
                    offset: 0,
                    rule: "PKL170",
                    severity: Severity::Unknown,
                    reason: "a pickle followed by a zip archive: pickle.load reads the pickle, zip readers the archive"
                        .into(),
                });
                file.parts.push(Part { member: None, base: 0, report });
            }
        }
        scan_zip(bytes, scanner, &mut file);
        return file;
    }
    let mut report = scanner.scan(bytes);
    if report.streams.first().is_some_and(|s| s.complete) && is_torch_legacy(bytes) {
        file.container = "legacy-torch";
        report = scanner.scan_streams(bytes, TORCH_LEGACY_STREAMS);
    }
    if let Some(e) = &report.error {
        let at_start = e.offset() == Some(0) && report.findings.is_empty();
        file.errors.push(if at_start { format!("not a pickle or a known container: {e}") } else { e.to_string() });
    }
    file.parts.push(Part { member: None, base: 0, report });
    file
}

/// Whether bytes that need not be a pickle are one: their first pickle
/// reaches STOP, or shows something dangerous before it breaks.
fn holds_pickle(report: &Report) -> bool {
    report.streams.first().is_some_and(|s| s.complete) || report.is_dangerous()
}

fn compressed(bytes: &[u8]) -> Option<&'static str> {
    const KINDS: &[(&[u8], &str)] = &[
        (b"\x1f\x8b", "gzip"),
        (b"BZh", "bzip2"),
        (b"\xfd7zXZ\x00", "xz"),
        (b"\x28\xb5\x2f\xfd", "zstd"),
        (b"7z\xbc\xaf\x27\x1c", "7z"),
    ];
    KINDS.iter().find(|(magic, _)| bytes.starts_with(magic)).map(|&(_, kind)| kind)
}

fn is_torch_legacy(bytes: &[u8]) -> bool {
    let Ok(value) = pickle_core::from_slice_with::<Value<'_>>(bytes, DecodeOptions::default()) else { return false };
    match value.get(value.root()) {
        Some(Node::BigInt(n)) => u128::try_from(n.as_ref()).is_ok_and(|n| n == TORCH_LEGACY_MAGIC),
        _ => false,
    }
}

fn scan_npy(bytes: &[u8], member: Option<&str>, scanner: &Scanner, file: &mut FileReport) {
    let at = |e: String| match member {
        Some(m) => format!("{m}: {e}"),
        None => e,
    };
    match npy::object_payload(bytes) {
        Ok(None) => {}
        Ok(Some(start)) => {
            let report = scanner.scan(bytes.get(start..).unwrap_or(&[]));
            if let Some(e) = &report.error {
                file.errors.push(at(format!("the object array's pickle: {e}")));
            }
            file.parts.push(Part { member: member.map(str::to_owned), base: start as u64, report });
        }
        Err(e) => file.errors.push(at(e)),
    }
}

fn scan_zip(bytes: &[u8], scanner: &Scanner, file: &mut FileReport) {
    let archive = zip::read(bytes);
    for (offset, reason) in archive.anomalies {
        file.notes.push(Note {
            member: None,
            offset: offset as u64,
            rule: "PKL170",
            severity: Severity::Unknown,
            reason,
        });
    }
    for m in archive.members {
        let data = match m.data {
            Ok(d) => d,
            Err(e) => {
                file.errors.push(format!("{}: {e}", m.name));
                continue;
            }
        };
        if m.name.contains("/code/") && m.name.ends_with(".py") || m.name.ends_with(".debug_pkl") {
            file.notes.push(Note {
                member: Some(m.name.clone()),
                offset: m.offset as u64,
                rule: "PKL171",
                severity: Severity::Unknown,
                reason: "TorchScript code: torch.jit.load (and torch.load of a TorchScript archive) runs it".into(),
            });
        }
        if data.starts_with(npy::MAGIC) {
            scan_npy(&data, Some(&m.name), scanner, file);
            continue;
        }
        let named_pickle = [".pkl", ".pickle"].iter().any(|ext| m.name.ends_with(ext));
        let report = scanner.scan(&data);
        if holds_pickle(&report) || named_pickle {
            if let Some(e) = &report.error {
                file.errors.push(format!("{}: {e}", m.name));
            }
            file.parts.push(Part { member: Some(m.name), base: 0, report });
        }
    }
}

/// The name of a use in reports (`container` for notes).
pub(crate) fn use_name(used: Option<Use>) -> &'static str {
    used.map_or("container", Use::as_str)
}
