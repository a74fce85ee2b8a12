//! The one error type of the crate.

use std::fmt;

/// What went wrong, in broad classes a caller can act on.
///
/// The list may grow; match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ended before `STOP`, or in the middle of an opcode.
    Eof,
    /// A byte that is not a pickle opcode.
    InvalidOpcode,
    /// An opcode's argument is malformed: bad digits, bad quoting, bad
    /// UTF-8, a negative length, an unsupported protocol number.
    InvalidArgument,
    /// An opcode needs more values than the stack holds above the last MARK.
    StackUnderflow,
    /// An opcode needs a MARK and none is open.
    MissingMark,
    /// A memo read (`GET`, `BINGET`, `LONG_BINGET`) names a key never stored.
    MissingMemo,
    /// An opcode was applied to a value it cannot work on, such as `APPEND`
    /// to a dict or `STACK_GLOBAL` with a non-str name.
    InvalidStructure,
    /// A configured limit (depth, allocation, memo size, container length,
    /// big-int size, recursion) would be exceeded.
    LimitExceeded,
    /// The decoded value does not fit the Rust type asked for.
    Mismatch,
    /// The pickle names a global that the decoding policy does not allow
    /// ([`DecodeOptions::globals`](crate::DecodeOptions::globals)), or holds
    /// a persistent id that the options do not accept.
    Forbidden,
    /// The value cannot be written at the requested protocol, or the option
    /// is not supported.
    Unsupported,
    /// Reading or writing failed in the underlying I/O.
    Io,
    /// An error raised by user code (a `ToPickle`/`FromPickle` impl).
    Custom,
}

/// An error from encoding or decoding a pickle.
///
/// It carries a [`kind`](Error::kind), the byte [`offset`](Error::offset) of
/// the failing opcode where there is one, and a message that reads as a
/// sentence, such as "truncated BINUNICODE at byte 17: it declares 4096 bytes,
/// 12 are left".
pub struct Error(Box<ErrorImpl>);

#[derive(thiserror::Error, Debug)]
#[error("{message}")]
struct ErrorImpl {
    kind: ErrorKind,
    offset: Option<u64>,
    message: String,
    #[source]
    source: Option<std::io::Error>,
}

impl Error {
    /// The class of failure.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The byte offset of the opcode (or value) that failed, where known.
    pub fn offset(&self) -> Option<u64> {
        self.0.offset
    }

    /// The message without the error's kind, as shown by `Display`.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// An error with a message of the caller's, for `ToPickle` and
    /// `FromPickle` impls.
    #[cold]
    pub fn custom(message: impl fmt::Display) -> Error {
        Error::new(ErrorKind::Custom, None, message.to_string())
    }

    /// An error of the given kind at a byte offset. The message should read as
    /// a sentence and mention the offset.
    #[cold]
    pub(crate) fn new(kind: ErrorKind, offset: Option<u64>, message: String) -> Error {
        Error(Box::new(ErrorImpl { kind, offset, message, source: None }))
    }

    /// A decode error at a byte: the message is prefixed with what failed,
    /// e.g. `at(ErrorKind::Eof, 17, "truncated BINUNICODE", "it declares...")`
    /// reads "truncated BINUNICODE at byte 17: it declares...".
    #[cold]
    pub(crate) fn at(kind: ErrorKind, offset: u64, what: &str, detail: impl fmt::Display) -> Error {
        let detail = detail.to_string();
        let message = if detail.is_empty() {
            format!("{what} at byte {offset}")
        } else {
            format!("{what} at byte {offset}: {detail}")
        };
        Error::new(kind, Some(offset), message)
    }

    #[cold]
    pub(crate) fn io(err: std::io::Error, offset: Option<u64>) -> Error {
        let message = match offset {
            Some(at) => format!("I/O error at byte {at}: {err}"),
            None => format!("I/O error: {err}"),
        };
        Error(Box::new(ErrorImpl { kind: ErrorKind::Io, offset, message, source: Some(err) }))
    }

    /// Adds context in front of the message ("field `x` of app.Point: ...").
    #[cold]
    pub fn context(mut self, what: impl fmt::Display) -> Error {
        self.0.message = format!("{what}: {}", self.0.message);
        self
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("offset", &self.0.offset)
            .field("message", &self.0.message)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&*self.0)
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Error {
        Error::io(err, None)
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
