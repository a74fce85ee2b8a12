"""Summarizes the newest checkpoint of examples/checkpoint_job.rs.

    python3 examples/analyze_checkpoint.py [CHECKPOINT_DIR]

Opens the checkpoint with job_state.load, which maps its numpy arrays from the
file instead of reading them (plain pickle.load gives the same objects): the
job wrote job_state.py (its classes and that helper) into the directory, so
the result is a real job_state.TrainingState whose layers hold numpy arrays
and whose loss history is a pandas DataFrame.
Needs numpy and pandas (pip install numpy pandas). Falls back to older checkpoints if the newest
cannot be read.
"""
import glob
import os
import pickle
import sys

import numpy as np
import pandas as pd


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "checkpoints"
    sys.path.insert(0, directory)
    import job_state

    files = sorted(glob.glob(os.path.join(directory, "*.pickle")), reverse=True)
    if not files:
        sys.exit(f"no checkpoints in {directory}")
    for path in files:
        try:
            state = job_state.load(path)
            with open(path, "rb") as f:
                assert type(pickle.load(f)) is type(state)
            break
        except Exception as e:  # a damaged file: say so and try the next one
            print(f"skipping {path}: {e}", file=sys.stderr)
    else:
        sys.exit("no readable checkpoint")

    assert isinstance(state, job_state.TrainingState), type(state)
    losses = np.asarray(state.losses)
    tail = losses[-max(1, len(losses) // 10):]
    print(f"{os.path.basename(path)}: {type(state).__module__}.{type(state).__qualname__}")
    print(f"step {state.step} of {state.config.total_steps} ({state.phase})")
    print(f"loss: first {losses[0]:.4f}, last {losses[-1]:.4f}, mean of the last tenth {tail.mean():.4f}")
    history = state.history
    assert isinstance(history, pd.DataFrame), type(history)
    by_phase = history.groupby("phase")["loss"].agg(["count", "mean"])
    print(f"history: a {type(history).__module__}.DataFrame of {len(history)} rows, columns {list(history.columns)}")
    for phase, row in by_phase.iterrows():
        print(f"  {phase}: {int(row['count'])} steps, mean loss {row['mean']:.4f}")
    for layer in state.model.layers:
        w = layer.weights
        print(f"{layer.name}: {w.size} weights ({type(w).__name__} {w.dtype}), norm {np.linalg.norm(w):.4f}, bias {layer.bias:.4f}")


if __name__ == "__main__":
    main()
