//! The machine's error constructors, all `#[cold]`: each names the opcode
//! and the byte it starts at.

use super::*;

#[cold]
pub(super) fn err(kind: ErrorKind, at: u64, what: &str, detail: impl std::fmt::Display) -> Error {
    Error::at(kind, at, what, detail)
}

pub(super) fn short(s: Short, code: u8, at: u64, wanted: Option<u64>) -> Error {
    s.into_error(op_name(code).unwrap_or("opcode"), at, wanted)
}

/// A bad INT or LONG argument; too many digits is a limit, not bad input.
#[cold]
pub(super) fn int_text_error(e: IntError, code: u8, at: u64) -> Error {
    let name = op_name(code).unwrap_or("INT");
    match e {
        IntError::Invalid(d) => err(ErrorKind::InvalidArgument, at, &format!("bad {name}"), d),
        IntError::TooManyDigits(d) => err(ErrorKind::LimitExceeded, at, &format!("{name} too large"), d),
    }
}

#[cold]
pub(super) fn missing_memo(code: u8, key: u64, at: u64) -> Error {
    err(
        ErrorKind::MissingMemo,
        at,
        &format!("{} of a missing memo key", op_name(code).unwrap_or("GET")),
        format_args!("memo key {key} was never stored"),
    )
}

#[cold]
pub(super) fn underflow(code: u8, at: u64) -> Error {
    err(
        ErrorKind::StackUnderflow,
        at,
        &format!("stack underflow in {}", op_name(code).unwrap_or("opcode")),
        "it needs more values than the stack holds above the last MARK",
    )
}

#[cold]
pub(super) fn wrong_target(code: u8, at: u64, kind: &str) -> Error {
    err(
        ErrorKind::InvalidStructure,
        at,
        &format!("bad {}", op_name(code).unwrap_or("opcode")),
        format_args!("it cannot add items to a {kind}"),
    )
}

#[cold]
pub(super) fn too_long(at: u64, max: usize) -> Error {
    err(ErrorKind::LimitExceeded, at, "container too long", format_args!("it would exceed the limit of {max} items"))
}

pub(super) fn describe_byte(b: u8) -> String {
    if b.is_ascii_graphic() { format!("byte 0x{b:02x} ({:?})", b as char) } else { format!("byte 0x{b:02x}") }
}
