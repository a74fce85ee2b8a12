//! Identities for the encoder's memo and for the values typed decoding
//! shares: memo keys, and a hash map keyed by addresses.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// What identifies an object for the memo: an address (of an `Rc`, an
/// `Arc`, a `Value` node) or a `'static` str's address and length.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum MemoKey {
    Addr(usize),
    Static(usize, usize),
    Global(usize, usize, usize, usize),
    /// An object named by a `'static` str (a NumPy dtype): stable for the
    /// life of the program, so a [`Pickler`](crate::ser::Pickler) keeps it.
    StaticObject(usize, usize),
}

impl MemoKey {
    /// Whether the key names the same thing for the life of the program
    /// (not an address that may be freed and reused).
    pub(crate) fn is_stable(self) -> bool {
        !matches!(self, MemoKey::Addr(_))
    }
}

/// A multiplicative hasher for memo keys: they are addresses, not
/// attacker-chosen, so SipHash's protection buys nothing here.
#[derive(Default)]
pub(crate) struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64)
    }
}

pub(crate) type AddrMap<K, V> = HashMap<K, V, BuildHasherDefault<AddrHasher>>;
