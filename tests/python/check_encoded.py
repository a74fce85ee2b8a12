"""Checks pickles that pickle-rs wrote (tests/tests/encode_interop.rs).

Usage: check_encoded.py DIR

DIR/manifest.json lists the cases: {"name", "expected" (a Python expression),
"check" (a Python expression over `x`, the loaded value, or ""), "identical"
(protocols at which our bytes must equal CPython's optimized output),
"class_memo" (protocols at which they must instead equal CPython's output
optimized by `optimize(p, keep_classes=True)`, which also keeps the memo
entries of classes and of the 'latin1' argument of `_codecs.encode`: pickle-rs
memoizes those when it writes them, as CPython does, since it cannot know
whether they will be used again; likewise the module str of a STACK_GLOBAL,
which pickle-rs memoizes by content), "different" (protocols at which they must
equal neither), "why" (the reason they differ, or are not pinned),
"protocols"}. Each case's
pickle for protocol N is DIR/<index>.p<N>.pkl.

For every case and protocol it checks that:
- pickle.loads gives a value equal to `expected`, with the same exact type at
  every level, the same dict order, and the same sharing of mutable objects
  (lists, dicts, sets, bytearrays) as `expected`;
- `check` holds;
- our pickle is no longer than pickle.dumps(expected, N);
- our bytes equal pickletools.optimize(pickle.dumps(expected, N)) exactly at
  the protocols in "identical", equal the class-keeping variant at those in
  "class_memo", and differ from both at those in "different".

Prints one line per failure, then a summary line
`checked=<files> identical=<files byte-identical> class_memo=<files
byte-identical with class memos>`; exits 1 on any failure.
"""

import io
import json
import math
import os
import pickle
import pickletools
import struct
import sys

# Types whose identity is part of the value: Python never merges two of them,
# so a shared one in `expected` must be shared in ours and vice versa.
MUTABLE = (list, dict, set, bytearray)


class Mismatch(Exception):
    pass


def same(exp, got, path, pairs, back):
    """Raises Mismatch unless `got` matches `exp` (see the module docstring)."""
    if type(exp) is not type(got):
        raise Mismatch(f"{path}: type {type(got).__name__}, expected {type(exp).__name__}")
    if isinstance(exp, MUTABLE):
        seen = pairs.get(id(exp))
        if seen is not None:
            if seen is not got:
                raise Mismatch(f"{path}: expected the object seen before, got a new one")
            return
        if id(got) in back:
            raise Mismatch(f"{path}: expected a new object, got one seen before")
        pairs[id(exp)] = got
        back[id(got)] = exp
    if isinstance(exp, float):
        if math.isnan(exp):
            if not math.isnan(got):
                raise Mismatch(f"{path}: {got!r}, expected nan")
        elif exp != got or math.copysign(1.0, exp) != math.copysign(1.0, got):
            raise Mismatch(f"{path}: {got!r}, expected {exp!r}")
    elif isinstance(exp, (list, tuple)):
        if len(exp) != len(got):
            raise Mismatch(f"{path}: {len(got)} items, expected {len(exp)}")
        for i, (e, g) in enumerate(zip(exp, got)):
            same(e, g, f"{path}[{i}]", pairs, back)
    elif isinstance(exp, dict):
        if list(exp) != list(got):
            raise Mismatch(f"{path}: keys {list(got)!r:.200}, expected {list(exp)!r:.200} (in this order)")
        for (ek, ev), (gk, gv) in zip(exp.items(), got.items()):
            same(ek, gk, f"{path} key {ek!r:.40}", pairs, back)
            same(ev, gv, f"{path}[{ek!r:.40}]", pairs, back)
    elif isinstance(exp, (set, frozenset)):
        if exp != got:
            raise Mismatch(f"{path}: {got!r:.200}, expected {exp!r:.200}")
        mine = {g: g for g in got}
        for e in exp:
            same(e, mine[e], f"{path} item {e!r:.40}", pairs, back)
    elif exp != got:
        raise Mismatch(f"{path}: {got!r:.200}, expected {exp!r:.200}")


def optimize(p, keep_classes):
    """pickletools.optimize, which drops every memo entry no GET reads, except
    that with `keep_classes` the entries of classes (GLOBAL, STACK_GLOBAL), of
    the module str of a STACK_GLOBAL, and of the str 'latin1' are kept too."""
    put, get = "PUT", "GET"
    oldids = set()
    newids = {}
    opcodes = []
    proto = 0
    protoheader = b""
    previous = None
    # The memo index of each str pushed (None if not memoized), so that a
    # STACK_GLOBAL can find its module str: the second-to-last one.
    strs = []
    for opcode, arg, pos, end_pos in pickletools._genops(p, yield_end_pos=True):
        if "UNICODE" in opcode.name:
            strs.append(None)
        elif opcode.name == "STACK_GLOBAL" and keep_classes and len(strs) >= 2 and strs[-2] is not None:
            newids[strs[-2]] = None
        if "PUT" in opcode.name or opcode.name == "MEMOIZE":
            idx = arg if "PUT" in opcode.name else len(oldids)
            oldids.add(idx)
            opcodes.append((put, idx))
            if previous is not None and "UNICODE" in previous[0].name and strs:
                strs[-1] = idx
            if keep_classes and previous is not None and (
                previous[0].name in ("GLOBAL", "STACK_GLOBAL") or ("UNICODE" in previous[0].name and previous[1] == "latin1")
            ):
                newids[idx] = None
                proto = max(proto, opcode.proto)
        elif "FRAME" in opcode.name:
            pass
        elif "GET" in opcode.name:
            proto = max(proto, opcode.proto)
            newids[arg] = None
            opcodes.append((get, arg))
        elif opcode.name == "PROTO":
            proto = max(proto, arg)
            if pos == 0:
                protoheader = p[pos:end_pos]
            else:
                opcodes.append((pos, end_pos))
        else:
            opcodes.append((pos, end_pos))
        previous = (opcode, arg)
    out = io.BytesIO()
    out.write(protoheader)
    pickler = pickle._Pickler(out, proto)
    if proto >= 4:
        pickler.framer.start_framing()
    idx = 0
    for op, arg in opcodes:
        frameless = False
        if op is put:
            if arg not in newids:
                continue
            data = pickler.put(idx)
            newids[arg] = idx
            idx += 1
        elif op is get:
            data = pickler.get(newids[arg])
        else:
            data = p[op:arg]
            frameless = len(data) > pickler.framer._FRAME_SIZE_TARGET
        pickler.framer.commit_frame(force=frameless)
        if frameless:
            pickler.framer.file_write(data)
        else:
            pickler.write(data)
    pickler.framer.end_framing()
    return out.getvalue()


def first_difference(ours, theirs):
    """Where two byte strings first differ, with the bytes around it."""
    i = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
    lo = max(0, i - 16)
    return (
        f"at byte {i} (lengths {len(ours)} and {len(theirs)}):\n"
        f"    ours:   ...{ours[lo:i + 32]!r}\n    theirs: ...{theirs[lo:i + 32]!r}"
    )


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
        cases = json.load(f)
    failures = []
    checked = identical = class_memo = 0
    env = {"math": math, "struct": struct}
    for index, case in enumerate(cases):
        name = case["name"]
        for proto in case["protocols"]:
            where = f"{name} (case {index}) at protocol {proto}"
            path = os.path.join(folder, f"{index}.p{proto}.pkl")
            with open(path, "rb") as f:
                ours = f.read()
            checked += 1
            try:
                expected = eval(case["expected"], dict(env))
                got = pickle.loads(ours)
                same(expected, got, "value", {}, {})
                if case["check"] and not eval(case["check"], dict(env, x=got)):
                    raise Mismatch(f"check failed: {case['check']}")
                theirs = pickle.dumps(expected, proto)
                if len(ours) > len(theirs):
                    raise Mismatch(f"{len(ours)} bytes, CPython wrote {len(theirs)}")
                optimized = pickletools.optimize(theirs)
                if optimize(theirs, keep_classes=False) != optimized:
                    raise Mismatch("optimize() here no longer matches pickletools.optimize: fix this script")
                with_classes = optimize(theirs, keep_classes=True)
                if proto in case["identical"]:
                    if ours != optimized:
                        raise Mismatch(f"bytes differ from CPython's optimized output {first_difference(ours, optimized)}")
                    identical += 1
                elif proto in case["class_memo"]:
                    if ours == optimized:
                        raise Mismatch("bytes equal CPython's optimized output: no class memo entry is written")
                    if ours != with_classes:
                        raise Mismatch(
                            f"bytes differ from CPython's output with class memos {first_difference(ours, with_classes)}"
                        )
                    class_memo += 1
                elif proto in case["different"] and ours in (optimized, with_classes):
                    raise Mismatch(f"bytes equal CPython's optimized output, though the case says: {case['why']}")
            except Exception as e:  # every failure is reported, none stops the run
                failures.append(f"{where}: {type(e).__name__}: {e}")
    for line in failures:
        print("FAIL", line)
    print(f"checked={checked} identical={identical} class_memo={class_memo}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
