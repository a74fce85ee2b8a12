//! Opcode bytes, named as CPython's `pickle.py` names them.
//!
//! These are the protocol's vocabulary; the machine and the encoder match on
//! them, and the CLI's disassembler describes them.

#![allow(missing_docs)]

// Protocol 0 and 1.
pub const MARK: u8 = b'(';
pub const STOP: u8 = b'.';
pub const POP: u8 = b'0';
pub const POP_MARK: u8 = b'1';
pub const DUP: u8 = b'2';
pub const FLOAT: u8 = b'F';
pub const INT: u8 = b'I';
pub const BININT: u8 = b'J';
pub const BININT1: u8 = b'K';
pub const LONG: u8 = b'L';
pub const BININT2: u8 = b'M';
pub const NONE: u8 = b'N';
pub const PERSID: u8 = b'P';
pub const BINPERSID: u8 = b'Q';
pub const REDUCE: u8 = b'R';
pub const STRING: u8 = b'S';
pub const BINSTRING: u8 = b'T';
pub const SHORT_BINSTRING: u8 = b'U';
pub const UNICODE: u8 = b'V';
pub const BINUNICODE: u8 = b'X';
pub const APPEND: u8 = b'a';
pub const BUILD: u8 = b'b';
pub const GLOBAL: u8 = b'c';
pub const DICT: u8 = b'd';
pub const EMPTY_DICT: u8 = b'}';
pub const APPENDS: u8 = b'e';
pub const GET: u8 = b'g';
pub const BINGET: u8 = b'h';
pub const INST: u8 = b'i';
pub const LONG_BINGET: u8 = b'j';
pub const LIST: u8 = b'l';
pub const EMPTY_LIST: u8 = b']';
pub const OBJ: u8 = b'o';
pub const PUT: u8 = b'p';
pub const BINPUT: u8 = b'q';
pub const LONG_BINPUT: u8 = b'r';
pub const SETITEM: u8 = b's';
pub const TUPLE: u8 = b't';
pub const EMPTY_TUPLE: u8 = b')';
pub const SETITEMS: u8 = b'u';
pub const BINFLOAT: u8 = b'G';

// Protocol 2.
pub const PROTO: u8 = 0x80;
pub const NEWOBJ: u8 = 0x81;
pub const EXT1: u8 = 0x82;
pub const EXT2: u8 = 0x83;
pub const EXT4: u8 = 0x84;
pub const TUPLE1: u8 = 0x85;
pub const TUPLE2: u8 = 0x86;
pub const TUPLE3: u8 = 0x87;
pub const NEWTRUE: u8 = 0x88;
pub const NEWFALSE: u8 = 0x89;
pub const LONG1: u8 = 0x8a;
pub const LONG4: u8 = 0x8b;

// Protocol 3.
pub const BINBYTES: u8 = b'B';
pub const SHORT_BINBYTES: u8 = b'C';

// Protocol 4.
pub const SHORT_BINUNICODE: u8 = 0x8c;
pub const BINUNICODE8: u8 = 0x8d;
pub const BINBYTES8: u8 = 0x8e;
pub const EMPTY_SET: u8 = 0x8f;
pub const ADDITEMS: u8 = 0x90;
pub const FROZENSET: u8 = 0x91;
pub const NEWOBJ_EX: u8 = 0x92;
pub const STACK_GLOBAL: u8 = 0x93;
pub const MEMOIZE: u8 = 0x94;
pub const FRAME: u8 = 0x95;

// Protocol 5.
pub const BYTEARRAY8: u8 = 0x96;
pub const NEXT_BUFFER: u8 = 0x97;
pub const READONLY_BUFFER: u8 = 0x98;

/// The highest protocol this crate reads and writes.
pub const HIGHEST_PROTOCOL: u8 = 5;

/// How an opcode's argument is encoded in the stream: pickletools'
/// `ArgumentDescriptor`s, one variant per descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    Uint1,
    Uint2,
    Int4,
    Uint4,
    Uint8,
    StringNl,
    StringNlNoEscape,
    StringNlNoEscapePair,
    String1,
    String4,
    Bytes1,
    Bytes4,
    Bytes8,
    ByteArray8,
    UnicodeNl,
    Unicode1,
    Unicode4,
    Unicode8,
    DecimalShort,
    DecimalLong,
    FloatNl,
    Float8,
    Long1,
    Long4,
}

/// Where an argument ends, whatever it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgLayout {
    /// Exactly this many bytes.
    Fixed(usize),
    /// Up to and including the next newline.
    Line,
    /// Two newline-ended lines (a module and a name).
    TwoLines,
    /// A little-endian length of this many bytes, then that many bytes.
    Prefixed(usize),
}

impl ArgKind {
    /// How the argument's extent is found.
    pub const fn layout(self) -> ArgLayout {
        use ArgKind::*;
        match self {
            Uint1 => ArgLayout::Fixed(1),
            Uint2 => ArgLayout::Fixed(2),
            Int4 | Uint4 => ArgLayout::Fixed(4),
            Uint8 | Float8 => ArgLayout::Fixed(8),
            StringNl | StringNlNoEscape | UnicodeNl | DecimalShort | DecimalLong | FloatNl => ArgLayout::Line,
            StringNlNoEscapePair => ArgLayout::TwoLines,
            String1 | Bytes1 | Unicode1 | Long1 => ArgLayout::Prefixed(1),
            String4 | Bytes4 | Unicode4 | Long4 => ArgLayout::Prefixed(4),
            Bytes8 | ByteArray8 | Unicode8 => ArgLayout::Prefixed(8),
        }
    }
}

/// What pickletools knows of an opcode (its `OpcodeInfo`): the one table
/// the decoder's messages, the quick scan and `pickle dis` all read.
#[derive(Debug, PartialEq, Eq)]
pub struct OpInfo {
    /// The opcode byte.
    pub code: u8,
    /// CPython's name for it.
    pub name: &'static str,
    /// Its argument in the stream, if it has one.
    pub arg: Option<ArgKind>,
    /// What it pops, bottom first, by pickletools' stack-object names
    /// (`"mark"` and `"stackslice"` for a MARK and what lies above it).
    pub before: &'static [&'static str],
    /// What it pushes, bottom first.
    pub after: &'static [&'static str],
    /// The protocol that introduced it.
    pub proto: u8,
    /// The first line of pickletools' description, as `dis -a` prints it.
    pub summary: &'static str,
}

#[path = "opcode_table.rs"]
mod table;

/// Table index + 1 of each byte, 0 for a byte that is no opcode.
const INDEX: [u8; 256] = {
    let mut index = [0u8; 256];
    let mut i = 0;
    while i < table::OPCODES.len() {
        index[table::OPCODES[i].code as usize] = i as u8 + 1;
        i += 1;
    }
    index
};

/// Every opcode, in pickletools' order.
pub fn all() -> &'static [OpInfo] {
    table::OPCODES
}

/// The table entry of an opcode byte, or `None` for a byte that is no opcode.
///
/// ```
/// let info = pickle_core::opcodes::info(pickle_core::opcodes::BININT1).expect("an opcode");
/// assert_eq!((info.name, info.proto), ("BININT1", 1));
/// ```
#[inline]
pub fn info(code: u8) -> Option<&'static OpInfo> {
    match INDEX[code as usize] {
        0 => None,
        i => Some(&table::OPCODES[i as usize - 1]),
    }
}

/// CPython's `pickle.py` name for an opcode byte, or `None` for a byte that is
/// not an opcode.
pub fn name(op: u8) -> Option<&'static str> {
    info(op).map(|i| i.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_constant_is_in_the_table_under_its_name() {
        let named = [
            (MARK, "MARK"),
            (STOP, "STOP"),
            (BININT1, "BININT1"),
            (FRAME, "FRAME"),
            (MEMOIZE, "MEMOIZE"),
            (READONLY_BUFFER, "READONLY_BUFFER"),
            (STACK_GLOBAL, "STACK_GLOBAL"),
            (GLOBAL, "GLOBAL"),
        ];
        for (code, n) in named {
            assert_eq!(name(code), Some(n));
        }
        assert_eq!(all().len(), 68);
        assert_eq!(info(0xff), None);
        assert_eq!(info(b'z'), None);
        let mut seen = [false; 256];
        for op in all() {
            assert!(!seen[op.code as usize], "{} twice", op.name);
            seen[op.code as usize] = true;
            assert_eq!(info(op.code), Some(op));
        }
    }
}
