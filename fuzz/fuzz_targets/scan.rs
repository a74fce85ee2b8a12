//! `pickle scan` on arbitrary bytes: the scanner and the container layer
//! (zip, npy, legacy torch) never panic, and what they report is coherent:
//! a dangerous finding makes the verdict dangerous, offsets lie inside the
//! input, streams follow each other, and a pickle the decoding policy
//! accepts whole has no import the policy does not allow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pickle_core::scan::{Scanner, Severity, Use, Verdict};
use pickle_core::{DecodeOptions, GlobalPolicy, Limits, Value};

const LIMITS: Limits = Limits::DEFAULT
    .max_alloc(64 << 20)
    .alloc_per_input_byte(64)
    .max_depth(10_000)
    .max_memo(100_000)
    .max_container_len(100_000)
    .max_bigint_bytes(4096);

fuzz_target!(|data: &[u8]| {
    let scanner = Scanner::new().limits(LIMITS);
    let report = scanner.scan(data);
    let dangerous = report.findings.iter().any(|f| f.severity == Severity::Dangerous);
    assert_eq!(dangerous, report.verdict() == Verdict::Dangerous);
    let mut at = 0;
    for s in &report.streams {
        assert!(s.offset == at && s.end >= s.offset && s.end <= data.len() as u64, "{s:?} after {at}");
        at = s.end;
    }
    for f in &report.findings {
        // Nested findings carry the outer call's offset.
        assert!((f.offset as usize) < data.len().max(1), "{f:?}");
        assert!(f.stream < report.streams.len().max(1), "{f:?}");
    }
    let policy = DecodeOptions::default().limits(LIMITS).globals(GlobalPolicy::builtin());
    if pickle_core::from_slice_with::<Value>(data, policy).is_ok() {
        let first = report.findings.iter().filter(|f| f.stream == 0 && f.used == Use::Import);
        assert_eq!(first.count(), 0, "the policy accepted what the scan flags: {:?}", report.findings);
    }
    let file = pickle_cli::scan::scan_bytes("fuzz", data, &scanner);
    if file.parts.iter().any(|p| p.report.is_dangerous()) {
        assert_eq!(file.verdict(), Verdict::Dangerous);
    }
    let _ = pickle_cli::scan::report::json(std::slice::from_ref(&file), &[]);
    let _ = pickle_cli::scan::report::sarif(std::slice::from_ref(&file));
});
