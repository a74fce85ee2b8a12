//! Python's vocabulary against the real CPython, both ways, protocols 0-5:
//! tests/python/vocab.py defines each case as a Python object; here each
//! case has one or more Rust values (one per Rust type that maps to it).
//!
//! - Python writes every case at every protocol (with python3 and every
//!   pyenv CPython 3.8-3.13 present); each Rust type reads each file and
//!   compares with its value.
//! - Rust writes each value at every protocol; every pyenv CPython 3.8-3.13
//!   present (and python3) loads it and compares type and repr with the
//!   case's object.

mod common;

use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use pickle_core::datetime::{self as py, TzInfo};
use pickle_core::{DecodeOptions, EncodeOptions, FromPickleOwned, StringEncoding, ToPickle};
use pickle_test_support::TempDir;

/// One Rust value for one Python case.
struct Case {
    name: &'static str,
    /// Names the Rust type in the files Rust writes.
    tag: &'static str,
    /// Python writes the case's full value only from this protocol (fold
    /// needs 4); below it, the Rust value is not compared with Python's.
    python_from: u8,
    read_only: bool,
    write: Box<dyn Fn(u8) -> Vec<u8>>,
    /// Decodes a pickle with the options and compares with the value.
    read: Reader,
}

type Reader = Box<dyn Fn(&[u8], DecodeOptions) -> Result<(), String>>;

fn case<T>(name: &'static str, tag: &'static str, value: T) -> Case
where
    T: ToPickle + FromPickleOwned + PartialEq + Debug + 'static,
{
    let value = Rc::new(value);
    let w = Rc::clone(&value);
    Case {
        name,
        tag,
        python_from: 0,
        read_only: false,
        write: Box::new(move |p| {
            pickle_core::to_vec_with(&*w, EncodeOptions::default().protocol(p))
                .unwrap_or_else(|e| panic!("{name} {tag} p{p}: {e}"))
        }),
        read: Box::new(move |bytes, opts| {
            let got: T = pickle_core::from_slice_with(bytes, opts).map_err(|e| e.to_string())?;
            if got == *value { Ok(()) } else { Err(format!("got {got:?}, want {value:?}")) }
        }),
    }
}

impl Case {
    fn python_from(mut self, protocol: u8) -> Case {
        self.python_from = protocol;
        self
    }

    /// Only read from Python's files: Rust writes this type as another
    /// Python type than the case's.
    fn read_only(mut self) -> Case {
        self.read_only = true;
        self
    }
}

fn date(y: i32, m: u32, d: u32) -> py::Date {
    py::Date::new(y, m, d).unwrap()
}

fn time(h: u32, m: u32, s: u32, us: u32) -> py::Time {
    py::Time::new(h, m, s, us).unwrap()
}

fn paris() -> TzInfo {
    TzInfo::Zone { key: "Europe/Paris".into() }
}

fn datetime_cases() -> Vec<Case> {
    use chrono::{FixedOffset, NaiveDate, TimeZone, Utc};
    let nd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let naive = nd(2024, 3, 15).and_hms_micro_opt(12, 30, 45, 123_456).unwrap();
    let utc = Utc.from_utc_datetime(&naive);
    let ist = FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
    let dt = |tz: Option<TzInfo>| py::DateTime::new(date(2024, 3, 15), time(12, 30, 45, 123_456).with_tz(tz));
    let at_1230 = |tz: TzInfo| py::DateTime::new(date(2024, 3, 15), time(12, 30, 0, 0).with_tz(Some(tz)));
    let system = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_micros(utc.timestamp_micros() as u64);
    vec![
        case("date", "py", date(2024, 3, 15)),
        case("date", "chrono", nd(2024, 3, 15)),
        case("date_min", "py", date(1, 1, 1)),
        case("date_min", "chrono", nd(1, 1, 1)),
        case("date_max", "py", date(9999, 12, 31)),
        case("date_max", "chrono", nd(9999, 12, 31)),
        case("time", "py", time(12, 30, 45, 123_456)),
        case("time", "chrono", chrono::NaiveTime::from_hms_micro_opt(12, 30, 45, 123_456).unwrap()),
        case("time_fold", "py", time(1, 30, 0, 0).with_fold(true)).python_from(4),
        case("time_utc", "py", time(12, 30, 0, 0).with_tz(Some(TzInfo::utc()))),
        case("datetime", "py", dt(None)),
        case("datetime", "chrono", naive),
        case("datetime_min", "py", py::DateTime::new(date(1, 1, 1), time(0, 0, 0, 0))),
        case("datetime_min", "chrono", nd(1, 1, 1).and_hms_opt(0, 0, 0).unwrap()),
        case("dt_utc", "py", dt(Some(TzInfo::utc()))),
        case("dt_utc", "chrono", utc),
        case("dt_utc", "chrono_fixed", utc.fixed_offset()),
        case("dt_utc", "system", system),
        case("dt_offset", "py", at_1230(TzInfo::fixed(5 * 3600 + 1800))),
        case("dt_offset", "chrono", ist.from_local_datetime(&nd(2024, 3, 15).and_hms_opt(12, 30, 0).unwrap()).unwrap()),
        case("dt_named", "py", at_1230(TzInfo::Fixed { offset_micros: -3 * 3_600_000_000, name: Some("BRT".into()) })),
        case(
            "dt_epoch_before",
            "py",
            py::DateTime::new(date(1969, 12, 31), time(23, 59, 59, 999_999).with_tz(Some(TzInfo::utc()))),
        ),
        case("dt_epoch_before", "chrono", Utc.timestamp_micros(-1).unwrap()),
        case("dt_epoch_before", "system", std::time::SystemTime::UNIX_EPOCH - std::time::Duration::from_micros(1)),
        case("dt_zone", "py", at_1230(paris())),
        case(
            "dt_fold",
            "py",
            py::DateTime::new(date(2024, 10, 27), time(2, 30, 0, 0).with_fold(true).with_tz(Some(paris()))),
        )
        .python_from(4),
        case("timedelta", "py", py::TimeDelta::new(1, 2, 3).unwrap()),
        case("timedelta", "chrono", chrono::TimeDelta::new(86_402, 3_000).unwrap()),
        case("timedelta", "std", std::time::Duration::new(86_402, 3_000)),
        case("timedelta_neg", "py", py::TimeDelta::new(0, 0, -1).unwrap()),
        case("timedelta_neg", "chrono", chrono::TimeDelta::microseconds(-1)),
        case("timedelta_max", "py", py::TimeDelta::new(py::MAX_DAYS, 86_399, 999_999).unwrap()),
        case("timedelta_max", "chrono", chrono::TimeDelta::new(py::MAX_DAYS * 86_400 + 86_399, 999_999_000).unwrap()),
        case("timezone_utc", "py", TzInfo::utc()),
        case("timezone_named", "py", TzInfo::Fixed { offset_micros: -3 * 3_600_000_000, name: Some("BRT".into()) }),
        case("zoneinfo", "py", paris()),
    ]
}

fn jiff_cases() -> Vec<Case> {
    use jiff::civil;
    use jiff::tz::TimeZone;
    let paris = TimeZone::get("Europe/Paris").unwrap();
    let wall = civil::date(2024, 3, 15).at(12, 30, 45, 123_456_000);
    let utc = wall.to_zoned_datetime(TimeZone::UTC).unwrap().timestamp();
    let ist = TimeZone::fixed(jiff::tz::Offset::from_seconds(5 * 3600 + 1800).unwrap())
        .to_zoned_datetime(civil::date(2024, 3, 15).at(12, 30, 0, 0))
        .unwrap();
    let in_paris = paris.to_zoned_datetime(civil::date(2024, 3, 15).at(12, 30, 0, 0)).unwrap();
    // 02:30 happens twice in Paris on 2024-10-27; fold=1 is the second (UTC+1).
    let second_0230 = paris.to_ambiguous_zoned_datetime(civil::date(2024, 10, 27).at(2, 30, 0, 0)).later().unwrap();
    vec![
        case("date", "jiff", civil::date(2024, 3, 15)),
        case("date_min", "jiff", civil::date(1, 1, 1)),
        case("date_max", "jiff", civil::date(9999, 12, 31)),
        case("time", "jiff", civil::time(12, 30, 45, 123_456_000)),
        case("datetime", "jiff", wall),
        case("datetime_min", "jiff", civil::date(1, 1, 1).at(0, 0, 0, 0)),
        case("dt_utc", "jiff", utc),
        case("dt_utc", "jiff_zoned", utc.to_zoned_datetime(TimeZone::fixed(jiff::tz::Offset::UTC))),
        case("dt_offset", "jiff", ist),
        case("dt_epoch_before", "jiff", jiff::Timestamp::from_microsecond(-1).unwrap()),
        case("dt_zone", "jiff", in_paris),
        case("dt_fold", "jiff", second_0230).python_from(4),
        case("timedelta", "jiff", jiff::SignedDuration::new(86_402, 3_000)),
        case("timedelta_neg", "jiff", jiff::SignedDuration::from_micros(-1)),
        case("timedelta_max", "jiff", jiff::SignedDuration::new(py::MAX_DAYS * 86_400 + 86_399, 999_999_000)),
    ]
}

fn decimal(s: &str) -> pickle_core::decimal::Decimal {
    s.parse().unwrap()
}

fn rust_decimal(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap()
}

fn decimal_uuid_path_complex_cases() -> Vec<Case> {
    use num_complex::Complex;
    use pickle_core::uuid::{SafeUuid, Uuid};
    let id = 0x12345678_1234_5678_1234_567812345678u128;
    vec![
        case("decimal", "py", decimal("1.50")),
        case("decimal", "rust_decimal", rust_decimal("1.50")),
        case("decimal_neg_zero", "py", decimal("-0")),
        case("decimal_neg_zero", "rust_decimal", {
            let mut zero = rust_decimal::Decimal::ZERO;
            zero.set_sign_negative(true);
            zero
        }),
        case("decimal_small", "py", decimal("-12345.678901234567890123456789")),
        case("decimal_small", "rust_decimal", rust_decimal("-12345.678901234567890123456789")),
        case("decimal_big_int", "py", decimal("79228162514264337593543950335")),
        case("decimal_big_int", "rust_decimal", rust_decimal::Decimal::MAX),
        case("decimal_exp", "py", decimal("1.23E+5")),
        case("decimal_huge", "py", decimal("-1.50E+999999")),
        case("decimal_nan", "py", decimal("NaN")),
        case("decimal_snan", "py", decimal("-sNaN123")),
        case("decimal_inf", "py", decimal("-Infinity")),
        case("uuid", "py", Uuid { value: id, is_safe: SafeUuid::Unknown }),
        case("uuid", "uuid", uuid::Uuid::from_u128(id)),
        case("uuid_safe", "py", Uuid { value: id, is_safe: SafeUuid::Safe }),
        case("uuid_max", "py", Uuid { value: u128::MAX, is_safe: SafeUuid::Unknown }),
        case("uuid_max", "uuid", uuid::Uuid::max()),
        case("path", "std", PathBuf::from("/usr/lib/x.txt")),
        case("path_relative", "std", PathBuf::from("data/x.csv")),
        case("complex", "f64", Complex::new(1.5f64, -2.0)),
        case("complex", "f32", Complex::new(1.5f32, -2.0)),
    ]
}

#[derive(pickle_core::Pickle, Debug, PartialEq)]
#[pickle(module = "vocab", name = "Point")]
struct NamedPoint(i64, i64);

#[derive(pickle_core::Pickle, Debug, PartialEq)]
#[pickle(module = "vocab")]
#[allow(clippy::upper_case_acronyms)]
enum Color {
    RED = 1,
    GREEN = 2,
}

#[derive(pickle_core::Pickle, Debug, PartialEq)]
#[pickle(module = "vocab")]
enum Perm {
    R = 4,
    W = 2,
    X = 1,
}

/// `signal.Signals`: CPython 3.8 pickles its members by name (the bare
/// global `signal.SIGINT`), 3.9+ by value.
#[derive(pickle_core::Pickle, Debug, PartialEq)]
#[pickle(module = "signal")]
#[allow(clippy::upper_case_acronyms)]
enum Signals {
    SIGINT = 2,
    SIGTERM = 15,
}

fn collections_cases() -> Vec<Case> {
    use std::collections::{BTreeMap, HashMap, VecDeque};

    use indexmap::{IndexMap, IndexSet};
    use pickle_core::collections::{Counter, DefaultDict, Deque, OrderedDict};
    let s = |x: &str| x.to_owned();
    let ba = vec![(s("b"), 1i64), (s("a"), 2)];
    vec![
        case("ordered_dict", "py", OrderedDict(ba.clone())),
        case("dict_ordered", "indexmap", ba.iter().cloned().collect::<IndexMap<String, i64>>()),
        case(
            "defaultdict",
            "py",
            DefaultDict {
                factory: Some(pickle_core::Global::new("builtins", "list")),
                items: vec![(s("a"), vec![1i64]), (s("b"), vec![])],
            },
        ),
        case("counter", "py", Counter(vec![(s("a"), 2), (s("b"), 1)])),
        case("deque", "py", Deque { items: VecDeque::from([1i64, 2, 3]), maxlen: None }),
        case("deque_maxlen", "py", Deque { items: VecDeque::from([1i64, 2, 3]), maxlen: Some(5) }),
        case("set", "indexmap", IndexSet::from([1i64, 2, 3])),
        case("int_enum", "derive", Color::GREEN),
        case("flag", "derive", Perm::R),
        case("signal", "derive", Signals::SIGINT),
    ]
    .into_iter()
    .chain([
        // Read-only: these Rust types write plain dicts and lists.
        case("ordered_dict", "indexmap", ba.iter().cloned().collect::<IndexMap<String, i64>>()).read_only(),
        case("ordered_dict", "hashmap", ba.iter().cloned().collect::<HashMap<String, i64>>()).read_only(),
        case("counter", "btreemap", BTreeMap::from([(s("a"), 2i64), (s("b"), 1)])).read_only(),
        case("defaultdict", "indexmap", IndexMap::from([(s("a"), vec![1i64]), (s("b"), vec![])])).read_only(),
        case("deque", "vecdeque", VecDeque::from([1i64, 2, 3])).read_only(),
        case("deque_maxlen", "vec", vec![1i64, 2, 3]).read_only(),
    ])
    .collect()
}

/// Cases Python writes and Rust reads, but Rust writes another way.
fn read_only_cases() -> Vec<Case> {
    vec![
        case("posix_path", "std", PathBuf::from("/usr/lib/x.txt")),
        case("namedtuple", "tuple", (1i64, 2i64)),
        case("namedtuple", "derive", NamedPoint(1, 2)),
        case("namedtuple", "vec", vec![1i64, 2]),
    ]
}

fn all_cases() -> Vec<Case> {
    let mut cases = datetime_cases();
    cases.extend(jiff_cases());
    cases.extend(decimal_uuid_path_complex_cases());
    cases.extend(collections_cases());
    cases
}

/// python3 and every pyenv CPython 3.8-3.13 present (skipped with a
/// message where absent).
fn pythons() -> Vec<(String, PathBuf)> {
    let mut out = vec![("python3".to_owned(), PathBuf::from("python3"))];
    for v in ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"] {
        match pickle_test_support::pyenv_python(v) {
            Some(exe) => out.push((v.to_owned(), exe)),
            None => eprintln!("skipped: no CPython {v} under pyenv"),
        }
    }
    out
}

fn vocab(python: &Path, mode: &str, dir: &Path) -> String {
    let mut cmd = pickle_test_support::python_at(python, &[&common::python_dir()]);
    cmd.arg(common::python_dir().join("vocab.py")).arg(mode).arg(dir);
    String::from_utf8(pickle_test_support::run_ok(cmd, b"")).expect("UTF-8").trim().to_owned()
}

#[test]
fn every_cpython_loads_what_rust_writes_at_every_protocol() {
    let cases = all_cases();
    let dir = TempDir::new("vocab-write");
    for c in cases.iter().filter(|c| !c.read_only) {
        for p in 0..=5u8 {
            dir.file(&format!("{}.{}.p{p}.pickle", c.name, c.tag), &(c.write)(p));
        }
    }
    let files = cases.iter().filter(|c| !c.read_only).count() * 6;
    for (version, python) in pythons() {
        let out = vocab(&python, "check", dir.path());
        let (checked, skipped) = parse_ok(&out).unwrap_or_else(|| panic!("CPython {version}: {out}"));
        assert_eq!(checked + skipped, files, "CPython {version}: {out}");
        eprintln!("CPython {version} loaded {checked} of the {files} files Rust wrote ({skipped} skipped: zoneinfo)");
        // Only the zoneinfo cases may be skipped, and only on 3.8.
        if version != "3.8" {
            assert_eq!(skipped, 0, "CPython {version}: {out}");
        }
    }
}

fn parse_ok(out: &str) -> Option<(usize, usize)> {
    let mut words = out.split(' ');
    match (words.next()?, words.next()?, words.next()?, words.next()?) {
        ("ok", n, "skipped", s) => Some((n.parse().ok()?, s.parse().ok()?)),
        _ => None,
    }
}

#[test]
fn rust_reads_what_every_cpython_writes_at_every_protocol() {
    let mut cases = all_cases();
    cases.extend(read_only_cases());
    for (version, python) in pythons() {
        let dir = TempDir::new("vocab-read");
        let out = vocab(&python, "write", dir.path());
        assert!(out.starts_with("wrote "), "{version}: {out}");
        let mut read = 0;
        for c in &cases {
            for p in c.python_from..=5 {
                let path = dir.path().join(format!("{}.p{p}.pickle", c.name));
                let Ok(bytes) = std::fs::read(&path) else {
                    assert!(version == "3.8", "CPython {version} wrote no {}", path.display());
                    continue;
                };
                (c.read)(&bytes, DecodeOptions::default())
                    .unwrap_or_else(|e| panic!("CPython {version}, {} as {}, p{p}: {e}", c.name, c.tag));
                read += 1;
            }
        }
        assert!(read >= cases.len() * 2, "CPython {version}: only {read} files read");
        eprintln!("Rust decoded what CPython {version} wrote {read} times, into {} Rust types", cases.len());
    }
}

#[test]
fn rust_reads_what_python_2_wrote_with_latin1_and_bytes_strings() {
    let Some(python2) = pickle_test_support::pyenv_python("2.7") else {
        eprintln!("skipped: no CPython 2.7 under pyenv");
        return;
    };
    let dir = TempDir::new("vocab-py2");
    let mut cmd = pickle_test_support::python_at(&python2, &[]);
    cmd.arg(common::python_dir().join("vocab_py2.py")).arg(dir.path());
    let out = String::from_utf8(pickle_test_support::run_ok(cmd, b"")).expect("UTF-8");
    let written: usize = out.trim().strip_prefix("wrote ").and_then(|n| n.parse().ok()).expect("wrote N");
    let mut read = 0;
    for c in all_cases() {
        for p in 0..=2 {
            let Ok(bytes) = std::fs::read(dir.path().join(format!("{}.p{p}.pickle", c.name))) else { continue };
            // A UUID's state dict and an OrderedDict have str keys, which
            // encoding="bytes" makes bytes: Python 3 cannot load the UUID
            // that way either, and gives the OrderedDict bytes keys.
            let encodings: &[StringEncoding] = if c.name.starts_with("uuid") || c.name == "ordered_dict" {
                &[StringEncoding::Latin1]
            } else {
                &[StringEncoding::Latin1, StringEncoding::Bytes]
            };
            for &encoding in encodings {
                (c.read)(&bytes, DecodeOptions::default().encoding(encoding))
                    .unwrap_or_else(|e| panic!("Python 2, {} as {}, p{p}, {encoding:?}: {e}", c.name, c.tag));
            }
            read += 1;
        }
    }
    // Every file is read by at least one Rust type.
    assert!(read >= written, "read {read} of {written}");
    eprintln!("Rust read the {written} files Python 2.7 wrote ({read} decodes)");
}

/// Malformed states, written by Python in the form it writes good ones:
/// each is a `Mismatch` at the offset vocab.py names, with a message that
/// says what is wrong, for every Rust type of the case.
#[test]
fn malformed_states_are_errors_at_their_offset() {
    let dir = TempDir::new("vocab-bad");
    let out = vocab(Path::new("python3"), "write_bad", dir.path());
    let expected: &[(&str, &str)] = &[
        ("dt_state_short", "the datetime.datetime state has 3 bytes, not 10"),
        ("dt_month_13", "month 13 is out of range"),
        ("date_day_32", "day 32 is out of range for 2024-01 (1..=31)"),
        ("time_hour_24", "hour 24 is out of range"),
        ("date_year_0", "year 0 is out of range"),
        ("timedelta_str", "expected an int for i64, found str"),
        ("timedelta_huge", "the timedelta's days 1000000000 are out of range"),
        ("dt_tz_str", "expected a tzinfo, found str"),
        ("tz_offset_day", "the timezone offset is not strictly within ±24 hours"),
        ("decimal_syntax", "invalid Decimal literal \"1.2.3\""),
        ("decimal_int_arg", "expected decimal.Decimal(str)"),
        ("rust_decimal_nan", "Decimal('NaN') is not a number, which rust_decimal cannot hold"),
        ("rust_decimal_big", "Decimal('1E+29') has more than the 96 bits"),
        ("rust_decimal_scale", "Decimal('1E-29') has 29 digits after the point; rust_decimal holds 28"),
        ("uuid_int_too_big", "out of range for u128"),
        ("uuid_no_int", "the uuid.UUID's state has no 'int'"),
        ("uuid_bad_hex", "\"xyz\" is not a UUID's hex form"),
    ];
    let mut seen = 0;
    for line in out.lines() {
        let mut words = line.split(' ');
        let (name, offset) = (words.next().unwrap(), words.next().unwrap().parse::<u64>().unwrap());
        let (_, message) =
            expected.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no expectation for {name}"));
        let bytes = std::fs::read(dir.path().join(format!("{name}.pickle"))).unwrap();
        let errors: Vec<pickle_core::Error> = if name.starts_with("decimal_") {
            vec![
                pickle_core::from_slice::<pickle_core::decimal::Decimal>(&bytes).unwrap_err(),
                pickle_core::from_slice::<rust_decimal::Decimal>(&bytes).unwrap_err(),
            ]
        } else if name.starts_with("rust_decimal_") {
            assert!(pickle_core::from_slice::<pickle_core::decimal::Decimal>(&bytes).is_ok(), "{name}");
            vec![pickle_core::from_slice::<rust_decimal::Decimal>(&bytes).unwrap_err()]
        } else if name.starts_with("uuid_") {
            vec![
                pickle_core::from_slice::<pickle_core::uuid::Uuid>(&bytes).unwrap_err(),
                pickle_core::from_slice::<uuid::Uuid>(&bytes).unwrap_err(),
            ]
        } else if name.starts_with("date_") {
            vec![
                pickle_core::from_slice::<py::Date>(&bytes).unwrap_err(),
                pickle_core::from_slice::<chrono::NaiveDate>(&bytes).unwrap_err(),
            ]
        } else if name.starts_with("time_") {
            vec![pickle_core::from_slice::<py::Time>(&bytes).unwrap_err()]
        } else if name.starts_with("timedelta_") {
            vec![
                pickle_core::from_slice::<py::TimeDelta>(&bytes).unwrap_err(),
                pickle_core::from_slice::<chrono::TimeDelta>(&bytes).unwrap_err(),
                pickle_core::from_slice::<std::time::Duration>(&bytes).unwrap_err(),
            ]
        } else if name.starts_with("tz_") {
            vec![pickle_core::from_slice::<TzInfo>(&bytes).unwrap_err()]
        } else {
            vec![
                pickle_core::from_slice::<py::DateTime>(&bytes).unwrap_err(),
                pickle_core::from_slice::<chrono::NaiveDateTime>(&bytes).unwrap_err(),
                pickle_core::from_slice::<chrono::DateTime<chrono::Utc>>(&bytes).unwrap_err(),
                pickle_core::from_slice::<std::time::SystemTime>(&bytes).unwrap_err(),
            ]
        };
        for err in errors {
            assert_eq!(err.kind(), pickle_core::ErrorKind::Mismatch, "{name}: {err}");
            assert_eq!(err.offset(), Some(offset), "{name}: {err}");
            assert!(err.message().contains(message), "{name}: {err}");
        }
        seen += 1;
    }
    assert_eq!(seen, expected.len());
}

/// Values Python cannot hold are errors naming the field when written.
#[test]
fn values_python_cannot_hold_are_write_errors() {
    let too_long = chrono::TimeDelta::new((py::MAX_DAYS + 1) * 86_400, 0).unwrap();
    let err = pickle_core::to_vec(&too_long).unwrap_err();
    assert!(err.message().contains("the timedelta's days 1000000000 are out of range"), "{err}");
    let year_0 = chrono::NaiveDate::from_ymd_opt(0, 1, 1).unwrap();
    let err = pickle_core::to_vec(&year_0).unwrap_err();
    assert!(err.message().contains("year 0 is out of range for datetime.date"), "{err}");
    let leap = chrono::NaiveTime::from_hms_nano_opt(23, 59, 59, 1_500_000_000).unwrap();
    let err = pickle_core::to_vec(&leap).unwrap_err();
    assert!(err.message().contains("leap second"), "{err}");
    let far = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(300_000_000_000);
    assert!(pickle_core::to_vec(&far).unwrap_err().message().contains("out of range"));
    assert!(pickle_core::to_vec(&std::time::Duration::MAX).unwrap_err().message().contains("days"));
}
