//! Whether loading a pickle in Python is safe, decided without running it.
//!
//! The scanner runs the pickle machine exactly as for decoding (CPython's
//! `_pickle.c` semantics: base-0 integers, framing, the Python 2 name
//! mapping, dotted names, the memo), with a trace of the opcodes that call
//! into objects, and then reads the whole graph it built, popped values
//! included. Every import (`GLOBAL`, `STACK_GLOBAL`, `INST`, a
//! `getattr(global, name)`), every call site (`REDUCE`, `NEWOBJ`,
//! `NEWOBJ_EX`, `INST`, `OBJ`, a `state_setter`), every `BUILD` and item
//! opcode on an object, every persistent id and every extension code is
//! classified against one [`GlobalPolicy`], by default
//! [`GlobalPolicy::builtin`]:
//!
//! - `safe`: only allowed globals, each used in a role the allowlist gives
//!   it (referenced, called, instantiated, given a state);
//! - `unknown`: globals outside the allowlist (a user's own classes), or an
//!   allowed one used in another role;
//! - `dangerous`: a known-dangerous global (`os.system`, `builtins.eval`,
//!   `pickle.loads`, a dunder or module-alias walk such as
//!   `argparse._os.system`), a callable computed at load time (the result of
//!   another call, an extension code, a persistent object), a dangerous
//!   target reached through a trampoline (`copyreg._reconstructor`'s base,
//!   a `defaultdict` factory), or BUILD on a class, function or module.
//!
//! A pickle passed as constant bytes to a known loader (`pickle.loads`,
//! `torch.storage._load_from_bytes`) is scanned too. The scan fails closed:
//! a stream that breaks after a dangerous finding is `dangerous`, and one
//! that breaks otherwise is an error, never `safe`.
//!
//! ```
//! use pickle_core::scan::{Scanner, Verdict};
//!
//! let report = Scanner::new().scan(b"cos\nsystem\n(S'true'\ntR.");
//! assert_eq!(report.verdict(), Verdict::Dangerous);
//! assert_eq!(report.findings[0].global.as_deref(), Some("os.system"));
//!
//! let data = pickle_core::to_vec(&vec![(1, "a".to_string())])?;
//! assert_eq!(Scanner::new().scan(&data).verdict(), Verdict::Safe);
//! # Ok::<(), pickle_core::Error>(())
//! ```

mod analyze;
mod preview;

use crate::de::trace_slice_at;
use crate::error::Error;
use crate::options::{DecodeOptions, GlobalPolicy, Limits, PersistentIds, StringEncoding};

/// How deep pickles nested in constant bytes are followed.
const MAX_NESTING: u8 = 4;
/// The most pickles read back to back from one input.
const MAX_STREAMS: usize = 64;

/// The answer for a whole input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Only allowed globals, used as allowed.
    Safe,
    /// Globals outside the allowlist, nothing known to be dangerous.
    Unknown,
    /// The input could not be read to its end, and nothing dangerous was
    /// found before that point.
    Error,
    /// Something known to run code or touch the system.
    Dangerous,
}

impl Verdict {
    /// `safe`, `unknown`, `error` or `dangerous`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::Unknown => "unknown",
            Verdict::Error => "error",
            Verdict::Dangerous => "dangerous",
        }
    }
}

/// How bad one finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Not on the allowlist; nothing known about it.
    Unknown,
    /// Known to run code or touch the system.
    Dangerous,
}

impl Severity {
    /// `unknown` or `dangerous`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Dangerous => "dangerous",
        }
    }
}

/// What the pickle does with a global or an object at a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Use {
    /// Names it: `GLOBAL`, `STACK_GLOBAL`, `INST`, `getattr(global, name)`.
    /// Importing its module runs that module's top level.
    Import,
    /// Calls it: `REDUCE`, `INST`/`OBJ` with arguments, a `state_setter`.
    Call,
    /// Makes an instance without `__init__`: `NEWOBJ`, `NEWOBJ_EX`,
    /// `copyreg.__newobj__`, `copyreg._reconstructor`, `INST`/`OBJ` without
    /// arguments.
    New,
    /// Gives an object its state: `BUILD` (`__setstate__` or `setattr`).
    Build,
    /// Adds items to an object: `APPEND(S)`, `SETITEM(S)`, `ADDITEMS`.
    Items,
    /// Hands a persistent id to the loader's `persistent_load`.
    PersistentId,
    /// Looks a callable up in `copyreg`'s extension registry (`EXT1/2/4`).
    Extension,
}

impl Use {
    /// The name in reports: `import`, `call`, `new`, `build`, `items`,
    /// `persistent_id`, `extension`.
    pub fn as_str(self) -> &'static str {
        match self {
            Use::Import => "import",
            Use::Call => "call",
            Use::New => "new",
            Use::Build => "build",
            Use::Items => "items",
            Use::PersistentId => "persistent_id",
            Use::Extension => "extension",
        }
    }
}

/// One thing that keeps a pickle from being safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The offset of the opcode, from the start of the scanned bytes.
    pub offset: u64,
    /// Which pickle of the input (0 is the one `pickle.load` reads).
    pub stream: usize,
    /// The opcode's name (`REDUCE`, `STACK_GLOBAL`, ...).
    pub opcode: &'static str,
    /// The global involved, as `module.qualname` after the Python 2
    /// mapping, when there is one.
    pub global: Option<String>,
    /// The global as the stream wrote it, when the Python 2 mapping changed
    /// it (`__builtin__.eval`).
    pub written_as: Option<String>,
    /// Where the callable of a call came from (its opcode's offset).
    pub callee_offset: Option<u64>,
    /// What the pickle does.
    pub used: Use,
    /// How bad it is.
    pub severity: Severity,
    /// A stable rule id (`PKL100`, ...), documented in README.
    pub rule: &'static str,
    /// A sentence saying what was found.
    pub reason: String,
}

/// A global the pickle names, safe or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The offset of the opcode that names it.
    pub offset: u64,
    /// Which pickle of the input.
    pub stream: usize,
    /// `module.qualname`, after the Python 2 mapping.
    pub global: String,
    /// Whether the policy allows it.
    pub allowed: bool,
}

/// One pickle of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stream {
    /// Where it starts.
    pub offset: u64,
    /// Where it ends: after its STOP, or at the opcode that failed.
    pub end: u64,
    /// The last protocol its PROTO declared (0 without one).
    pub protocol: u8,
    /// Whether it reached STOP.
    pub complete: bool,
}

/// What a scan found in one input.
#[derive(Debug)]
pub struct Report {
    /// The pickles read, in order.
    pub streams: Vec<Stream>,
    /// What keeps the input from being safe, in stream and offset order.
    pub findings: Vec<Finding>,
    /// Every global named, allowed or not.
    pub imports: Vec<Import>,
    /// Why a pickle the loader reads could not be read to its end.
    pub error: Option<Error>,
    /// Where bytes that are not a pickle start after the last stream.
    pub trailing: Option<u64>,
}

impl Report {
    /// The verdict: `dangerous` over `error` over `unknown` over `safe`.
    pub fn verdict(&self) -> Verdict {
        let worst = self.findings.iter().map(|f| f.severity).max();
        match (worst, &self.error) {
            (Some(Severity::Dangerous), _) => Verdict::Dangerous,
            (_, Some(_)) => Verdict::Error,
            (Some(Severity::Unknown), None) => Verdict::Unknown,
            (None, None) => Verdict::Safe,
        }
    }

    /// Whether anything dangerous was found.
    pub fn is_dangerous(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Dangerous)
    }
}

/// Scans pickles against a policy. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Scanner {
    policy: GlobalPolicy,
    opts: DecodeOptions,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner::new()
    }
}

impl Scanner {
    /// A scanner with the built-in allowlist and the default limits.
    pub fn new() -> Scanner {
        Scanner {
            policy: GlobalPolicy::builtin(),
            // Latin-1 reads every Python 2 str (CPython's default, ASCII,
            // would refuse some that a loader with encoding= accepts), and
            // persistent ids are kept for the report.
            opts: DecodeOptions::default().encoding(StringEncoding::Latin1).persistent_ids(PersistentIds::Keep),
        }
    }

    /// Judges globals by `policy` instead of the built-in allowlist (build
    /// it from [`GlobalPolicy::builtin`] to extend that).
    pub fn policy(mut self, policy: GlobalPolicy) -> Scanner {
        self.policy = policy;
        self
    }

    /// The limits the machine runs under; exceeding one is an error.
    pub fn limits(mut self, limits: Limits) -> Scanner {
        self.opts = self.opts.limits(limits);
        self
    }

    /// Scans the pickle at the start of `bytes`, as `pickle.load` reads it,
    /// and any complete pickles after it. Bytes after the last pickle that
    /// do not form one are noted as [`Report::trailing`].
    pub fn scan(&self, bytes: &[u8]) -> Report {
        self.scan_nested(bytes, 1, 0)
    }

    /// Scans `count` pickles back to back, all of which the loader reads
    /// (a legacy `torch.save` file has five), then looks for more as
    /// [`scan`](Scanner::scan) does.
    pub fn scan_streams(&self, bytes: &[u8], count: usize) -> Report {
        self.scan_nested(bytes, count.max(1), 0)
    }

    fn scan_nested(&self, bytes: &[u8], required: usize, depth: u8) -> Report {
        let mut report =
            Report { streams: Vec::new(), findings: Vec::new(), imports: Vec::new(), error: None, trailing: None };
        let mut at = 0usize;
        while at < bytes.len() && report.streams.len() < MAX_STREAMS {
            let index = report.streams.len();
            let (traced, end) = trace_slice_at(bytes, at, &self.opts);
            let complete = traced.result.is_ok();
            let mut found = analyze::Analysis::new(self, bytes, index, depth).run(&traced);
            let stream = Stream { offset: at as u64, end: end as u64, protocol: traced.proto, complete };
            if index < required || complete {
                report.streams.push(stream);
                report.findings.append(&mut found.findings);
                report.imports.append(&mut found.imports);
                if let Err(e) = traced.result {
                    if index < required {
                        report.error = Some(e);
                    }
                    break;
                }
            } else {
                // Bytes after the pickles the loader reads that are not a
                // pickle: data, unless what they start with is dangerous.
                if found.findings.iter().any(|f| f.severity == Severity::Dangerous) {
                    report.streams.push(stream);
                    report.findings.extend(found.findings.into_iter().filter(|f| f.severity == Severity::Dangerous));
                }
                report.trailing = Some(at as u64);
                break;
            }
            at = end;
        }
        if report.streams.is_empty() && report.error.is_none() {
            report.error =
                Some(Error::new(crate::error::ErrorKind::Eof, Some(0), "not a pickle: the input is empty".into()));
        }
        report.findings.sort_by_key(|f| (f.stream, f.offset));
        report.findings.dedup();
        report
    }
}
