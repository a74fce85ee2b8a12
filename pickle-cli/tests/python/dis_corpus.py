"""Writes the pickles `pickle dis` is compared on against `python3 -m
pickletools`: DIR/good/*.pkl are valid pickles of many objects at every
protocol 0-5; DIR/bad/*.pkl are malformed ones on which pickletools raises.

usage: python3 dis_corpus.py DIR
"""

import os
import pickle
import sys

import cli_fixtures


def good(out):
    count = 0
    for protocol in range(6):
        for name, obj in cli_fixtures.objects(protocol).items():
            with open(os.path.join(out, f"{name}-p{protocol}.pkl"), "wb") as f:
                f.write(pickle.dumps(obj, protocol))
            count += 1
        # Everything in one pickle: the memo and MARK nesting get deep.
        with open(os.path.join(out, f"all-p{protocol}.pkl"), "wb") as f:
            f.write(pickle.dumps(cli_fixtures.objects(protocol), protocol))
        count += 1
    # Protocol 5 out-of-band buffers, written with buffer_callback.
    data = [pickle.PickleBuffer(b"out of band"), pickle.PickleBuffer(bytearray(b"writable"))]
    buffers = []
    with open(os.path.join(out, "oob-p5.pkl"), "wb") as f:
        f.write(pickle.dumps(data, 5, buffer_callback=buffers.append))
    with open(os.path.join(out, "inband-p5.pkl"), "wb") as f:
        f.write(pickle.dumps(data, 5))
    # Trailing bytes after STOP: only the first pickle is disassembled.
    with open(os.path.join(out, "two-pickles.pkl"), "wb") as f:
        f.write(pickle.dumps([1], 2) + pickle.dumps({"x": 2}, 4))
    # Python 2 style opcodes that CPython 3 no longer writes.
    hand = {
        "py2-string": b"S'it\\'s \\x41\\101\\n'\np0\n.",
        "py2-string-dq": b'S"dq"\n.',
        "py2-binstring": b"U\x03\xe9\xa0aT\x02\x00\x00\x00ab\x86.",
        "py2-int-bools": b"(I01\nI00\nI-12\nL123L\nF1.5\nFnan\nF-inf\nF1_0.5\nt.",
        "py2-unicode-escapes": b"Vraw\\u00e9\\U0001F600\\x41\\\\u0041\xe9\n.",
        "py2-inst": b"(i__main__\nFoo\n(dp0\nb.",
        "py2-obj": b"(c__builtin__\nobject\no.",
        "persid": b"Pkey\nK\x05Q\x86.",
        "ext": b"\x80\x02\x82\x01\x83\x02\x01\x84\x03\x00\x00\x00\x87.",
        "put-bool": b"K\x07p01\n0g1\n.",
        "pop-mark-p0": b"(K\x01(0t.",
        "dup-memo": b"\x80\x04]\x94\x32\x30\x30h\x00.",
        "long-zero": b"\x80\x02\x8a\x00\x8b\x00\x00\x00\x00\x86.",
        "binbytes8": b"\x80\x04\x8e\x03\x00\x00\x00\x00\x00\x00\x00abc\x8d\x02\x00\x00\x00\x00\x00\x00\x00hi\x96\x01\x00\x00\x00\x00\x00\x00\x00z\x87.",
    }
    for name, data in hand.items():
        with open(os.path.join(out, f"{name}.pkl"), "wb") as f:
            f.write(data)
        count += 1
    return count + 3


def bad(out):
    valid = pickle.dumps([1, "two", (3.0, b"four"), {"five": None}], 4)
    cases = {
        # Every truncated prefix of a valid pickle.
        **{f"prefix-{n:03}": valid[:n] for n in range(len(valid))},
        "bad-opcode": b"\x80\x04K\x01\xff.",
        "empty": b"",
        "memo-missing": b"(K\x01h\x05.",
        "memo-redefined": b"K\x01q\x00K\x02q\x00.",
        "memoize-redefined": b"\x80\x04K\x01\x94K\x02r\x00\x00\x00\x00\x94.",
        "put-empty-stack": b"p0\n.",
        "put-mark": b"(q\x00.",
        "no-mark": b"K\x01t.",
        "underflow": b"K\x01\x86.",
        "stack-not-empty": b"K\x01K\x02.",
        "mark-popped-by-reduce": b"(K\x01RK\x02t.",
        "bad-string-quote": b"S'abc\n.",
        "no-string-quote": b"Sabc\n.",
        "string-non-ascii": b"S'\xe9'\n.",
        "bad-x-escape": b"S'\\x4'\n.",
        "bad-utf8": b"X\x02\x00\x00\x00\xff\xfe.",
        "bad-raw-unicode": b"V\\u12\n.",
        "bad-int": b"I12a\n.",
        "bad-float": b"Fx\n.",
        "no-newline": b"I12",
        "negative-binstring": b"T\xff\xff\xff\xff.",
        "huge-bytes8": b"\x8e\xff\xff\xff\xff\xff\xff\xff\x7fab",
        "long4-too-many-digits": b"\x80\x02\x8b" + (2000).to_bytes(4, "little") + b"\x01" * 2000 + b".",
        "int-too-many-digits": b"I" + b"9" * 4301 + b"\n.",
    }
    for name, data in cases.items():
        with open(os.path.join(out, f"{name}.pkl"), "wb") as f:
            f.write(data)
    return len(cases)


def main():
    root = sys.argv[1]
    for sub in ("good", "bad"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    good(os.path.join(root, "good"))
    bad(os.path.join(root, "bad"))


if __name__ == "__main__":
    main()
