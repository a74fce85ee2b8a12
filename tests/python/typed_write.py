"""Writes the pickles that tests/tests/typed_decode.rs decodes into Rust types.

Usage: typed_write.py DIR

For every value in VALUES and every protocol 0-5 it writes
DIR/<name>.p<N>.pkl = pickle.dumps(value, N), and DIR/offsets.txt with one
line `<name> <N> <first> <last>` per file, the byte offsets the Rust side pins
in its errors: `first`, of the first opcode that is not PROTO, FRAME or MARK
(what creates a str, a list or a dict), and `last`, of the last one before
STOP that is not a memo opcode (the REDUCE that creates an object).
"""

import os
import pickle
import pickletools
import sys

VALUES = {
    "true": True,
    "false": False,
    "none": None,
    "int_0": 0,
    "int_255": 255,
    "int_256": 256,
    "int_65535": 65535,
    "int_65536": 65536,
    "int_300": 300,
    "int_neg1": -1,
    "i32_min": -(2**31),
    "i32_max": 2**31 - 1,
    "i64_min": -(2**63),
    "i64_max": 2**63 - 1,
    "u64_max": 2**64 - 1,
    "i128_min": -(2**127),
    "u128_max": 2**128 - 1,
    "float_1_5": 1.5,
    "nan": float("nan"),
    "inf": float("inf"),
    "neg_inf": float("-inf"),
    "neg_zero": -0.0,
    "subnormal": 5e-324,
    "str_ascii": "hello",
    "str_empty": "",
    "str_non_ascii": "h\xe9llo \xf1 \u0133",
    "str_astral": "\U0001f600\U0001d11e",
    "str_controls": "\n\\\0\x1a",
    "char": "\xe9",
    "bytes_short": b"\x00\x01\xff",
    "bytes_empty": b"",
    "bytes_300": bytes(range(256)) + b"x" * 44,
    "bytes_big": b"\xab" * 70000,
    "bytearray": bytearray(b"\x01\x02\xff"),
    "list_u8": [1, 2, 255],
    "list_with_300": [1, 300],
    "list_3": [1, -2, 300],
    "list_opt": [1, None, 3],
    "tuple_mixed": (1, "a", 2.5, True, None),
    "dict_str_int": {"a": 1, "b": 2},
    "dict_int_list": {1: [1], -7: [], 2**40: [2, 3]},
    "set_ints": {1, 2, 3},
    "frozenset_ints": frozenset({4, 5}),
    "nested": {"k": [(1, "a"), (2, "b")]},
    "shared_list": (lambda x: [x, x, x])([1, 2]),
    "big_list": list(range(2500)),
}


def main():
    folder = sys.argv[1]
    lines = []
    for name, value in VALUES.items():
        for proto in range(6):
            data = pickle.dumps(value, proto)
            with open(os.path.join(folder, f"{name}.p{proto}.pkl"), "wb") as f:
                f.write(data)
            ops = list(pickletools.genops(data))
            first = next(pos for op, _, pos in ops if op.name not in ("PROTO", "FRAME", "MARK"))
            last = [pos for op, _, pos in ops if op.name not in ("STOP", "PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE")][-1]
            lines.append(f"{name} {proto} {first} {last}\n")
    with open(os.path.join(folder, "offsets.txt"), "w", encoding="ascii") as f:
        f.writelines(lines)


if __name__ == "__main__":
    main()
