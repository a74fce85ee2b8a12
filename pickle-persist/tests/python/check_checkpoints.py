"""Loads checkpoint files with plain pickle.load and checks they are real objects.

Usage: check_checkpoints.py FILE:STEP:NWEIGHTS ...
Prints "ok N" when every file loads as a crash_state.JobState with that step
and weights; exits 1 with a message otherwise.
"""
import pickle
import sys

import crash_state

checked = 0
for arg in sys.argv[1:]:
    path, step, n = arg.rsplit(":", 2)
    with open(path, "rb") as f:
        obj = pickle.load(f)
    if type(obj) is not crash_state.JobState:
        sys.exit(f"{path}: expected crash_state.JobState, got {type(obj)!r}")
    if obj.step != int(step) or len(obj.weights) != int(n):
        sys.exit(f"{path}: expected step {step} with {n} weights, got {obj.step} with {len(obj.weights)}")
    for i, w in enumerate(obj.weights):
        if w != obj.step + i * 0.5:
            sys.exit(f"{path}: weight {i} is {w}")
    if obj.note != f"step {obj.step}":
        sys.exit(f"{path}: note is {obj.note!r}")
    checked += 1
print("ok", checked)
