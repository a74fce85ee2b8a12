//! Every option of encoding and decoding, and the [`Limits`] that bound
//! decoding of untrusted input. All are built by value:
//! `DecodeOptions::default().encoding(StringEncoding::Latin1)`.

mod allowlist;
mod danger;
mod policy;

pub(crate) use allowlist::{Roles, nested_loader};
pub(crate) use danger::{Danger, danger};
pub use policy::{GlobalPolicy, PolicyError};

/// Options for encoding, built by value:
/// `EncodeOptions::default().protocol(2)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    pub(crate) protocol: u8,
    pub(crate) fix_imports: bool,
    pub(crate) max_depth: usize,
    pub(crate) align_arrays: u32,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions { protocol: 4, fix_imports: true, max_depth: 1 << 22, align_arrays: 0 }
    }
}

impl EncodeOptions {
    /// The protocol to write, 0 to 5. The default is 4, as CPython 3.8+'s.
    /// A protocol above 5 makes encoding fail with [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported).
    pub fn protocol(mut self, protocol: u8) -> Self {
        self.protocol = protocol;
        self
    }

    /// Writes NumPy arrays ([`NdArray`](crate::numpy::NdArray)) so that a
    /// reader can map them from a file without copying: as
    /// `numpy.ndarray(shape, dtype, bytearray)`, the payload starting at a
    /// multiple of `align` bytes (a power of two, at most 4096) from the
    /// start of the stream, and without frames around it. Plain
    /// `pickle.load` still returns the same (writable) arrays.
    /// [`to_writer_indexed`](crate::to_writer_indexed) tells where each
    /// payload is. Needs protocol 5; 0 (the default) turns it off.
    pub fn align_arrays(mut self, align: usize) -> Self {
        self.align_arrays = if align == 0 { 0 } else { align.min(4096).next_power_of_two() as u32 };
        self
    }

    /// Whether to write Python 2 names for Python 3 ones below protocol 3
    /// (`builtins` as `__builtin__`, ...), as CPython's `fix_imports` does.
    /// On by default.
    pub fn fix_imports(mut self, fix: bool) -> Self {
        self.fix_imports = fix;
        self
    }

    /// The most work the iterative `Value` writer may have pending at once,
    /// which bounds graphs that nest too deeply or loop through tuples (which
    /// pickle cannot express).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }
}

/// How Python 2 `str` data (the `STRING`, `BINSTRING` and
/// `SHORT_BINSTRING` opcodes) is decoded, as the `encoding` argument of
/// Python's `pickle.load` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StringEncoding {
    /// ASCII: any other byte is an error. Python's default.
    #[default]
    Ascii,
    /// UTF-8.
    Utf8,
    /// Latin-1: every byte is a code point. Reads NumPy arrays and datetimes
    /// pickled by Python 2.
    Latin1,
    /// Keep them as `bytes`.
    Bytes,
}

/// Options for decoding, built by value:
/// `DecodeOptions::default().encoding(StringEncoding::Latin1)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeOptions {
    pub(crate) encoding: StringEncoding,
    pub(crate) limits: Limits,
    pub(crate) fix_imports: bool,
    pub(crate) globals: Option<std::sync::Arc<GlobalPolicy>>,
    pub(crate) persistent_ids: PersistentIds,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            encoding: StringEncoding::Ascii,
            limits: Limits::DEFAULT,
            fix_imports: true,
            globals: None,
            persistent_ids: PersistentIds::Reject,
        }
    }
}

/// What decoding does with a persistent id (`PERSID`, `BINPERSID`): an
/// object the pickler kept outside the stream, which only the program that
/// wrote it can resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PersistentIds {
    /// Refuse it with [`ErrorKind::Forbidden`](crate::ErrorKind::Forbidden),
    /// as CPython's unpickler does without a `persistent_load`.
    #[default]
    Reject,
    /// Keep it as a [`Node::PersId`](crate::Node::PersId) (what PyTorch
    /// files and `pickle dis`/`json`/`recode` need).
    Keep,
}

impl DecodeOptions {
    /// How to decode Python 2 strings.
    pub fn encoding(mut self, encoding: StringEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// The limits that bound decoding.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Refuses every global the policy does not allow (see [`GlobalPolicy`]).
    /// Names are checked after the Python 2 mapping (`__builtin__` is
    /// `builtins`).
    pub fn globals(mut self, policy: GlobalPolicy) -> Self {
        self.globals = Some(std::sync::Arc::new(policy));
        self
    }

    /// What to do with persistent ids; [`PersistentIds::Reject`] by default.
    pub fn persistent_ids(mut self, ids: PersistentIds) -> Self {
        self.persistent_ids = ids;
        self
    }

    /// Whether to map Python 2 names (`__builtin__`, `copy_reg`, ...) to
    /// Python 3 names in protocol 0-2 streams, as CPython's `fix_imports`
    /// does. On by default.
    pub fn fix_imports(mut self, fix: bool) -> Self {
        self.fix_imports = fix;
        self
    }
}

/// Bounds on what decoding may build. Every check happens before the
/// allocation it guards.
///
/// The defaults are safe for untrusted input and still allow multi-GB
/// checkpoints: the allocation budget grows with the input's size
/// ([`max_alloc`](Limits::max_alloc) plus [`alloc_per_input_byte`](Limits::alloc_per_input_byte)
/// for every byte of input), so a small hostile input cannot make a large
/// allocation while a large honest file still decodes.
///
/// Build limits from [`Limits::DEFAULT`] (or [`Limits::unlimited`]) with the
/// setters, which are `const`, so new limits can be added without breaking
/// anyone's code:
///
/// ```
/// use pickle_core::Limits;
///
/// const TIGHT: Limits = Limits::DEFAULT.max_alloc(64 << 20).max_depth(10_000);
/// assert_eq!(TIGHT.max_alloc, 64 << 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The deepest the decoder's stack and MARK stack together may grow, which
    /// bounds how deeply nested the values it builds from a stream can be.
    /// The machine is iterative, so this guards memory, not the call stack.
    pub max_depth: usize,
    /// How deeply typed conversion (`FromPickle`) and other recursive walks may
    /// recurse. This one guards the call stack.
    pub max_recursion: usize,
    /// Bytes of memory the decoder may allocate regardless of input size.
    pub max_alloc: u64,
    /// Extra bytes of allocation allowed per byte of input.
    pub alloc_per_input_byte: u64,
    /// Entries the memo may hold.
    pub max_memo: usize,
    /// Items one list, tuple, dict, set or MARK group may hold.
    pub max_container_len: usize,
    /// Bytes of a big integer's two's-complement form (LONG1, LONG4, or the
    /// text LONG of protocol 0).
    pub max_bigint_bytes: usize,
}

impl Limits {
    /// Limits for trusted input: everything but the recursion limit is off.
    pub const fn unlimited() -> Limits {
        Limits {
            max_depth: usize::MAX,
            max_recursion: Limits::DEFAULT.max_recursion,
            max_alloc: u64::MAX,
            alloc_per_input_byte: 0,
            max_memo: usize::MAX,
            max_container_len: usize::MAX,
            max_bigint_bytes: usize::MAX,
        }
    }

    /// The defaults, as a constant.
    pub const DEFAULT: Limits = Limits {
        max_depth: 1 << 20,
        max_recursion: 256,
        max_alloc: 1 << 30,
        alloc_per_input_byte: 64,
        max_memo: 1 << 28,
        max_container_len: 1 << 32,
        max_bigint_bytes: 1 << 20,
    };

    /// Sets the deepest the stack and MARK stack may grow: [`Limits::max_depth`](#structfield.max_depth).
    pub const fn max_depth(mut self, max_depth: usize) -> Limits {
        self.max_depth = max_depth;
        self
    }

    /// Sets how deeply typed conversion may recurse: [`Limits::max_recursion`](#structfield.max_recursion).
    pub const fn max_recursion(mut self, max_recursion: usize) -> Limits {
        self.max_recursion = max_recursion;
        self
    }

    /// Sets the bytes decoding may allocate regardless of input size: [`Limits::max_alloc`](#structfield.max_alloc).
    pub const fn max_alloc(mut self, max_alloc: u64) -> Limits {
        self.max_alloc = max_alloc;
        self
    }

    /// Sets the extra bytes of allocation allowed per byte of input: [`Limits::alloc_per_input_byte`](#structfield.alloc_per_input_byte).
    pub const fn alloc_per_input_byte(mut self, alloc_per_input_byte: u64) -> Limits {
        self.alloc_per_input_byte = alloc_per_input_byte;
        self
    }

    /// Sets the entries the memo may hold: [`Limits::max_memo`](#structfield.max_memo).
    pub const fn max_memo(mut self, max_memo: usize) -> Limits {
        self.max_memo = max_memo;
        self
    }

    /// Sets the items one container or MARK group may hold: [`Limits::max_container_len`](#structfield.max_container_len).
    pub const fn max_container_len(mut self, max_container_len: usize) -> Limits {
        self.max_container_len = max_container_len;
        self
    }

    /// Sets the bytes of one big integer: [`Limits::max_bigint_bytes`](#structfield.max_bigint_bytes).
    pub const fn max_bigint_bytes(mut self, max_bigint_bytes: usize) -> Limits {
        self.max_bigint_bytes = max_bigint_bytes;
        self
    }

    /// The allocation budget for an input of `input_len` bytes.
    pub(crate) fn alloc_budget(&self, input_len: u64) -> u64 {
        self.max_alloc.saturating_add(self.alloc_per_input_byte.saturating_mul(input_len))
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}
