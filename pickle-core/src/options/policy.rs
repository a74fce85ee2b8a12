//! [`GlobalPolicy`]: which globals a pickle may name. One policy drives
//! both decoding ([`DecodeOptions::globals`](crate::DecodeOptions::globals))
//! and `pickle scan`, so the two cannot drift apart.

use super::allowlist::{self, Roles};

/// The globals (classes and functions) a pickle may name: decoding with
/// [`DecodeOptions::globals`](crate::DecodeOptions::globals) fails with
/// [`ErrorKind::Forbidden`](crate::ErrorKind::Forbidden) at the first one
/// the policy does not allow. An extension code (`EXT1`/`EXT2`/`EXT4`) names
/// a global through a registry the decoder does not have, so it is refused
/// too.
///
/// [`GlobalPolicy::builtin`] is the allowlist `pickle scan` calls safe:
/// Python's data types (builtins, collections, datetime, decimal, uuid,
/// pathlib), NumPy's arrays, dtypes and scalars, pandas' constructors,
/// scikit-learn's estimators and PyTorch's tensor-rebuild helpers. A
/// global of a known-dangerous module (`os`, `subprocess`, `pickle`, ...)
/// or a name such as `builtins.eval` is never allowed, whatever the policy
/// says.
///
/// ```
/// use pickle_core::{DecodeOptions, ErrorKind, GlobalPolicy, Value};
///
/// let policy = GlobalPolicy::deny_all().allow_module("collections").allow("builtins", "set");
/// let ok = pickle_core::to_vec(&pickle_core::collections::Deque { items: [1].into(), maxlen: None })?;
/// assert!(pickle_core::from_slice_with::<Value>(&ok, DecodeOptions::default().globals(policy.clone())).is_ok());
/// let bad = b"\x80\x04\x8c\x02os\x8c\x06system\x93.";
/// let err = pickle_core::from_slice_with::<Value>(bad, DecodeOptions::default().globals(policy)).unwrap_err();
/// assert_eq!((err.kind(), err.offset()), (ErrorKind::Forbidden, Some(14)));
///
/// // The built-in allowlist, plus one class of the application's own:
/// let policy = GlobalPolicy::builtin().parse("myapp.model:Config  # the run's settings\n")?;
/// assert!(policy.allows("myapp.model", "Config") && policy.allows("datetime", "date"));
/// assert!(!policy.allows("os", "system"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GlobalPolicy {
    /// Whether the built-in allowlist is part of the policy.
    builtin: bool,
    /// `(module, Some(qualname))` allows one global, `(module, None)` every
    /// global of the module.
    rules: Vec<(String, Option<String>)>,
}

/// A line of a policy file that is not `module:qualname` or `module:*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    line: usize,
    text: String,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {:?} is not `module:qualname` or `module:*`", self.line, self.text)
    }
}

impl std::error::Error for PolicyError {}

impl GlobalPolicy {
    /// A policy that allows no global: plain data only.
    pub fn deny_all() -> GlobalPolicy {
        GlobalPolicy::default()
    }

    /// The built-in allowlist of `pickle scan` (see the type's docs; the
    /// table is `pickle-core/src/options/allowlist.rs`).
    pub fn builtin() -> GlobalPolicy {
        GlobalPolicy { builtin: true, rules: Vec::new() }
    }

    /// Also allows `module.qualname`.
    pub fn allow(mut self, module: &str, qualname: &str) -> GlobalPolicy {
        self.rules.push((module.to_owned(), Some(qualname.to_owned())));
        self
    }

    /// Also allows every global of `module` (not of its submodules).
    pub fn allow_module(mut self, module: &str) -> GlobalPolicy {
        self.rules.push((module.to_owned(), None));
        self
    }

    /// Also allows what a policy file lists: one `module:qualname` (as
    /// `pkgutil.resolve_name` writes it) or `module:*` per line; `#` starts
    /// a comment, and blank lines are skipped.
    pub fn parse(mut self, text: &str) -> Result<GlobalPolicy, PolicyError> {
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = || PolicyError { line: i + 1, text: raw.trim().to_owned() };
            let (module, name) = line.split_once(':').ok_or_else(bad)?;
            let (module, name) = (module.trim(), name.trim());
            let valid =
                |s: &str| !s.is_empty() && s.split('.').all(|p| !p.is_empty() && !p.contains(char::is_whitespace));
            if !valid(module) || !(name == "*" || valid(name)) {
                return Err(bad());
            }
            self = if name == "*" { self.allow_module(module) } else { self.allow(module, name) };
        }
        Ok(self)
    }

    /// Whether the policy allows `module.qualname`. A known-dangerous
    /// global is never allowed.
    pub fn allows(&self, module: &str, qualname: &str) -> bool {
        self.roles(module, qualname).is_some()
    }

    /// What the policy lets `module.qualname` be used for: the built-in
    /// table's roles, or every role for the policy's own rules.
    pub(crate) fn roles(&self, module: &str, qualname: &str) -> Option<Roles> {
        if self.builtin
            && let Some(roles) = allowlist::roles(module, qualname)
        {
            return Some(roles);
        }
        if super::danger(module, qualname).is_some() {
            return None;
        }
        let listed = self.rules.iter().any(|(m, q)| m == module && q.as_deref().is_none_or(|q| q == qualname));
        listed.then_some(Roles::ALL)
    }
}
