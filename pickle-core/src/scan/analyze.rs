//! Reads one traced stream: every node the machine made (popped ones too)
//! and every event of the trace, classified against the scanner's policy.

use std::collections::HashMap;

use super::preview::{args_preview, global_name};
use super::{Finding, Import, MAX_NESTING, Scanner, Severity, Use};
use crate::de::Traced;
use crate::format::opcodes::{self as op, name as op_name};
use crate::options::{Danger, Roles, danger, nested_loader};
use crate::value::{Construct, Global, Item, Node, NodeId, Object, Value};

/// How the policy sees a global.
enum Class {
    Allowed(Roles),
    Unknown,
    Dangerous(Danger),
}

#[derive(Default)]
pub(super) struct Found {
    pub(super) findings: Vec<Finding>,
    pub(super) imports: Vec<Import>,
}

pub(super) struct Analysis<'s> {
    scanner: &'s Scanner,
    bytes: &'s [u8],
    stream: usize,
    depth: u8,
    found: Found,
}

impl<'s> Analysis<'s> {
    pub(super) fn new(scanner: &'s Scanner, bytes: &'s [u8], stream: usize, depth: u8) -> Self {
        Analysis { scanner, bytes, stream, depth, found: Found::default() }
    }

    pub(super) fn run(mut self, traced: &Traced<'_>) -> Found {
        let v = &traced.value;
        let renamed: HashMap<u64, String> =
            traced.trace.renamed.iter().map(|r| (r.at, format!("{}.{}", r.module, r.name))).collect();
        for index in 0..v.node_count() {
            let item = Item::Node(NodeId::from_index(index));
            let at = v.offset(item).unwrap_or(0);
            match v.get(item) {
                Some(Node::Global(g)) => self.import(g, at, renamed.get(&at).cloned()),
                Some(Node::Object(obj)) => self.call(v, obj, at),
                Some(Node::PersId(pid)) => self.persistent_id(v, *pid, at),
                Some(Node::Ext(code)) => self.push(Finding {
                    reason: format!(
                        "extension code {code}: the callable comes from copyreg's extension registry, \
                         which only the loading process knows"
                    ),
                    ..self.finding(at, Use::Extension, Severity::Dangerous, "PKL120")
                }),
                _ => {}
            }
        }
        for event in &traced.trace.events {
            self.event(v, event.at, event.code, event.target);
        }
        self.found
    }

    fn class(&self, g: &Global<'_>) -> Class {
        if let Some(roles) = self.scanner.policy.roles(&g.module, &g.name) {
            return Class::Allowed(roles);
        }
        danger(&g.module, &g.name).map_or(Class::Unknown, Class::Dangerous)
    }

    fn finding(&self, at: u64, used: Use, severity: Severity, rule: &'static str) -> Finding {
        let opcode = self.bytes.get(at as usize).and_then(|&b| op_name(b)).unwrap_or("?");
        Finding {
            offset: at,
            stream: self.stream,
            opcode,
            global: None,
            written_as: None,
            callee_offset: None,
            used,
            severity,
            rule,
            reason: String::new(),
        }
    }

    fn push(&mut self, f: Finding) {
        self.found.findings.push(f);
    }

    fn import(&mut self, g: &Global<'_>, at: u64, written_as: Option<String>) {
        let name = global_name(g);
        let class = self.class(g);
        self.found.imports.push(Import {
            offset: at,
            stream: self.stream,
            global: name.clone(),
            allowed: matches!(class, Class::Allowed(_)),
        });
        if g.is("builtins", "getattr") {
            // The machine turns getattr(global, 'name') into the global
            // `module.qualname.name`, judged as such; any other call of
            // getattr is judged where it is called.
            return;
        }
        let remapped =
            written_as.as_ref().map(|w| format!(" (written {w}, which Python 3 maps to it)")).unwrap_or_default();
        let (severity, rule, reason) = match class {
            Class::Allowed(_) => return,
            Class::Dangerous(d) => {
                let rule = if d.walk { "PKL112" } else { "PKL110" };
                (Severity::Dangerous, rule, format!("imports {name}{remapped}: {}", d.why))
            }
            Class::Unknown => (
                Severity::Unknown,
                "PKL111",
                format!("imports {name}{remapped}, which is not on the allowlist (its module's import runs code)"),
            ),
        };
        self.push(Finding { global: Some(name), written_as, reason, ..self.finding(at, Use::Import, severity, rule) });
    }

    /// A call site: REDUCE, NEWOBJ(_EX), INST, OBJ, or copyreg's helpers.
    fn call(&mut self, v: &Value<'_>, obj: &Object, at: u64) {
        let (used, role, verb) = match obj.construct {
            Construct::Call => (Use::Call, Roles::CALL, "calls"),
            Construct::New | Construct::NewEx | Construct::Reconstruct => (Use::New, Roles::NEW, "instantiates"),
        };
        let callee = obj.class;
        let callee_offset = v.offset(callee);
        let base = Finding { callee_offset, ..self.finding(at, used, Severity::Unknown, "PKL111") };
        match v.get(callee) {
            Some(Node::Global(g)) => {
                let name = global_name(g);
                if let Some(i) = nested_loader(&g.module, &g.name)
                    && let Some(&arg) = obj.args.get(i)
                {
                    self.nested(v, arg, &name, base.clone());
                }
                let shown = || format!("{name}{}", args_preview(v, &obj.args));
                match self.class(g) {
                    Class::Allowed(roles) if roles.has(role) => self.allowed_call(v, g, obj, base),
                    Class::Allowed(_) => self.push(Finding {
                        global: Some(name.clone()),
                        reason: format!("{verb} {}, which the allowlist allows only as a value", shown()),
                        ..base
                    }),
                    Class::Dangerous(d) => self.push(Finding {
                        global: Some(name.clone()),
                        severity: Severity::Dangerous,
                        rule: "PKL100",
                        reason: format!("{verb} {}: {}", shown(), d.why),
                        ..base
                    }),
                    Class::Unknown => self.push(Finding {
                        global: Some(name.clone()),
                        reason: format!("{verb} {}, which is not on the allowlist", shown()),
                        ..base
                    }),
                }
            }
            Some(node) => {
                let what = match node {
                    Node::Object(_) => "the result of another call (a callable computed at load time)",
                    Node::PersId(_) => "an object the loader's persistent_load returned",
                    Node::Ext(_) => "a callable from copyreg's extension registry",
                    _ => "a value computed at load time",
                };
                self.push(Finding {
                    severity: Severity::Dangerous,
                    rule: "PKL101",
                    reason: format!("{verb} {what}"),
                    ..base
                });
            }
            None => {}
        }
    }

    /// An allowed callee: check the callables it calls in turn.
    fn allowed_call(&mut self, v: &Value<'_>, g: &Global<'_>, obj: &Object, base: Finding) {
        match (g.module.as_ref(), g.name.as_ref(), obj.args.as_slice()) {
            // Not turned into a plain instance by the machine: the base is
            // not object, list or dict, and base.__init__(obj, state) runs.
            ("copyreg", "_reconstructor", [_, b, _]) => {
                let ok = v
                    .as_global(*b)
                    .is_some_and(|b| b.module == "builtins" && matches!(self.class(b), Class::Allowed(_)));
                if !ok {
                    self.trampoline(v, *b, "copyreg._reconstructor calls base.__init__ with the pickle's state", base);
                }
            }
            ("collections", "defaultdict", [factory, ..]) if *factory != Item::None => {
                let ok = v
                    .as_global(*factory)
                    .is_some_and(|f| matches!(self.class(f), Class::Allowed(r) if r.has(Roles::CALL)));
                if !ok {
                    self.trampoline(v, *factory, "a defaultdict calls its default_factory on a missing key", base);
                }
            }
            _ => {}
        }
    }

    /// A callable an allowed function calls: as bad as the callable.
    fn trampoline(&mut self, v: &Value<'_>, callable: Item, how: &str, base: Finding) {
        let (severity, what) = match v.get(callable) {
            Some(Node::Global(g)) => match self.class(g) {
                Class::Allowed(_) | Class::Unknown => (Severity::Unknown, global_name(g)),
                Class::Dangerous(_) => (Severity::Dangerous, global_name(g)),
            },
            _ => (Severity::Dangerous, format!("a {} computed at load time", v.type_name(callable))),
        };
        self.push(Finding {
            severity,
            rule: "PKL102",
            global: v.as_global(callable).map(global_name),
            reason: format!("{how}: {what}"),
            ..base
        });
    }

    /// Constant bytes handed to a loader: scanned as a pickle of their own.
    fn nested(&mut self, v: &Value<'_>, arg: Item, loader: &str, base: Finding) {
        let bytes: Vec<u8> = match v.get(arg) {
            Some(Node::Bytes(b)) => b.to_vec(),
            Some(Node::ByteArray(b)) => b.clone(),
            Some(Node::Str(s)) => s.chars().filter_map(|c| u8::try_from(u32::from(c)).ok()).collect(),
            _ => {
                return self.push(Finding {
                    severity: Severity::Dangerous,
                    rule: "PKL140",
                    reason: format!("{loader} unpickles data computed at load time, which the scan cannot see"),
                    ..base
                });
            }
        };
        if self.depth + 1 >= MAX_NESTING {
            return self.push(Finding {
                severity: Severity::Dangerous,
                rule: "PKL140",
                reason: format!("{loader} unpickles a pickle nested more than {MAX_NESTING} deep"),
                ..base
            });
        }
        let inner = self.scanner.scan_nested(&bytes, 1, self.depth + 1);
        for f in inner.findings {
            self.push(Finding {
                severity: f.severity,
                rule: f.rule,
                global: f.global.clone(),
                reason: format!("in the pickle {loader} loads, at its byte {}: {}", f.offset, f.reason),
                ..base.clone()
            });
        }
        if let Some(e) = inner.error {
            self.push(Finding {
                rule: "PKL140",
                reason: format!("{loader} loads a pickle the scan could not read: {e}"),
                ..base
            });
        }
    }

    /// A persistent id: only PyTorch's `('storage', StorageType, ...)`
    /// form is known.
    fn persistent_id(&mut self, v: &Value<'_>, pid: Item, at: u64) {
        let torch = v.as_tuple(pid).is_some_and(|t| match t {
            [tag, kind, ..] => {
                v.as_str(*tag) == Some("storage")
                    && v.as_global(*kind).is_some_and(|g| matches!(self.class(g), Class::Allowed(_)))
            }
            _ => false,
        });
        if !torch {
            self.push(Finding {
                reason: "a persistent id: what it loads is up to the loader's persistent_load".into(),
                ..self.finding(at, Use::PersistentId, Severity::Unknown, "PKL150")
            });
        }
    }

    /// BUILD, or items added to something that is not a list, dict or set.
    fn event(&mut self, v: &Value<'_>, at: u64, code: u8, target: Item) {
        let (used, verb) = match code {
            op::BUILD => (Use::Build, "sets the state of"),
            op::ADDITEMS => (Use::Items, "adds set items to"),
            _ => (Use::Items, "adds items to"),
        };
        let base = self.finding(at, used, Severity::Unknown, "PKL131");
        match v.get(target) {
            Some(Node::Object(obj)) => {
                let Some(g) = v.as_global(obj.class) else { return };
                if let Class::Allowed(roles) = self.class(g)
                    && !roles.has(Roles::BUILD)
                {
                    self.push(Finding {
                        global: Some(global_name(g)),
                        reason: format!("{verb} what {} made, which the allowlist does not allow", global_name(g)),
                        ..base
                    });
                }
            }
            Some(Node::Global(g)) => self.push(Finding {
                global: Some(global_name(g)),
                severity: Severity::Dangerous,
                rule: "PKL130",
                reason: format!("{verb} {} itself: changes a class, function or module", global_name(g)),
                ..base
            }),
            Some(Node::PersId(_)) => {
                self.push(Finding { reason: format!("{verb} an object the loader's persistent_load returned"), ..base })
            }
            _ => {}
        }
    }
}
