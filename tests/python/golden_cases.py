"""The objects the golden files and the round-trip test pickle.

`CASES` maps a case name to (build, unpicklable): `build()` returns a fresh
object each call, and `unpicklable` maps the protocols CPython cannot write
the object at to the exception type it raises there (make_golden.py checks
that it does, and records the protocol as skipped in the manifest).
"""

import collections
import datetime
import decimal
import functools
import math
import pickle

import sample_classes as sc

INT_EDGES = [
    0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, -(2**31), 2**31, -(2**31) - 1,
    2**53 - 1, 2**53, 2**53 + 1, -(2**53), -(2**53) - 1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64,
]


def _floats():
    return [0.0, -0.0, 1.0, -1.5, 0.1, 1e100, 1e-05, 1e16, 1.5e300, 5e-324, 123456789.123,
            math.nan, math.inf, -math.inf, 2.0**53, 1e22]


def _strs():
    return ["", "a", "hello", 'quote" back\\slash', "\n\r\t\b\f\x00\x1a\x7f\x1f", "caf\xe9 \xff",
            "\u65e5\u672c\u8a9e", "astral \U0001F600 \U0010FFFF", "\ud800", "a\udfffb\udbff",
            "\\u0041 not an escape", "L'apostrophe\n"]


def _tuples():
    return [(), (1,), (1, "b"), (1, "b", 3.0), (1, 2, 3, 4), (1, 2, 3, 4, (5,))]


def _shared():
    s = "shared string"
    lst = [1, 2]
    b = b"shared bytes"
    t = (lst, s)
    return [s, s, lst, lst, b, b, t, t, {"k": lst}]


def _list_self():
    lst = [1]
    lst.append(lst)
    return lst


def _tuple_cycle():
    lst = []
    t = (lst, "x")
    lst.append(t)
    return t


def _tuple_cycle_in_list():
    lst = ["head"]
    t = (1, 2, lst)
    lst.append(t)
    return [t, lst]


def _dict_self():
    d = {"name": "d"}
    d["self"] = d
    return d


def _dict_mutual():
    a = {}
    b = {"a": a}
    a["b"] = b
    return [a, b]


def _object_cycle():
    p = sc.Plain(1)
    p.y = p
    q = sc.Plain(p, [p])
    return [p, q, q]


def _set_cycle_through_object():
    p = sc.Plain("in a set")
    p.y = frozenset([p])
    return p


def _deep_list():
    root = []
    cur = root
    for _ in range(3000):
        nxt = []
        cur.append(nxt)
        cur = nxt
    cur.append("bottom")
    return root


def _deep_dict_tuple():
    cur = "leaf"
    for i in range(1500):
        cur = {"k": (i, cur)} if i % 2 else (cur,)
    return cur


def _dict_keys():
    return {1: "int", (1, 2): "tuple", None: "none", 2.5: "float", b"k": "bytes", frozenset([3]): "fs",
            "s": "str", 2**70: "big", (): "empty tuple"}


def _instances():
    return [sc.Plain(1, "two"), sc.Empty(), sc.Point(1, 2), sc.Point(3, 4), sc.FrozenPoint(5, 6)]


def _globals():
    return [int, str, bytes, range, ValueError, functools.reduce,
            collections.UserDict, collections.OrderedDict, len, sc.Plain, sc.Outer.Inner, sc.Color, object, type]


def _my_list():
    m = sc.MyList([1, "two", [3]])
    m.attr = "list attr"
    return m


def _my_dict():
    m = sc.MyDict(a=1, b=[2])
    m.attr = "dict attr"
    return [m, sc.MyDict()]


def _datetimes():
    tz = datetime.timezone(datetime.timedelta(hours=2), "CEST")
    return [
        datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
        datetime.date(1999, 12, 31),
        datetime.time(23, 59, 58, 999999),
        datetime.timedelta(days=1, seconds=2, microseconds=3),
        datetime.timedelta(days=-5),
        datetime.datetime(2024, 6, 7, 8, 9, 10, tzinfo=tz),
        datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc),
        datetime.datetime(2010, 10, 10, 10, 10, 10, 101010, fold=1),
    ]


def _in_band_buffers():
    return [pickle.PickleBuffer(b"readonly"), pickle.PickleBuffer(bytearray(b"writable")), b"plain"]


CASES = {
    "none": (lambda: None, {}),
    "bools": (lambda: [True, False, True], {}),
    "int_root": (lambda: 42, {}),
    "int_edges": (lambda: list(INT_EDGES), {}),
    "int_huge": (lambda: [2**1000, -(2**1000), 10**300 + 7], {}),
    "floats": (_floats, {}),
    "float_root_nan": (lambda: math.nan, {}),
    "complex": (lambda: [1.5 - 2j, complex(math.nan, math.inf), 0j, complex(-0.0, 0.0), complex(1e300, -1e-300)], {}),
    "strs": (_strs, {}),
    "str_root": (lambda: "root string \u2603", {}),
    "str_long": (lambda: "long " + "x" * 65600 + " \u00e9\u2603\U0001F600", {}),
    "bytes": (lambda: [b"", b"\x00\xff", b"abc", bytes(range(256)), b"\n\\"], {}),
    "bytes_big": (lambda: bytes(i * 7 % 256 for i in range(65600)), {}),
    "bytearray": (lambda: [bytearray(), bytearray(b"ab\x00\xff"), bytearray(range(256))], {}),
    "bytearray_big": (lambda: bytearray(i % 251 for i in range(65600)), {}),
    "lists": (lambda: [[], [1], [1, [2, [3, []]]], ["a", ["b"]]], {}),
    "list_batches": (lambda: list(range(2500)), {}),
    "tuples": (_tuples, {}),
    "tuple_root": (lambda: (1, "x"), {}),
    "empty_tuple_root": (lambda: (), {}),
    "dicts": (lambda: [{}, {"a": 1, "b": [2]}, {"$id": 1, "x": 2}, {"": None}], {}),
    "dict_keys": (_dict_keys, {}),
    "dict_big": (lambda: {f"k{i}": i for i in range(1500)}, {}),
    "dict_big_int_keys": (lambda: {i: -i for i in range(1200)}, {}),
    "sets": (lambda: [set(), {1, 2, 3}, frozenset(), frozenset({4, 5}), {"x", "y", "zz"}, frozenset({"p", "q"})], {}),
    "set_big": (lambda: set(range(2500)), {}),
    "frozenset_big": (lambda: frozenset(range(1100)), {}),
    "empty_containers": (lambda: [[], (), {}, set(), frozenset(), "", b"", bytearray()], {}),
    "shared": (_shared, {}),
    "list_self": (_list_self, {}),
    "tuple_cycle": (_tuple_cycle, {}),
    "tuple_cycle_in_list": (_tuple_cycle_in_list, {}),
    "dict_self": (_dict_self, {}),
    "dict_mutual": (_dict_mutual, {}),
    "object_cycle": (_object_cycle, {}),
    "set_cycle_through_object": (_set_cycle_through_object, {}),
    "deep_list": (_deep_list, {}),
    "deep_dict_tuple": (_deep_dict_tuple, {}),
    "instances": (_instances, {}),
    "slots_dataclass": (lambda: [sc.SlotsPoint(1, 2), sc.FrozenSlotsPoint(3, 4)], {0: TypeError, 1: TypeError}),
    "slots": (lambda: sc.Slots(1, "b"), {0: TypeError, 1: TypeError}),
    "slots_and_dict": (lambda: sc.SlotsAndDict(1, 2), {0: TypeError, 1: TypeError}),
    "state_dict": (lambda: sc.StateDict(5), {}),
    "state_tuple": (lambda: sc.StateTuple(7, "extra value"), {}),
    "state_empty": (lambda: sc.StateEmpty(), {}),
    "reduce": (lambda: [sc.Reduced(1, [2]), sc.ReducedState(3, "n")], {}),
    "getnewargs": (lambda: sc.NewArgs(1, "b"), {}),
    "needs_args": (lambda: sc.NeedsArgs(7), {}),
    "getnewargs_ex": (lambda: sc.NewArgsEx(1, k="kw"), {}),
    "list_subclass": (_my_list, {}),
    "dict_subclass": (_my_dict, {}),
    "namedtuple": (lambda: [sc.NT(1, "b"), sc.NT(a=[], b=())], {}),
    "enum": (lambda: [sc.Color.RED, sc.Color.GREEN, sc.Color.RED], {}),
    "datetimes": (_datetimes, {}),
    "decimal": (lambda: [decimal.Decimal("3.14"), decimal.Decimal("-Infinity"), decimal.Decimal("1E+1000")], {}),
    "ordered_dict": (lambda: collections.OrderedDict([("b", 1), ("a", [2])]), {}),
    "nested_class": (lambda: [sc.Outer.Inner(1), sc.Outer.Inner], {}),
    "globals": (_globals, {}),
    # Below protocol 3 CPython writes these as exceptions.ImportError and OSError (lossy).
    "globals_lossy": (lambda: [ModuleNotFoundError, ImportError, FileNotFoundError], {}),
    "exception": (lambda: [ValueError("boom"), KeyError("k")], {}),
    "in_band_buffers": (_in_band_buffers, {p: pickle.PicklingError for p in range(5)}),
}
