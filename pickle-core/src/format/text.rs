//! Python's text forms that pickles carry: protocol 0 numbers, `STRING`
//! escapes, raw-unicode-escape, and UTF-8 with `surrogatepass`.

use std::borrow::Cow;

use num_bigint::BigInt;

/// An int parsed from text: small or big.
#[derive(Debug, PartialEq)]
pub(crate) enum ParsedInt {
    Small(i64),
    Big(BigInt),
}

/// Why the text of an int did not parse.
#[derive(Debug, PartialEq)]
pub(crate) enum IntError {
    /// Not an integer literal.
    Invalid(String),
    /// More digits than the big-int limit allows: a limit, not bad input.
    TooManyDigits(String),
}

/// Parses the argument of `INT`/`LONG`/`GET`-style text the way CPython does:
/// C `strtol` with base 0 first (so `010` is octal and `0x1f` is hex, with
/// leading white space), then Python's `int(s, 0)` (which allows surrounding
/// white space and `_` between digits). `max_digits` bounds the digit count.
pub(crate) fn parse_int(text: &[u8], max_digits: usize) -> Result<ParsedInt, IntError> {
    let s = std::str::from_utf8(text).map_err(|_| IntError::Invalid("it is not ASCII".to_string()))?;
    let trimmed = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let (negative, body) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, legacy_octal) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d, false)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d, false)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d, false)
    } else if lower.len() > 1 && lower.starts_with('0') {
        // strtol reads a leading 0 as octal; int(s, 0) would refuse it, but
        // strtol runs first and succeeds whenever the digits are octal.
        (8, &lower[1..], true)
    } else {
        (10, lower.as_str(), false)
    };
    let digits = digits.strip_prefix('_').filter(|_| !legacy_octal).unwrap_or(digits);
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || (legacy_octal && digits.contains('_'))
    {
        return Err(IntError::Invalid(format!("{s:?} is not an integer")));
    }
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if clean.len() > max_digits {
        return Err(IntError::TooManyDigits(format!(
            "it has {} digits, more than the limit of {max_digits}",
            clean.len()
        )));
    }
    if !clean.chars().all(|c| c.is_digit(radix)) {
        return Err(IntError::Invalid(format!("{s:?} is not an integer")));
    }
    if let Ok(v) = u64::from_str_radix(&clean, radix) {
        if negative {
            if v <= i64::MAX as u64 + 1 {
                return Ok(ParsedInt::Small((v as i64).wrapping_neg()));
            }
        } else if v <= i64::MAX as u64 {
            return Ok(ParsedInt::Small(v as i64));
        }
    }
    let big = BigInt::parse_bytes(clean.as_bytes(), radix)
        .ok_or_else(|| IntError::Invalid(format!("{s:?} is not an integer")))?;
    Ok(ParsedInt::Big(if negative { -big } else { big }))
}

/// Parses a protocol 0 `FLOAT` argument as Python's `float()` of a repr.
pub(crate) fn parse_float(text: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(text).ok()?;
    // Rust's parser takes what repr() writes (1e+100, nan, inf, -inf) and no
    // white space, like CPython's PyOS_string_to_double.
    s.parse::<f64>().ok()
}

/// Python's `repr()` of a float, as protocol 0's `FLOAT` opcode writes it:
/// the shortest text that reads back as the same float, in exponent form
/// when the exponent is below -4 or above 15 (`1e+100`, `1e-05`, `0.1`,
/// `-0.0`, `nan`, `inf`).
///
/// ```
/// assert_eq!(pickle_core::text::float_repr(1e100), "1e+100");
/// assert_eq!(pickle_core::text::float_repr(2.0), "2.0");
/// ```
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Shortest round-trip digits, then Python's layout: scientific when the
    // exponent is < -4 or >= 16, else positional with at least one decimal.
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        let plain = format!("{x}");
        if plain.contains('.') || plain.contains("inf") || plain.contains("NaN") { plain } else { format!("{plain}.0") }
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

/// Decodes the argument of `STRING`: it must be quoted with the same quote
/// at both ends, and the inside is unescaped as Python's
/// `codecs.escape_decode` does.
pub(crate) fn decode_string_literal(text: &[u8]) -> Result<Vec<u8>, String> {
    let quoted = text.len() >= 2 && (text[0] == b'\'' || text[0] == b'"') && text[text.len() - 1] == text[0];
    if !quoted {
        return Err("the STRING opcode argument must be quoted".into());
    }
    escape_decode(&text[1..text.len() - 1]).map_err(|e| e.to_string())
}

fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Why an escape did not decode, at which position of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscapeError {
    /// Where the bad escape's backslash is.
    pub position: usize,
    kind: EscapeErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EscapeErrorKind {
    TrailingBackslash,
    BadHex,
    TruncatedU4,
    TruncatedU8,
    OutOfRange(u32),
}

impl EscapeError {
    /// CPython's own message for the error, as `codecs` raises it.
    pub fn cpython_message(&self) -> String {
        match self.kind {
            EscapeErrorKind::TrailingBackslash => "Trailing \\ in string".into(),
            EscapeErrorKind::BadHex => format!("invalid \\x escape at position {}", self.position),
            EscapeErrorKind::TruncatedU4 => "truncated \\uXXXX escape".into(),
            EscapeErrorKind::TruncatedU8 => "truncated \\UXXXXXXXX escape".into(),
            EscapeErrorKind::OutOfRange(_) => "\\Uxxxxxxxx out of range".into(),
        }
    }
}

impl std::fmt::Display for EscapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            EscapeErrorKind::BadHex => f.write_str(&self.cpython_message()),
            EscapeErrorKind::OutOfRange(cp) => write!(f, "\\U{cp:08x} at position {} is out of range", self.position),
            _ => write!(f, "{} at position {}", self.cpython_message(), self.position),
        }
    }
}

/// CPython's `codecs.escape_decode`: backslash escapes of bytes literals.
/// Unknown escapes keep their backslash; octal escapes above `\377` wrap to
/// a byte.
pub fn escape_decode(s: &[u8]) -> Result<Vec<u8>, EscapeError> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        i += 1;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let Some(&e) = s.get(i) else {
            return Err(EscapeError { position: i - 1, kind: EscapeErrorKind::TrailingBackslash });
        };
        i += 1;
        match e {
            b'\n' => {}
            b'\\' => out.push(b'\\'),
            b'\'' => out.push(b'\''),
            b'"' => out.push(b'"'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b't' => out.push(b'\t'),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b'v' => out.push(11),
            b'a' => out.push(7),
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match s.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
            }
            b'x' => {
                let hi = s.get(i).copied().and_then(hex_digit);
                let lo = s.get(i + 1).copied().and_then(hex_digit);
                match (hi, lo) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 2;
                    }
                    _ => return Err(EscapeError { position: i - 2, kind: EscapeErrorKind::BadHex }),
                }
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

/// A decoded Python str: valid UTF-8, or surrogatepass bytes when it holds
/// lone surrogates.
pub(crate) enum PyText<'a> {
    Utf8(Cow<'a, str>),
    Surrogates(Cow<'a, [u8]>),
}

/// `b` as text when it is a short str (32 bytes at most) of ASCII, and
/// `None` otherwise, for the caller to validate as UTF-8. Short ASCII strs
/// (keys, names, labels) are the common case, and `from_utf8`'s setup costs
/// more than checking a few bytes; from 8 to 16 bytes two overlapping words
/// tell.
#[inline(always)]
pub(crate) fn short_ascii(b: &[u8]) -> Option<&str> {
    let ascii = match (b.len(), b.first_chunk::<8>(), b.last_chunk::<8>()) {
        (8..=16, Some(lo), Some(hi)) => {
            (u64::from_le_bytes(*lo) | u64::from_le_bytes(*hi)) & 0x8080_8080_8080_8080 == 0
        }
        (n, _, _) => n <= 32 && b.is_ascii(),
    };
    // SAFETY: every byte is ASCII (the two words cover all of them), and
    // ASCII is valid UTF-8.
    ascii.then(|| unsafe { std::str::from_utf8_unchecked(b) })
}

/// Decodes UTF-8 with `surrogatepass`, as the binary str opcodes need.
/// `Err` carries the offset of the first bad byte.
pub(crate) fn decode_utf8(bytes: Cow<'_, [u8]>) -> Result<PyText<'_>, usize> {
    match bytes {
        Cow::Borrowed(b) if let Some(s) = short_ascii(b) => Ok(PyText::Utf8(Cow::Borrowed(s))),
        Cow::Borrowed(b) => match std::str::from_utf8(b) {
            Ok(s) => Ok(PyText::Utf8(Cow::Borrowed(s))),
            Err(e) => check_surrogatepass(b, e.valid_up_to()).map(|()| PyText::Surrogates(Cow::Borrowed(b))),
        },
        Cow::Owned(b) => match String::from_utf8(b) {
            Ok(s) => Ok(PyText::Utf8(Cow::Owned(s))),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let b = e.into_bytes();
                check_surrogatepass(&b, valid).map(|()| PyText::Surrogates(Cow::Owned(b)))
            }
        },
    }
}

/// Checks that `b[from..]` is UTF-8 in which surrogates (ED A0..BF xx) are
/// allowed, as CPython's surrogatepass handler allows them.
fn check_surrogatepass(b: &[u8], from: usize) -> Result<(), usize> {
    match first_invalid(&b[from..]) {
        Some(bad) => Err(from + bad),
        None => Ok(()),
    }
}

/// Where `bytes` stops being surrogatepass UTF-8, or `None` if all of it is.
pub fn first_invalid(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    while at < bytes.len() {
        match std::str::from_utf8(&bytes[at..]) {
            Ok(_) => return None,
            Err(e) => {
                let bad = at + e.valid_up_to();
                if !is_encoded_surrogate(&bytes[bad..]) {
                    return Some(bad);
                }
                at = bad + 3;
            }
        }
    }
    None
}

fn is_encoded_surrogate(bytes: &[u8]) -> bool {
    matches!(bytes, [0xED, 0xA0..=0xBF, 0x80..=0xBF, ..])
}

/// The code points of `bytes`. Input that [`first_invalid`] rejects yields
/// U+FFFD per bad byte, so that hand-built values print instead of failing.
pub fn code_points(bytes: &[u8]) -> CodePoints<'_> {
    CodePoints { rest: bytes }
}

/// An iterator over the code points of surrogatepass UTF-8.
#[derive(Clone, Debug)]
pub struct CodePoints<'a> {
    rest: &'a [u8],
}

impl Iterator for CodePoints<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let (&lead, tail) = self.rest.split_first()?;
        let (len, init) = match lead {
            0x00..=0x7F => (1, u32::from(lead)),
            0xC2..=0xDF => (2, u32::from(lead & 0x1F)),
            0xE0..=0xEF => (3, u32::from(lead & 0x0F)),
            0xF0..=0xF4 => (4, u32::from(lead & 0x07)),
            _ => return self.replacement(),
        };
        let Some(cont) = tail.get(..len - 1) else {
            return self.replacement();
        };
        let mut cp = init;
        for &b in cont {
            if b & 0xC0 != 0x80 {
                return self.replacement();
            }
            cp = (cp << 6) | u32::from(b & 0x3F);
        }
        let shortest = match len {
            1 => true,
            2 => cp >= 0x80,
            3 => cp >= 0x800,
            _ => (0x10000..=0x10FFFF).contains(&cp),
        };
        if !shortest {
            return self.replacement();
        }
        self.rest = &self.rest[len..];
        Some(cp)
    }
}

impl CodePoints<'_> {
    fn replacement(&mut self) -> Option<u32> {
        self.rest = self.rest.get(1..).unwrap_or_default();
        Some(0xFFFD)
    }
}

/// Encodes code points as surrogatepass UTF-8.
pub(crate) fn push_code_point(out: &mut Vec<u8>, cp: u32) {
    match cp {
        0..=0x7f => out.push(cp as u8),
        0x80..=0x7ff => out.extend_from_slice(&[0xc0 | (cp >> 6) as u8, 0x80 | (cp & 0x3f) as u8]),
        0x800..=0xffff => {
            out.extend_from_slice(&[0xe0 | (cp >> 12) as u8, 0x80 | ((cp >> 6) & 0x3f) as u8, 0x80 | (cp & 0x3f) as u8])
        }
        _ => out.extend_from_slice(&[
            0xf0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3f) as u8,
            0x80 | ((cp >> 6) & 0x3f) as u8,
            0x80 | (cp & 0x3f) as u8,
        ]),
    }
}

/// Python's raw-unicode-escape decoding, as protocol 0 `UNICODE` needs:
/// `\uXXXX` and `\UXXXXXXXX` after an odd run of backslashes are escapes;
/// every other byte is a Latin-1 code point. Returns surrogatepass UTF-8.
pub fn raw_unicode_escape_decode(s: &[u8]) -> Result<Vec<u8>, EscapeError> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b != b'\\' {
            push_code_point(&mut out, u32::from(b));
            i += 1;
            continue;
        }
        // A run of backslashes: pairs are literal, an odd one may escape.
        let run = s[i..].iter().take_while(|&&c| c == b'\\').count();
        out.extend(std::iter::repeat_n(b'\\', run - 1));
        i += run - 1;
        let width = match s.get(i + 1) {
            Some(b'u') if run % 2 == 1 => 4,
            Some(b'U') if run % 2 == 1 => 8,
            _ => {
                out.push(b'\\');
                i += 1;
                continue;
            }
        };
        let hex = s.get(i + 2..i + 2 + width).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
        let Some(hex) = hex else {
            let kind = if width == 4 { EscapeErrorKind::TruncatedU4 } else { EscapeErrorKind::TruncatedU8 };
            return Err(EscapeError { position: i, kind });
        };
        let cp = hex.iter().fold(0u32, |acc, &h| acc * 16 + (h as char).to_digit(16).unwrap_or(0));
        if cp > 0x10ffff {
            return Err(EscapeError { position: i, kind: EscapeErrorKind::OutOfRange(cp) });
        }
        push_code_point(&mut out, cp);
        i += 2 + width;
    }
    Ok(out)
}

/// Python's raw-unicode-escape encoding as pickle's protocol 0 uses it:
/// `\`, NUL, `\n`, `\r` and `\x1a` are escaped as `\uXXXX` (so the line and
/// the escapes survive), U+0080-U+00FF stay raw Latin-1 bytes, and higher
/// code points become `\uXXXX` or `\UXXXXXXXX`.
pub(crate) fn raw_unicode_escape_encode(code_points: impl Iterator<Item = u32>, out: &mut Vec<u8>) {
    for cp in code_points {
        match cp {
            0x5c | 0x00 | 0x0a | 0x0d | 0x1a => out.extend_from_slice(format!("\\u{cp:04x}").as_bytes()),
            0..=0xff => out.push(cp as u8),
            0x100..=0xffff => out.extend_from_slice(format!("\\u{cp:04x}").as_bytes()),
            _ => out.extend_from_slice(format!("\\U{cp:08x}").as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_parse_like_cpython() {
        let p = |s: &str| parse_int(s.as_bytes(), 10_000);
        assert_eq!(p("12"), Ok(ParsedInt::Small(12)));
        assert_eq!(p("010"), Ok(ParsedInt::Small(8)));
        assert_eq!(p("0x1f"), Ok(ParsedInt::Small(31)));
        assert_eq!(p(" 12"), Ok(ParsedInt::Small(12)));
        assert_eq!(p("12 "), Ok(ParsedInt::Small(12)));
        assert_eq!(p("+5"), Ok(ParsedInt::Small(5)));
        assert_eq!(p("1_000"), Ok(ParsedInt::Small(1000)));
        assert_eq!(p("-9223372036854775808"), Ok(ParsedInt::Small(i64::MIN)));
        assert_eq!(p("9223372036854775808"), Ok(ParsedInt::Big(BigInt::from(1u64 << 63))));
        for bad in ["09", "1__0", "", "abc"] {
            assert!(matches!(p(bad), Err(IntError::Invalid(_))), "{bad:?} gave {:?}", p(bad));
        }
        assert!(matches!(parse_int(b"12345", 4), Err(IntError::TooManyDigits(_))));
    }

    #[test]
    fn float_repr_matches_python() {
        for (x, s) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e100, "1e+100"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (-0.0, "-0.0"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (1.5e-300, "1.5e-300"),
        ] {
            assert_eq!(float_repr(x), s);
        }
        assert_eq!(float_repr(f64::NAN), "nan");
    }

    #[test]
    fn raw_unicode_escape_round_trips() {
        let text = "a\\b\n\u{e9}\u{1F600}\u{1a}";
        let mut enc = Vec::new();
        raw_unicode_escape_encode(text.chars().map(u32::from), &mut enc);
        assert_eq!(raw_unicode_escape_decode(&enc).unwrap(), text.as_bytes());
        assert_eq!(raw_unicode_escape_decode(b"\\\\u0041").unwrap(), b"\\\\u0041");
        assert_eq!(raw_unicode_escape_decode(b"\\\\\\u0041").unwrap(), b"\\\\A");
        assert_eq!(raw_unicode_escape_decode(b"\\x41").unwrap(), b"\\x41");
    }

    #[test]
    fn escape_errors_carry_cpythons_message_and_the_position() {
        assert_eq!(escape_decode(br"a\n\x41\101\777\q\'").as_deref(), Ok(&b"a\nAA\xff\\q'"[..]));
        let e = escape_decode(b"ab\\").unwrap_err();
        assert_eq!(
            (e.position, e.cpython_message(), e.to_string()),
            (2, "Trailing \\ in string".into(), "Trailing \\ in string at position 2".into())
        );
        let e = escape_decode(br"\x4").unwrap_err();
        assert_eq!((e.position, e.to_string()), (0, "invalid \\x escape at position 0".into()));
        assert_eq!(raw_unicode_escape_decode(br"\\u0041 \\\u0041 \").as_deref(), Ok(&b"\\\\u0041 \\\\A \\"[..]));
        let e = raw_unicode_escape_decode(br"x\u12").unwrap_err();
        assert_eq!((e.position, e.cpython_message()), (1, "truncated \\uXXXX escape".into()));
        let e = raw_unicode_escape_decode(br"\U0011").unwrap_err();
        assert_eq!(e.cpython_message(), "truncated \\UXXXXXXXX escape");
        let e = raw_unicode_escape_decode(br"\U00110000").unwrap_err();
        assert_eq!(
            (e.cpython_message(), e.to_string()),
            ("\\Uxxxxxxxx out of range".into(), "\\U00110000 at position 0 is out of range".into())
        );
    }

    #[test]
    fn string_escapes_decode() {
        assert_eq!(decode_string_literal(b"'\\x41\\101'").unwrap(), b"AA");
        assert_eq!(decode_string_literal(b"\"it's\"").unwrap(), b"it's");
        assert_eq!(decode_string_literal(b"\"a'"), Err("the STRING opcode argument must be quoted".into()));
    }

    #[test]
    fn surrogates_pass() {
        let b: &[u8] = b"a\xed\xa0\x80b";
        assert!(matches!(decode_utf8(Cow::Borrowed(b)), Ok(PyText::Surrogates(_))));
        assert_eq!(code_points(b).collect::<Vec<_>>(), vec![0x61, 0xd800, 0x62]);
        assert_eq!(decode_utf8(Cow::Borrowed(&b"a\xffb"[..])).err(), Some(1));
    }

    #[test]
    fn accepts_encoded_surrogates_only() {
        assert_eq!(first_invalid("a\u{e9}\u{1F600}".as_bytes()), None);
        assert_eq!(first_invalid(b"a\xed\xa0\x80b"), None);
        assert_eq!(first_invalid(b"ab\xed\xa0"), Some(2));
        assert_eq!(first_invalid(b"ab\xff"), Some(2));
        assert_eq!(first_invalid(b"\xc0\x80"), Some(0));
        let cps: Vec<u32> = code_points(b"a\xed\xa0\x80\xf0\x9f\x98\x80").collect();
        assert_eq!(cps, [0x61, 0xD800, 0x1F600]);
        let lossy: Vec<u32> = code_points(b"\xffa\xe2\x82").collect();
        assert_eq!(lossy, [0xFFFD, 0x61, 0xFFFD, 0xFFFD]);
    }
}
