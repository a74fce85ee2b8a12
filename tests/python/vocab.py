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
    "decimal": (lambda: decimal.Decimal("1.50"), (3, 8)),
    "decimal_neg_zero": (lambda: decimal.Decimal("-0"), (3, 8)),
    "decimal_small": (lambda: decimal.Decimal("-12345.678901234567890123456789"), (3, 8)),
    "decimal_big_int": (lambda: decimal.Decimal("79228162514264337593543950335"), (3, 8)),
    "decimal_exp": (lambda: decimal.Decimal("1.23E+5"), (3, 8)),
    "decimal_huge": (lambda: decimal.Decimal("-1.50E+999999"), (3, 8)),
    "decimal_nan": (lambda: decimal.Decimal("NaN"), (3, 8)),
    "decimal_snan": (lambda: decimal.Decimal("-sNaN123"), (3, 8)),
    "decimal_inf": (lambda: decimal.Decimal("-Infinity"), (3, 8)),
    "uuid": (lambda: uuid.UUID("12345678-1234-5678-1234-567812345678"), (3, 8)),
    "uuid_safe": (lambda: uuid.UUID("12345678-1234-5678-1234-567812345678", is_safe=uuid.SafeUUID.safe), (3, 8)),
    "uuid_max": (lambda: uuid.UUID(int=2**128 - 1), (3, 8)),
    "path": (lambda: pathlib.PurePosixPath("/usr/lib/x.txt"), (3, 8)),
    "path_relative": (lambda: pathlib.PurePosixPath("data/x.csv"), (3, 8)),
    "complex": (lambda: complex(1.5, -2.0), (3, 8)),
    "ordered_dict": (lambda: collections.OrderedDict([("b", 1), ("a", 2)]), (3, 8)),
    "dict_ordered": (lambda: {"b": 1, "a": 2}, (3, 8)),
    "defaultdict": (lambda: collections.defaultdict(list, {"a": [1], "b": []}), (3, 8)),
    "counter": (lambda: collections.Counter({"a": 2, "b": 1}), (3, 8)),
    "deque": (lambda: collections.deque([1, 2, 3]), (3, 8)),
    "deque_maxlen": (lambda: collections.deque([1, 2, 3], maxlen=5), (3, 8)),
    "set": (lambda: {1, 2, 3}, (3, 8)),
    "int_enum": (lambda: Color.GREEN, (3, 8)),
    "flag": (lambda: Perm.R, (3, 8)),
    "signal": (lambda: __import__("signal").SIGINT, (3, 8)),
}

# Python writes these as another type than pickle-rs: a PosixPath, which
# reads as a PathBuf and which pickle-rs writes as a PurePosixPath.
READ_ONLY = {
    "posix_path": (lambda: pathlib.PosixPath("/usr/lib/x.txt"), (3, 8)),
    "namedtuple": (lambda: Point(1, 2), (3, 8)),
}


class Reduce:
    """An object pickled as `func(*args)`: how the bad cases below write a
    malformed state in the exact form CPython writes the good one."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


class NewObj:
    """Stands for an instance of `cls` pickled as NEWOBJ `cls()` with
    `state`, as CPython writes a UUID (see dumps_bad)."""

    def __init__(self, cls, state):
        self.cls, self.state = cls, state


def dumps_bad(obj):
    """pickle.dumps at protocol 4; a NewObj is written as a real instance of
    its class whose reduction gives the NewObj's state."""
    import copyreg
    import io

    if not isinstance(obj, NewObj):
        return pickle.dumps(obj, 4)
    target = obj.cls.__new__(obj.cls)

    class Pickler(pickle.Pickler):
        def reducer_override(self, x):
            if x is target:
                return copyreg.__newobj__, (obj.cls,), obj.state
            return NotImplemented

    out = io.BytesIO()
    Pickler(out, 4).dump(target)
    return out.getvalue()


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
    "decimal_syntax": (Reduce(decimal.Decimal, "1.2.3"), "SHORT_BINUNICODE", -1),
    "decimal_int_arg": (Reduce(decimal.Decimal, 7, 8), "REDUCE", -1),
    "rust_decimal_nan": (decimal.Decimal("NaN"), "REDUCE", -1),
    "rust_decimal_big": (decimal.Decimal("1E+29"), "REDUCE", -1),
    "rust_decimal_scale": (decimal.Decimal("1E-29"), "REDUCE", -1),
    "uuid_int_too_big": (NewObj(uuid.UUID, {"int": 2**129}), "LONG1", 0),
    "uuid_no_int": (NewObj(uuid.UUID, {"value": 1}), "EMPTY_DICT", 0),
    "uuid_bad_hex": (Reduce(uuid.UUID, "xyz"), "SHORT_BINUNICODE", -1),
}


def write_bad(out):
    """Writes BAD at protocol 4 and prints `NAME OFFSET PYTHON` per case,
    PYTHON being `rejects` or `loads`."""
    import pickletools

    for name, (obj, opname, which) in BAD.items():
        data = dumps_bad(obj)
        try:
            pickle.loads(data)
            verdict = "loads"
        except (TypeError, ValueError, OverflowError, ArithmeticError, KeyError):
            verdict = "rejects"
        offsets = [pos for op, _, pos in pickletools.genops(data) if op.name == opname]
        with open(os.path.join(out, name + ".pickle"), "wb") as f:
            f.write(data)
        print(name, offsets[which], verdict)


def too_new(name):
    return sys.version_info[:2] < CASES.get(name, READ_ONLY.get(name))[1]


def write(out):
    count = 0
    for name, (make, _) in list(CASES.items()) + list(READ_ONLY.items()):
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
