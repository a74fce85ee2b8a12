"""Half of the recode test: `write DIR` pickles cli_fixtures.objects(p) at
every protocol p as DIR/in-p{p}-q{q}.pkl; `check DIR` loads every
DIR/out-p{p}-q{q}.pkl that `pickle recode --protocol q` wrote and checks it
against the original objects, sharing and cycles included.

usage: python3 recode_check.py write|check DIR
"""

import os
import pickle
import sys

import cli_fixtures

# Cycles make == recurse forever; these are checked by identity instead.
CYCLIC = ("cyclic_list", "cyclic_dict")



def objects(p, q):
    """What in-p{p}.pkl holds."""
    return cli_fixtures.objects(p)


def write(root):
    for p in range(6):
        for q in range(6):
            with open(os.path.join(root, f"in-p{p}-q{q}.pkl"), "wb") as f:
                f.write(pickle.dumps(objects(p, q), p))


def check(root):
    checked = 0
    for p in range(6):
        for q in range(6):
            original = objects(p, q)
            with open(os.path.join(root, f"in-p{p}-q{q}.pkl"), "rb") as f:
                python_loaded = pickle.load(f)
            path = os.path.join(root, f"out-p{p}-q{q}.pkl")
            with open(path, "rb") as f:
                data = f.read()
            if q >= 2:
                assert data[:2] == bytes([0x80, q]), (path, data[:2])
            got = pickle.loads(data)
            assert list(got) == list(original), path
            for name, want in original.items():
                if name not in CYCLIC:
                    assert got[name] == want, (path, name, got[name], want)
                    assert type(got[name]) is type(want), (path, name)
            cyc = got["cyclic_list"]
            assert cyc[0] == 1 and cyc[1] is cyc, path
            assert got["cyclic_dict"]["self"] is got["cyclic_dict"], path
            shared = got["shared"]
            assert shared[0] is shared[1] and shared[2][0] is shared[0], path
            # The same graph, identity included, as Python's own load gives.
            assert pickle.dumps(got, 5) == pickle.dumps(python_loaded, 5), path
            checked += 1
    print(f"checked {checked}")


if __name__ == "__main__":
    {"write": write, "check": check}[sys.argv[1]](sys.argv[2])
