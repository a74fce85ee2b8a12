"""Reads the metadata a checkpoint file carries after its pickle, as the README
shows, and loads the file with plain pickle.load.

Usage: read_info.py FILE...
Prints one line per file: "STEP TYPE METRICS-JSON LOADED-TYPE".
"""
import json
import pickle
import struct
import sys

import crash_state  # noqa: F401  (the checkpoints are JobState instances)


def step_info(data):
    """The metadata dict of a pickle-persist file (format 2), or None."""
    if data[-24:-16] != b"PKRSTRLR":
        return None
    version, _crc, pickle_len = struct.unpack_from("<IIQ", data, len(data) - 16)
    if version < 2:
        return None
    (ext_len,) = struct.unpack_from("<Q", data, len(data) - 32)
    return pickle.loads(data[pickle_len:pickle_len + ext_len])


for path in sys.argv[1:]:
    with open(path, "rb") as f:
        data = f.read()
    info = step_info(data)
    with open(path, "rb") as f:
        obj = pickle.load(f)
    print(info["step"], info["type"], json.dumps(info["metrics"], sort_keys=True), type(obj).__name__, info["shards"],
          isinstance(info["time"], float))
