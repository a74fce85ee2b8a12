//! Python's `datetime` module: [`Date`], [`Time`], [`DateTime`],
//! [`TimeDelta`] and [`TzInfo`] hold exactly what Python's types hold, and
//! `std::time::Duration` (as `timedelta`) and `SystemTime` (as an aware UTC
//! `datetime`) map onto them. The `chrono` and `jiff` features convert
//! through these types.
//!
//! Writing uses CPython's own form, `datetime.datetime(<10 bytes>[, tz])`
//! and the like (bytes through `_codecs.encode` below protocol 3), the only
//! form that carries `fold`; every CPython from 3.8 loads it. A `tzinfo` is
//! `datetime.timezone(timedelta[, name])` or `zoneinfo.ZoneInfo(key)` (which
//! needs Python 3.9). Reading accepts every form CPython writes at protocols
//! 0-5, the Python 2 str states (decoded with `encoding="latin1"` or
//! `"bytes"`), the positional-int constructors, `ZoneInfo._unpickle`, and
//! pytz's `_UTC()` and `_p(zone, ...)`.
//!
//! ```
//! use pickle_core::datetime::{Date, DateTime, Time, TzInfo};
//!
//! let t = DateTime::new(Date::new(2024, 3, 15)?, Time::new(12, 30, 45, 123_456)?.with_tz(Some(TzInfo::utc())));
//! let bytes = pickle_core::to_vec(&t)?; // datetime.datetime(2024, 3, 15, 12, 30, 45, 123456, tzinfo=datetime.timezone.utc)
//! let back: DateTime = pickle_core::from_slice(&bytes)?;
//! assert_eq!(back, t);
//! # Ok::<(), pickle_core::Error>(())
//! ```

use std::time::{Duration, SystemTime};

use crate::de::{Context, Direct, FromPickle};
use crate::error::{Error, ErrorKind, Result};
use crate::format::opcodes as op;
use crate::pyclass::{PyModuleBuilder, PyType, TypeHint};
use crate::ser::{Encoder, ToPickle};
use crate::value::{Construct, Item, Node, Object};

/// Microseconds in a day.
const DAY_US: i64 = 86_400_000_000;
/// Python's `timedelta.max.days`.
pub const MAX_DAYS: i64 = 999_999_999;

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::Unsupported, None, message)
}

/// `datetime.date`: a day from 0001-01-01 to 9999-12-31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        _ => 31,
    }
}

impl Date {
    /// The date, or an error naming the field out of Python's range.
    pub fn new(year: i32, month: u32, day: u32) -> Result<Date> {
        if !(1..=9999).contains(&year) {
            return Err(invalid(format!("year {year} is out of range for datetime.date (1..=9999)")));
        }
        let year = year as u16;
        if !(1..=12).contains(&month) {
            return Err(invalid(format!("month {month} is out of range for datetime.date (1..=12)")));
        }
        let month = month as u8;
        let last = days_in_month(year, month);
        if day < 1 || day > u32::from(last) {
            return Err(invalid(format!("day {day} is out of range for {year:04}-{month:02} (1..={last})")));
        }
        Ok(Date { year, month, day: day as u8 })
    }

    /// The year, 1 to 9999.
    pub fn year(self) -> i32 {
        i32::from(self.year)
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u32 {
        u32::from(self.day)
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_from_unix_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let (y, m, d) = (i64::from(self.year), i64::from(self.month), i64::from(self.day));
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01, or an error outside Python's range.
    pub fn from_days_from_unix_epoch(days: i64) -> Result<Date> {
        // Howard Hinnant's civil_from_days, on a range checked first.
        const MIN: i64 = -719_162; // 0001-01-01
        const MAX: i64 = 2_932_896; // 9999-12-31
        if !(MIN..=MAX).contains(&days) {
            return Err(invalid(format!("the date {days} days from 1970-01-01 is out of range for datetime.date")));
        }
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date::new(year as i32, month as u32, day as u32)
    }

    fn state(self) -> [u8; 4] {
        let [hi, lo] = self.year.to_be_bytes();
        [hi, lo, self.month, self.day]
    }
}

/// `datetime.time`: a time of day to the microsecond, with `fold` and an
/// optional `tzinfo`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Time {
    hour: u8,
    minute: u8,
    second: u8,
    microsecond: u32,
    fold: bool,
    tz: Option<TzInfo>,
}

impl Time {
    /// A naive time with `fold` 0, or an error naming the field out of range.
    pub fn new(hour: u32, minute: u32, second: u32, microsecond: u32) -> Result<Time> {
        for (name, value, max) in [("hour", hour, 23), ("minute", minute, 59), ("second", second, 59)] {
            if value > max {
                return Err(invalid(format!("{name} {value} is out of range for datetime.time (0..={max})")));
            }
        }
        if microsecond > 999_999 {
            return Err(invalid(format!("microsecond {microsecond} is out of range for datetime.time (0..=999999)")));
        }
        Ok(Time { hour: hour as u8, minute: minute as u8, second: second as u8, microsecond, fold: false, tz: None })
    }

    /// The time with `fold` set: the later of two equal wall times at a
    /// backward clock change.
    pub fn with_fold(mut self, fold: bool) -> Time {
        self.fold = fold;
        self
    }

    /// The time with a `tzinfo`.
    pub fn with_tz(mut self, tz: Option<TzInfo>) -> Time {
        self.tz = tz;
        self
    }

    /// The hour, 0 to 23.
    pub fn hour(&self) -> u32 {
        u32::from(self.hour)
    }

    /// The minute, 0 to 59.
    pub fn minute(&self) -> u32 {
        u32::from(self.minute)
    }

    /// The second, 0 to 59.
    pub fn second(&self) -> u32 {
        u32::from(self.second)
    }

    /// The microsecond, 0 to 999999.
    pub fn microsecond(&self) -> u32 {
        self.microsecond
    }

    /// `fold`.
    pub fn fold(&self) -> bool {
        self.fold
    }

    /// The `tzinfo`, `None` for a naive time.
    pub fn tz(&self) -> Option<&TzInfo> {
        self.tz.as_ref()
    }

    /// Microseconds since midnight.
    pub fn micros_of_day(&self) -> i64 {
        ((i64::from(self.hour) * 60 + i64::from(self.minute)) * 60 + i64::from(self.second)) * 1_000_000
            + i64::from(self.microsecond)
    }

    /// A naive time `micros` (`0..86400 * 10^6`) after midnight.
    pub fn from_micros_of_day(micros: i64) -> Result<Time> {
        if !(0..DAY_US).contains(&micros) {
            return Err(invalid(format!("{micros} microseconds is not a time of day")));
        }
        let secs = micros / 1_000_000;
        Time::new((secs / 3600) as u32, (secs / 60 % 60) as u32, (secs % 60) as u32, (micros % 1_000_000) as u32)
    }

    fn state(&self) -> [u8; 6] {
        let us = self.microsecond.to_be_bytes();
        [self.hour | if self.fold { 0x80 } else { 0 }, self.minute, self.second, us[1], us[2], us[3]]
    }
}

/// `datetime.datetime`: a date and a time of day (with its `fold` and
/// `tzinfo`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DateTime {
    date: Date,
    time: Time,
}

impl DateTime {
    /// The datetime of `date` at `time`.
    pub fn new(date: Date, time: Time) -> DateTime {
        DateTime { date, time }
    }

    /// The date.
    pub fn date(&self) -> Date {
        self.date
    }

    /// The time of day, with `fold` and `tzinfo`.
    pub fn time(&self) -> &Time {
        &self.time
    }

    /// The `tzinfo`, `None` for a naive datetime.
    pub fn tz(&self) -> Option<&TzInfo> {
        self.time.tz.as_ref()
    }

    /// Microseconds since 1970-01-01 00:00 of the wall time, ignoring the
    /// `tzinfo`.
    pub fn wall_micros(&self) -> i64 {
        self.date.days_from_unix_epoch() * DAY_US + self.time.micros_of_day()
    }

    /// The naive datetime `micros` after 1970-01-01 00:00.
    pub fn from_wall_micros(micros: i64) -> Result<DateTime> {
        let date = Date::from_days_from_unix_epoch(micros.div_euclid(DAY_US))?;
        Ok(DateTime { date, time: Time::from_micros_of_day(micros.rem_euclid(DAY_US))? })
    }

    /// The aware UTC datetime `micros` after the Unix epoch.
    pub fn from_unix_micros(micros: i64) -> Result<DateTime> {
        let mut t = DateTime::from_wall_micros(micros)?;
        t.time.tz = Some(TzInfo::utc());
        Ok(t)
    }

    /// Microseconds since the Unix epoch, for an aware datetime whose
    /// `tzinfo` is a fixed offset; `None` for a naive one or a `ZoneInfo`
    /// (which needs the zone's rules).
    pub fn unix_micros(&self) -> Option<i64> {
        match self.tz()? {
            TzInfo::Fixed { offset_micros, .. } => Some(self.wall_micros() - offset_micros),
            TzInfo::Zone { .. } => None,
        }
    }

    fn state(&self) -> [u8; 10] {
        let d = self.date.state();
        let t = self.time.state();
        [d[0], d[1], d[2] | (t[0] & 0x80), d[3], t[0] & 0x7f, t[1], t[2], t[3], t[4], t[5]]
    }
}

/// A `datetime.tzinfo`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TzInfo {
    /// `datetime.timezone(offset[, name])`; `timezone.utc` is offset 0
    /// without a name.
    Fixed {
        /// The offset from UTC, in microseconds, strictly within ±24 hours.
        offset_micros: i64,
        /// The name `tzname()` gives, when one was set.
        name: Option<String>,
    },
    /// `zoneinfo.ZoneInfo(key)`, an IANA zone such as `Europe/Paris`
    /// (pytz zones read as this too).
    Zone {
        /// The IANA key.
        key: String,
    },
}

impl TzInfo {
    /// `datetime.timezone.utc`.
    pub fn utc() -> TzInfo {
        TzInfo::Fixed { offset_micros: 0, name: None }
    }

    /// A fixed offset of `seconds` east of UTC, without a name.
    pub fn fixed(seconds: i32) -> TzInfo {
        TzInfo::Fixed { offset_micros: i64::from(seconds) * 1_000_000, name: None }
    }

    /// Whether this is UTC: offset 0, or the zone `UTC` / `Etc/UTC`.
    pub fn is_utc(&self) -> bool {
        match self {
            TzInfo::Fixed { offset_micros, .. } => *offset_micros == 0,
            TzInfo::Zone { key } => matches!(key.as_str(), "UTC" | "Etc/UTC" | "Etc/Universal" | "Etc/Zulu"),
        }
    }
}

/// `datetime.timedelta`: days, seconds (0 to 86399) and microseconds (0 to
/// 999999), normalized as Python normalizes them; `|days| <= 999999999`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TimeDelta {
    days: i32,
    seconds: u32,
    microseconds: u32,
}

impl TimeDelta {
    /// The duration of `micros` microseconds, or an error beyond Python's
    /// range (±999999999 days).
    pub fn from_micros(micros: i128) -> Result<TimeDelta> {
        let day = i128::from(DAY_US);
        let days = micros.div_euclid(day);
        if days.abs() > i128::from(MAX_DAYS) {
            return Err(invalid(format!(
                "the timedelta's days {days} are out of range for datetime.timedelta (±{MAX_DAYS})"
            )));
        }
        let rest = micros.rem_euclid(day) as i64;
        Ok(TimeDelta { days: days as i32, seconds: (rest / 1_000_000) as u32, microseconds: (rest % 1_000_000) as u32 })
    }

    /// `timedelta(days, seconds, microseconds)`, normalized.
    pub fn new(days: i64, seconds: i64, microseconds: i64) -> Result<TimeDelta> {
        TimeDelta::from_micros(
            i128::from(days) * i128::from(DAY_US) + i128::from(seconds) * 1_000_000 + i128::from(microseconds),
        )
    }

    /// The days, negative for negative durations.
    pub fn days(self) -> i64 {
        i64::from(self.days)
    }

    /// The seconds, 0 to 86399.
    pub fn seconds(self) -> u32 {
        self.seconds
    }

    /// The microseconds, 0 to 999999.
    pub fn microseconds(self) -> u32 {
        self.microseconds
    }

    /// The whole duration in microseconds.
    pub fn total_micros(self) -> i128 {
        i128::from(self.days) * i128::from(DAY_US)
            + i128::from(self.seconds) * 1_000_000
            + i128::from(self.microseconds)
    }
}

/// For the integrations: an error message unless `tz` is `None` (the
/// Rust type is naive; `what` names the Python type).
#[cfg(any(feature = "chrono", feature = "jiff"))]
pub(crate) fn require_naive(tz: Option<&TzInfo>, what: &str) -> std::result::Result<(), String> {
    match tz {
        None => Ok(()),
        Some(tz) => Err(format!("expected a naive {what}, found one with tzinfo {tz:?}")),
    }
}

// ----- writing ---------------------------------------------------------------

fn write_tz(enc: &mut Encoder<'_>, tz: &TzInfo) -> Result<()> {
    if matches!(tz, TzInfo::Fixed { offset_micros: 0, name: None }) {
        // `timezone.utc` is one object in Python: CPython writes it once per
        // pickle and fetches it from the memo after, and so does this.
        return enc.write_static_shared("datetime.timezone.utc", |enc| write_tz_value(enc, tz));
    }
    write_tz_value(enc, tz)
}

fn write_tz_value(enc: &mut Encoder<'_>, tz: &TzInfo) -> Result<()> {
    match tz {
        TzInfo::Fixed { offset_micros, name } => {
            if offset_micros.abs() >= DAY_US {
                return Err(invalid(format!(
                    "the timezone offset of {offset_micros} microseconds is not within ±24 hours"
                )));
            }
            enc.write_class("datetime", "timezone")?;
            let delta = TimeDelta::from_micros(i128::from(*offset_micros))?;
            match name {
                None => enc.write_tuple_raw(1, |enc| delta.to_pickle(enc))?,
                Some(n) => enc.write_tuple_raw(2, |enc| {
                    delta.to_pickle(enc)?;
                    enc.write_str(n)
                })?,
            }
            enc.write_reduce()
        }
        TzInfo::Zone { key } => {
            enc.write_class("zoneinfo", "ZoneInfo")?;
            enc.write_tuple_raw(1, |enc| enc.write_str(key))?;
            enc.write_reduce()
        }
    }
}

/// `datetime.<class>(<state bytes>[, tz])`.
fn write_with_state(enc: &mut Encoder<'_>, class: &'static str, state: &[u8], tz: Option<&TzInfo>) -> Result<()> {
    enc.write_class("datetime", class)?;
    match tz {
        None => enc.write_tuple_raw(1, |enc| enc.write_bytes(state))?,
        Some(tz) => enc.write_tuple_raw(2, |enc| {
            enc.write_bytes(state)?;
            write_tz(enc, tz)
        })?,
    }
    enc.write_reduce()
}

impl ToPickle for Date {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        write_with_state(enc, "date", &self.state(), None)
    }
}

impl ToPickle for Time {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        write_with_state(enc, "time", &self.state(), self.tz.as_ref())
    }
}

impl ToPickle for DateTime {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        write_with_state(enc, "datetime", &self.state(), self.tz())
    }
}

impl ToPickle for TimeDelta {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_class("datetime", "timedelta")?;
        enc.write_tuple_raw(3, |enc| {
            enc.write_i64(i64::from(self.days))?;
            enc.write_i64(i64::from(self.seconds))?;
            enc.write_i64(i64::from(self.microseconds))
        })?;
        enc.write_reduce()
    }
}

impl ToPickle for TzInfo {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        write_tz(enc, self)
    }
}

// ----- reading ---------------------------------------------------------------

/// The arguments of a call of `datetime.<class>`, or a mismatch.
fn call_args<'c>(cx: &Context<'c, '_>, item: Item, module: &str, class: &str) -> Result<&'c [Item]> {
    let v = cx.value();
    match v.as_object(item) {
        Some(Object { class: c, construct: Construct::Call, args, .. })
            if v.as_global(*c).is_some_and(|g| g.is(module, class)) =>
        {
            Ok(args)
        }
        _ => Err(cx.mismatch(item, &format!("a {module}.{class}"))),
    }
}

/// The state bytes of a datetime-module object: `bytes` (protocol 3+, and
/// `_codecs.encode` below it, which the decoder has already applied), or a
/// Python 2 `str` read as latin-1. `None` when `item` is neither (the
/// positional-int form).
fn state_bytes<const N: usize>(cx: &Context<'_, '_>, item: Item, what: &str) -> Option<Result<[u8; N]>> {
    let v = cx.value();
    let bytes: Vec<u8> = match v.get(item)? {
        Node::Bytes(b) => b.to_vec(),
        Node::Str(s) => match s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect() {
            Some(b) => b,
            None => return Some(Err(cx.error(item, format_args!("the {what} state is a str beyond latin-1")))),
        },
        _ => return None,
    };
    Some(
        <[u8; N]>::try_from(bytes.as_slice())
            .map_err(|_| cx.error(item, format_args!("the {what} state has {} bytes, not {N}", bytes.len()))),
    )
}

/// An int argument, with the field's name in errors.
fn int_arg(cx: &mut Context<'_, '_>, item: Item, field: &str, of: &str) -> Result<i64> {
    cx.decode::<i64>(item).map_err(|e| e.context(format_args!("{field} of {of}")))
}

/// A field error on reading: Mismatch at the item's offset.
fn range_error(cx: &Context<'_, '_>, item: Item, e: Error) -> Error {
    cx.error(item, e.message())
}

fn read_date(cx: &mut Context<'_, '_>, item: Item) -> Result<Date> {
    let args = call_args(cx, item, "datetime", "date")?;
    if let [state] = args
        && let Some(b) = state_bytes::<4>(cx, *state, "datetime.date")
    {
        let b = b?;
        return Date::new(i32::from(u16::from_be_bytes([b[0], b[1]])), u32::from(b[2]), u32::from(b[3]))
            .map_err(|e| range_error(cx, *state, e));
    }
    match args {
        &[y, m, d] => {
            let (y, m, d) =
                (int_arg(cx, y, "year", "date")?, int_arg(cx, m, "month", "date")?, int_arg(cx, d, "day", "date")?);
            date_from_ints(y, m, d).map_err(|e| range_error(cx, item, e))
        }
        _ => Err(cx.error(item, "expected datetime.date(state) or datetime.date(year, month, day)")),
    }
}

fn date_from_ints(y: i64, m: i64, d: i64) -> Result<Date> {
    let y = i32::try_from(y).unwrap_or(i32::MAX);
    let m = u32::try_from(m).unwrap_or(u32::MAX);
    let d = u32::try_from(d).unwrap_or(u32::MAX);
    Date::new(y, m, d)
}

fn read_tz(cx: &mut Context<'_, '_>, item: Item) -> Result<Option<TzInfo>> {
    if item == Item::None {
        return Ok(None);
    }
    let v = cx.value();
    let Some(obj) = v.as_object(item) else { return Err(cx.mismatch(item, "a tzinfo")) };
    let Some(class) = v.as_global(obj.class) else { return Err(cx.mismatch(item, "a tzinfo")) };
    let key = |cx: &mut Context<'_, '_>, args: &[Item]| -> Result<TzInfo> {
        match args.first() {
            Some(&k) => Ok(TzInfo::Zone { key: cx.decode::<String>(k)? }),
            None => Err(cx.error(item, format_args!("{class} has no zone key"))),
        }
    };
    match (class.module.as_ref(), class.name.as_ref()) {
        ("datetime", "timezone") => match obj.args.as_slice() {
            &[delta] | &[delta, Item::None] => {
                Ok(Some(TzInfo::Fixed { offset_micros: offset(cx, delta)?, name: None }))
            }
            &[delta, name] => {
                let offset_micros = offset(cx, delta)?;
                Ok(Some(TzInfo::Fixed { offset_micros, name: Some(cx.decode::<String>(name)?) }))
            }
            _ => Err(cx.error(item, "expected datetime.timezone(offset[, name])")),
        },
        ("zoneinfo" | "zoneinfo._zoneinfo", "ZoneInfo" | "ZoneInfo._unpickle") => key(cx, &obj.args).map(Some),
        ("pytz", "_UTC") | ("pytz", "utc") => Ok(Some(TzInfo::utc())),
        ("pytz", "_p") => key(cx, &obj.args).map(Some),
        _ => Err(cx.mismatch(item, "a datetime.timezone or zoneinfo.ZoneInfo")),
    }
}

fn offset(cx: &mut Context<'_, '_>, delta: Item) -> Result<i64> {
    let d: TimeDelta = cx.decode(delta)?;
    let us = d.total_micros();
    if us.abs() >= i128::from(DAY_US) {
        return Err(cx.error(delta, "the timezone offset is not strictly within ±24 hours"));
    }
    Ok(us as i64)
}

fn read_time(cx: &mut Context<'_, '_>, item: Item) -> Result<Time> {
    let args = call_args(cx, item, "datetime", "time")?;
    if let Some(&first) = args.first()
        && let Some(b) = state_bytes::<6>(cx, first, "datetime.time")
    {
        let b = b?;
        let tz = match args.get(1..) {
            Some([]) => None,
            Some([tz]) => read_tz(cx, *tz)?,
            _ => return Err(cx.error(item, "expected datetime.time(state[, tzinfo])")),
        };
        let us = u32::from_be_bytes([0, b[3], b[4], b[5]]);
        let time = Time::new(u32::from(b[0] & 0x7f), u32::from(b[1]), u32::from(b[2]), us)
            .map_err(|e| range_error(cx, first, e))?;
        return Ok(time.with_fold(b[0] & 0x80 != 0).with_tz(tz));
    }
    let (ints, tz) = split_tz(args, 4);
    let mut f = [0i64; 4];
    for (i, (&a, name)) in ints.iter().zip(["hour", "minute", "second", "microsecond"]).enumerate() {
        f[i] = int_arg(cx, a, name, "time")?;
    }
    let tz = match tz {
        Some(tz) => read_tz(cx, tz)?,
        None => None,
    };
    let u = |x: i64| u32::try_from(x).unwrap_or(u32::MAX);
    Ok(Time::new(u(f[0]), u(f[1]), u(f[2]), u(f[3])).map_err(|e| range_error(cx, item, e))?.with_tz(tz))
}

/// Splits positional args into up to `n` ints and a trailing tzinfo.
fn split_tz(args: &[Item], n: usize) -> (&[Item], Option<Item>) {
    if args.len() > n { (&args[..n], Some(args[n])) } else { (args, None) }
}

fn read_datetime(cx: &mut Context<'_, '_>, item: Item) -> Result<DateTime> {
    let args = call_args(cx, item, "datetime", "datetime")?;
    if let Some(&first) = args.first()
        && let Some(b) = state_bytes::<10>(cx, first, "datetime.datetime")
    {
        let b = b?;
        let tz = match args.get(1..) {
            Some([]) => None,
            Some([tz]) => read_tz(cx, *tz)?,
            _ => return Err(cx.error(item, "expected datetime.datetime(state[, tzinfo])")),
        };
        return datetime_of_state(b, tz).map_err(|e| range_error(cx, first, e));
    }
    if args.len() < 3 {
        return Err(
            cx.error(item, "expected datetime.datetime(state[, tzinfo]) or datetime.datetime(year, month, day, ...)")
        );
    }
    let (ints, tz) = split_tz(args, 7);
    let names = ["year", "month", "day", "hour", "minute", "second", "microsecond"];
    let mut f = [0i64; 7];
    for (i, (&a, name)) in ints.iter().zip(names).enumerate() {
        f[i] = int_arg(cx, a, name, "datetime")?;
    }
    let tz = match tz {
        Some(tz) => read_tz(cx, tz)?,
        None => None,
    };
    let u = |x: i64| u32::try_from(x).unwrap_or(u32::MAX);
    let date = date_from_ints(f[0], f[1], f[2]).map_err(|e| range_error(cx, item, e))?;
    let time = Time::new(u(f[3]), u(f[4]), u(f[5]), u(f[6])).map_err(|e| range_error(cx, item, e))?;
    Ok(DateTime::new(date, time.with_tz(tz)))
}

/// The datetime of a pickled state (10 bytes) and tzinfo.
fn datetime_of_state(b: [u8; 10], tz: Option<TzInfo>) -> Result<DateTime> {
    let date = Date::new(i32::from(u16::from_be_bytes([b[0], b[1]])), u32::from(b[2] & 0x7f), u32::from(b[3]))?;
    let us = u32::from_be_bytes([0, b[7], b[8], b[9]]);
    let time = Time::new(u32::from(b[4]), u32::from(b[5]), u32::from(b[6]), us)?;
    Ok(DateTime::new(date, time.with_fold(b[2] & 0x80 != 0).with_tz(tz)))
}

/// A datetime read straight from the input (de/sink/direct.rs), as CPython
/// and pickle-rs write one from protocol 3: the class fetched from the memo,
/// the 10-byte state, an optional tzinfo fetched from the memo, REDUCE.
fn direct_datetime(rd: &mut Direct<'_, '_, '_>) -> Option<DateTime> {
    if !rd.global()?.is("datetime", "datetime") {
        return None;
    }
    let state: [u8; 10] = rd.bytes()?.try_into().ok()?;
    let tz = if rd.eat(op::TUPLE1) {
        None
    } else {
        let tz = rd.memo_item()?;
        if !rd.eat(op::TUPLE2) {
            return None;
        }
        // One zone is usually fetched by every datetime: converted once.
        Some(rd.context().shared(tz, |cx| read_tz(cx, tz)).ok()??)
    };
    rd.after_value();
    if !rd.eat(op::REDUCE) {
        return None;
    }
    rd.after_value();
    datetime_of_state(state, tz).ok()
}

fn read_timedelta(cx: &mut Context<'_, '_>, item: Item) -> Result<TimeDelta> {
    let args = call_args(cx, item, "datetime", "timedelta")?;
    if args.len() > 3 {
        return Err(cx.error(item, "expected datetime.timedelta(days, seconds, microseconds)"));
    }
    let mut f = [0i64; 3];
    for (i, (&a, name)) in args.iter().zip(["days", "seconds", "microseconds"]).enumerate() {
        f[i] = int_arg(cx, a, name, "timedelta")?;
    }
    TimeDelta::new(f[0], f[1], f[2]).map_err(|e| range_error(cx, item, e))
}

impl<'a> FromPickle<'a> for Date {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        read_date(cx, item)
    }
}

impl<'a> FromPickle<'a> for Time {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        read_time(cx, item)
    }
}

impl<'a> FromPickle<'a> for DateTime {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        read_datetime(cx, item)
    }

    fn from_direct(rd: &mut Direct<'_, '_, 'a>) -> Option<Self> {
        direct_datetime(rd)
    }
}

impl<'a> FromPickle<'a> for TimeDelta {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        read_timedelta(cx, item)
    }
}

impl<'a> FromPickle<'a> for TzInfo {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        read_tz(cx, item)?.ok_or_else(|| cx.mismatch(item, "a tzinfo"))
    }
}

macro_rules! hints {
    ($($t:ty => $module:literal, $class:literal;)*) => {$(
        impl PyType for $t {
            fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
                TypeHint::class($module, $class)
            }
        }
    )*};
}

hints! {
    Date => "datetime", "date";
    Time => "datetime", "time";
    DateTime => "datetime", "datetime";
    TimeDelta => "datetime", "timedelta";
    TzInfo => "datetime", "tzinfo";
    Duration => "datetime", "timedelta";
    SystemTime => "datetime", "datetime";
}

// ----- std -------------------------------------------------------------------

/// `Duration` as a `timedelta`: sub-microsecond nanoseconds are dropped (a
/// timedelta has none); beyond 999999999 days is an error.
impl ToPickle for Duration {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        TimeDelta::from_micros(self.as_micros() as i128)?.to_pickle(enc)
    }
}

impl<'a> FromPickle<'a> for Duration {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let d = read_timedelta(cx, item)?;
        let us = u64::try_from(d.total_micros())
            .map_err(|_| cx.error(item, "a negative timedelta does not fit std::time::Duration"))?;
        Ok(Duration::from_micros(us))
    }
}

/// `SystemTime` as an aware UTC `datetime` (microseconds; nanoseconds are
/// dropped toward the past); outside years 1-9999 is an error.
impl ToPickle for SystemTime {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        let micros = match self.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_micros()).ok(),
            Err(before) => {
                let d = before.duration();
                let whole = i64::try_from(d.as_micros()).ok();
                whole.map(|w| -w - i64::from(d.subsec_nanos() % 1000 != 0))
            }
        };
        let micros = micros.ok_or_else(|| invalid("the SystemTime is out of range for datetime.datetime".into()))?;
        DateTime::from_unix_micros(micros)?.to_pickle(enc)
    }
}

impl<'a> FromPickle<'a> for SystemTime {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let t = read_datetime(cx, item)?;
        let micros = t.unix_micros().ok_or_else(|| {
            cx.error(item, "a SystemTime needs an aware datetime with a fixed offset (a naive datetime or a ZoneInfo has no instant)")
        })?;
        let d = Duration::from_micros(micros.unsigned_abs());
        let t = if micros >= 0 { SystemTime::UNIX_EPOCH.checked_add(d) } else { SystemTime::UNIX_EPOCH.checked_sub(d) };
        t.ok_or_else(|| cx.error(item, "the datetime is out of range for SystemTime"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_from_epoch_round_trip_over_the_whole_range() {
        for days in [-719_162, -1, 0, 1, 11_016, 19_797, 2_932_896] {
            let d = Date::from_days_from_unix_epoch(days).unwrap();
            assert_eq!(d.days_from_unix_epoch(), days);
        }
        assert_eq!(Date::from_days_from_unix_epoch(0).unwrap(), Date::new(1970, 1, 1).unwrap());
        assert_eq!(Date::from_days_from_unix_epoch(-719_162).unwrap(), Date::new(1, 1, 1).unwrap());
        assert!(Date::from_days_from_unix_epoch(-719_163).is_err());
        assert!(Date::from_days_from_unix_epoch(2_932_897).is_err());
        assert_eq!(Date::new(2024, 2, 29).unwrap().day(), 29);
        assert!(Date::new(2023, 2, 29).unwrap_err().message().contains("day 29"));
        assert!(Date::new(0, 1, 1).unwrap_err().message().contains("year 0"));
    }

    #[test]
    fn timedeltas_normalize_as_python() {
        let d = TimeDelta::new(0, 0, -1).unwrap();
        assert_eq!((d.days(), d.seconds(), d.microseconds()), (-1, 86_399, 999_999));
        assert_eq!(TimeDelta::new(MAX_DAYS, 86_399, 999_999).unwrap().days(), MAX_DAYS);
        assert!(TimeDelta::new(MAX_DAYS + 1, 0, 0).unwrap_err().message().contains("days"));
    }
}
