//! A disassembler that prints exactly what CPython 3.11's
//! `python3 -m pickletools FILE` prints.
//!
//! It describes bytes; it builds no values. Like `pickletools.dis`, it
//! emulates the pickle machine's stack with type names only, to indent MARK
//! blocks, annotate memo stores and catch the same mistakes at the same
//! opcode. Where pickletools raises, this prints the same partial output and
//! returns a [`DisError`] naming the byte offset. Nothing recurses: the only
//! state is a flat stack, a MARK stack and the memo.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write};

use pickle_core::BigInt;
use pickle_core::opcodes::{self as op, ArgKind, OpInfo, info};
use pickle_core::text;

use crate::repr::{INT_MAX_STR_DIGITS, bytes_repr, float_repr, str_repr};

/// Why a disassembly stopped early: the pickle is malformed where
/// `pickletools` would raise, or the output could not be written.
#[derive(Debug)]
pub struct DisError {
    offset: Option<u64>,
    message: String,
}

impl DisError {
    /// The byte offset of the opcode that failed; `None` for an output error.
    pub fn offset(&self) -> Option<u64> {
        self.offset
    }

    #[cold]
    fn at(offset: usize, what: &str, detail: impl fmt::Display) -> DisError {
        DisError { offset: Some(offset as u64), message: format!("{what} at byte {offset}: {detail}") }
    }
}

impl fmt::Display for DisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DisError {}

impl From<io::Error> for DisError {
    #[cold]
    fn from(err: io::Error) -> DisError {
        DisError { offset: None, message: format!("cannot write the disassembly: {err}") }
    }
}

/// Disassembles the first pickle in `data` into `out`, line for line as
/// `pickletools.dis` does (indent 4, no annotations), through the first STOP
/// and the closing "highest protocol among opcodes = N" line. Bytes after
/// STOP are ignored.
///
/// ```
/// let mut out = Vec::new();
/// pickle_cli::dis::dis(b"\x80\x04K\x05.", &mut out)?;
/// assert_eq!(
///     String::from_utf8_lossy(&out),
///     "    0: \\x80 PROTO      4\n    2: K    BININT1    5\n    4: .    STOP\nhighest protocol among opcodes = 2\n"
/// );
/// # Ok::<(), pickle_cli::dis::DisError>(())
/// ```
pub fn dis<W: Write>(data: &[u8], out: &mut W) -> Result<(), DisError> {
    dis_with(data, out, &DisOptions::default(), &mut Memo::default())
}

/// `pickletools.dis`'s options, as `python3 -m pickletools` sets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisOptions {
    /// Blanks per MARK level (`-l`, `indentlevel`); 4 by default.
    pub indent: usize,
    /// The column hint where annotations start, 0 for none (`annotate`;
    /// `-a` sets 30).
    pub annotate: usize,
}

impl Default for DisOptions {
    fn default() -> Self {
        DisOptions { indent: 4, annotate: 0 }
    }
}

/// The memo `dis` emulates. Passing the same one to several disassemblies
/// carries memo entries from one pickle to the next (`-m`), for pickles that
/// one pickler wrote with one memo.
#[derive(Debug, Default)]
pub struct Memo(HashMap<PyInt, &'static str>);

/// [`dis`] with options and a memo that may carry over from earlier pickles.
///
/// ```
/// use pickle_cli::dis::{DisOptions, Memo, dis_with};
///
/// let mut out = Vec::new();
/// dis_with(b"K\x05.", &mut out, &DisOptions { indent: 2, annotate: 30 }, &mut Memo::default())?;
/// // What `python3 -m pickletools -a -l 2` prints.
/// let text = String::from_utf8_lossy(&out);
/// let lines: Vec<&str> = text.lines().collect();
/// assert_eq!(lines[0], "    0: K    BININT1    5              Push a one-byte unsigned integer.");
/// assert_eq!(lines[1], "    2: .    STOP                      Stop the unpickling machine.");
/// # Ok::<(), pickle_cli::dis::DisError>(())
/// ```
pub fn dis_with<W: Write>(data: &[u8], out: &mut W, opts: &DisOptions, memo: &mut Memo) -> Result<(), DisError> {
    let mut machine =
        Machine { max_proto: -1, indent: opts.indent, memo: std::mem::take(&mut memo.0), ..Machine::default() };
    let result = run(&mut machine, data, out, opts);
    memo.0 = machine.memo;
    result
}

fn run<W: Write>(machine: &mut Machine, data: &[u8], out: &mut W, opts: &DisOptions) -> Result<(), DisError> {
    let mut annocol = opts.annotate;
    let mut input = Input { data, pos: 0 };
    let mut line = String::new();
    loop {
        let pos = input.pos;
        let Some(code) = input.byte() else {
            return Err(DisError::at(pos, "end of input", "pickle exhausted before seeing STOP"));
        };
        let Some(info) = info(code) else {
            let mut shown = String::new();
            bytes_repr(&[code], &mut shown);
            return Err(DisError::at(pos, "unknown opcode", format_args!("opcode {shown} unknown")));
        };
        let name = info.name;
        let arg = match info.arg {
            Some(kind) => Some(read_arg(kind, &mut input).map_err(|detail| DisError::at(pos, name, detail))?),
            None => None,
        };
        // pickletools prints the offset before it checks the opcode, so a
        // failing opcode leaves "  pos: " on stdout.
        write!(out, "{pos:5}: ")?;
        line.clear();
        let raised = machine.describe(code, name, info, arg.as_ref(), &mut line);
        let raised = raised.map_err(|detail| DisError::at(pos, name, detail))?;
        if opts.annotate > 0 {
            // pickletools' alignment: pad to the column, remember it, and fall
            // back to the hint once lines grow past 50 characters.
            let width = line.chars().count();
            line.extend(std::iter::repeat_n(' ', annocol.saturating_sub(width)));
            annocol = line.chars().count();
            if annocol > 50 {
                annocol = opts.annotate;
            }
            line.push(' ');
            line.push_str(info.summary);
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
        if let Some(error) = raised {
            return Err(DisError::at(pos, name, error));
        }
        machine.apply(pos, info).map_err(|detail| DisError::at(pos, name, detail))?;
        if code == op::STOP {
            break;
        }
    }
    writeln!(out, "highest protocol among opcodes = {}", machine.max_proto)?;
    out.flush()?;
    if !machine.stack.is_empty() {
        let at = input.pos.saturating_sub(1);
        return Err(DisError::at(
            at,
            "STOP",
            format_args!("stack not empty after STOP: [{}]", machine.stack.join(", ")),
        ));
    }
    Ok(())
}

/// Names of pickletools' stack object kinds, as `repr()` shows them.
const MARK: &str = "mark";

/// A Python int as a memo key: `True` and `1` are the same key, as in the
/// dict pickletools uses.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum PyInt {
    Small(i64),
    Big(BigInt),
}

impl PyInt {
    fn from_big(big: BigInt) -> PyInt {
        match i64::try_from(&big) {
            Ok(small) => PyInt::Small(small),
            Err(_) => PyInt::Big(big),
        }
    }
}

/// A decoded argument: its `repr()` (or the error `repr()` raises) and, for
/// integers, the value as a memo key.
#[derive(Debug)]
struct Arg {
    repr: Result<String, String>,
    key: Option<PyInt>,
}

impl Arg {
    fn int(value: impl Into<i64>) -> Arg {
        let value = value.into();
        Arg { repr: Ok(value.to_string()), key: Some(PyInt::Small(value)) }
    }

    fn text(repr: String) -> Arg {
        Arg { repr: Ok(repr), key: None }
    }
}

/// The stream being read, with Python file semantics: a short read at the
/// end returns what is left.
struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn read(&mut self, n: u64) -> &'a [u8] {
        let left = self.data.len() - self.pos;
        let take = usize::try_from(n).map_or(left, |n| n.min(left));
        let got = &self.data[self.pos..self.pos + take];
        self.pos += take;
        got
    }

    fn fixed<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let got = self.read(N as u64);
        got.try_into().map_err(|_| format!("not enough data in stream to read {what}"))
    }

    fn readline(&mut self) -> &'a [u8] {
        let rest = &self.data[self.pos..];
        let len = rest.iter().position(|&b| b == b'\n').map_or(rest.len(), |i| i + 1);
        self.pos += len;
        &rest[..len]
    }

    /// A line without its newline; pickletools' `read_stringnl` check.
    fn line(&mut self, what: &str) -> Result<&'a [u8], String> {
        match self.readline().strip_suffix(b"\n") {
            Some(line) => Ok(line),
            None => Err(format!("no newline found when trying to read {what}")),
        }
    }

    /// Reads a counted string: `n` declared bytes must all be there.
    fn counted(&mut self, n: u64, what: &str) -> Result<&'a [u8], String> {
        let got = self.read(n);
        if got.len() as u64 == n {
            Ok(got)
        } else {
            Err(format!("expected {n} bytes in a {what}, but only {} remain", got.len()))
        }
    }
}

fn read_arg(kind: ArgKind, input: &mut Input<'_>) -> Result<Arg, String> {
    use ArgKind::*;
    Ok(match kind {
        Uint1 => Arg::int(input.fixed::<1>("uint1")?[0]),
        Uint2 => Arg::int(u16::from_le_bytes(input.fixed("uint2")?)),
        Int4 => Arg::int(i32::from_le_bytes(input.fixed("int4")?)),
        Uint4 => Arg::int(u32::from_le_bytes(input.fixed("uint4")?)),
        Uint8 => {
            let n = u64::from_le_bytes(input.fixed("uint8")?);
            Arg { repr: Ok(n.to_string()), key: Some(PyInt::from_big(BigInt::from(n))) }
        }
        StringNl => {
            let line = input.line("stringnl")?;
            let inner = strip_quotes(line)?;
            Arg::text(ascii_repr(&escape_decode(inner)?)?)
        }
        StringNlNoEscape => Arg::text(ascii_repr(&noescape(input)?)?),
        StringNlNoEscapePair => {
            let mut pair = noescape(input)?;
            pair.push(b' ');
            pair.extend(noescape(input)?);
            Arg::text(ascii_repr(&pair)?)
        }
        String1 => {
            let n = input.fixed::<1>("uint1")?[0];
            latin1_arg(input.counted(n.into(), "string1")?)
        }
        String4 => {
            let n = i32::from_le_bytes(input.fixed("int4")?);
            let n = u64::try_from(n).map_err(|_| format!("string4 byte count < 0: {n}"))?;
            latin1_arg(input.counted(n, "string4")?)
        }
        Bytes1 => {
            let n = input.fixed::<1>("uint1")?[0];
            bytes_arg(input.counted(n.into(), "bytes1")?, false)
        }
        Bytes4 => {
            let n = u32::from_le_bytes(input.fixed("uint4")?);
            bytes_arg(input.counted(n.into(), "bytes4")?, false)
        }
        Bytes8 => bytes_arg(counted8(input, "bytes8")?, false),
        ByteArray8 => bytes_arg(counted8(input, "bytearray8")?, true),
        UnicodeNl => {
            let line = input.line("unicodestringnl")?;
            let utf8 = text::raw_unicode_escape_decode(line).map_err(|e| e.cpython_message())?;
            let mut repr = String::new();
            str_repr(text::code_points(&utf8), &mut repr);
            Arg::text(repr)
        }
        Unicode1 => {
            let n = input.fixed::<1>("uint1")?[0];
            utf8_arg(input.counted(n.into(), "unicodestring1")?)?
        }
        Unicode4 => {
            let n = u32::from_le_bytes(input.fixed("uint4")?);
            utf8_arg(input.counted(n.into(), "unicodestring4")?)?
        }
        Unicode8 => utf8_arg(counted8(input, "unicodestring8")?)?,
        DecimalShort => {
            let line = input.line("stringnl")?;
            match line {
                b"00" => Arg { repr: Ok("False".into()), key: Some(PyInt::Small(0)) },
                b"01" => Arg { repr: Ok("True".into()), key: Some(PyInt::Small(1)) },
                _ => int_arg(parse_int(line)?),
            }
        }
        DecimalLong => {
            let line = input.line("stringnl")?;
            int_arg(parse_int(line.strip_suffix(b"L").unwrap_or(line))?)
        }
        FloatNl => Arg::text(float_repr(parse_float(input.line("stringnl")?)?)),
        Float8 => Arg::text(float_repr(f64::from_be_bytes(input.fixed("float8")?))),
        Long1 => {
            let n = input.fixed::<1>("uint1")?[0];
            let data = input.read(n.into());
            if data.len() != usize::from(n) {
                return Err("not enough data in stream to read long1".into());
            }
            long_arg(data)
        }
        Long4 => {
            let n = i32::from_le_bytes(input.fixed("int4")?);
            let n = u64::try_from(n).map_err(|_| format!("long4 byte count < 0: {n}"))?;
            let data = input.read(n);
            if data.len() as u64 != n {
                return Err("not enough data in stream to read long4".into());
            }
            long_arg(data)
        }
    })
}

fn counted8<'a>(input: &mut Input<'a>, what: &str) -> Result<&'a [u8], String> {
    let n = u64::from_le_bytes(input.fixed("uint8")?);
    if n > i64::MAX as u64 {
        return Err(format!("{what} byte count > sys.maxsize: {n}"));
    }
    input.counted(n, what)
}

fn latin1_arg(data: &[u8]) -> Arg {
    let mut repr = String::new();
    str_repr(data.iter().map(|&b| u32::from(b)), &mut repr);
    Arg::text(repr)
}

fn bytes_arg(data: &[u8], bytearray: bool) -> Arg {
    let mut repr = String::new();
    if bytearray {
        repr.push_str("bytearray(");
    }
    bytes_repr(data, &mut repr);
    if bytearray {
        repr.push(')');
    }
    Arg::text(repr)
}

fn utf8_arg(data: &[u8]) -> Result<Arg, String> {
    if let Some(bad) = text::first_invalid(data) {
        return Err(format!("'utf-8' codec can't decode byte 0x{:02x} in position {bad}", data[bad]));
    }
    let mut repr = String::new();
    str_repr(text::code_points(data), &mut repr);
    Ok(Arg::text(repr))
}

fn int_arg(value: PyInt) -> Arg {
    let repr = match &value {
        PyInt::Small(v) => v.to_string(),
        PyInt::Big(v) => v.to_string(),
    };
    Arg { repr: Ok(repr), key: Some(value) }
}

/// `pickle.decode_long`: little-endian two's complement. Its `repr()` fails
/// as CPython's does beyond 4300 digits; that is checked on the size first,
/// so a huge LONG4 costs no conversion.
fn long_arg(data: &[u8]) -> Arg {
    let too_long = || {
        format!(
            "Exceeds the limit ({INT_MAX_STR_DIGITS} digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit"
        )
    };
    let sign_byte = if data.last().is_some_and(|&b| b >= 0x80) { 0xFF } else { 0x00 };
    let significant = data.iter().rposition(|&b| b != sign_byte).map_or(0, |i| i + 1);
    // 1800 significant bytes hold at least 2**14391, far beyond 10**4300.
    let repr = if significant >= 1800 {
        Err(too_long())
    } else {
        let text = BigInt::from_signed_bytes_le(data).to_string();
        if text.trim_start_matches('-').len() > INT_MAX_STR_DIGITS { Err(too_long()) } else { Ok(text) }
    };
    Arg { repr, key: None }
}

/// `read_stringnl`'s quote check: the same quote at both ends. A single
/// quote character counts as both ends, as in pickletools.
fn strip_quotes(line: &[u8]) -> Result<&[u8], String> {
    for q in [b'"', b'\''] {
        if line.first() == Some(&q) {
            if line.last() != Some(&q) {
                let mut shown = String::new();
                bytes_repr(line, &mut shown);
                return Err(format!("strinq quote {:?} not found at both ends of {shown}", char::from(q)));
            }
            return Ok(line.get(1..line.len() - 1).unwrap_or_default());
        }
    }
    let mut shown = String::new();
    bytes_repr(line, &mut shown);
    Err(format!("no string quotes around {shown}"))
}

/// `codecs.escape_decode`, failing with CPython's message.
fn escape_decode(s: &[u8]) -> Result<Vec<u8>, String> {
    text::escape_decode(s).map_err(|e| e.cpython_message())
}

fn noescape(input: &mut Input<'_>) -> Result<Vec<u8>, String> {
    escape_decode(input.line("stringnl")?)
}

/// `repr()` of the str that `bytes.decode("ascii")` gives.
fn ascii_repr(bytes: &[u8]) -> Result<String, String> {
    if let Some(bad) = bytes.iter().position(|&b| b >= 0x80) {
        return Err(format!(
            "'ascii' codec can't decode byte 0x{:02x} in position {bad}: ordinal not in range(128)",
            bytes[bad]
        ));
    }
    let mut repr = String::new();
    str_repr(bytes.iter().map(|&b| u32::from(b)), &mut repr);
    Ok(repr)
}

const PY_SPACE: &[u8] = b" \t\n\r\x0b\x0c";

fn trim_py_space(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !PY_SPACE.contains(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !PY_SPACE.contains(b)).map_or(start, |i| i + 1);
    &s[start..end]
}

/// Removes the underscores Python allows between digits (PEP 515), or says
/// the literal is invalid.
fn strip_underscores(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    for (i, &b) in s.iter().enumerate() {
        if b == b'_' {
            let between_digits = i > 0 && s[i - 1].is_ascii_digit() && s.get(i + 1).is_some_and(|d| d.is_ascii_digit());
            if !between_digits {
                return None;
            }
        } else {
            out.push(b);
        }
    }
    Some(out)
}

/// Python's `int(bytes)` in base 10, with its limit on digits.
fn parse_int(text: &[u8]) -> Result<PyInt, String> {
    let invalid = || {
        let mut shown = String::new();
        bytes_repr(text, &mut shown);
        format!("invalid literal for int() with base 10: {shown}")
    };
    let s = trim_py_space(text);
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    let digits = strip_underscores(digits).ok_or_else(invalid)?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    if digits.len() > INT_MAX_STR_DIGITS {
        return Err(format!(
            "Exceeds the limit ({INT_MAX_STR_DIGITS} digits) for integer string conversion: value has {} digits; use sys.set_int_max_str_digits() to increase the limit",
            digits.len()
        ));
    }
    let magnitude = BigInt::parse_bytes(&digits, 10).ok_or_else(invalid)?;
    Ok(PyInt::from_big(if negative { -magnitude } else { magnitude }))
}

/// Python's `float(bytes)`.
fn parse_float(text: &[u8]) -> Result<f64, String> {
    let invalid = || {
        let mut shown = String::new();
        bytes_repr(text, &mut shown);
        format!("could not convert string to float: {shown}")
    };
    let s = strip_underscores(trim_py_space(text)).ok_or_else(invalid)?;
    let s = std::str::from_utf8(&s).map_err(|_| invalid())?;
    // Rust's grammar matches Python's here, "inf"/"infinity"/"nan" in any
    // case included.
    s.parse::<f64>().map_err(|_| invalid())
}

/// The emulated pickle machine: pickletools' `stack`, `markstack` and
/// `memo`, holding stack object names instead of values.
#[derive(Default)]
struct Machine {
    stack: Vec<&'static str>,
    marks: Vec<usize>,
    memo: HashMap<PyInt, &'static str>,
    /// Blanks per MARK level.
    indent: usize,
    max_proto: i32,
    /// What the current opcode pushes, after memo lookups.
    after: Vec<&'static str>,
    /// How many stack items the current opcode pops, after MARK handling.
    to_pop: usize,
}

impl Machine {
    /// Everything `pickletools.dis` does for one opcode up to printing its
    /// line, which is left in `line`. `Err` is what pickletools raises before
    /// printing the line; `Ok(Some(_))` what it raises right after.
    fn describe(
        &mut self,
        code: u8,
        name: &str,
        info: &OpInfo,
        arg: Option<&Arg>,
        line: &mut String,
    ) -> Result<Option<String>, String> {
        use std::fmt::Write as _;
        let code_text = if code < 0x80 { char::from(code).to_string() } else { format!("\\x{code:02x}") };
        // Writing to a String cannot fail.
        let _ = write!(line, "{code_text:<4} {:indent$}{name}", "", indent = self.indent * self.marks.len());
        self.max_proto = self.max_proto.max(i32::from(info.proto));
        self.after.clear();
        self.after.extend_from_slice(info.after);
        self.to_pop = info.before.len();

        let mut mark_msg = None;
        let mut error = None;
        if info.before.contains(&MARK) || (code == op::POP && self.stack.last() == Some(&MARK)) {
            if let Some(mark_pos) = self.marks.pop() {
                mark_msg = Some(format!("(MARK at {mark_pos})"));
                loop {
                    match self.stack.pop() {
                        Some(MARK) => break,
                        Some(_) => {}
                        None => return Err("IndexError: list index out of range".into()),
                    }
                }
                self.to_pop = info.before.iter().position(|&s| s == MARK).unwrap_or(0);
            } else {
                mark_msg = Some("no MARK exists on stack".to_string());
                error = mark_msg.clone();
            }
        }

        let key = arg.and_then(|a| a.key.clone());
        let arg_repr = arg.map(|a| a.repr.clone());
        match code {
            op::PUT | op::BINPUT | op::LONG_BINPUT | op::MEMOIZE => {
                let index = if code == op::MEMOIZE {
                    mark_msg = Some(format!("(as {})", self.memo.len()));
                    PyInt::Small(self.memo.len() as i64)
                } else {
                    key.unwrap_or(PyInt::Small(-1))
                };
                let shown = || arg_repr.clone().map_or_else(|| "None".to_string(), |r| r.unwrap_or_default());
                if self.memo.contains_key(&index) {
                    error = Some(format!("memo key {} already defined", shown()));
                } else {
                    match self.stack.last() {
                        None => error = Some("stack is empty -- can't store into memo".into()),
                        Some(&MARK) => error = Some("can't store markobject in the memo".into()),
                        Some(&top) => {
                            self.memo.insert(index, top);
                        }
                    }
                }
            }
            op::GET | op::BINGET | op::LONG_BINGET => match key.as_ref().and_then(|k| self.memo.get(k)) {
                Some(&value) => {
                    self.after.clear();
                    self.after.push(value);
                }
                None => {
                    let shown = arg_repr.clone().and_then(Result::ok).unwrap_or_default();
                    error = Some(format!("memo key {shown} has never been stored into"));
                }
            },
            _ => {}
        }

        if arg.is_some() || mark_msg.is_some() {
            let pad = 10usize.saturating_sub(name.len());
            let _ = write!(line, "{:pad$}", "");
            if let Some(repr) = arg_repr {
                line.push(' ');
                line.push_str(&repr?);
            }
            if let Some(msg) = mark_msg {
                line.push(' ');
                line.push_str(&msg);
            }
        }
        Ok(error)
    }

    /// The stack effect of the opcode `step` just described.
    fn apply(&mut self, pos: usize, info: &OpInfo) -> Result<(), String> {
        if self.stack.len() < self.to_pop {
            return Err(format!("tries to pop {} items from stack with only {} items", self.to_pop, self.stack.len()));
        }
        self.stack.truncate(self.stack.len() - self.to_pop);
        if info.after.contains(&MARK) {
            self.marks.push(pos);
        }
        self.stack.extend_from_slice(&self.after);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(data: &[u8]) -> (String, Option<String>) {
        let mut out = Vec::new();
        let err = dis(data, &mut out).err().map(|e| e.to_string());
        (String::from_utf8_lossy(&out).into_owned(), err)
    }

    #[test]
    fn numbers_parse_like_python() {
        assert_eq!(parse_int(b" -1_0 "), Ok(PyInt::Small(-10)));
        assert_eq!(parse_int(b"1__0"), Err("invalid literal for int() with base 10: b'1__0'".into()));
        assert_eq!(parse_int(b""), Err("invalid literal for int() with base 10: b''".into()));
        assert_eq!(parse_float(b"1_0.5").ok(), Some(10.5));
        assert!(parse_float(b"nan").is_ok_and(f64::is_nan));
        assert!(parse_float(b"-iNfInItY").is_ok_and(|x| x == f64::NEG_INFINITY));
        assert_eq!(parse_float(b"_1"), Err("could not convert string to float: b'_1'".into()));
    }

    #[test]
    fn stops_where_pickletools_raises() {
        let (out, err) = run(b"(K\x01h\x05.");
        assert_eq!(out, "    0: (    MARK\n    1: K        BININT1    1\n    3: h        BINGET     5\n");
        assert_eq!(err.as_deref(), Some("BINGET at byte 3: memo key 5 has never been stored into"));
        let (out, err) = run(b"X\x05\x00\x00\x00ab");
        assert_eq!(out, "");
        assert_eq!(
            err.as_deref(),
            Some("BINUNICODE at byte 0: expected 5 bytes in a unicodestring4, but only 2 remain")
        );
        let (out, err) = run(b"N\xff");
        assert_eq!(out, "    0: N    NONE\n");
        assert_eq!(err.as_deref(), Some("unknown opcode at byte 1: opcode b'\\xff' unknown"));
    }
}
