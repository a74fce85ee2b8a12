//! The known-dangerous globals: what makes `pickle scan` say `dangerous`
//! rather than `unknown`. The allowlist decides what is safe; this table
//! only labels how bad the rest is, and no policy can allow what it names.

use super::allowlist;

/// Modules (and their submodules) whose globals run code, start processes,
/// touch files or the network, or unpickle further data.
const MODULES: &[(&str, &str)] = &[
    ("os", "operating-system calls"),
    ("posix", "operating-system calls"),
    ("nt", "operating-system calls"),
    ("posixpath", "operating-system calls"),
    ("ntpath", "operating-system calls"),
    ("sys", "interpreter internals"),
    ("subprocess", "runs processes"),
    ("_posixsubprocess", "runs processes"),
    ("pty", "runs processes"),
    ("multiprocessing", "runs processes"),
    ("concurrent", "runs processes and threads"),
    ("asyncio", "runs processes and opens sockets"),
    ("threading", "runs threads"),
    ("_thread", "runs threads"),
    ("signal", "process signals"),
    ("runpy", "runs code"),
    ("code", "runs code"),
    ("codeop", "compiles code"),
    ("compileall", "compiles code"),
    ("py_compile", "compiles code"),
    ("importlib", "imports modules"),
    ("imp", "imports modules"),
    ("_imp", "imports modules"),
    ("pkgutil", "imports modules"),
    ("zipimport", "imports modules"),
    ("pydoc", "imports modules and runs pagers"),
    ("inspect", "reaches any attribute"),
    ("types", "makes code and functions"),
    ("marshal", "loads code"),
    ("ctypes", "calls native code"),
    ("_ctypes", "calls native code"),
    ("pickle", "unpickles further data"),
    ("_pickle", "unpickles further data"),
    ("cPickle", "unpickles further data"),
    ("pickletools", "unpickles further data"),
    ("copyreg", "changes the unpickler's registry"),
    ("dill", "unpickles further data"),
    ("cloudpickle", "unpickles further data and makes functions"),
    ("joblib", "unpickles further data"),
    ("shelve", "unpickles further data"),
    ("socket", "opens sockets"),
    ("ssl", "opens connections"),
    ("http", "opens connections"),
    ("urllib", "opens connections"),
    ("ftplib", "opens connections"),
    ("smtplib", "opens connections"),
    ("imaplib", "opens connections and runs processes"),
    ("poplib", "opens connections"),
    ("nntplib", "opens connections"),
    ("telnetlib", "opens connections"),
    ("socketserver", "opens sockets"),
    ("xmlrpc", "opens connections"),
    ("webbrowser", "runs a browser"),
    ("antigravity", "runs a browser when imported"),
    ("this", "prints when imported"),
    ("pip", "installs packages"),
    ("ensurepip", "installs packages"),
    ("venv", "runs processes"),
    ("distutils", "writes files and runs processes"),
    ("setuptools", "writes files and runs processes"),
    ("cProfile", "runs code"),
    ("profile", "runs code"),
    ("trace", "runs code"),
    ("timeit", "runs code"),
    ("pdb", "runs code"),
    ("bdb", "runs code"),
    ("doctest", "runs code"),
    ("idlelib", "runs code"),
    ("lib2to3", "unpickles further data"),
    ("_osx_support", "runs processes"),
    ("_aix_support", "runs processes"),
    ("_pyrepl", "runs processes"),
    ("mailcap", "runs processes"),
    ("platform", "runs processes"),
    ("site", "runs code"),
    ("atexit", "runs code at exit"),
    ("gc", "interpreter internals"),
    ("_interpreters", "runs code"),
    ("_xxsubinterpreters", "runs code"),
    ("logging", "writes files"),
    ("shutil", "changes files"),
    ("tempfile", "writes files"),
    ("glob", "reads directories"),
    ("fileinput", "reads files"),
    ("linecache", "reads files"),
    ("io", "opens files"),
    ("_io", "opens files"),
    ("codecs", "opens files"),
    ("_codecs", "codec internals"),
    ("mmap", "maps memory"),
    ("sqlite3", "opens databases"),
    ("tarfile", "writes files"),
    ("zipfile", "writes files"),
    ("functools", "calls what it is given"),
    ("operator", "reaches any attribute or item"),
    ("_operator", "reaches any attribute or item"),
    ("string", "reaches any attribute (Formatter)"),
    ("test", "runs code"),
    ("tkinter", "runs code"),
    ("turtle", "runs code"),
    ("numpy.f2py", "runs code"),
    ("numpy.distutils", "runs processes"),
    ("numpy.testing", "runs code"),
    ("numpy.ctypeslib", "calls native code"),
    ("pandas.io", "reads and writes files"),
    ("torch.hub", "downloads and runs code"),
    ("torch.jit", "runs TorchScript"),
    ("torch._dynamo", "runs code"),
    ("torch._inductor", "compiles and runs code"),
    ("torch.fx", "runs code"),
    ("torch.package", "imports packaged code"),
    ("torch.utils.collect_env", "runs processes"),
    ("torch.utils.bottleneck", "runs code"),
    ("torch.utils.data.datapipes", "runs code"),
    ("torch.serialization", "unpickles further data"),
];

/// Single globals outside those modules that run code or unpickle data.
const NAMES: &[(&str, &str, &str)] = &[
    ("numpy", "load", "unpickles further data"),
    ("numpy", "loads", "unpickles further data"),
    ("numpy", "fromfile", "reads files"),
    ("numpy", "save", "writes files"),
    ("numpy.lib.npyio", "load", "unpickles further data"),
    ("pandas", "read_pickle", "unpickles further data"),
    ("torch", "load", "unpickles further data"),
    ("torch", "save", "writes files"),
    ("uuid", "_get_command_stdout", "runs processes"),
];

/// Builtins the allowlist does not name: eval, exec, getattr, open,
/// `__import__`, map, ... all of them gadgets for a pickle.
const BUILTINS: &str = "a builtin beyond the data types (eval, exec, getattr, open, __import__, map, ...)";

/// Why a global is dangerous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Danger {
    /// A sentence saying what it can do.
    pub(crate) why: &'static str,
    /// Whether it is dangerous by the way its dotted name walks (a dunder,
    /// a module alias, a method) rather than by a listed name or module.
    pub(crate) walk: bool,
}

/// Why `module.qualname` is dangerous, or `None` when the table does not
/// say. The allowlist's exact entries come first.
pub(crate) fn danger(module: &str, qualname: &str) -> Option<Danger> {
    if allowlist::roles(module, qualname).is_some() {
        return None;
    }
    let listed = |why| Some(Danger { why, walk: false });
    let walk = |why| Some(Danger { why, walk: true });
    if let Some(reason) = module_danger(module) {
        return listed(reason);
    }
    if let Some(&(_, _, reason)) = NAMES.iter().find(|(m, n, _)| *m == module && *n == qualname) {
        return listed(reason);
    }
    if module == "builtins" || module == "__builtin__" || module == "__builtins__" {
        return listed(BUILTINS);
    }
    let parts: Vec<&str> = qualname.split('.').collect();
    for part in &parts {
        if part.starts_with("__") {
            return walk("walks a dunder attribute (__builtins__, __globals__, __call__, ...)");
        }
        if module_danger(part).is_some() || module_danger(part.trim_start_matches('_')).is_some() {
            return walk("walks through a module alias (os, _os, sys, subprocess, ...) to what it holds");
        }
    }
    if parts.len() > 1 && allowlist::roles(module, parts[0]).is_some() {
        return walk("an unbound method of an allowed class, called on whatever the pickle passes");
    }
    None
}

/// Why globals of `module` are dangerous (it, or a package it is in, is
/// listed).
fn module_danger(module: &str) -> Option<&'static str> {
    MODULES.iter().find_map(|&(m, reason)| {
        let inside = module == m || module.strip_prefix(m).is_some_and(|rest| rest.starts_with('.'));
        inside.then_some(reason)
    })
}
