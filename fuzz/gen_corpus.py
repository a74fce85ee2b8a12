"""Writes the seed corpus of the `decode` fuzz target: pickles CPython writes
for a few dozen objects at every protocol 0-5, plus the old pickletester data.

Usage: python3 fuzz/gen_corpus.py fuzz/corpus/decode
"""

import collections
import datetime
import decimal
import enum
import hashlib
import pathlib
import pickle
import sys
from dataclasses import dataclass


@dataclass
class Point:
    x: int
    y: object


class Slots:
    __slots__ = ("a", "b")

    def __init__(self):
        self.a = 1
        self.b = "two"


class State:
    def __init__(self):
        self.vv = 5

    def __getstate__(self):
        return ("t", self.vv)

    def __setstate__(self, state):
        self.vv = state[1]


class Color(enum.Enum):
    RED = 1


class MyList(list):
    pass


class MyDict(dict):
    pass


class Ex:
    def __getnewargs_ex__(self):
        return (1,), {"k": 2}


NT = collections.namedtuple("NT", "a b")


def objects():
    shared = [1, 2]
    cyclic = [1]
    cyclic.append(cyclic)
    d = {}
    d["self"] = d
    t_cycle = []
    tup = (t_cycle, 1)
    t_cycle.append(tup)
    ml = MyList([1, 2])
    ml.attr = 3
    md = MyDict(a=1)
    return [
        None, True, False, 0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, -2**31, 2**31, 2**63, -2**63 - 1,
        2**1000, -(2**1000), 0.0, -0.0, 1.5, 1e100, float("nan"), float("inf"), float("-inf"),
        "", "a", "é", "\u20ac", "\U0001f600", "\ud800", "a\nb\\c\x00\x1a", "x" * 300,
        b"", b"\x00\xff", b"y" * 300, bytearray(b"ab"), bytearray(),
        (), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), [], [1, "a", None], list(range(1100)),
        {}, {"a": 1, 2: [3]}, {i: i for i in range(1100)}, set(), {1, 2, 3}, frozenset(), frozenset({"a"}),
        [shared, shared], cyclic, d, tup, complex(1.5, -2.0),
        Point(1, [2]), Slots(), State(), Color.RED, NT(1, "b"), ml, md, Ex(),
        datetime.datetime(2024, 1, 2, 3, 4, 5, 6), datetime.date(2020, 2, 29),
        datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc), decimal.Decimal("3.14"),
        collections.OrderedDict(a=1), collections.Counter("abca"), range(3), slice(1, 2),
    ] + vocabulary()


def vocabulary():
    """The types pickle-core maps (datetime, decimal, uuid, pathlib,
    collections, numpy when installed), for the typed decodes."""
    import uuid

    out = [
        datetime.time(12, 30, 1, 5, fold=1), datetime.timedelta(days=-1, seconds=5),
        datetime.timezone(datetime.timedelta(hours=-3), "BRT"), decimal.Decimal("-sNaN12"),
        decimal.Decimal("1.23E+999"), uuid.UUID(int=2**100, is_safe=uuid.SafeUUID.safe),
        pathlib.PurePosixPath("/a/b"), collections.deque([1, 2], maxlen=4),
        collections.defaultdict(list, {"a": [1]}),
    ]
    try:
        import zoneinfo

        out.append(datetime.datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")))
    except ImportError:
        pass
    try:
        import numpy as np

        out += [
            np.arange(6.0).reshape(2, 3), np.asfortranarray(np.arange(6).reshape(2, 3)), np.float64(1.5),
            np.array(["a", "bc"]), np.array([b"x"]), np.array(["2024-01-01"], dtype="M8[ns]"),
            np.array([1 + 2j], dtype="c8"), np.array([True, False]), np.float16(0.5),
        ]
    except ImportError:
        pass
    try:
        import pandas as pd

        out += [
            pd.DataFrame({"i": [1, 2], "s": ["a", None], "t": pd.to_datetime(["2024-01-01", None]).tz_localize("UTC")}),
            pd.DataFrame({"c": pd.Categorical(["a", "b"]), "n": pd.array([1, None], dtype="Int64")}, index=["x", "y"]),
            pd.Series([1.5, 2.5], name="v"),
        ]
    except ImportError:
        pass
    return out


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    blobs = []
    for obj in objects():
        for proto in range(6):
            try:
                blobs.append(pickle.dumps(obj, proto))
            except Exception:  # __slots__ below protocol 2, ...
                pass
    try:
        from test import pickletester

        blobs += [getattr(pickletester, name) for name in dir(pickletester) if name.startswith("DATA") and not name.endswith("_DIS")]
    except ImportError:
        pass
    for blob in blobs:
        (out / hashlib.sha1(blob).hexdigest()).write_bytes(blob)
    print(f"wrote {len(blobs)} pickles to {out}")


if __name__ == "__main__":
    main()
