"""What the slots-compatible state form costs python3 at load time.

pickle-rs writes derived structs with the state `(None, {fields})` (applied
with setattr, so it loads into __slots__ classes too) unless the type says
`dict_state` (a plain dict merged into __dict__). This loads 100,000
four-field instances in both forms and prints the best of 11 runs of each.
Run it with each interpreter: `python3.8 bench/python/slots_load.py`.
"""
import copyreg
import itertools
import pickle
import pickletools
import sys
import timeit


class Point:
    pass


def build(slots_form):
    objs = []
    for i in range(100_000):
        p = Point.__new__(Point)
        p.__dict__.update(x=i * 1.0, y=i * 2.0, label="l%d" % i, tags=[i, i + 1])
        objs.append(p)
    if slots_form:
        # copyreg.__newobj__ makes pickle write NEWOBJ, as for the dict form;
        # the hook is removed before loading.
        Point.__reduce_ex__ = lambda self, proto: (copyreg.__newobj__, (Point,), (None, dict(self.__dict__)))
    try:
        data = pickle.dumps(objs, 4)
    finally:
        if slots_form:
            del Point.__reduce_ex__
    ops = [op.name for op, _, _ in itertools.islice(pickletools.genops(data), 40)]
    assert "NEWOBJ" in ops and ("NONE" in ops) == slots_form, ops
    return data


def main():
    times = {}
    for name, slots_form in (("dict", False), ("slots", True)):
        data = build(slots_form)
        back = pickle.loads(data)
        assert type(back[0]) is Point and back[5].label == "l5", back[0]
        times[name] = min(timeit.repeat(lambda: pickle.loads(data), number=3, repeat=11)) / 3
    ratio = times["slots"] / times["dict"]
    print(f"python {sys.version.split()[0]}: dict {times['dict'] * 1e3:.1f} ms, "
          f"slots {times['slots'] * 1e3:.1f} ms, slots/dict {ratio:.3f}")


if __name__ == "__main__":
    main()
