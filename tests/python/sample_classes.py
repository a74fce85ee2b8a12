"""Classes the golden and round-trip pickles refer to.

Both the generator scripts and `pickle.load` in the checks import this module
by name (`tests/python` is on PYTHONPATH), so a pickle naming
`sample_classes.Point` loads into a real `Point`.
"""

import collections
import dataclasses
import enum


class Plain:
    """An ordinary class: its instance state is its __dict__."""

    def __init__(self, x=None, y=None):
        self.x = x
        self.y = y


class Empty:
    """An instance with an empty __dict__: CPython writes no BUILD."""


@dataclasses.dataclass
class Point:
    x: int
    y: int


@dataclasses.dataclass(frozen=True)
class FrozenPoint:
    x: int
    y: int


@dataclasses.dataclass(slots=True)
class SlotsPoint:
    x: int
    y: int


@dataclasses.dataclass(frozen=True, slots=True)
class FrozenSlotsPoint:
    x: int
    y: int


class Slots:
    """Plain __slots__: pickled with (None, {slots}) state at protocol 2+."""

    __slots__ = ("a", "b")

    def __init__(self, a=None, b=None):
        self.a = a
        self.b = b

    def __eq__(self, other):
        return type(self) is type(other) and (self.a, self.b) == (other.a, other.b)


class SlotsAndDict:
    """__slots__ plus a __dict__: state ({dict}, {slots})."""

    __slots__ = ("s", "__dict__")

    def __init__(self, s=None, d=None):
        self.s = s
        self.d = d


class StateDict:
    """__getstate__/__setstate__ with a dict state."""

    def __init__(self, v=None):
        self.v = v

    def __getstate__(self):
        return {"vv": self.v}

    def __setstate__(self, state):
        self.v = state["vv"]


class StateTuple:
    """__getstate__/__setstate__ with a tuple state."""

    def __init__(self, v=None, extra=None):
        self.v = v
        self.extra = extra

    def __getstate__(self):
        return (self.v, self.extra)

    def __setstate__(self, state):
        self.v, self.extra = state


class StateEmpty:
    """__getstate__ returning {}: no BUILD below protocol 2, EMPTY_DICT BUILD above."""

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        pass


class Reduced:
    """__reduce__ returning (class, args)."""

    def __init__(self, a, b):
        self.a = a
        self.b = b

    def __reduce__(self):
        return (Reduced, (self.a, self.b))


class ReducedState:
    """__reduce__ returning (class, args, state)."""

    def __init__(self, a, note=None):
        self.a = a
        self.note = note

    def __reduce__(self):
        return (ReducedState, (self.a,), {"note": self.note})


class NewArgs:
    """__getnewargs__: NEWOBJ with arguments at protocol 2+."""

    def __new__(cls, a=None, b=None):
        self = object.__new__(cls)
        self.a = a
        self.b = b
        return self

    def __getnewargs__(self):
        return (self.a, self.b)


class NeedsArgs:
    """__new__ needs its argument: NEWOBJ with it at protocol 2+; protocols
    0 and 1 bypass __new__ through copyreg._reconstructor(cls, object, None),
    which a re-encoding at 2+ must keep (NEWOBJ would call __new__ bare)."""

    def __new__(cls, a):
        self = object.__new__(cls)
        self.a = a
        return self

    def __getnewargs__(self):
        return (self.a,)


class NewArgsEx:
    """__getnewargs_ex__: NEWOBJ_EX at protocol 4+, functools.partial at 2-3."""

    def __new__(cls, a=None, *, k=None):
        self = object.__new__(cls)
        self.a = a
        self.k = k
        return self

    def __getnewargs_ex__(self):
        return ((self.a,), {"k": self.k})


class MyList(list):
    """A list subclass with an attribute: items via APPENDS on the object."""


class MyDict(dict):
    """A dict subclass with an attribute: items via SETITEMS on the object."""


NT = collections.namedtuple("NT", ["a", "b"])


class Color(enum.Enum):
    RED = 1
    GREEN = "green"


class Outer:
    class Inner:
        def __init__(self, v=None):
            self.v = v


class Extended:
    """Registered with copyreg.add_extension by the scripts that use EXT codes."""

    def __init__(self, v=None):
        self.v = v


class Extended2(Extended):
    pass


class Extended4(Extended):
    pass


# (module, name, code) for copyreg.add_extension: one code per EXT1/EXT2/EXT4.
EXTENSIONS = (
    ("sample_classes", "Extended", 0xF0),
    ("sample_classes", "Extended2", 0x1234),
    ("sample_classes", "Extended4", 0x123456),
)


def register_extensions():
    """Registers EXTENSIONS with copyreg (idempotent)."""
    import copyreg

    for module, name, code in EXTENSIONS:
        if copyreg._extension_registry.get((module, name)) != code:
            copyreg.add_extension(module, name, code)


def unregister_extensions():
    import copyreg

    for module, name, code in EXTENSIONS:
        if copyreg._extension_registry.get((module, name)) == code:
            copyreg.remove_extension(module, name, code)
