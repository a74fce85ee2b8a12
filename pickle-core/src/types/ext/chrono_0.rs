//! chrono 0.4 (feature `chrono`): `NaiveDate`, `NaiveTime`, `NaiveDateTime`,
//! `DateTime<Utc>`, `DateTime<FixedOffset>` and `TimeDelta` as Python's
//! `date`, `time`, `datetime` and `timedelta`, through
//! [`crate::datetime`].
//!
//! Python holds microseconds: writing drops chrono's sub-microsecond
//! nanoseconds (toward zero); a leap second, a year outside 1-9999 or a
//! `TimeDelta` beyond ±999999999 days is an error. Reading a `datetime`
//! into `DateTime<Utc>` accepts any fixed offset (converted to UTC) and the
//! zone `UTC`; other `ZoneInfo` zones need their rules, which chrono does
//! not have (read them with the `jiff` feature's `Zoned`).

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Utc};

use crate::error::Result;
use crate::types::datetime::{self as py, TzInfo};

fn date_to_py(d: &NaiveDate) -> Result<py::Date> {
    py::Date::new(d.year(), d.month(), d.day())
}

fn date_from_py(d: py::Date) -> std::result::Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(d.year(), d.month(), d.day()).ok_or_else(|| format!("{d:?} does not fit NaiveDate"))
}

fn time_to_py(t: &NaiveTime) -> Result<py::Time> {
    let nanos = t.nanosecond();
    if nanos >= 1_000_000_000 {
        return Err(crate::error::Error::new(
            crate::error::ErrorKind::Unsupported,
            None,
            format!("the leap second {t} cannot be written: a datetime.time has no second 60"),
        ));
    }
    py::Time::new(t.hour(), t.minute(), t.second(), nanos / 1000)
}

fn time_from_py(t: &py::Time) -> std::result::Result<NaiveTime, String> {
    NaiveTime::from_hms_micro_opt(t.hour(), t.minute(), t.second(), t.microsecond())
        .ok_or_else(|| format!("{t:?} does not fit NaiveTime"))
}

fn naive_to_py(t: &NaiveDateTime) -> Result<py::DateTime> {
    Ok(py::DateTime::new(date_to_py(&t.date())?, time_to_py(&t.time())?))
}

fn naive_from_py(t: &py::DateTime) -> std::result::Result<NaiveDateTime, String> {
    Ok(NaiveDateTime::new(date_from_py(t.date())?, time_from_py(t.time())?))
}

via_core!(NaiveDate, py::Date, "datetime", "date", to = date_to_py, from = date_from_py);

via_core!(
    NaiveTime,
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
    NaiveDateTime,
    py::DateTime,
    "datetime",
    "datetime",
    to = naive_to_py,
    from = |t| {
        py::require_naive(t.tz(), "datetime.datetime")?;
        naive_from_py(&t)
    },
);

/// The instant of an aware Python datetime with a fixed offset (or UTC zone).
fn instant(t: &py::DateTime) -> std::result::Result<chrono::DateTime<Utc>, String> {
    let micros = match t.tz() {
        Some(tz) if tz.is_utc() => t.wall_micros(),
        Some(TzInfo::Fixed { .. }) => t.unix_micros().unwrap_or_default(),
        Some(TzInfo::Zone { key }) => {
            return Err(format!(
                "the datetime is in the zone {key:?}, whose rules chrono does not have; \
                 read it with the jiff feature's Zoned, or as pickle_core::datetime::DateTime"
            ));
        }
        None => return Err("expected an aware datetime.datetime, found a naive one".into()),
    };
    chrono::DateTime::<Utc>::from_timestamp_micros(micros).ok_or_else(|| "the datetime does not fit chrono".into())
}

via_core!(
    chrono::DateTime<Utc>,
    py::DateTime,
    "datetime",
    "datetime",
    to = |t| {
        let mut py = naive_to_py(&t.naive_utc())?;
        py = py::DateTime::new(py.date(), py.time().clone().with_tz(Some(TzInfo::utc())));
        Ok(py)
    },
    from = |t| instant(&t),
);

via_core!(
    chrono::DateTime<FixedOffset>,
    py::DateTime,
    "datetime",
    "datetime",
    to = |t| {
        let py = naive_to_py(&t.naive_local())?;
        let tz = TzInfo::fixed(t.offset().local_minus_utc());
        Ok(py::DateTime::new(py.date(), py.time().clone().with_tz(Some(tz))))
    },
    from = |t| {
        let offset = match t.tz() {
            Some(TzInfo::Fixed { offset_micros, .. }) if offset_micros % 1_000_000 == 0 => {
                FixedOffset::east_opt((offset_micros / 1_000_000) as i32)
            }
            Some(TzInfo::Fixed { offset_micros, .. }) => {
                return Err(format!(
                    "the offset of {offset_micros} microseconds is not whole seconds, as FixedOffset needs"
                ));
            }
            _ => None,
        };
        let offset = match offset {
            Some(o) => o,
            None => return instant(&t).map(|i| i.fixed_offset()),
        };
        Ok(instant(&t)?.with_timezone(&offset))
    },
);

via_core!(
    TimeDelta,
    py::TimeDelta,
    "datetime",
    "timedelta",
    to = |d| py::TimeDelta::from_micros(i128::from(d.num_seconds()) * 1_000_000 + i128::from(d.subsec_nanos() / 1000)),
    from = |d| {
        let secs = d.days() * 86_400 + i64::from(d.seconds());
        TimeDelta::new(secs, d.microseconds() * 1000).ok_or_else(|| format!("{d:?} does not fit chrono's TimeDelta"))
    },
);
