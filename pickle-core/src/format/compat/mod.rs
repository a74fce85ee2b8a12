//! Python 2 <-> Python 3 name mapping, as CPython's `_compat_pickle` does it
//! when `fix_imports` is on (the default).

mod tables;

use tables::{IMPORT_MAPPING, NAME_MAPPING, Name, REVERSE_IMPORT_MAPPING, REVERSE_NAME_MAPPING};

fn lookup_name(table: &[(Name, Name)], module: &str, name: &str) -> Option<Name> {
    table.binary_search_by(|((m, n), _)| (*m, *n).cmp(&(module, name))).ok().map(|i| table[i].1)
}

fn lookup_module(table: &[(&'static str, &'static str)], module: &str) -> Option<&'static str> {
    table.binary_search_by(|(m, _)| (*m).cmp(module)).ok().map(|i| table[i].1)
}

/// Maps a name read from a protocol < 3 stream to its Python 3 name, or
/// `None` when it needs no mapping.
pub(crate) fn to_python3(module: &str, name: &str) -> Option<(&'static str, Option<&'static str>)> {
    if let Some((m, n)) = lookup_name(NAME_MAPPING, module, name) {
        return Some((m, Some(n)));
    }
    lookup_module(IMPORT_MAPPING, module).map(|m| (m, None))
}

/// Maps a Python 3 name to the name a protocol < 3 stream uses, or `None`
/// when it needs no mapping.
pub(crate) fn to_python2(module: &str, name: &str) -> Option<(&'static str, Option<&'static str>)> {
    if let Some((m, n)) = lookup_name(REVERSE_NAME_MAPPING, module, name) {
        return Some((m, Some(n)));
    }
    lookup_module(REVERSE_IMPORT_MAPPING, module).map(|m| (m, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_for_binary_search() {
        assert!(NAME_MAPPING.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(IMPORT_MAPPING.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(REVERSE_NAME_MAPPING.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(REVERSE_IMPORT_MAPPING.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn maps_both_ways() {
        assert_eq!(to_python3("__builtin__", "unicode"), Some(("builtins", Some("str"))));
        assert_eq!(to_python3("__builtin__", "set"), Some(("builtins", None)));
        assert_eq!(to_python3("copy_reg", "_reconstructor"), Some(("copyreg", None)));
        assert_eq!(to_python3("mymod", "X"), None);
        assert_eq!(to_python2("builtins", "set"), Some(("__builtin__", None)));
        assert_eq!(to_python2("builtins", "str"), Some(("__builtin__", Some("unicode"))));
        assert_eq!(to_python2("copyreg", "_reconstructor"), Some(("copy_reg", None)));
    }
}
