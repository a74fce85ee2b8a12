//! Scalars straight from the input into a streamed collection.
//!
//! Most of a large list or dict is often plain scalars: `MARK str str ...
//! APPENDS`, `MARK str int str int ... SETITEMS`. Making a graph node for
//! each str only to copy it into a `String` and free the node costs more
//! than the copy itself. When the machine streams such a container
//! (`stream.rs`) and a batch holds nothing but scalars, it hands the
//! batch's bytes to the sink, which converts each scalar as it parses it
//! (`Scalars`): no node, no stack entry, no memo entry.
//!
//! The machine first checks the batch's shape ([`scan`]): opcodes whose
//! arguments lie inside the input, each a scalar (no memo write after any,
//! so no later `GET` can want a node), FRAMEs between them, and the batch's
//! own closing opcode at the end. Anything else, and the batch goes the
//! usual way. The sink may still decline (a str that is not UTF-8, a value
//! its type does not take), and then nothing has changed and the batch
//! goes the usual way, which reports any error at its byte.

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
/// machine checks it), then `close`. `pairs` asks for an even count. At
/// most `max` scalars. A batch whose first scalar is not a str is left to
/// the usual path at once: that path makes no node for ints and floats
/// either, and costs less for them than parsing twice.
pub(crate) fn scan(bytes: &[u8], close: u8, pairs: bool, max: usize) -> Option<Run<'_>> {
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
            if count == 0 && !matches!(rest[0], op::SHORT_BINUNICODE | op::BINUNICODE) {
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

/// The scalars of a checked run, in order.
pub(crate) struct Scalars<'a> {
    rest: &'a [u8],
}

impl<'a> Scalars<'a> {
    pub(crate) fn new(run: Run<'a>) -> Self {
        Scalars { rest: run.bytes }
    }
}

impl<'a> Iterator for Scalars<'a> {
    type Item = Scalar<'a>;

    #[inline]
    fn next(&mut self) -> Option<Scalar<'a>> {
        loop {
            let b: &'a [u8] = self.rest;
            let (w, scalar) = width(b)?;
            let (this, rest) = (b.get(..w)?, &b[w..]);
            self.rest = rest;
            if !scalar {
                continue;
            }
            let int = |v: i64| Some(Scalar::Item(Item::Int(v)));
            return match this {
                [op::SHORT_BINUNICODE, _, s @ ..] => Some(Scalar::Str(s)),
                [op::BINUNICODE, _, _, _, _, s @ ..] => Some(Scalar::Str(s)),
                [op::BININT1, a] => int(i64::from(*a)),
                [op::BININT2, a, b] => int(i64::from(u16::from_le_bytes([*a, *b]))),
                [op::BININT, a, b, c, d] => int(i64::from(i32::from_le_bytes([*a, *b, *c, *d]))),
                [op::BINFLOAT, x @ ..] => Some(Scalar::Item(Item::Float(f64::from_be_bytes(x.try_into().ok()?)))),
                [op::NONE] => Some(Scalar::Item(Item::None)),
                [op::NEWTRUE] => Some(Scalar::Item(Item::Bool(true))),
                [op::NEWFALSE] => Some(Scalar::Item(Item::Bool(false))),
                _ => None,
            };
        }
    }
}
