"""pandas interop for tests/tests/pandas_interop.rs, run in each pandas venv.

  pandas_check.py write DIR   writes each case natively: CASE.pN.pickle with
                              pickle.dumps at protocols 0-5 (those the
                              pandas can write) and CASE.to_pickle.pickle
  pandas_check.py check DIR   loads what pickle-rs wrote (CASE.pN.pickle)
                              with pickle.load and pd.read_pickle, and
                              compares each with the case's object
                              (pandas.testing.assert_frame_equal / _series_)
  pandas_check.py bad DIR     writes the malformed cases (see BAD)

Prints `ok N pandas V numpy W`.
"""
import os
import pickle
import sys

import numpy as np
import pandas as pd

NS = ["2024-03-15T12:30:45.123456789", "NaT", "1969-12-31T23:59:59"]


def datetimes():
    return np.array(NS, dtype="M8[ns]")


CASES = {
    "numbers": lambda: pd.DataFrame({
        "i64": np.array([1, -2, 3], dtype="i8"),
        "f64": np.array([1.5, np.nan, -3.25]),
        "flag": np.array([True, False, True]),
        "i32": np.array([7, 8, 9], dtype="i4"),
        "u8": np.array([0, 128, 255], dtype="u1"),
        "f32": np.array([0.5, 1.5, 2.5], dtype="f4"),
    }),
    "strings": lambda: pd.DataFrame({"s": ["a", None, "c"], "t": ["x", "y", "z"]}),
    "datetimes": lambda: pd.DataFrame({
        "naive": datetimes(),
        "utc": pd.DatetimeIndex(datetimes(), tz="UTC"),
        "paris": pd.DatetimeIndex(datetimes(), tz="UTC").tz_convert("Europe/Paris"),
        "delta": np.array([1, -2, 3000000000], dtype="m8[ns]"),
    }),
    "categorical": lambda: pd.DataFrame({
        "c": pd.Categorical.from_codes(np.array([0, 1, 0, -1], dtype="i1"), ["a", "b"], False),
        "o": pd.Categorical.from_codes(np.array([1, 1, 0, 0], dtype="i1"), ["lo", "hi"], True),
    }),
    "nullable": lambda: pd.DataFrame({
        "n": pd.array([1, None, 3], dtype="Int64"),
        "b": pd.array([True, None, False], dtype="boolean"),
    }),
    "str_index": lambda: pd.DataFrame({"v": np.array([1.5, 2.5, 3.5])}, index=pd.Index(["x", "y", "z"], name="k")),
    "int_index": lambda: pd.DataFrame({"v": np.array([1, 2, 3], dtype="i8")}, index=pd.Index(np.array([10, 20, 30], dtype="i8"))),
    "dt_index": lambda: pd.DataFrame(
        {"v": np.array([1.0, 2.0, 3.0])}, index=pd.Index(np.array(NS[:1] * 3, dtype="M8[ns]"), name="ts")
    ),
    "range_index": lambda: pd.DataFrame({"v": np.array([1, 2], dtype="i8")}, index=pd.RangeIndex(10, 14, 2)),
    "empty": lambda: pd.DataFrame({"v": np.array([], dtype="f8")}),
    "series": lambda: pd.Series(np.array([1.5, 2.5]), index=pd.Index(["x", "y"]), name="val"),
}


def compare(name, got, want):
    if isinstance(want, pd.Series):
        pd.testing.assert_series_equal(got, want)
    else:
        pd.testing.assert_frame_equal(got, want)


def write(out):
    count = 0
    for name, make in CASES.items():
        obj = make()
        for p in range(pickle.HIGHEST_PROTOCOL + 1):
            try:
                data = pickle.dumps(obj, p)
            except Exception:  # some pandas objects refuse the oldest protocols
                continue
            with open(os.path.join(out, "%s.p%d.pickle" % (name, p)), "wb") as f:
                f.write(data)
            count += 1
        obj.to_pickle(os.path.join(out, "%s.to_pickle.pickle" % name))
        count += 1
    print("wrote", count)


def check(src):
    count = 0
    for file in sorted(os.listdir(src)):
        name = file.split(".")[0]
        want = CASES[name]()
        path = os.path.join(src, file)
        with open(path, "rb") as f:
            got = pickle.load(f)
        try:
            compare(name, got, want)
            compare(name, pd.read_pickle(path), want)
        except AssertionError as e:
            sys.exit("%s: %s\ngot:\n%r\n%r\nwant:\n%r\n%r" % (file, e, got, getattr(got, "dtypes", None), want, getattr(want, "dtypes", None)))
        count += 1
    print("ok", count, "pandas", pd.__version__, "numpy", np.__version__)


class Reduce:
    """An object pickled as `func(*args)`."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def block_offset(data):
    """The offset of the REDUCE that calls the first `_unpickle_block`, found
    by Python's own (pure-Python) unpickler as it loads `data`."""
    import io

    class Locate(pickle._Unpickler):
        found = None

        def load_reduce(self):
            if self.found is None and getattr(self.stack[-2], "__name__", "") == "_unpickle_block":
                self.found = self._file.tell() - 1
            pickle._Unpickler.load_reduce(self)

        dispatch = dict(pickle._Unpickler.dispatch)
        dispatch[pickle.REDUCE[0]] = load_reduce

    f = io.BytesIO(data)
    u = Locate(f)
    u._file = f
    try:
        u.load()
    except Exception:  # the frame is malformed: Python may refuse it later
        pass
    return u.found


def bad(out):
    """Frames whose blocks disagree with their axes, in the form pandas
    writes good ones (protocol 2, unframed, so offsets are file positions);
    prints `NAME OFFSET` with the offset of the block at fault."""
    import copyreg
    import io

    from pandas._libs.internals import _unpickle_block
    from pandas.core.internals.managers import BlockManager

    cols = pd.Index(["a", "b"])
    cases = {
        # A block of 2 columns x 4 rows under an index of 3.
        "block_shape": (Reduce(_unpickle_block, np.zeros((2, 4)), slice(0, 2, 1), 2), [cols, pd.RangeIndex(0, 3)]),
        # A block of 2 columns whose placement names 3.
        "column_count": (Reduce(_unpickle_block, np.zeros((2, 3)), slice(0, 3, 1), 2), [cols, pd.RangeIndex(0, 3)]),
        # A good block, and an index of 4 rows.
        "index_length": (Reduce(_unpickle_block, np.zeros((2, 3)), slice(0, 2, 1), 2), [cols, pd.RangeIndex(0, 4)]),
    }
    for name, (block, axes) in cases.items():
        target = pd.DataFrame.__new__(pd.DataFrame)
        state = {"_mgr": Reduce(BlockManager, (block,), axes), "_typ": "dataframe", "_metadata": [], "attrs": {}}

        class P(pickle.Pickler):
            def reducer_override(self, obj):
                if obj is target:
                    return copyreg.__newobj__, (pd.DataFrame,), state
                return NotImplemented

        buf = io.BytesIO()
        P(buf, 2).dump(target)
        data = buf.getvalue()
        with open(os.path.join(out, name + ".pickle"), "wb") as f:
            f.write(data)
        print(name, block_offset(data))


UNSUPPORTED = {
    "multiindex_columns": lambda: pd.DataFrame(np.zeros((2, 2)), columns=pd.MultiIndex.from_tuples([("a", 1), ("a", 2)])),
    "multiindex_rows": lambda: pd.DataFrame({"v": [1, 2]}, index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)])),
    "object_column": lambda: pd.DataFrame({"ok": [1, 2], "obj": [{"k": 1}, [2]]}),
    "sparse_column": lambda: pd.DataFrame({"sp": pd.arrays.SparseArray([0.0, 1.0, 0.0])}),
    "int_labels": lambda: pd.DataFrame({0: [1.5], 1: [2.5]}),
}


def unsupported(out):
    """What Column does not hold, pickled natively at protocol 4."""
    for name, make in UNSUPPORTED.items():
        with open(os.path.join(out, name + ".pickle"), "wb") as f:
            f.write(pickle.dumps(make(), 4))
    print("wrote", len(UNSUPPORTED))


if __name__ == "__main__":
    {"write": write, "check": check, "bad": bad, "unsupported": unsupported}[sys.argv[1]](sys.argv[2])
