"""numpy interop for tests/tests/numpy_interop.rs.

  numpy_check.py write DIR   writes what NumPy pickles, at protocols 0-5
  numpy_check.py check DIR   checks what pickle-rs wrote, named as below

Files are named KIND.DTYPE.SHAPE.pN.pickle: KIND is `array` (an ndarray of
SHAPE) or `scalar` (a NumPy scalar; SHAPE is `scalar`). Element i of every
test array is (i * 7) % 100, plus 0.5 for floats, odd for bools; a scalar
is element 1 of that sequence. `extra.NAME.pickle` files are the arrays in
unusual layouts (big-endian, Fortran order, non-contiguous, 0-d) whose
values are the same sequence in C order.
"""
import os
import pickle
import sys

import numpy as np

DTYPES = ["f8", "f4", "i8", "i4", "i2", "i1", "u8", "u4", "u2", "u1", "b1", "c16", "c8", "f2"]
SHAPES = {"empty": (0,), "one": (5,), "two": (2, 3), "big": (20000,)}


def expected(dtype, shape):
    n = int(np.prod(shape))
    values = (np.arange(n) * 7) % 100
    if dtype.startswith("f"):
        values = values + 0.5
    if dtype.startswith("c"):
        values = values + 0.5 + 1j * values
    if dtype == "b1":
        values = values % 2 == 1
    return values.astype(dtype).reshape(shape)


def scalar(dtype):
    return expected(dtype, (2,))[1]


def shared_extras():
    """Arrays of the dtypes without a plain element type, which both sides
    write: NAME -> array."""
    return {
        "dt64": np.array(["2024-03-15T12:30:45.123456789", "NaT", "1969-12-31T23:59:59"], dtype="M8[ns]"),
        "td64": np.array([1, -2, 86400], dtype="m8[s]"),
        "unicode": np.array(["a", "h\u00e9llo", ""], dtype="<U5"),
        "unicode2d": np.array([["ab", "c"], ["", "d\u00e9f"]]),
        "bytes": np.array([b"ab", b"", b"xyz"], dtype="|S3"),
        "matrix": expected("f8", (3, 4)),
    }


def extras():
    """The unusual layouts, which only NumPy writes: NAME -> array."""
    base = expected("f8", (2, 3, 4))
    return {
        "bigendian": expected("f8", (6,)).astype(">f8"),
        "bigendian2d": expected("i4", (3, 4)).astype(">i4"),
        "fortran": np.asfortranarray(expected("f8", (2, 3))),
        "fortran3d": np.asfortranarray(base),
        "noncontiguous": expected("f8", (12,))[::2],
        "zerod": np.array(expected("f8", (1,))[0]),
    }


def write(out):
    count = 0
    for p in range(6):
        for dtype in DTYPES:
            for sname, shape in SHAPES.items():
                with open(os.path.join(out, f"array.{dtype}.{sname}.p{p}.pickle"), "wb") as f:
                    f.write(pickle.dumps(expected(dtype, shape), p))
                count += 1
            with open(os.path.join(out, f"scalar.{dtype}.scalar.p{p}.pickle"), "wb") as f:
                f.write(pickle.dumps(scalar(dtype), p))
            count += 1
        for name, a in list(extras().items()) + list(shared_extras().items()):
            with open(os.path.join(out, f"extra.{name}.p{p}.pickle"), "wb") as f:
                f.write(pickle.dumps(a, p))
            count += 1
    print("wrote", count)


def check(src):
    count = 0
    for name in sorted(os.listdir(src)):
        kind, dtype, sname, *_ = name.split(".") + [""]
        with open(os.path.join(src, name), "rb") as f:
            got = pickle.load(f)
        if kind == "extra":
            want = shared_extras()[dtype]
            if type(got) is not np.ndarray or got.dtype != want.dtype or got.shape != want.shape:
                sys.exit(f"{name}: got {type(got)!r} {getattr(got, 'dtype', None)} {getattr(got, 'shape', None)}")
            if np.ascontiguousarray(got).tobytes() != np.ascontiguousarray(want).tobytes():
                sys.exit(f"{name}: got {got!r}, want {want!r}")
        elif kind == "scalar":
            want = scalar(dtype)
            if type(got) is not type(want) or got != want:
                sys.exit(f"{name}: got {type(got)!r} {got!r}, want {type(want)!r} {want!r}")
        else:
            want = expected(dtype, SHAPES[sname])
            if type(got) is not np.ndarray:
                sys.exit(f"{name}: loaded a {type(got)!r}, not a numpy.ndarray")
            if got.dtype != want.dtype or got.shape != want.shape or not np.array_equal(got, want):
                sys.exit(f"{name}: got {got.dtype} {got.shape} {got[:5]!r}, want {want.dtype} {want.shape}")
            if not got.flags.writeable:
                sys.exit(f"{name}: the array is read-only")
        count += 1
    print("ok", count, "numpy", np.__version__)


if __name__ == "__main__":
    {"write": write, "check": check}[sys.argv[1]](sys.argv[2])
