"""Python side of the derive interop tests (pickle-core/tests/derive_*.rs).

The Rust test sends pickles as hex lines on stdin. `classes(spec, kind)` defines
the classes the Rust types map to, in one of several styles, under the module
and qualified names Rust uses; `describe` turns a loaded object into canonical
JSON that the Rust test pins exactly; `dump_all` writes objects back with every
class style at every protocol the style supports.
"""

import dataclasses
import enum
import json
import pickle
import sys
import types

ENUMS = {}
KINDS = ("plain", "dataclass", "slots_dataclass", "setstate", "slots")
# The styles the default `(None, {attributes})` state loads into. A class
# whose own __setstate__ expects a dict gets that tuple; Rust types for such
# classes use #[pickle(dict_state)] (tested separately).
LOAD_KINDS = ("plain", "dataclass", "slots_dataclass", "slots")


def module(name):
    """The module `name`, created empty (with its parent packages) if missing."""
    if name in sys.modules:
        return sys.modules[name]
    parent, _, last = name.rpartition(".")
    mod = types.ModuleType(name)
    sys.modules[name] = mod
    if parent:
        setattr(module(parent), last, mod)
    return mod


def install(cls, mod, qualname):
    owner = module(mod)
    *outer, last = qualname.split(".")
    for part in outer:
        if not hasattr(owner, part):
            setattr(owner, part, type(part, (), {"__module__": mod}))
        owner = getattr(owner, part)
    cls.__module__ = mod
    cls.__qualname__ = qualname
    cls.__name__ = last
    setattr(owner, last, cls)
    return cls


def make_class(mod, qualname, fields, kind):
    name = qualname.rpartition(".")[2]
    if kind == "plain":
        cls = type(name, (), {})
    elif kind == "dataclass":
        cls = dataclasses.make_dataclass(name, fields)
    elif kind == "slots_dataclass":
        cls = dataclasses.make_dataclass(name, fields, slots=True)
    elif kind == "slots":
        cls = type(name, (), {"__slots__": tuple(fields)})
    elif kind == "setstate":
        def getstate(self):
            return {f: getattr(self, f) for f in fields}

        def setstate(self, state):
            for k, v in state.items():
                setattr(self, k, v)

        cls = type(name, (), {"__getstate__": getstate, "__setstate__": setstate})
    else:
        raise ValueError(kind)
    return install(cls, mod, qualname)


def classes(spec, kind="plain"):
    """Defines every class of `spec`: {"mod.Qual": [fields]} for instances,
    {"mod.Qual": {"enum": [[name, value], ...]}} for enum.Enum classes, where
    "mod.Qual" is "module:Qual.Name" when the module holds dots."""
    out = {}
    for key, fields in spec.items():
        mod, _, qualname = key.partition(":")
        if isinstance(fields, dict):
            if key in ENUMS:  # members loaded earlier must stay members of the class
                out[key] = ENUMS[key]
                continue
            cls = enum.Enum(qualname.rpartition(".")[2], [tuple(m) for m in fields["enum"]], module=mod)
            out[key] = ENUMS[key] = install(cls, mod, qualname)
        else:
            out[key] = make_class(mod, qualname, fields, kind)
    return out


def fields_of(obj):
    if hasattr(obj, "__dict__"):
        return dict(vars(obj))
    return {s: getattr(obj, s) for s in type(obj).__slots__ if hasattr(obj, s)}


def describe(obj):
    if isinstance(obj, enum.Enum):
        t = type(obj)
        return {"enum": f"{t.__module__}.{t.__qualname__}", "name": obj.name, "value": describe(obj.value)}
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return {"float": repr(obj)}
    if isinstance(obj, bytes):
        return {"bytes": obj.hex()}
    if isinstance(obj, list):
        return [describe(x) for x in obj]
    if isinstance(obj, tuple):
        return {"tuple": [describe(x) for x in obj]}
    if isinstance(obj, dict):
        return {"dict": [[describe(k), describe(v)] for k, v in obj.items()]}
    t = type(obj)
    return {"class": f"{t.__module__}.{t.__qualname__}", **{k: describe(v) for k, v in sorted(fields_of(obj).items())}}


def convert(obj, spec, kind, done=None):
    """`obj` rebuilt with the classes of `kind` (the classes must be defined)."""
    done = {} if done is None else done
    if id(obj) in done:
        return done[id(obj)]
    if isinstance(obj, list):
        return [convert(x, spec, kind, done) for x in obj]
    if isinstance(obj, tuple):
        return tuple(convert(x, spec, kind, done) for x in obj)
    if isinstance(obj, dict):
        return {convert(k, spec, kind, done): convert(v, spec, kind, done) for k, v in obj.items()}
    if isinstance(obj, enum.Enum) or not hasattr(obj, "__dict__") and not hasattr(type(obj), "__slots__"):
        return obj
    t = type(obj)
    cls = t
    owner = sys.modules[t.__module__]
    for part in t.__qualname__.split("."):
        owner = getattr(owner, part)
    cls = owner
    new = object.__new__(cls)
    done[id(obj)] = new
    for k, v in fields_of(obj).items():
        object.__setattr__(new, k, convert(v, spec, kind, done))
    return new


def read_pickles():
    return [bytes.fromhex(line) for line in sys.stdin.read().split()]


def dump_all(make, spec, kinds=KINDS):
    """For each kind: defines its classes, builds `make()` (plain objects
    converted), and prints `kind protocol hex` for every protocol it supports."""
    for kind in kinds:
        classes(spec, "plain")
        obj = make()
        classes(spec, kind)
        obj = convert(obj, spec, kind)
        low = 2 if kind in ("slots", "slots_dataclass") else 0
        for proto in range(low, 6):
            print(kind, proto, pickle.dumps(obj, proto).hex())


def emit(value):
    print(json.dumps(value, sort_keys=True))
