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

impl FromStr for Decimal {
    type Err = ParseDecimalError;

    /// Parses Python's Decimal syntax: an optional sign, then digits with
    /// an optional point and exponent, `Inf`/`Infinity`, or `NaN`/`sNaN`
    /// with optional payload digits; case-insensitive, underscores between
    /// digits and surrounding whitespace allowed, as `Decimal(str)` allows.
    fn from_str(s: &str) -> std::result::Result<Decimal, ParseDecimalError> {
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
        if self.negative {
            f.write_str("-")?;
        }
        let (digits, exponent) = match &self.kind {
            Kind::Infinite => return f.write_str("Infinity"),
            Kind::NaN { signaling, payload } => {
                return write!(f, "{}NaN{payload}", if *signaling { "s" } else { "" });
            }
            Kind::Finite { digits, exponent } => (digits.as_str(), *exponent),
        };
        let n = digits.len() as i64;
        let left = exponent.saturating_add(n);
        let dot = if exponent <= 0 && left > -6 { left } else { 1 };
        if dot <= 0 {
            write!(f, "0.{}{digits}", "0".repeat((-dot) as usize))?;
        } else if dot >= n {
            write!(f, "{digits}{}", "0".repeat((dot - n) as usize))?;
        } else {
            write!(f, "{}.{}", &digits[..dot as usize], &digits[dot as usize..])?;
        }
        if left != dot {
            write!(f, "E{:+}", left - dot)?;
        }
        Ok(())
    }
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
        enc.write_class("decimal", "Decimal")?;
        enc.write_tuple_raw(1, |enc| enc.write_str(&self.to_string()))?;
        enc.write_reduce()
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
}
