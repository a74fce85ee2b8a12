"""numpy interop for tests/tests/numpy_interop.rs.

  numpy_check.py write DIR   writes arrays NumPy pickles, at protocols 0-5
  numpy_check.py check DIR   checks arrays pickle-rs wrote (files NAME.pN.pickle)

Element i of every test array is (i * 7) % 100, plus 0.5 for floats.
"""
import os
import pickle
import sys

import numpy as np

DTYPES = ["f8", "f4", "i8", "i4", "i2", "i1", "u8", "u4", "u2", "u1"]
SHAPES = {"empty": (0,), "one": (5,), "two": (2, 3), "big": (20000,)}


def expected(dtype, shape):
    n = int(np.prod(shape))
    values = (np.arange(n) * 7) % 100
    if dtype.startswith("f"):
        values = values + 0.5
    return values.astype(dtype).reshape(shape)


def write(out):
    count = 0
    for dtype in DTYPES:
        for sname, shape in SHAPES.items():
            for p in range(6):
                a = expected(dtype, shape)
                with open(os.path.join(out, f"{dtype}.{sname}.p{p}.pickle"), "wb") as f:
                    f.write(pickle.dumps(a, p))
                count += 1
    # Big-endian data and Fortran order, at protocol 4.
    with open(os.path.join(out, "be_f8.p4.pickle"), "wb") as f:
        f.write(pickle.dumps(expected("f8", (6,)).astype(">f8"), 4))
    with open(os.path.join(out, "fortran.p4.pickle"), "wb") as f:
        f.write(pickle.dumps(np.asfortranarray(expected("f8", (2, 3))), 4))
    print("wrote", count + 2)


def check(src):
    count = 0
    for name in sorted(os.listdir(src)):
        dtype, sname, _p, _ext = name.split(".")
        with open(os.path.join(src, name), "rb") as f:
            a = pickle.load(f)
        want = expected(dtype, SHAPES[sname])
        if type(a) is not np.ndarray:
            sys.exit(f"{name}: loaded a {type(a)!r}, not a numpy.ndarray")
        if a.dtype != want.dtype or a.shape != want.shape or not np.array_equal(a, want):
            sys.exit(f"{name}: got {a.dtype} {a.shape} {a[:5]!r}, want {want.dtype} {want.shape}")
        count += 1
    print("ok", count)


if __name__ == "__main__":
    {"write": write, "check": check}[sys.argv[1]](sys.argv[2])
