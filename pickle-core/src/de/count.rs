//! A quick pass that counts the entries of a pickle's root container without
//! building anything, so a map can be given its final capacity up front.
//!
//! A hash map that grows by doubling holds its old and its new table at
//! once while it moves its entries; for a 1M-entry `HashMap<String, i64>`
//! that transient is half the result again. Knowing the count first avoids
//! every resize. The pass follows only the stack's height (each opcode's
//! arity) and the MARKs, so it is a fraction of a full decode. Its answer is
//! a capacity hint, never trusted for correctness: anything it does not
//! follow makes it answer `None`, and the caller caps the answer by its
//! allocation budget.

use crate::format::opcodes::{self as op, ArgLayout};

/// The most MARKs the pass tracks before it gives up (a hint is not worth
/// more memory than that).
const MAX_MARKS: usize = 1 << 16;

/// The number of pairs SETITEM/SETITEMS (or, for `dict == false`, items
/// APPEND/APPENDS) add to the first dict (list) created at the bottom of the
/// stack, plus the entries it was created with. `None` when the stream does
/// something the pass does not follow: an unknown opcode, a truncated
/// argument, an underflow, or popping that container.
pub(crate) fn root_len(bytes: &[u8], dict: bool) -> Option<usize> {
    let mut at = 0usize;
    let mut height = 0usize;
    let mut marks: Vec<usize> = Vec::new();
    // Whether stack slot 0 holds the root container.
    let mut root = false;
    let mut count = 0usize;
    // Where the items above the last MARK start.
    let fence = |marks: &[usize]| marks.last().copied().unwrap_or(0);
    loop {
        let code = *bytes.get(at)?;
        at += 1;
        let info = op::info(code)?;
        if let Some(arg) = info.arg {
            at = skip_arg(bytes, at, arg.layout())?;
        }
        // (items popped, items pushed) for the opcodes that do not touch MARKs.
        let (pops, pushes) = match code {
            op::STOP => return root.then_some(count),
            op::MARK => {
                if marks.len() >= MAX_MARKS {
                    return None;
                }
                marks.push(height);
                // A batch of the root that holds nothing but scalars is
                // stepped over at once (sink/scalars.rs).
                if root && height == 1 && marks.len() == 1 {
                    let close = if dict { op::SETITEMS } else { op::APPENDS };
                    if let Some(run) = super::sink::scalars::scan(&bytes[at..], close, dict, usize::MAX, false) {
                        height += run.count;
                        at += run.bytes.len();
                    }
                }
                continue;
            }
            op::POP if marks.last() == Some(&height) => {
                // POP right above a MARK pops the MARK (as CPython does).
                marks.pop();
                continue;
            }
            op::POP_MARK => {
                height = marks.pop()?;
                if height == 0 {
                    root = false;
                }
                continue;
            }
            op::TUPLE | op::LIST | op::DICT | op::FROZENSET | op::OBJ | op::INST => {
                let k = marks.pop()?;
                if k == 0 && root {
                    return None;
                }
                let n = height - k;
                height = k + 1;
                let created = (code == op::DICT && dict) || (code == op::LIST && !dict);
                if k == 0 && !root && marks.is_empty() && created {
                    root = true;
                    count = if dict { n / 2 } else { n };
                }
                continue;
            }
            op::APPENDS | op::SETITEMS | op::ADDITEMS => {
                let k = marks.pop()?;
                if k == 0 || k <= fence(&marks) {
                    return None;
                }
                let n = height - k;
                height = k;
                let adds = (code == op::SETITEMS && dict) || (code == op::APPENDS && !dict);
                if k == 1 && root && adds {
                    count = count.checked_add(if dict { n / 2 } else { n })?;
                }
                continue;
            }
            op::APPEND | op::SETITEM => {
                let popped = if code == op::SETITEM { 2 } else { 1 };
                if height < popped + 1 || height - popped - 1 < fence(&marks) {
                    return None;
                }
                height -= popped;
                let adds = (code == op::SETITEM) == dict;
                if height == 1 && root && adds {
                    count = count.checked_add(1)?;
                }
                continue;
            }
            op::EMPTY_DICT | op::EMPTY_LIST => {
                let created = (code == op::EMPTY_DICT) == dict;
                if height == 0 && marks.is_empty() && !root && created {
                    root = true;
                    count = 0;
                }
                (0, 1)
            }
            // The memo writes read the top without popping it.
            op::BINPUT | op::LONG_BINPUT | op::MEMOIZE | op::PUT => {
                if height <= fence(&marks) {
                    return None;
                }
                (0, 0)
            }
            // Everything else pops and pushes what the table says.
            _ => (info.before.len(), info.after.len()),
        };
        // A popped slot must lie above the last MARK; slot 0 (the root) is
        // never popped by anything the pass follows.
        if height < pops || height - pops < fence(&marks) || (root && height - pops == 0 && pops > 0) {
            return None;
        }
        if code == op::BUILD && root && height == 2 {
            // BUILD on the root container: not a plain dict or list.
            return None;
        }
        height = height - pops + pushes;
    }
}

/// The memo keys that a GET, BINGET or LONG_BINGET reads from `bytes` up
/// to the pickle's STOP: every other memo write there is dead (no later
/// fetch can want it), and the direct path may skip it (sink/direct.rs).
/// `None` when the pass does not follow the input (an unknown opcode, a
/// truncated argument) or a key is `cap` or more.
pub(crate) fn reached_keys(bytes: &[u8], cap: u64) -> Option<Reached> {
    let mut words: Vec<u64> = Vec::new();
    let mut at = 0usize;
    loop {
        let code = *bytes.get(at)?;
        at += 1;
        let info = op::info(code)?;
        let start = at;
        if let Some(arg) = info.arg {
            at = skip_arg(bytes, at, arg.layout())?;
        }
        let key = match code {
            op::STOP => return Some(Reached { words }),
            op::BINGET => u64::from(bytes[start]),
            op::LONG_BINGET => u64::from(u32::from_le_bytes(bytes[start..at].try_into().ok()?)),
            op::GET => std::str::from_utf8(bytes[start..at - 1].trim_ascii()).ok()?.parse().ok()?,
            _ => continue,
        };
        if key >= cap {
            return None;
        }
        let word = (key / 64) as usize;
        if word >= words.len() {
            words.resize(word + 1, 0);
        }
        words[word] |= 1 << (key % 64);
    }
}

/// A set of memo keys ([`reached_keys`]).
#[derive(Debug, Default)]
pub(crate) struct Reached {
    words: Vec<u64>,
}

impl Reached {
    /// Whether a fetch reads `key`.
    #[inline]
    pub(crate) fn has(&self, key: u64) -> bool {
        usize::try_from(key / 64).ok().and_then(|w| self.words.get(w)).is_some_and(|w| w & (1 << (key % 64)) != 0)
    }
}

/// The position after an argument laid out as `layout` that starts at
/// `at`, or `None` when the input ends first.
fn skip_arg(bytes: &[u8], at: usize, layout: ArgLayout) -> Option<usize> {
    let end = match layout {
        ArgLayout::Fixed(n) => at.checked_add(n)?,
        ArgLayout::Line => at + bytes.get(at..)?.iter().position(|&b| b == b'\n')? + 1,
        ArgLayout::TwoLines => {
            let first = skip_arg(bytes, at, ArgLayout::Line)?;
            return skip_arg(bytes, first, ArgLayout::Line);
        }
        ArgLayout::Prefixed(width) => {
            let arg = bytes.get(at..at.checked_add(width)?)?;
            let mut le = [0u8; 8];
            le[..width].copy_from_slice(arg);
            let len = usize::try_from(u64::from_le_bytes(le)).ok()?;
            at.checked_add(width)?.checked_add(len)?
        }
    };
    (end <= bytes.len()).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::{reached_keys, root_len};

    #[test]
    fn finds_every_fetched_key_and_only_those() {
        // Protocol 4: MEMOIZE 0..2, BINGET 1, LONG_BINGET 70000; protocol 0: GET 5.
        let p4 = b"\x80\x04](K\x01\x94K\x02\x94K\x03\x94h\x01j\x70\x11\x01\x00e.";
        let set = reached_keys(p4, 1 << 20).expect("follows");
        assert_eq!((0..5).map(|k| set.has(k)).collect::<Vec<_>>(), [false, true, false, false, false]);
        assert!(set.has(70000) && !set.has(69999) && !set.has(u64::MAX));
        assert!(reached_keys(p4, 70000).is_none(), "a key at the cap");
        let p0 = b"(lp0\nI1\nag5\na.";
        let set = reached_keys(p0, 100).expect("follows");
        assert!(set.has(5) && !set.has(0));
        assert!(reached_keys(b"h", 100).is_none(), "truncated");
        assert!(reached_keys(b"\xff.", 100).is_none(), "unknown opcode");
    }

    #[test]
    fn counts_what_cpython_batches_into_the_root() {
        // {"a": 1, "b": [2]} at protocol 4 through SETITEMS, a list through APPENDS.
        let dict = b"\x80\x04}\x94(\x8c\x01a\x94K\x01\x8c\x01b\x94]\x94K\x02au.";
        assert_eq!(root_len(dict, true), Some(2));
        assert_eq!(root_len(dict, false), None);
        let list = b"\x80\x02]q\x00(K\x01K\x02]q\x01K\x03ae.";
        assert_eq!(root_len(list, false), Some(3));
        // Protocol 0: DICT with its pairs, then SETITEM.
        let p0 = b"(dp0\nVa\np1\nI1\nsVb\np2\nI2\ns.";
        assert_eq!(root_len(p0, true), Some(2));
        let created = b"(K\x01K\x02K\x03K\x04dK\x05K\x06s.";
        assert_eq!(root_len(created, true), Some(3));
    }

    #[test]
    fn gives_up_on_what_it_does_not_follow() {
        assert_eq!(root_len(b"}0N.", true), None, "root popped");
        assert_eq!(root_len(b"}(K\x01", true), None, "truncated");
        assert_eq!(root_len(b"}\xff.", true), None, "unknown opcode");
        assert_eq!(root_len(b"}Nb.", true), None, "BUILD on the root");
        assert_eq!(root_len(b"K\x01.", true), None, "no dict at all");
    }

    /// What this crate's encoder writes, at every protocol: dicts and lists
    /// of every batch shape (0, 1, 999, 1000, 1001 and 2500 entries), with
    /// nested containers and shared (memoized) values inside.
    #[test]
    fn counts_what_the_encoder_writes_at_every_protocol() {
        use std::collections::BTreeMap;
        use std::rc::Rc;
        for n in [0usize, 1, 999, 1000, 1001, 2500] {
            let shared = Rc::new(vec![1i64, 2, 3]);
            let list: Vec<(i64, Rc<Vec<i64>>)> = (0..n as i64).map(|i| (i, Rc::clone(&shared))).collect();
            let dict: BTreeMap<String, Vec<Rc<Vec<i64>>>> =
                (0..n).map(|i| (format!("k{i}"), vec![Rc::clone(&shared); i % 3])).collect();
            for proto in 0..=5u8 {
                let opts = crate::EncodeOptions::default().protocol(proto);
                let bytes = crate::to_vec_with(&list, opts).expect("encode");
                assert_eq!(root_len(&bytes, false), Some(n), "list of {n} at protocol {proto}");
                let bytes = crate::to_vec_with(&dict, opts).expect("encode");
                assert_eq!(root_len(&bytes, true), Some(n), "dict of {n} at protocol {proto}");
            }
        }
    }

    /// Every golden pickle (written by CPython through
    /// tests/python/make_golden.py) whose root is a dict or a list: the pass
    /// follows it and counts exactly the entries the decoder finds.
    #[test]
    fn counts_every_golden_root_exactly() {
        use crate::value::{Node, Value};
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("tests/golden") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "pickle") {
                continue;
            }
            let bytes = std::fs::read(&path).expect("read");
            let Ok(value) = crate::from_slice::<Value>(&bytes) else { continue };
            let (dict, len) = match value.get(value.root()) {
                Some(Node::Dict(pairs)) => (true, pairs.len()),
                Some(Node::List(items)) => (false, items.len()),
                _ => continue,
            };
            assert_eq!(root_len(&bytes, dict), Some(len), "{}", path.display());
            checked += 1;
        }
        assert!(checked >= 50, "only {checked} golden dicts and lists");
    }
}
