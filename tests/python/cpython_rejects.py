"""Checks the malformed pickles of tests/tests/decode_errors.rs against CPython.

Reads lines `<hex>\t<rejects|accepts>\t<name>` on stdin and asserts that
CPython's C unpickler (what `pickle.loads` uses) raises for every row marked
`rejects` and loads every row marked `accepts` (the few inputs pickle-rs
rejects on purpose although CPython takes them). A persistent_load hook is
installed so that PERSID rows fail for their own reason, not for the lack of
a hook, except for rows whose name ends in "refused", which are what
pickle-rs's default refuses as CPython does without the hook. The pure-Python unpickler is run too and its verdicts are reported,
not asserted: it is more lenient in a few places (frames, REDUCE arguments).

Exits 1 and lists the rows that disagree; prints a one-line summary.

With `samples` as the only argument, prints hex lines of valid pickles that
CPython writes at every protocol, for the truncated-prefix test.
"""

import io
import pickle
import sys


class Unpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        return ("persistent", pid)


class PyUnpickler(pickle._Unpickler):
    def persistent_load(self, pid):
        return ("persistent", pid)


def verdict(cls, data):
    try:
        cls(io.BytesIO(data)).load()
    except Exception as e:  # every exception counts as a rejection
        return "rejects", f"{type(e).__name__}: {e}"
    return "accepts", ""


def check():
    rows = bad = 0
    lenient = []
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        hexed, expected, name = line.split("\t", 2)
        data = bytes.fromhex(hexed)
        rows += 1
        plain = name.endswith("refused")
        got, why = verdict(pickle.Unpickler if plain else Unpickler, data)
        if got != expected:
            bad += 1
            print(f"MISMATCH {name!r} {data!r}: expected CPython to {expected[:-1]}, it {got} {why}")
        if verdict(pickle._Unpickler if plain else PyUnpickler, data)[0] != got:
            lenient.append(name)
    print(f"{rows} rows checked against CPython {sys.version.split()[0]}, {bad} disagree;"
          f" the pure-Python unpickler differs on {len(lenient)}: {lenient}")
    return 1 if bad else 0


def samples():
    shared = [1, "two"]
    cyclic = []
    cyclic.append(cyclic)
    objects = [
        None, True, -5, 300, 2**40, 2**100, -(2**70), 1.25, float("nan"), "text", "é\n\\", "\U0001f600" * 3,
        b"\x00\xffbytes", bytearray(b"ba"), (), (1, 2), (1, 2, 3, 4), [shared, shared], cyclic,
        {"k": [1.5, None], 2: (3,)}, {1, 2}, frozenset({"f"}), complex(1, -1), list(range(30)),
    ]
    for proto in range(6):
        for obj in objects:
            print(pickle.dumps(obj, proto).hex())


if __name__ == "__main__":
    if sys.argv[1:] == ["samples"]:
        samples()
    else:
        sys.exit(check())
