#!/usr/bin/env python3
"""Writes the golden files: tests/golden/<case>.p<N>.pickle, written by
CPython at protocol N, and beside each <case>.p<N>.json, the tagged JSON
(docs/json-format.md) that pickle-rs must print for it, as the independent
oracle in oracle.py reads the stream. manifest.tsv lists every case with the
protocols it has and why the others are missing.

    python3 tests/python/make_golden.py [--out DIR]

The output is deterministic: the script re-runs itself with PYTHONHASHSEED=0
so that sets of strs are written in the same order every time.
"""

import argparse
import io
import json
import os
import pickle
import pickletools
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import golden_cases  # noqa: E402
import oracle  # noqa: E402
import sample_classes as sc  # noqa: E402

PROTOCOLS = range(6)


# ---------------------------------------------------------------------------
# Streams with the opcodes CPython 3 reads but never writes (STRING,
# BINSTRING, SHORT_BINSTRING, INST, OBJ) and Python 2 names, built from the
# pickle module's opcode constants. Each builder takes the protocol; streams
# of protocol 2+ start with PROTO.


def _proto(p):
    return pickle.PROTO + bytes([p]) if p >= 2 else b""


def _put(p, i):
    return pickle.PUT + b"%d\n" % i if p == 0 else pickle.BINPUT + bytes([i])


def _get(p, i):
    return pickle.GET + b"%d\n" % i if p == 0 else pickle.BINGET + bytes([i])


def _global(module, name):
    return pickle.GLOBAL + module + b"\n" + name + b"\n"


def _int(p, n):
    return pickle.INT + b"%d\n" % n if p == 0 else pickle.BININT1 + bytes([n])


def py2_string(p):
    return (
        _proto(p)
        + pickle.MARK
        + pickle.STRING + b"'abc'\n" + _put(p, 0)
        + pickle.STRING + b"\"it's\"\n"
        + pickle.STRING + b"'esc \\n\\t\\\\ \\' \\x41\\101 \"q\"'\n"
        + pickle.STRING + b"''\n"
        + _get(p, 0)
        + pickle.LIST
        + pickle.STOP
    )


def py2_binstring(p):
    long = b"0123456789" * 30
    return (
        _proto(p)
        + pickle.MARK
        + pickle.SHORT_BINSTRING + b"\x05short" + _put(p, 0)
        + pickle.BINSTRING + len(long).to_bytes(4, "little") + long
        + pickle.SHORT_BINSTRING + b"\x00"
        + pickle.BINSTRING + b"\x00\x00\x00\x00"
        + pickle.SHORT_BINSTRING + b"\x01x"
        + _get(p, 0)
        + pickle.LIST
        + pickle.STOP
    )


def py2_inst(p):
    state = pickle.MARK + pickle.UNICODE + b"x\n" + _int(p, 1) + pickle.UNICODE + b"y\n" + _int(p, 2) + pickle.DICT
    return (
        _proto(p)
        + pickle.MARK
        # Python 2's protocol 0 instance: INST without arguments, then BUILD.
        + pickle.MARK + pickle.INST + b"sample_classes\nPlain\n" + _put(p, 0) + state + pickle.BUILD
        # INST with arguments: Reduced(1, 2)
        + pickle.MARK + _int(p, 1) + _int(p, 2) + pickle.INST + b"sample_classes\nReduced\n"
        + _get(p, 0)
        + pickle.LIST
        + pickle.STOP
    )


def py2_obj(p):
    return (
        _proto(p)
        + pickle.MARK
        + pickle.MARK + _global(b"sample_classes", b"Plain") + _put(p, 0) + pickle.OBJ
        + pickle.EMPTY_DICT + pickle.BUILD
        + pickle.MARK + _get(p, 0) + pickle.OBJ
        + pickle.MARK + _global(b"sample_classes", b"Reduced") + _int(p, 3) + pickle.EMPTY_LIST + pickle.OBJ
        + pickle.LIST
        + pickle.STOP
    )


def py2_names(p):
    return (
        _proto(p)
        + pickle.MARK
        + _global(b"exceptions", b"StandardError")
        + _global(b"__builtin__", b"xrange")
        + _global(b"__builtin__", b"unicode")
        + _global(b"__builtin__", b"long")
        + _global(b"UserDict", b"UserDict")
        + _global(b"whichdb", b"whichdb")
        + _global(b"copy_reg", b"_reconstructor")
        + _global(b"__builtin__", b"set") + pickle.MARK + pickle.MARK + _int(p, 1) + pickle.LIST + pickle.TUPLE
        + pickle.REDUCE
        + pickle.MARK + pickle.STRING + b"'boom'\n" + pickle.INST + b"exceptions\nValueError\n"
        + _global(b"copy_reg", b"_reconstructor")
        + pickle.MARK + _global(b"sample_classes", b"Plain") + _global(b"__builtin__", b"object") + pickle.NONE
        + pickle.TUPLE + pickle.REDUCE
        + pickle.LIST
        + pickle.STOP
    )


# name: (builder, first protocol, last protocol, why the others are missing)
PY2_STREAMS = {
    "py2_string": (py2_string, 0, 5, None),
    "py2_binstring": (py2_binstring, 1, 5, "BINSTRING and SHORT_BINSTRING are protocol 1 opcodes"),
    "py2_inst": (py2_inst, 0, 5, None),
    "py2_obj": (py2_obj, 1, 5, "OBJ is a protocol 1 opcode"),
    "py2_names": (py2_names, 0, 2, "Python 2 names are mapped only below protocol 3; pickle.load cannot import them"),
}


class _PidPickler(pickle.Pickler):
    """Keeps sample_classes.Plain instances whose x is "external" out of the
    stream: persistent id y."""

    def persistent_id(self, obj):
        if type(obj) is sc.Plain and obj.x == "external":
            return obj.y
        return None


class _PidUnpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        return ("loaded", pid)


def _persid_objects(pid_kind):
    a = sc.Plain("external", "pid-a" if pid_kind == "str" else ("file", 1))
    b = sc.Plain("external", "pid-b" if pid_kind == "str" else ("file", [2]))
    return ["before", a, b, a, sc.Plain("inside", 3)]


def _dump_persid(pid_kind, p):
    out = io.BytesIO()
    _PidPickler(out, protocol=p).dump(_persid_objects(pid_kind))
    return out.getvalue()


def _dump_ext(p):
    sc.register_extensions()
    try:
        data = pickle.dumps([sc.Extended(1), sc.Extended2(2), sc.Extended4(3), sc.Extended(4)], p)
        ops = {op.name for op, _, _ in pickletools.genops(data)}
        assert {"EXT1", "EXT2", "EXT4"} <= ops, ops
        assert isinstance(pickle.loads(data)[2], sc.Extended4)
    finally:
        sc.unregister_extensions()
    return data


def _dump_oob(p):
    if p < 5:
        raise ValueError("out-of-band buffers need protocol 5")
    ro = pickle.PickleBuffer(b"read-only buffer")
    rw = pickle.PickleBuffer(bytearray(b"writable buffer"))
    buffers = []
    data = pickle.dumps([ro, rw, ro, b"in band"], protocol=p, buffer_callback=buffers.append)
    back = pickle.loads(data, buffers=buffers)
    assert bytes(back[0]) == b"read-only buffer" and back[1] == bytearray(b"writable buffer"), back
    return data


def generated_streams():
    """Yields (case, protocol, data or None, why missing) for the streams
    made here rather than by pickling golden_cases.CASES."""
    for name, (build, lo, hi, why) in PY2_STREAMS.items():
        for p in PROTOCOLS:
            if lo <= p <= hi:
                data = build(p)
                kwargs = {"encoding": "ASCII"}
                pickle.loads(data, **kwargs)  # CPython accepts it
                yield name, p, data, None
            else:
                yield name, p, None, why
    for kind in ("str", "tuple"):
        for p in PROTOCOLS:
            try:
                data = _dump_persid(kind, p)
            except pickle.PicklingError as e:
                assert kind == "tuple" and p == 0, (kind, p, e)
                yield f"py2_persid_{kind}", p, None, f"PicklingError: {e}"
                continue
            back = _PidUnpickler(io.BytesIO(data)).load()
            assert back[1] == back[3] and back[1][0] == "loaded", back
            yield f"py2_persid_{kind}", p, data, None
    for p in PROTOCOLS:
        if p < 2:
            yield "py2_ext", p, None, "EXT1/EXT2/EXT4 are protocol 2 opcodes; below it CPython writes GLOBAL"
        else:
            yield "py2_ext", p, _dump_ext(p), None
    for p in PROTOCOLS:
        if p < 5:
            yield "oob_buffers", p, None, "out-of-band buffers need protocol 5"
        else:
            yield "oob_buffers", p, _dump_oob(p), None


def pickled_cases():
    """Yields (case, protocol, data or None, why missing) for golden_cases.CASES."""
    for name, (build, unpicklable) in golden_cases.CASES.items():
        for p in PROTOCOLS:
            obj = build()
            try:
                data = pickle.dumps(obj, p)
            except Exception as e:  # noqa: BLE001 - checked against the declared failures below
                expected = unpicklable.get(p)
                if expected is None or not isinstance(e, expected):
                    raise AssertionError(f"{name} at protocol {p}: unexpected {e!r}") from e
                yield name, p, None, f"{type(e).__name__}: {e}"
                continue
            if p in unpicklable:
                raise AssertionError(f"{name} at protocol {p} should fail with {unpicklable[p].__name__}")
            pickle.loads(data)
            yield name, p, data, None


def expected_json(name, data):
    text = oracle.pickle_to_json(data)
    if not name.startswith("deep_"):
        tree = oracle.to_tree(oracle.oracle_load(data))
        assert tree == text, f"{name}: the two renderings of the oracle differ:\n{tree}\n{text}"
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(HERE, "..", "golden"))
    args = parser.parse_args()
    if os.environ.get("PYTHONHASHSEED") != "0":
        env = dict(os.environ, PYTHONHASHSEED="0")
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env)
    sys.setrecursionlimit(50000)

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f.endswith((".pickle", ".json", ".tsv")):
            os.remove(os.path.join(out, f))

    manifest = {}
    files = 0
    for name, p, data, why in [*pickled_cases(), *generated_streams()]:
        entry = manifest.setdefault(name, {"protocols": [], "missing": {}})
        if data is None:
            entry["missing"][str(p)] = why
            continue
        entry["protocols"].append(p)
        stem = os.path.join(out, f"{name}.p{p}")
        with open(stem + ".pickle", "wb") as f:
            f.write(data)
        with open(stem + ".json", "w", encoding="ascii", newline="\n") as f:
            f.write(expected_json(name, data) + "\n")
        files += 1
    # One line per case and protocol, tab-separated: case, protocol, and
    # "present" or "missing: <why CPython cannot write it>".
    with open(os.path.join(out, "manifest.tsv"), "w", encoding="utf-8", newline="\n") as f:
        for name in sorted(manifest):
            entry = manifest[name]
            for p in PROTOCOLS:
                status = "present" if p in entry["protocols"] else "missing: " + entry["missing"][str(p)]
                f.write(f"{name}\t{p}\t{status}\n")
    print(f"wrote {files} golden pickles and their JSON in {len(manifest)} cases to {out}")


if __name__ == "__main__":
    main()
