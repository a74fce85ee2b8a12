//! Python's `repr()` of the argument types `pickletools.dis` prints: str,
//! bytes, bytearray, int and float. The disassembly must match CPython's
//! byte for byte, so these follow CPython 3.11's rules exactly.

use crate::nonprintable::NONPRINTABLE;

/// CPython refuses to turn an int of more than this many decimal digits into
/// text (or text into an int): `sys.get_int_max_str_digits()`'s default.
pub(crate) const INT_MAX_STR_DIGITS: usize = 4300;

/// Python's `str.isprintable()` for one code point.
pub(crate) fn is_printable(cp: u32) -> bool {
    NONPRINTABLE
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_err()
}

/// Appends `repr()` of the str made of `chars` (code points; lone
/// surrogates allowed).
pub(crate) fn str_repr<I: Iterator<Item = u32> + Clone>(chars: I, out: &mut String) {
    let quote = pick_quote(chars.clone());
    out.push(quote);
    for cp in chars {
        match cp {
            0x5C => out.push_str("\\\\"),
            0x09 => out.push_str("\\t"),
            0x0A => out.push_str("\\n"),
            0x0D => out.push_str("\\r"),
            _ if cp == u32::from(quote) => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7E => out.push(char::from(cp as u8)),
            _ if cp < 0x80 => push_hex(out, "\\x", cp, 2),
            _ => match char::from_u32(cp) {
                Some(c) if is_printable(cp) => out.push(c),
                _ if cp <= 0xFF => push_hex(out, "\\x", cp, 2),
                _ if cp <= 0xFFFF => push_hex(out, "\\u", cp, 4),
                _ => push_hex(out, "\\U", cp, 8),
            },
        }
    }
    out.push(quote);
}

/// Appends `repr()` of a bytes object: `b'...'`.
pub(crate) fn bytes_repr(bytes: &[u8], out: &mut String) {
    let quote = pick_quote(bytes.iter().map(|&b| u32::from(b)));
    out.push('b');
    out.push(quote);
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if char::from(b) == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7E => out.push(char::from(b)),
            _ => push_hex(out, "\\x", u32::from(b), 2),
        }
    }
    out.push(quote);
}

/// CPython's choice: single quotes unless the text holds a single quote and
/// no double quote.
fn pick_quote(chars: impl Iterator<Item = u32>) -> char {
    let (mut single, mut double) = (false, false);
    for cp in chars {
        single |= cp == u32::from(b'\'');
        double |= cp == u32::from(b'"');
    }
    if single && !double { '"' } else { '\'' }
}

fn push_hex(out: &mut String, prefix: &str, cp: u32, width: usize) {
    use std::fmt::Write as _;
    out.push_str(prefix);
    // Writing to a String cannot fail.
    let _ = write!(out, "{cp:0width$x}");
}

/// Python's `repr()` of a float (pickle-core writes protocol 0 floats with it).
pub(crate) use pickle_core::text::float_repr;

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> String {
        let mut out = String::new();
        str_repr(text.chars().map(u32::from), &mut out);
        out
    }

    fn b(bytes: &[u8]) -> String {
        let mut out = String::new();
        bytes_repr(bytes, &mut out);
        out
    }

    #[test]
    fn str_repr_matches_python() {
        assert_eq!(s(""), "''");
        assert_eq!(s("it's"), "\"it's\"");
        assert_eq!(s("'\""), "'\\'\"'");
        assert_eq!(s("a\\b\n\t\r\0\x7f"), "'a\\\\b\\n\\t\\r\\x00\\x7f'");
        assert_eq!(
            s("\u{a0}\u{ad}\u{e9}\u{2028}\u{1F600}\u{E000}\u{10FFFF}"),
            "'\\xa0\\xad\u{e9}\\u2028\u{1F600}\\ue000\\U0010ffff'"
        );
        let mut out = String::new();
        str_repr([0xD800u32, 0x41].into_iter(), &mut out);
        assert_eq!(out, "'\\ud800A'");
    }

    #[test]
    fn bytes_repr_matches_python() {
        assert_eq!(b(b""), "b''");
        assert_eq!(b(b"it's"), "b\"it's\"");
        assert_eq!(b(b"\x00\x80\xff\\'\""), "b'\\x00\\x80\\xff\\\\\\'\"'");
    }

    #[test]
    fn float_repr_matches_python() {
        for (x, text) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e100, "1e+100"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789012345.6, "123456789012345.6"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (-0.0, "-0.0"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (-1.5e-300, "-1.5e-300"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
        ] {
            assert_eq!(float_repr(x), text);
        }
    }

    #[test]
    fn printable_table_agrees_with_python() {
        assert!(is_printable(u32::from(b' ')));
        assert!(is_printable(0xE9));
        assert!(!is_printable(0xA0));
        assert!(!is_printable(0xD800));
        assert!(!is_printable(0x10FFFF));
        assert!(is_printable(0x1F600));
    }
}
