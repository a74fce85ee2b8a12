"""Classes and objects the pickle-cli tests pickle. They live in a module of
their own (not __main__) so that pickles name `cli_fixtures.X` and load in any
process that has this directory on sys.path."""

import collections
import dataclasses
import datetime
import decimal
import enum


class Plain:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __eq__(self, other):
        return type(other) is Plain and self.__dict__ == other.__dict__


class Empty:
    def __eq__(self, other):
        return type(other) is Empty


class WithState:
    def __init__(self, v):
        self.v = v

    def __getstate__(self):
        return {"vv": self.v}

    def __setstate__(self, state):
        self.v = state["vv"]

    def __eq__(self, other):
        return type(other) is WithState and self.v == other.v


class Slots:
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b

    def __eq__(self, other):
        return type(other) is Slots and (self.a, self.b) == (other.a, other.b)


class Outer:
    class Inner:
        def __init__(self, n):
            self.n = n

        def __eq__(self, other):
            return type(other) is Outer.Inner and self.n == other.n


@dataclasses.dataclass
class Point:
    x: int
    y: float


@dataclasses.dataclass(frozen=True)
class Frozen:
    name: str
    tags: tuple


class Color(enum.Enum):
    RED = 1
    GREEN = "green"


NT = collections.namedtuple("NT", "a b")


class MyList(list):
    pass


class MyDict(dict):
    pass


class NewArgsEx:
    def __new__(cls, a, *, b):
        self = super().__new__(cls)
        self.a, self.b = a, b
        return self

    def __getnewargs_ex__(self):
        return (self.a,), {"b": self.b}

    def __eq__(self, other):
        return type(other) is NewArgsEx and (self.a, self.b) == (other.a, other.b)


def objects(protocol):
    """Named objects that pickle at `protocol`, for the corpus and recode tests."""
    shared = [1, "shared"]
    cyclic = [1]
    cyclic.append(cyclic)
    d = {}
    d["self"] = d
    out = {
        "none": None,
        "bools": [True, False],
        "ints": [0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, -(2**31), 2**31, 2**63, -(2**63) - 1, 2**64, 10**30, -(10**40)],
        "bigint": 2**2000 + 12345,
        "floats": [0.0, -0.0, 1.0, 0.1, 1e100, 1e-5, 1.5e-300, 123456789.125, float("inf"), float("-inf")],
        "str_escapes": ["", "a'b", 'a"b', "'\"", "\\", "\n\r\t\0\x1a\x7f", "tab\there"],
        "str_unicode": ["é", "\xa0\xad\xff", "日本語", "\U0001f600", "\u2028\ue000", "\ud800", "a\udfffb"],
        "bytes_small": [b"", b"\x00\xff'\"\\", bytes(range(256))],
        "bytes_big": bytes(range(256)) * 300,
        "str_big": "x\u00e9" * 40000,
        "bytearray": bytearray(b"ba\x00\xfe"),
        "tuples": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), (1, 2, 3, 4, 5)],
        "list_big": list(range(2500)),
        "dict_big": {str(i): i for i in range(1500)},
        "set": {1, 2, 3, "x"},
        "frozenset": frozenset([4, 5]),
        "set_big": set(range(1200)),
        "nested": [[[[[[]]]]], {"a": ({"b": [1]},)}],
        "shared": [shared, shared, (shared,)],
        "cyclic_list": cyclic,
        "cyclic_dict": d,
        "plain": Plain(1, "two"),
        "empty_obj": Empty(),
        "with_state": WithState(5),
        "inner": Outer.Inner(3),
        "dataclass": Point(1, 2.5),
        "frozen": Frozen("f", (1, 2)),
        "enum": [Color.RED, Color.GREEN],
        "namedtuple": NT(1, "b"),
        "mylist": MyList([1, 2]),
        "mydict": MyDict(k=1),
        "datetime": [datetime.datetime(2024, 2, 29, 12, 30, 1, 5), datetime.date(2020, 1, 1), datetime.timedelta(days=3)],
        "tz": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
        "decimal": decimal.Decimal("3.14"),
        "complex": complex(1.5, -2.0),
        "globals": [len, collections.OrderedDict, Point],
        "ordered": collections.OrderedDict(a=1),
    }
    if protocol >= 2:
        out["slots"] = Slots(1, [2])
        out["newargs_ex"] = NewArgsEx(1, b=2)
    return out
