//! Limits that keep decoding of untrusted input bounded.

/// Bounds on what decoding may build. Every check happens before the
/// allocation it guards.
///
/// The defaults are safe for untrusted input and still allow multi-GB
/// checkpoints: the allocation budget grows with the input's size
/// ([`max_alloc`](Limits::max_alloc) plus [`alloc_per_input_byte`](Limits::alloc_per_input_byte)
/// for every byte of input), so a small hostile input cannot make a large
/// allocation while a large honest file still decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
