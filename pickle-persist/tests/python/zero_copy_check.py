"""Loads a zero-copy checkpoint twice, with plain pickle.load and with the
generated module's load(path) helper, and checks they agree, that the helper's
arrays are backed by the file's map, aligned and read-only, and how much
anonymous memory touching every element of them took.

Usage: zero_copy_check.py FILE [--time]
Prints "ok ANON_GROWTH_MIB ARRAY_MIB"; with --time, also the seconds of a
plain load and of the helper's open plus one element read.
"""
import mmap
import pickle
import sys
import time

import numpy as np

import zc_state


def anon_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise SystemExit("no RssAnon in /proc/self/status")


def mapped_base(a):
    base = a
    while base is not None and not isinstance(base, (mmap.mmap, memoryview)):
        base = getattr(base, "base", None)
    return isinstance(base, mmap.mmap) or (isinstance(base, memoryview) and isinstance(base.obj, mmap.mmap))


path = sys.argv[1]
timing = "--time" in sys.argv

if timing:
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        plain = pickle.load(f)
    t_plain = time.perf_counter() - t0
    del plain
    t0 = time.perf_counter()
    quick = zc_state.load(path)
    one = float(quick.weights.flat[quick.weights.size // 2])
    t_helper = time.perf_counter() - t0
    del quick

before = anon_kib()
state = zc_state.load(path)
total = float(state.weights.sum()) + float(state.small.sum())  # touches every page
growth_mib = (anon_kib() - before) / 1024

with open(path, "rb") as f:
    plain = pickle.load(f)
assert type(state) is zc_state.ZcState and type(plain) is zc_state.ZcState
assert state.step == plain.step
for name in ("weights", "small"):
    a, b = getattr(state, name), getattr(plain, name)
    assert type(a) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape, name
    assert np.array_equal(a, b), name
    assert mapped_base(a), f"{name} is not backed by the map"
    assert a.ctypes.data % 64 == 0, f"{name} is not 64-byte aligned"
    assert not a.flags.writeable and b.flags.writeable, name
assert total == float(plain.weights.sum()) + float(plain.small.sum())
print("ok", f"{growth_mib:.1f}", f"{state.weights.nbytes / 2**20:.1f}")
if timing:
    print(f"plain pickle.load {t_plain:.3f} s; helper open + one element {t_helper:.5f} s "
          f"({100 * t_helper / t_plain:.2f}%)")
