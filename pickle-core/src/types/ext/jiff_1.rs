//! jiff 1 (feature `jiff`): `civil::{Date, Time, DateTime}`, `Timestamp`,
//! `ZonedDateTime` (jiff 0.2's `Zoned`) and `SignedDuration` as Python's
//! `date`, `time`, `datetime` and `timedelta`, through [`crate::datetime`].
//!
//! - A `ZonedDateTime` in an IANA zone is written with `zoneinfo.ZoneInfo`
//!   (Python 3.9+; `UTC` as `datetime.timezone.utc`) and `fold` set when its wall time is the second of two
//!   at a backward clock change; one in a fixed-offset zone with
//!   `datetime.timezone`. Reading resolves a `ZoneInfo` key with the
//!   system's tz database, `fold` choosing between the two offsets of an
//!   ambiguous wall time as Python does.
//! - A `Timestamp` is an aware UTC `datetime`; reading one accepts any
//!   fixed offset, and any zone when read as `ZonedDateTime` first.
//! - Python holds microseconds: writing drops sub-microsecond nanoseconds
//!   (toward zero); years outside 1-9999 or durations beyond ±999999999
//!   days are errors.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::{SignedDuration, Timestamp, ZonedDateTime};

use crate::error::Result;
use crate::types::datetime::{self as py, TzInfo};

type Conversion<T> = std::result::Result<T, String>;

fn date_to_py(d: &Date) -> Result<py::Date> {
    py::Date::new(i32::from(d.year()), d.month() as u32, d.day() as u32)
}

fn date_from_py(d: py::Date) -> Conversion<Date> {
    Date::new(d.year() as i16, d.month() as i8, d.day() as i8).map_err(|e| e.to_string())
}

fn time_to_py(t: &Time) -> Result<py::Time> {
    py::Time::new(t.hour() as u32, t.minute() as u32, t.second() as u32, (t.subsec_nanosecond() / 1000) as u32)
}

fn time_from_py(t: &py::Time) -> Conversion<Time> {
    Time::new(t.hour() as i8, t.minute() as i8, t.second() as i8, t.microsecond() as i32 * 1000)
        .map_err(|e| e.to_string())
}

fn datetime_to_py(dt: &DateTime) -> Result<py::DateTime> {
    Ok(py::DateTime::new(date_to_py(&dt.date())?, time_to_py(&dt.time())?))
}

fn datetime_from_py(t: &py::DateTime) -> Conversion<DateTime> {
    Ok(DateTime::from_parts(date_from_py(t.date())?, time_from_py(t.time())?))
}

via_core!(Date, py::Date, "datetime", "date", to = date_to_py, from = |d| date_from_py(d));

via_core!(
    Time,
    py::Time,
    "datetime",
    "time",
    to = time_to_py,
    from = |t| {
        py::require_naive(t.tz(), "datetime.time")?;
        time_from_py(&t)
    },
);

via_core!(
    DateTime,
    py::DateTime,
    "datetime",
    "datetime",
    to = datetime_to_py,
    from = |t| {
        py::require_naive(t.tz(), "datetime.datetime")?;
        datetime_from_py(&t)
    },
);

fn with_tz(t: py::DateTime, tz: TzInfo, fold: bool) -> py::DateTime {
    let time = t.time().clone().with_fold(fold).with_tz(Some(tz));
    py::DateTime::new(t.date(), time)
}

/// The Python form of a zoned datetime: its wall time, its zone as a
/// `ZoneInfo` key or a fixed offset, and `fold`.
fn zoned_to_py(z: &ZonedDateTime) -> Result<py::DateTime> {
    let wall = datetime_to_py(&z.datetime())?;
    let tz = z.time_zone();
    match tz.iana_name() {
        // UTC as `timezone.utc`, which Python 3.8 has too.
        Some("UTC" | "Etc/UTC") if z.offset().seconds() == 0 => Ok(with_tz(wall, TzInfo::utc(), false)),
        Some(key) if !key.is_empty() => {
            let fold = match tz.to_ambiguous_timestamp(z.datetime()).offset() {
                AmbiguousOffset::Fold { after, .. } => z.offset() == after,
                _ => false,
            };
            Ok(with_tz(wall, TzInfo::Zone { key: key.to_owned() }, fold))
        }
        _ => Ok(with_tz(wall, TzInfo::fixed(z.offset().seconds()), false)),
    }
}

fn zoned_from_py(t: &py::DateTime) -> Conversion<ZonedDateTime> {
    let wall = datetime_from_py(t)?;
    let tz = match t.tz() {
        None => return Err("expected an aware datetime.datetime, found a naive one".into()),
        Some(TzInfo::Zone { key }) => {
            TimeZone::get(key).map_err(|e| format!("the zone {key:?} is not in the tz database: {e}"))?
        }
        Some(TzInfo::Fixed { offset_micros, .. }) => {
            if offset_micros % 1_000_000 != 0 {
                return Err(format!("the offset of {offset_micros} microseconds is not whole seconds, as jiff needs"));
            }
            TimeZone::fixed(Offset::from_seconds((offset_micros / 1_000_000) as i32).map_err(|e| e.to_string())?)
        }
    };
    let ambiguous = tz.to_ambiguous_zoned_datetime(wall);
    // Python's fold: 0 takes the offset before the transition, 1 the one
    // after, for a repeated wall time and a skipped one alike.
    let zoned = if t.time().fold() { ambiguous.later() } else { ambiguous.earlier() };
    zoned.map_err(|e| e.to_string())
}

via_core!(ZonedDateTime, py::DateTime, "datetime", "datetime", to = zoned_to_py, from = |t| zoned_from_py(&t));

via_core!(
    Timestamp,
    py::DateTime,
    "datetime",
    "datetime",
    to = |ts| py::DateTime::from_unix_micros(ts.as_microsecond()),
    from = |t| match t.unix_micros() {
        Some(us) => Timestamp::from_microsecond(us).map_err(|e| e.to_string()),
        None => zoned_from_py(&t).map(|z| z.timestamp()),
    },
);

via_core!(
    SignedDuration,
    py::TimeDelta,
    "datetime",
    "timedelta",
    to = |d| py::TimeDelta::from_micros(d.as_micros()),
    from = |d| {
        let micros = d.total_micros();
        let secs = micros.div_euclid(1_000_000);
        let us = micros.rem_euclid(1_000_000) as i32;
        let secs = i64::try_from(secs).map_err(|_| format!("{d:?} does not fit SignedDuration"))?;
        Ok(SignedDuration::new(secs, us * 1000))
    },
);
