//! Python source for the classes of derived types: one `@dataclass` per
//! struct and per enum variant, one `enum.Enum` per enum without fields, so
//! that `pickle.load` in Python gives typed objects.
//!
//! Field types become type hints through [`PyType`], which std types and
//! derived types implement.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::error::{Error, Result};

/// A Python type hint, such as `int`, `list[str]` or `app.models.Point | None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeHint(Hint);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Hint {
    /// A name that needs no import: `int`, `str`, `None`.
    Builtin(&'static str),
    /// `typing.Any`.
    Any,
    /// A generated class.
    Class { module: String, qualname: String },
    /// `name[args]`.
    Generic(&'static str, Vec<Hint>),
    /// `a | b | ...`.
    Union(Vec<Hint>),
}

impl TypeHint {
    /// A builtin type that needs no import, such as `int` or `bytes`.
    pub fn builtin(name: &'static str) -> TypeHint {
        TypeHint(Hint::Builtin(name))
    }

    /// `typing.Any`.
    pub fn any() -> TypeHint {
        TypeHint(Hint::Any)
    }

    /// The class `module.qualname`.
    pub fn class(module: &str, qualname: &str) -> TypeHint {
        TypeHint(Hint::Class { module: module.to_owned(), qualname: qualname.to_owned() })
    }

    /// A generic builtin such as `list[int]` or `dict[str, float]`.
    pub fn generic(name: &'static str, args: Vec<TypeHint>) -> TypeHint {
        TypeHint(Hint::Generic(name, args.into_iter().map(|a| a.0).collect()))
    }

    /// `a | b | ...`; a union of one hint is that hint.
    pub fn union(mut members: Vec<TypeHint>) -> TypeHint {
        if members.len() == 1 {
            return members.remove(0);
        }
        TypeHint(Hint::Union(members.into_iter().map(|a| a.0).collect()))
    }

    /// `self | None`.
    pub fn optional(self) -> TypeHint {
        TypeHint::union(vec![self, TypeHint::builtin("None")])
    }
}

/// A Rust type with a Python type hint.
///
/// Derived types implement it by registering their classes with the builder;
/// std types map to builtins (`Vec<T>` to `list[T]`, `Option<T>` to `T | None`,
/// `Vec<u8>` to `bytes`, ...).
pub trait PyType {
    /// The hint for this type; registers in `builder` any class it needs.
    fn py_type(builder: &mut PyModuleBuilder) -> TypeHint;

    /// The hint for a `Vec<Self>` (or slice or array): `list[Self]`, except
    /// `bytes` for `u8`.
    #[doc(hidden)]
    fn py_list_type(builder: &mut PyModuleBuilder) -> TypeHint {
        TypeHint::generic("list", vec![Self::py_type(builder)])
    }
}

/// One field of a generated dataclass.
#[derive(Debug, Clone)]
#[doc(hidden)]
pub struct FieldDef {
    /// The attribute name (the key in the state dict).
    pub name: &'static str,
    /// Its type hint.
    pub hint: TypeHint,
}

/// What a generated class is.
#[derive(Debug, Clone)]
#[doc(hidden)]
pub enum ClassDef {
    /// A `@dataclass` with these fields.
    Dataclass(Vec<FieldDef>),
    /// An `enum.Enum` with these `(member name, value as a Python literal)` pairs.
    Enum(Vec<(&'static str, String)>),
    /// A class that only holds nested classes (the variants of an enum).
    Namespace(&'static str),
}

/// Builds the Python source of the classes of derived types.
///
/// ```
/// use pickle_core::{Pickle, PyModuleBuilder};
///
/// #[derive(Pickle)]
/// #[pickle(module = "shapes")]
/// struct Point {
///     x: f64,
///     label: Option<String>,
/// }
///
/// let source = PyModuleBuilder::new().add::<Point>().render()?;
/// assert!(source.contains("@dataclasses.dataclass\nclass Point:\n    x: float\n    label: str | None\n"));
/// # Ok::<(), pickle_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct PyModuleBuilder {
    /// module -> qualname -> definition (None while being described).
    modules: BTreeMap<String, Vec<(String, Option<ClassDef>)>>,
    /// Whether modules get the `load` function.
    load_helper: bool,
}

impl PyModuleBuilder {
    /// An empty builder.
    pub fn new() -> PyModuleBuilder {
        PyModuleBuilder::default()
    }

    /// Adds the classes of `T` and of every derived type its fields use.
    pub fn add<T: PyType + ?Sized>(mut self) -> PyModuleBuilder {
        T::py_type(&mut self);
        self
    }

    /// Registers the class `module.qualname`, described by `describe` unless it
    /// is registered already (which also ends recursion for recursive types).
    #[doc(hidden)]
    pub fn register(&mut self, module: &str, qualname: &str, describe: impl FnOnce(&mut Self) -> ClassDef) {
        let classes = self.modules.entry(module.to_owned()).or_default();
        if classes.iter().any(|(q, _)| q == qualname) {
            return;
        }
        classes.push((qualname.to_owned(), None));
        let def = describe(self);
        if let Some(slot) = self.modules.get_mut(module).and_then(|c| c.iter_mut().find(|(q, _)| q == qualname)) {
            slot.1 = Some(def);
        }
    }

    /// The names of the modules the classes live in.
    pub fn module_names(&self) -> Vec<&str> {
        self.modules.keys().map(String::as_str).collect()
    }

    /// The source of the one module all classes live in. Fails if they live in
    /// several modules (use [`render_module`](Self::render_module) or
    /// [`write_package`](Self::write_package)) or a name is not valid Python.
    pub fn render(&self) -> Result<String> {
        match self.modules.keys().collect::<Vec<_>>().as_slice() {
            [one] => self.render_module(one),
            [] => Err(Error::custom("no classes were added to the Python module")),
            many => Err(Error::custom(format!(
                "the classes live in {} modules ({}); use render_module or write_package",
                many.len(),
                many.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// The source of one module.
    pub fn render_module(&self, module: &str) -> Result<String> {
        let classes =
            self.modules.get(module).ok_or_else(|| Error::custom(format!("no classes in module {module}")))?;
        let mut tree = ClassTree::default();
        for (qualname, def) in classes {
            tree.insert(qualname, def.as_ref());
        }
        let mut imports = BTreeSet::new();
        let mut body = String::new();
        for (name, node) in &tree.children {
            body.push_str("\n\n");
            render_class(&mut body, module, name, node, 0, &mut imports)?;
        }
        let mut out = String::from(
            "\"\"\"Classes of Rust types pickled by pickle-rs (generated: do not edit).\"\"\"\n\n\
             from __future__ import annotations\n\nimport dataclasses\nimport enum\nimport typing\n",
        );
        for m in imports.iter().filter(|m| m.as_str() != module) {
            let _ = writeln!(out, "import {m}");
        }
        out.push_str(&body);
        if self.load_helper {
            out.push_str(LOAD_HELPER);
        }
        Ok(out)
    }

    /// Adds a `load(path, writable=False)` function to every module: it
    /// loads a pickle-persist checkpoint with its NumPy arrays mapped from
    /// the file instead of read (for checkpoints saved with aligned arrays,
    /// see [`EncodeOptions::align_arrays`](crate::EncodeOptions::align_arrays)),
    /// and any other pickle as `pickle.load` would.
    pub fn with_load_helper(mut self) -> PyModuleBuilder {
        self.load_helper = true;
        self
    }

    /// Writes every module under `dir` as a package tree mirroring the module
    /// paths: `app.models` becomes `dir/app/models.py` (and `dir/app/__init__.py`),
    /// a module that is also a package becomes its `__init__.py`. Returns the
    /// paths written.
    pub fn write_package(&self, dir: impl AsRef<Path>) -> Result<Vec<std::path::PathBuf>> {
        let dir = dir.as_ref();
        let mut written = Vec::new();
        let mut packages = BTreeSet::new();
        for module in self.modules.keys() {
            let parts: Vec<&str> = module.split('.').collect();
            for i in 1..parts.len() {
                packages.insert(parts[..i].join("."));
            }
        }
        let path_of = |module: &str, is_package: bool| {
            let mut p = dir.to_path_buf();
            let parts: Vec<&str> = module.split('.').collect();
            if is_package {
                p.extend(&parts);
                p.push("__init__.py");
            } else {
                let (last, rest) = parts.split_last().unwrap_or((&"", &[]));
                p.extend(rest);
                p.push(format!("{last}.py"));
            }
            p
        };
        for module in self.modules.keys() {
            let path = path_of(module, packages.contains(module));
            write_file(&path, &self.render_module(module)?)?;
            written.push(path);
        }
        for package in packages.iter().filter(|p| !self.modules.contains_key(*p)) {
            let path = path_of(package, true);
            write_file(&path, "")?;
            written.push(path);
        }
        Ok(written)
    }
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text).map_err(Error::from)
}

#[derive(Default)]
struct ClassTree<'d> {
    def: Option<&'d ClassDef>,
    children: Vec<(String, ClassTree<'d>)>,
}

impl<'d> ClassTree<'d> {
    fn insert(&mut self, qualname: &str, def: Option<&'d ClassDef>) {
        let mut node = self;
        for part in qualname.split('.') {
            let i = match node.children.iter().position(|(n, _)| n == part) {
                Some(i) => i,
                None => {
                    node.children.push((part.to_owned(), ClassTree::default()));
                    node.children.len() - 1
                }
            };
            node = &mut node.children[i].1;
        }
        node.def = def;
    }
}

/// The `load` function [`PyModuleBuilder::with_load_helper`] adds.
const LOAD_HELPER: &str = include_str!("load_helper.py");

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
        && !KEYWORDS.contains(&s)
}

fn render_class(
    out: &mut String,
    module: &str,
    name: &str,
    node: &ClassTree<'_>,
    depth: usize,
    imports: &mut BTreeSet<String>,
) -> Result<()> {
    if !is_identifier(name) {
        return Err(Error::custom(format!("{module}: `{name}` is not a valid Python class name")));
    }
    let pad = "    ".repeat(depth);
    let mut lines = Vec::new();
    match node.def {
        Some(ClassDef::Dataclass(fields)) => {
            let _ = writeln!(out, "{pad}@dataclasses.dataclass\n{pad}class {name}:");
            for f in fields {
                if !is_identifier(f.name) {
                    return Err(Error::custom(format!(
                        "{module}.{name}: field `{}` is not a valid Python attribute name; rename it",
                        f.name
                    )));
                }
                lines.push(format!("{}: {}", f.name, hint_text(&f.hint.0, module, imports)));
            }
        }
        Some(ClassDef::Enum(members)) => {
            let _ = writeln!(out, "{pad}class {name}(enum.Enum):");
            for (member, value) in members {
                let member =
                    if is_identifier(member) { Cow::Borrowed(*member) } else { Cow::Owned(format!("{member}_")) };
                lines.push(format!("{member} = {value}"));
            }
        }
        Some(ClassDef::Namespace(rust_name)) => {
            let _ = writeln!(out, "{pad}class {name}:");
            lines.push(format!("\"\"\"The variants of the Rust enum `{rust_name}`.\"\"\""));
        }
        None => {
            let _ = writeln!(out, "{pad}class {name}:");
        }
    }
    if lines.is_empty() && node.children.is_empty() {
        lines.push("pass".to_owned());
    }
    for line in lines {
        let _ = writeln!(out, "{pad}    {line}");
    }
    for (child, sub) in &node.children {
        out.push('\n');
        render_class(out, module, child, sub, depth + 1, imports)?;
    }
    Ok(())
}

fn hint_text(hint: &Hint, module: &str, imports: &mut BTreeSet<String>) -> String {
    match hint {
        Hint::Builtin(name) => (*name).to_owned(),
        Hint::Any => "typing.Any".to_owned(),
        Hint::Class { module: m, qualname } if m == module => qualname.clone(),
        Hint::Class { module: m, qualname } => {
            imports.insert(m.clone());
            format!("{m}.{qualname}")
        }
        Hint::Generic(name, args) => {
            let args: Vec<String> = args.iter().map(|a| hint_text(a, module, imports)).collect();
            format!("{name}[{}]", args.join(", "))
        }
        Hint::Union(members) => {
            let members: Vec<String> = members.iter().map(|a| hint_text(a, module, imports)).collect();
            members.join(" | ")
        }
    }
}
