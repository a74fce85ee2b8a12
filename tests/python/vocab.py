"""Python's vocabulary (datetime, decimal, uuid, pathlib, complex,
collections, enum) for tests/tests/vocabulary.rs.

  vocab.py write DIR   writes every case at every protocol: CASE.pN.pickle
  vocab.py check DIR   loads what pickle-rs wrote (CASE.TAG.pN.pickle, TAG
                       naming the Rust type) and compares each object with
                       the case's: the same type and the same repr (which
                       shows tzinfo, fold, a Decimal's exponent, order...)

Cases that need a newer Python than the running one (zoneinfo is 3.9+)
are skipped and counted. Prints `ok CHECKED skipped SKIPPED`.
"""
import collections
import datetime
import decimal
import enum
import os
import pathlib
import pickle
import sys
import uuid

try:
    import zoneinfo
except ImportError:  # Python 3.8
    zoneinfo = None

D = datetime


class Color(enum.IntEnum):
    RED = 1
    GREEN = 2


class Perm(enum.IntFlag):
    R = 4
    W = 2
    X = 1


Point = collections.namedtuple("Point", ["x", "y"])
# Pickles name the classes vocab.Color etc.: loading imports this module.
for _cls in (Color, Perm, Point):
    _cls.__module__ = "vocab"


def paris():
    return zoneinfo.ZoneInfo("Europe/Paris")


# name -> (function building the object, minimum Python version)
CASES = {
    "date": (lambda: D.date(2024, 3, 15), (3, 8)),
    "date_min": (lambda: D.date(1, 1, 1), (3, 8)),
    "date_max": (lambda: D.date(9999, 12, 31), (3, 8)),
    "time": (lambda: D.time(12, 30, 45, 123456), (3, 8)),
    "time_fold": (lambda: D.time(1, 30, fold=1), (3, 8)),
    "time_utc": (lambda: D.time(12, 30, tzinfo=D.timezone.utc), (3, 8)),
    "datetime": (lambda: D.datetime(2024, 3, 15, 12, 30, 45, 123456), (3, 8)),
    "datetime_min": (lambda: D.datetime(1, 1, 1), (3, 8)),
    "dt_utc": (lambda: D.datetime(2024, 3, 15, 12, 30, 45, 123456, tzinfo=D.timezone.utc), (3, 8)),
    "dt_offset": (lambda: D.datetime(2024, 3, 15, 12, 30, tzinfo=D.timezone(D.timedelta(hours=5, minutes=30))), (3, 8)),
    "dt_named": (lambda: D.datetime(2024, 3, 15, 12, 30, tzinfo=D.timezone(D.timedelta(hours=-3), "BRT")), (3, 8)),
    "dt_epoch_before": (lambda: D.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=D.timezone.utc), (3, 8)),
    "dt_zone": (lambda: D.datetime(2024, 3, 15, 12, 30, tzinfo=paris()), (3, 9)),
    "dt_fold": (lambda: D.datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=paris()), (3, 9)),
    "timedelta": (lambda: D.timedelta(days=1, seconds=2, microseconds=3), (3, 8)),
    "timedelta_neg": (lambda: D.timedelta(microseconds=-1), (3, 8)),
    "timedelta_max": (lambda: D.timedelta.max, (3, 8)),
    "timezone_utc": (lambda: D.timezone.utc, (3, 8)),
    "timezone_named": (lambda: D.timezone(D.timedelta(hours=-3), "BRT"), (3, 8)),
    "zoneinfo": (lambda: paris(), (3, 9)),
}


class Reduce:
    """An object pickled as `func(*args)`: how the bad cases below write a
    malformed state in the exact form CPython writes the good one."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


DT_STATE = bytes([7, 232, 3, 15, 12, 30, 45, 1, 226, 64])

# name -> (object whose pickle is malformed, the opcode at which the error
# is expected: its name and which occurrence, 0 for the first, -1 for the
# last). Python refuses most of them; it loads a date state with day 32
# (the C type does not check a pickled state), which pickle-rs refuses.
BAD = {
    "dt_state_short": (Reduce(D.datetime, b"\x07\xe8\x03"), "SHORT_BINBYTES", 0),
    "dt_month_13": (Reduce(D.datetime, DT_STATE[:2] + b"\x0d" + DT_STATE[3:]), "SHORT_BINBYTES", 0),
    "date_day_32": (Reduce(D.date, b"\x07\xe8\x01\x20"), "SHORT_BINBYTES", 0),
    "time_hour_24": (Reduce(D.time, b"\x18\x00\x00\x00\x00\x00"), "SHORT_BINBYTES", 0),
    "date_year_0": (Reduce(D.date, 0, 1, 1), "REDUCE", -1),
    "timedelta_str": (Reduce(D.timedelta, "x", 0, 0), "SHORT_BINUNICODE", -1),
    "timedelta_huge": (Reduce(D.timedelta, 10**9, 0, 0), "REDUCE", -1),
    "dt_tz_str": (Reduce(D.datetime, DT_STATE, "UTC"), "SHORT_BINUNICODE", -1),
    "tz_offset_day": (Reduce(D.timezone, D.timedelta(days=1)), "REDUCE", 0),
}


def write_bad(out):
    """Writes BAD at protocol 4 and prints `NAME OFFSET PYTHON` per case,
    PYTHON being `rejects` or `loads`."""
    import pickletools

    for name, (obj, opname, which) in BAD.items():
        data = pickle.dumps(obj, 4)
        try:
            pickle.loads(data)
            verdict = "loads"
        except (TypeError, ValueError, OverflowError):
            verdict = "rejects"
        offsets = [pos for op, _, pos in pickletools.genops(data) if op.name == opname]
        with open(os.path.join(out, name + ".pickle"), "wb") as f:
            f.write(data)
        print(name, offsets[which], verdict)


def too_new(name):
    return sys.version_info[:2] < CASES[name][1]


def write(out):
    count = 0
    for name, (make, _) in CASES.items():
        if too_new(name):
            continue
        for p in range(pickle.HIGHEST_PROTOCOL + 1):
            with open(os.path.join(out, "%s.p%d.pickle" % (name, p)), "wb") as f:
                f.write(pickle.dumps(make(), p))
            count += 1
    print("wrote", count)


def check(src):
    checked = skipped = 0
    for file in sorted(os.listdir(src)):
        name = file.split(".")[0]
        if name not in CASES:
            sys.exit("%s: no case %r" % (file, name))
        if too_new(name):
            skipped += 1
            continue
        with open(os.path.join(src, file), "rb") as f:
            got = pickle.load(f)
        want = CASES[name][0]()
        if type(got) is not type(want) or repr(got) != repr(want):
            sys.exit("%s: got %s %r, want %s %r" % (file, type(got).__name__, got, type(want).__name__, want))
        checked += 1
    print("ok", checked, "skipped", skipped)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.modules.setdefault("vocab", sys.modules["__main__"])
    {"write": write, "check": check, "write_bad": write_bad}[sys.argv[1]](sys.argv[2])
