//! Python's `decimal.Decimal`: [`Decimal`] keeps any Python Decimal exactly
//! (sign, coefficient digits, exponent, NaN payloads, signalling NaNs,
//! infinities, huge exponents). The `rust_decimal` feature converts
//! `rust_decimal::Decimal` through it.
//!
//! Python pickles a Decimal as `decimal.Decimal(str(d))`, the same at every
//! protocol and version; pickle-rs writes that form and reads it (a Python
//! 2 `str` argument too).
//!
//! ```
//! use pickle_core::decimal::Decimal;
//!
//! let d: Decimal = "-1.50E+999999".parse().expect("a Decimal literal");
//! let bytes = pickle_core::to_vec(&d)?; // pickle.loads(bytes) == Decimal('-1.50E+999999')
//! let back: Decimal = pickle_core::from_slice(&bytes)?;
//! assert_eq!((back.to_string(), back.exponent()), ("-1.50E+999999".into(), Some(999_997)));
//! # Ok::<(), pickle_core::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::de::{Context, Direct, FromPickle};
use crate::error::Result;
use crate::format::opcodes as op;
use crate::pyclass::{PyModuleBuilder, PyType, TypeHint};
use crate::ser::{Encoder, ToPickle};
use crate::value::{Construct, Item, Node};

/// A Python `decimal.Decimal`, exactly.
///
/// Equality is structural: `1.0` and `1.00` differ (as their `repr`s do),
/// though Python's `==` calls them equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal {
    negative: bool,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Kind {
    /// `digits × 10^exponent`; `digits` has no leading zeros ("0" for zero).
    Finite {
        digits: String,
        exponent: i64,
    },
    Infinite,
    /// A quiet or signalling NaN and its diagnostic payload (digits, no
    /// leading zeros, maybe empty).
    NaN {
        signaling: bool,
        payload: String,
    },
}

/// Why a string is not a Decimal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseDecimalError(String);

impl fmt::Display for ParseDecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid Decimal literal {:?}", self.0)
    }
}

impl std::error::Error for ParseDecimalError {}

fn strip_zeros(digits: &str) -> String {
    let s = digits.trim_start_matches('0');
    s.to_owned()
}

impl Decimal {
    /// The common form, `[+-]digits[.digits]` and nothing else (what
    /// `str(Decimal)` gives for most values), parsed in one pass with one
    /// allocation; `None` for anything else, which [`FromStr`] parses in
    /// full. Gives what the full parse gives.
    fn parse_plain(s: &str) -> Option<Decimal> {
        let b = s.as_bytes();
        let (negative, body) = match b.first()? {
            b'-' => (true, &b[1..]),
            b'+' => (false, &b[1..]),
            _ => (false, b),
        };
        let (int, frac) = match body.iter().position(|&c| c == b'.') {
            Some(i) => (&body[..i], &body[i + 1..]),
            None => (body, &[][..]),
        };
        if (int.is_empty() && frac.is_empty()) || !int.iter().chain(frac).all(u8::is_ascii_digit) {
            return None;
        }
        let exponent = 0i64.checked_sub(i64::try_from(frac.len()).ok()?)?;
        let mut digits = String::with_capacity(int.len() + frac.len());
        for &c in int.iter().chain(frac) {
            // No leading zeros, as strip_zeros leaves none.
            if !(digits.is_empty() && c == b'0') {
                digits.push(char::from(c));
            }
        }
        if digits.is_empty() {
            digits.push('0');
        }
        Some(Decimal { negative, kind: Kind::Finite { digits, exponent } })
    }
}

impl FromStr for Decimal {
    type Err = ParseDecimalError;

    /// Parses Python's Decimal syntax: an optional sign, then digits with
    /// an optional point and exponent, `Inf`/`Infinity`, or `NaN`/`sNaN`
    /// with optional payload digits; case-insensitive, underscores between
    /// digits and surrounding whitespace allowed, as `Decimal(str)` allows.
    fn from_str(s: &str) -> std::result::Result<Decimal, ParseDecimalError> {
        match Decimal::parse_plain(s) {
            Some(plain) => Ok(plain),
            None => Decimal::parse_full(s),
        }
    }
}

impl Decimal {
    /// [`FromStr`]'s full parse, of every form `Decimal(str)` takes.
    fn parse_full(s: &str) -> std::result::Result<Decimal, ParseDecimalError> {
        let bad = || ParseDecimalError(s.to_owned());
        let t: String = s.trim().chars().filter(|&c| c != '_').collect();
        if t.is_empty() || !t.is_ascii() || s.trim().starts_with('_') || s.trim().ends_with('_') {
            return Err(bad());
        }
        let (negative, body) = match t.as_bytes()[0] {
            b'-' => (true, &t[1..]),
            b'+' => (false, &t[1..]),
            _ => (false, &t[..]),
        };
        let lower = body.to_ascii_lowercase();
        if lower == "inf" || lower == "infinity" {
            return Ok(Decimal { negative, kind: Kind::Infinite });
        }
        for (prefix, signaling) in [("snan", true), ("nan", false)] {
            if let Some(payload) = lower.strip_prefix(prefix) {
                if !payload.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                return Ok(Decimal { negative, kind: Kind::NaN { signaling, payload: strip_zeros(payload) } });
            }
        }
        let (mantissa, exp) = match lower.find('e') {
            Some(i) => (&lower[..i], Some(&lower[i + 1..])),
            None => (&lower[..], None),
        };
        let (int, frac) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        let all_digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
            return Err(bad());
        }
        let exp: i64 = match exp {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !all_digits(digits) {
                    return Err(bad());
                }
                e.parse().map_err(|_| bad())?
            }
        };
        let exponent = exp.checked_sub(frac.len() as i64).ok_or_else(bad)?;
        let mut digits = strip_zeros(&format!("{int}{frac}"));
        if digits.is_empty() {
            digits.push('0');
        }
        Ok(Decimal { negative, kind: Kind::Finite { digits, exponent } })
    }
}

impl fmt::Display for Decimal {
    /// Python's `str(Decimal)`: scientific notation when the exponent is
    /// positive or the number is small, as the General Decimal Arithmetic
    /// specification's to-scientific-string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.negative { "-" } else { "" };
        match &self.kind {
            Kind::Infinite => write!(f, "{sign}Infinity"),
            Kind::NaN { signaling, payload } => write!(f, "{sign}{}NaN{payload}", if *signaling { "s" } else { "" }),
            Kind::Finite { digits, exponent } => finite_str(f, self.negative, digits, *exponent),
        }
    }
}

/// Python's `str()` of the finite `digits × 10^exponent` (`digits` without
/// leading zeros): the General Decimal Arithmetic specification's
/// to-scientific-string, written piece by piece.
fn finite_str(out: &mut impl fmt::Write, negative: bool, digits: &str, exponent: i64) -> fmt::Result {
    fn zeros(out: &mut impl fmt::Write, mut n: u64) -> fmt::Result {
        const ZEROS: &str = "0000000000000000";
        while n > 0 {
            let k = n.min(ZEROS.len() as u64);
            out.write_str(&ZEROS[..k as usize])?;
            n -= k;
        }
        Ok(())
    }
    if negative {
        out.write_str("-")?;
    }
    let n = digits.len() as i64;
    let left = exponent.saturating_add(n);
    let dot = if exponent <= 0 && left > -6 { left } else { 1 };
    if dot <= 0 {
        out.write_str("0.")?;
        zeros(out, dot.unsigned_abs())?;
        out.write_str(digits)?;
    } else if dot >= n {
        out.write_str(digits)?;
        zeros(out, (dot - n).unsigned_abs())?;
    } else {
        out.write_str(&digits[..dot as usize])?;
        out.write_str(".")?;
        out.write_str(&digits[dot as usize..])?;
    }
    if left != dot {
        write!(out, "E{:+}", left - dot)?;
    }
    Ok(())
}

/// Text of up to 64 bytes on the stack: a Decimal's str without an
/// allocation; writing more fails.
struct ShortText {
    buf: [u8; 64],
    len: usize,
}

impl ShortText {
    fn new() -> ShortText {
        ShortText { buf: [0; 64], len: 0 }
    }

    fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.buf[..self.len]).ok()
    }
}

impl fmt::Write for ShortText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.buf.get_mut(self.len..end).ok_or(fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Writes `decimal.Decimal(str)` of the finite `coefficient × 10^exponent`,
/// as [`Decimal`]'s `to_pickle` does, without building a [`Decimal`] (for
/// other crates' decimals) and, where the str is short, without an
/// allocation.
#[cfg(feature = "rust_decimal")]
pub(crate) fn write_finite(enc: &mut Encoder<'_>, negative: bool, coefficient: u128, exponent: i64) -> Result<()> {
    use fmt::Write as _;
    let mut digits = ShortText::new();
    let mut text = ShortText::new();
    let short = write!(digits, "{coefficient}").is_ok()
        && digits.as_str().is_some_and(|d| finite_str(&mut text, negative, d, exponent).is_ok());
    write_call(enc, text.as_str().filter(|_| short), || {
        Decimal::from_parts(negative, coefficient, exponent).to_string()
    })
}

/// `decimal.Decimal(text)`, with `text` given or, when it did not fit on
/// the stack, made by `long`.
fn write_call(enc: &mut Encoder<'_>, text: Option<&str>, long: impl FnOnce() -> String) -> Result<()> {
    enc.write_class("decimal", "Decimal")?;
    match text {
        Some(t) => enc.write_tuple_raw(1, |enc| enc.write_str(t))?,
        None => enc.write_tuple_raw(1, |enc| enc.write_str(&long()))?,
    }
    enc.write_reduce()
}

impl Decimal {
    /// Whether the sign is negative (`-0` included).
    pub fn is_sign_negative(&self) -> bool {
        self.negative
    }

    /// Whether it is a number: neither infinite nor a NaN.
    pub fn is_finite(&self) -> bool {
        matches!(self.kind, Kind::Finite { .. })
    }

    /// Whether it is `Infinity` or `-Infinity`.
    pub fn is_infinite(&self) -> bool {
        self.kind == Kind::Infinite
    }

    /// Whether it is a quiet or signalling NaN.
    pub fn is_nan(&self) -> bool {
        matches!(self.kind, Kind::NaN { .. })
    }

    /// Whether it is a signalling NaN.
    pub fn is_signaling(&self) -> bool {
        matches!(self.kind, Kind::NaN { signaling: true, .. })
    }

    /// The coefficient's decimal digits, without leading zeros (`"0"` for
    /// zero); a NaN's payload digits (maybe empty); `""` for an infinity.
    pub fn coefficient(&self) -> &str {
        match &self.kind {
            Kind::Finite { digits, .. } => digits,
            Kind::NaN { payload, .. } => payload,
            Kind::Infinite => "",
        }
    }

    /// The exponent of a finite Decimal: its value is `coefficient × 10^exponent`.
    pub fn exponent(&self) -> Option<i64> {
        match self.kind {
            Kind::Finite { exponent, .. } => Some(exponent),
            _ => None,
        }
    }

    /// The finite Decimal `coefficient × 10^exponent`, negated for `negative`.
    pub fn from_parts(negative: bool, coefficient: u128, exponent: i64) -> Decimal {
        Decimal { negative, kind: Kind::Finite { digits: coefficient.to_string(), exponent } }
    }
}

impl ToPickle for Decimal {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        let mut text = ShortText::new();
        let short = match &self.kind {
            Kind::Finite { digits, exponent } => finite_str(&mut text, self.negative, digits, *exponent).is_ok(),
            _ => false,
        };
        write_call(enc, text.as_str().filter(|_| short), || self.to_string())
    }
}

impl<'a> FromPickle<'a> for Decimal {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> Result<Self> {
        let v = cx.value();
        let obj = v.as_object(item).filter(|o| {
            o.construct == Construct::Call
                && v.as_global(o.class).is_some_and(|g| g.is("decimal", "Decimal") || g.is("_pydecimal", "Decimal"))
        });
        let Some(obj) = obj else { return Err(cx.mismatch(item, "a decimal.Decimal")) };
        let &[arg] = obj.args.as_slice() else {
            return Err(cx.error(item, "expected decimal.Decimal(str)"));
        };
        let text = match v.get(arg) {
            Some(Node::Str(s)) => s.to_string(),
            // A Python 2 str, read with encoding="bytes".
            Some(Node::Bytes(b)) if b.is_ascii() => String::from_utf8_lossy(b).into_owned(),
            _ => return Err(cx.mismatch(arg, "the Decimal's str")),
        };
        text.parse().map_err(|e: ParseDecimalError| cx.error(arg, e))
    }

    /// `decimal.Decimal(str)` straight from the input (de/sink/direct.rs):
    /// the class fetched from the memo, the str, TUPLE1, REDUCE.
    fn from_direct(rd: &mut Direct<'_, '_, 'a>) -> Option<Self> {
        let g = rd.global()?;
        if !(g.is("decimal", "Decimal") || g.is("_pydecimal", "Decimal")) {
            return None;
        }
        let text = rd.name()?;
        if !rd.eat(op::TUPLE1) {
            return None;
        }
        rd.after_value();
        if !rd.eat(op::REDUCE) {
            return None;
        }
        rd.after_value();
        rd.charge(text.len())?;
        text.parse().ok()
    }
}

impl PyType for Decimal {
    fn py_type(_: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::class("decimal", "Decimal")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(s: &str) -> String {
        s.parse::<Decimal>().unwrap().to_string()
    }

    #[test]
    fn str_is_pythons() {
        for (input, want) in [
            ("1.50", "1.50"),
            ("-0", "-0"),
            ("0.000001", "0.000001"),
            ("0.0000001", "1E-7"),
            ("123E3", "1.23E+5"),
            ("1e-3", "0.001"),
            ("00012.3400", "12.3400"),
            ("  1_000  ", "1000"),
            (".5", "0.5"),
            ("5.", "5"),
            ("-inf", "-Infinity"),
            ("NaN0012", "NaN12"),
            ("-sNaN", "-sNaN"),
            ("1.23E+999999999999", "1.23E+999999999999"),
            ("0E-10", "0E-10"),
        ] {
            assert_eq!(round(input), want, "{input}");
        }
        for bad in ["", ".", "e5", "1e", "1.2.3", "--1", "nan1x", "1_", "_1", "1e+", "١"] {
            assert!(bad.parse::<Decimal>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_plain_parse_is_the_full_parse() {
        let mut plain = 0;
        for sign in ["", "-", "+"] {
            for int in ["", "0", "00", "7", "0070", "123456789012345678901234567890"] {
                for frac in [None, Some(""), Some("0"), Some("50"), Some("0007"), Some("000")] {
                    let s = match frac {
                        Some(f) => format!("{sign}{int}.{f}"),
                        None => format!("{sign}{int}"),
                    };
                    let full = Decimal::parse_full(&s).ok();
                    assert_eq!(Decimal::parse_plain(&s), full, "{s:?}");
                    plain += usize::from(full.is_some());
                }
            }
        }
        assert_eq!(plain, 3 * (6 * 6 - 2), "every form but a lone sign and a lone point parses");
        for other in ["1e3", " 1", "1_0", "inf", "nan", "1.5e-2", "١"] {
            assert_eq!(Decimal::parse_plain(other), None, "{other:?}");
        }
    }
}
