"""The differential oracle of `pickle scan` (pickle-cli/tests/scan.rs): runs
CPython's own unpickler (pickle.py's, whose find_class sees the stream's
protocol, as the Python 2 mapping needs) over each file with a find_class that imports
nothing and returns inert recording stubs, and prints, per file, every
global CPython resolved (after its Python 2 mapping), as JSON:

    {"path": ["module.qualname", ...], ...}

Nothing real is imported or called: every global is a Stub whose calls,
attributes, items and states are more Stubs. The scanner must report each
of these globals among its imports.

    python scan_oracle.py FILE...
"""

import _compat_pickle
import io
import json
import pickle
import sys


class Inert:
    """What BUILD, SETITEM, APPEND(S) and ADDITEMS call: nothing."""

    def __setstate__(self, state):
        pass

    def __setitem__(self, key, value):
        pass

    def append(self, item):
        pass

    def extend(self, items):
        pass

    def add(self, item):
        pass


class Stub(Inert):
    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def __call__(self, *args, **kwargs):
        return Stub(self._name + "()")

    def __getattr__(self, attr):
        return Stub(self._name + "." + attr)

    def __setattr__(self, key, value):
        pass


class Recorder(pickle._Unpickler):
    def __init__(self, f, seen):
        super().__init__(f, encoding="latin1")
        self.seen = seen

    def find_class(self, module, name):
        if self.proto < 3:
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        self.seen.append(f"{module}.{name}")
        # A class, so NEWOBJ's cls.__new__(cls) works on it.
        return type("Stub_" + name.replace(".", "_"), (StubClass,), {"_global": f"{module}.{name}"})

    def persistent_load(self, pid):
        return Stub("persistent")


class StubClass(Inert):
    """What find_class returns: a class, so NEWOBJ's cls.__new__(cls) works."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, attr):
        return Stub(attr)

    def __call__(self, *args, **kwargs):
        return Stub("call")


def main():
    out = {}
    for path in sys.argv[1:]:
        seen = []
        with open(path, "rb") as f:
            data = f.read()
        # Every stream, as the scanner reads them, until one fails.
        stream = io.BytesIO(data)
        while stream.tell() < len(data):
            try:
                Recorder(stream, seen).load()
            except Exception:
                break
        out[path] = seen
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
