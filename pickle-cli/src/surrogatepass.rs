//! UTF-8 as CPython's `surrogatepass` error handler reads it: strict UTF-8,
//! except that encoded surrogates (`ED A0 80` to `ED BF BF`) are accepted as
//! lone surrogate code points. Pickle writes every str this way, so a str
//! holding `'\ud800'` must be read back as one, not as an error.

/// Where `bytes` stops being surrogatepass UTF-8, or `None` if all of it is.
pub(crate) fn first_invalid(bytes: &[u8]) -> Option<usize> {
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
pub(crate) fn code_points(bytes: &[u8]) -> CodePoints<'_> {
    CodePoints { rest: bytes }
}

/// An iterator over the code points of surrogatepass UTF-8.
#[derive(Clone, Debug)]
pub(crate) struct CodePoints<'a> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
