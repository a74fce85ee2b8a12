//! The scalar opcodes, as the direct path (`direct.rs`) and the counting
//! pass (`count.rs`) read them: one scalar at a time ([`parse`]), or a
//! whole batch of nothing but scalars checked at once ([`scan`]).

use crate::format::opcodes as op;
use crate::format::text;
use crate::value::Item;

/// One scalar of a batch.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scalar<'a> {
    /// A str, still to be checked as UTF-8.
    Str(&'a [u8]),
    /// An int, float, bool or None.
    Item(Item),
}

impl<'a> Scalar<'a> {
    /// The str as Rust text, when it is UTF-8 without lone surrogates
    /// (which Rust text cannot hold; the usual path reports them).
    #[inline(always)]
    pub(crate) fn text(bytes: &'a [u8]) -> Option<&'a str> {
        text::short_ascii(bytes).or_else(|| std::str::from_utf8(bytes).ok())
    }
}

/// A checked batch: `bytes` from its first scalar up to (not including)
/// its closing opcode, holding `count` scalars.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Run<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) count: usize,
}

/// The width of the scalar (or FRAME) that starts `b`, its arguments
/// included, and whether it is a scalar; `None` for any other opcode. The
/// width may run past `b`: callers check it.
#[inline(always)]
fn width(b: &[u8]) -> Option<(usize, bool)> {
    let le4 = |b: &[u8]| b.get(1..5).map(|a| u32::from_le_bytes([a[0], a[1], a[2], a[3]]) as usize);
    Some(match *b.first()? {
        op::SHORT_BINUNICODE => (2 + usize::from(*b.get(1)?), true),
        op::BINUNICODE => (5usize.checked_add(le4(b)?)?, true),
        op::BININT1 => (2, true),
        op::BININT2 => (3, true),
        op::BININT => (5, true),
        op::BINFLOAT => (9, true),
        op::NONE | op::NEWTRUE | op::NEWFALSE => (1, true),
        op::FRAME => (9, false),
        _ => return None,
    })
}

/// Checks the batch that starts at `bytes` (just after its MARK): scalars
/// and FRAMEs only, each inside the input (a FRAME's frame too, as the
/// machine checks it), then `close`. `pairs` asks for an even count;
/// `first_str` for a str first. At most `max` scalars.
pub(crate) fn scan(bytes: &[u8], close: u8, pairs: bool, max: usize, first_str: bool) -> Option<Run<'_>> {
    let (mut at, mut count) = (0usize, 0usize);
    loop {
        let rest = bytes.get(at..)?;
        if rest.first() == Some(&close) {
            break;
        }
        let (w, scalar) = width(rest)?;
        if w > rest.len() {
            return None;
        }
        if scalar {
            if first_str && count == 0 && !matches!(rest[0], op::SHORT_BINUNICODE | op::BINUNICODE) {
                return None;
            }
            count += 1;
            if count > max {
                return None;
            }
        } else {
            let len = u64::from_le_bytes(rest[1..9].try_into().ok()?);
            if len > (rest.len() - 9) as u64 {
                return None;
            }
        }
        at += w;
    }
    if count == 0 || (pairs && count % 2 != 0) {
        return None;
    }
    Some(Run { bytes: &bytes[..at], count })
}

/// The scalar opcode that starts `b` and its width, arguments included;
/// `None` for another opcode or one whose arguments run past `b`. A LONG1
/// is read up to `long_max` bytes (at most 8: an int that fits an `i64`, as
/// the machine reads it).
#[inline(always)]
pub(crate) fn parse(b: &[u8], long_max: usize) -> Option<(Scalar<'_>, usize)> {
    let int = |v: i64, w: usize| Some((Scalar::Item(Item::Int(v)), w));
    match *b {
        [op::BINFLOAT, a, b, c, d, e, f, g, h, ..] => {
            Some((Scalar::Item(Item::Float(f64::from_be_bytes([a, b, c, d, e, f, g, h]))), 9))
        }
        [op::SHORT_BINUNICODE, n, ref rest @ ..] => {
            let n = usize::from(n);
            Some((Scalar::Str(rest.get(..n)?), 2 + n))
        }
        [op::BININT1, a, ..] => int(i64::from(a), 2),
        [op::BININT2, a, b, ..] => int(i64::from(u16::from_le_bytes([a, b])), 3),
        [op::BININT, a, b, c, d, ..] => int(i64::from(i32::from_le_bytes([a, b, c, d])), 5),
        [op::BINUNICODE, a, b, c, d, ref rest @ ..] => {
            let n = u32::from_le_bytes([a, b, c, d]) as usize;
            Some((Scalar::Str(rest.get(..n)?), 5 + n))
        }
        [op::LONG1, n, ref rest @ ..] if usize::from(n) <= long_max.min(8) => {
            let bytes = rest.get(..usize::from(n))?;
            let negative = bytes.last().is_some_and(|&b| b & 0x80 != 0);
            let mut buf = if negative { [0xffu8; 8] } else { [0u8; 8] };
            buf[..bytes.len()].copy_from_slice(bytes);
            int(i64::from_le_bytes(buf), 2 + usize::from(n))
        }
        [op::NONE, ..] => Some((Scalar::Item(Item::None), 1)),
        [op::NEWTRUE, ..] => Some((Scalar::Item(Item::Bool(true)), 1)),
        [op::NEWFALSE, ..] => Some((Scalar::Item(Item::Bool(false)), 1)),
        _ => None,
    }
}
