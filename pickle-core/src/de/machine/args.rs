//! Decoding opcode arguments into values: ints, strs, bytes and Python 2
//! strings.

use super::*;

impl<'a> Machine<'a, '_> {
    pub(super) fn max_digits(&self) -> usize {
        // A decimal digit carries log2(10) bits; allow the same magnitude as
        // the binary limit, plus room for a sign and prefix.
        self.opts.limits.max_bigint_bytes.saturating_mul(5).saturating_div(2).saturating_add(4)
    }

    pub(super) fn int_item(&mut self, parsed: ParsedInt, at: u64) -> Res<Item> {
        match parsed {
            ParsedInt::Small(v) => Ok(Item::Int(v)),
            ParsedInt::Big(b) => {
                self.charge(b.bits() / 8 + 1, at)?;
                self.node(Node::BigInt(Box::new(b)), at)
            }
        }
    }

    pub(super) fn long_binary<I: Input<'a>>(&mut self, input: &mut I, n: u64, code: u8, at: u64) -> Res<()> {
        if n > self.opts.limits.max_bigint_bytes as u64 {
            return Err(err(
                ErrorKind::LimitExceeded,
                at,
                &format!("{} too large", op_name(code).unwrap_or("LONG")),
                format_args!("{n} bytes exceed the big-int limit of {}", self.opts.limits.max_bigint_bytes),
            ));
        }
        let chunk = self.payload(input, n, code, at)?;
        let bytes = chunk.bytes();
        let item = if bytes.len() <= 8 {
            let negative = bytes.last().is_some_and(|&b| b & 0x80 != 0);
            let mut buf = if negative { [0xffu8; 8] } else { [0u8; 8] };
            buf[..bytes.len()].copy_from_slice(bytes);
            Item::Int(i64::from_le_bytes(buf))
        } else {
            let big = BigInt::from_signed_bytes_le(bytes);
            match i64::try_from(&big) {
                Ok(v) => Item::Int(v),
                Err(_) => {
                    self.charge(n, at)?;
                    self.node(Node::BigInt(Box::new(big)), at)?
                }
            }
        };
        self.push(item, at)
    }

    pub(super) fn unicode<I: Input<'a>>(&mut self, input: &mut I, n: u64, code: u8, at: u64) -> Res<()> {
        let chunk = self.payload(input, n, code, at)?;
        let bytes = match chunk {
            Chunk::Input(b) => Cow::Borrowed(b),
            Chunk::Scratch(b) => Cow::Owned(b.to_vec()),
        };
        let node = match text::decode_utf8(bytes) {
            Ok(PyText::Utf8(s)) => Node::Str(s),
            Ok(PyText::Surrogates(b)) => Node::SurrogateStr(b),
            Err(bad) => {
                return Err(err(
                    ErrorKind::InvalidArgument,
                    at,
                    &format!("invalid UTF-8 in {}", op_name(code).unwrap_or("str")),
                    format_args!("byte {bad} of the string is not valid UTF-8"),
                ));
            }
        };
        self.push_node(node, at)
    }

    pub(super) fn bytes<I: Input<'a>>(&mut self, input: &mut I, n: u64, code: u8, at: u64, bytearray: bool) -> Res<()> {
        let chunk = self.payload(input, n, code, at)?;
        let node = match (chunk, bytearray) {
            (chunk, true) => {
                let v = chunk.bytes().to_vec();
                Node::ByteArray(v)
            }
            (Chunk::Input(b), false) => Node::Bytes(Cow::Borrowed(b)),
            (Chunk::Scratch(b), false) => Node::Bytes(Cow::Owned(b.to_vec())),
        };
        if bytearray && input.remaining().is_some() {
            self.charge(n, at)?;
        }
        self.push_node(node, at)
    }
}

pub(super) fn decimal_key(text: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(text).ok()?;
    s.trim().parse::<u64>().ok()
}

/// A module or class name line of `GLOBAL` or `INST`: UTF-8 and not empty
/// (CPython refuses an empty line there, and an empty name imports nothing).
pub(super) fn name_line<'a>(chunk: Chunk<'a, '_>, code: u8, at: u64, what: &str) -> Res<Cow<'a, str>> {
    let name = utf8_line(chunk, code, at)?;
    if name.is_empty() {
        return Err(err(
            ErrorKind::InvalidArgument,
            at,
            &format!("bad {}", op_name(code).unwrap_or("opcode")),
            format_args!("its {what} name is empty"),
        ));
    }
    Ok(name)
}

pub(super) fn utf8_line<'a>(chunk: Chunk<'a, '_>, code: u8, at: u64) -> Res<Cow<'a, str>> {
    let bad = || {
        err(
            ErrorKind::InvalidArgument,
            at,
            &format!("bad {}", op_name(code).unwrap_or("opcode")),
            "its name is not valid UTF-8",
        )
    };
    match chunk {
        Chunk::Input(b) => std::str::from_utf8(b).map(Cow::Borrowed).map_err(|_| bad()),
        Chunk::Scratch(b) => std::str::from_utf8(b).map(|s| Cow::Owned(s.to_owned())).map_err(|_| bad()),
    }
}

/// A Python 2 `str` (STRING, BINSTRING, SHORT_BINSTRING), decoded as
/// `pickle.load`'s `encoding` argument says.
pub(super) fn py2_string<'a>(chunk: Chunk<'a, '_>, encoding: StringEncoding, code: u8, at: u64) -> Res<Node<'a>> {
    match encoding {
        StringEncoding::Bytes => Ok(Node::Bytes(match chunk {
            Chunk::Input(b) => Cow::Borrowed(b),
            Chunk::Scratch(b) => Cow::Owned(b.to_vec()),
        })),
        StringEncoding::Latin1 => {
            let b = chunk.bytes();
            if b.is_ascii() {
                return Ok(Node::Str(match chunk {
                    Chunk::Input(b) => Cow::Borrowed(std::str::from_utf8(b).unwrap_or_default()),
                    Chunk::Scratch(b) => Cow::Owned(String::from_utf8_lossy(b).into_owned()),
                }));
            }
            Ok(Node::Str(Cow::Owned(b.iter().map(|&c| char::from(c)).collect())))
        }
        StringEncoding::Ascii | StringEncoding::Utf8 => {
            let b = chunk.bytes();
            let ok = if encoding == StringEncoding::Ascii { b.is_ascii() } else { std::str::from_utf8(b).is_ok() };
            if !ok {
                let what = if encoding == StringEncoding::Ascii { "ASCII" } else { "UTF-8" };
                return Err(err(
                    ErrorKind::InvalidArgument,
                    at,
                    &format!("{} is not {what}", op_name(code).unwrap_or("STRING")),
                    "decode it with StringEncoding::Bytes or ::Latin1, as pickle.load(encoding=...) would",
                ));
            }
            Ok(Node::Str(match chunk {
                Chunk::Input(b) => Cow::Borrowed(std::str::from_utf8(b).unwrap_or_default()),
                Chunk::Scratch(b) => Cow::Owned(String::from_utf8_lossy(b).into_owned()),
            }))
        }
    }
}

pub(super) fn pairs_of(items: Vec<Item>, code: u8, at: u64) -> Res<Vec<(Item, Item)>> {
    if !items.len().is_multiple_of(2) {
        return Err(err(
            ErrorKind::InvalidStructure,
            at,
            &format!("bad {}", op_name(code).unwrap_or("DICT")),
            "odd number of items for DICT",
        ));
    }
    Ok(items.chunks_exact(2).map(|p| (p[0], p[1])).collect())
}
