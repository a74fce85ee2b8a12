"""CPython's side of the benchmark: builds objects equal to the Rust data,
times C pickle's dumps/loads (best of N), measures file sizes at protocols
2, 4 and 5, and times pickle.loads of pickle-rs's files against Python's own.

Invoked by pickle-bench with a JSON job on stdin; prints one JSON result.
"""
import datetime
import decimal
import gc
import json
import os
import pickle
import sys
import threading
import time

import bench_models


def best_pair(fa, fb, runs):
    """The best times of `fa` and `fb` timed in turns, as `best` times one:
    both then see the same drift of the machine (the python3 loads of our
    file against its own, where a few percent decide). Which goes first
    alternates from round to round, so neither always runs just after the
    other's garbage is collected. Rounds go on for PAIR_TOTAL seconds:
    a ratio whose goal is 1.05 needs more than a few."""
    times = ([], [])
    started = time.perf_counter()
    while len(times[0]) < runs or (time.perf_counter() - started < PAIR_TOTAL and len(times[0]) < MAX_RUNS):
        turns = [(fa, times[0]), (fb, times[1])]
        if len(times[0]) % 2:
            turns.reverse()
        for fn, out in turns:
            gc.collect()
            t = time.perf_counter()
            result = fn()
            out.append(time.perf_counter() - t)
            del result
    return min(times[0]), min(times[1])


def best(fn, runs):
    """The best time of at least `runs` runs of `fn`, and of more while they
    add up to less than MIN_TOTAL seconds (short figures are noisy). The
    result is freed after the clock stops, as the Rust side drops its
    result outside the timed region."""
    times = []
    started = time.perf_counter()
    while len(times) < runs or (time.perf_counter() - started < MIN_TOTAL and len(times) < MAX_RUNS):
        gc.collect()
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
        del result
    return min(times)


# Keep in step with bench/src/measure.rs.
MIN_TOTAL = 0.3
MAX_RUNS = 100
PAIR_TOTAL = 5.0


def build(name, scale):
    n = lambda full: max(1, int(full * scale))
    if name == "a":
        return [bench_models.Item(i * 0.5, -i * 0.25, f"item-{i}", [i, i + 1, i + 2]) for i in range(n(1_000_000))]
    if name == "b":
        return {f"key{i}": i for i in range(n(1_000_000))}
    if name == "c":
        return [i * 0.1 for i in range(n(10_000_000))]
    if name == "d":
        return [f"s{i % 1000}-{i}" for i in range(n(2_000_000))]
    if name == "e":
        shared = [1, 2, 3, 4, 5]
        return [shared] * n(1_000_000)
    if name == "h":
        import numpy as np
        utc = datetime.timezone.utc
        return [bench_models.Record(datetime.datetime.fromtimestamp(1_600_000_000 + i, utc),
                                    decimal.Decimal(i * 100 + 7).scaleb(-2),
                                    np.arange(i * 16, i * 16 + 16, dtype=np.float32))
                for i in range(n(1_000_000))]
    if name == "i":
        return [i * 0.5 for i in range(n((1 << 30) // 8))]
    if name == "f":
        root = []
        cur = root
        for _ in range(n(100_000) - 1):
            nxt = []
            cur.append(nxt)
            cur = nxt
        return root
    raise ValueError(name)


def run_file(job):
    """Workload (i): pickle.dump into a file and pickle.load back, beside
    pickle.load of pickle-rs's file."""
    scale, runs, ours = job["scale"], job["runs"], job["file"]
    obj = build("i", scale)
    own = ours + ".cpython"

    def dump():
        with open(own, "wb") as f:
            pickle.dump(obj, f, 4)

    def load(path):
        with open(path, "rb") as f:
            return pickle.load(f)

    out = {"workload": "i", "dumps": best(dump, runs)}
    if load(ours) != obj:
        raise SystemExit("workload i: pickle-rs's file does not load as the same floats")
    out["loads"] = best(lambda: load(own), runs)
    out["loads_ours"], out["loads_own_again"] = best_pair(lambda: load(ours), lambda: load(own), runs)
    out["sizes"] = {"4": os.path.getsize(own)}
    os.remove(own)
    return out


def run(job):
    name, scale, runs = job["workload"], job["scale"], job["runs"]
    if name == "i":
        return run_file(job)
    obj = build(name, scale)
    out = {"workload": name}
    own = pickle.dumps(obj, 4)
    out["dumps"] = best(lambda: pickle.dumps(obj, 4), runs)
    out["loads"] = best(lambda: pickle.loads(own), runs)
    out["sizes"] = {str(p): len(pickle.dumps(obj, p)) for p in (2, 4, 5)}
    ours = {}
    for p, path in job["ours"].items():
        with open(path, "rb") as f:
            data = f.read()
        back = pickle.loads(data)
        if name != "f" and not same(back, obj):
            raise SystemExit(f"workload {name}: pickle-rs's protocol {p} file does not load as the same objects")
        ours[p] = data
    out["loads_ours"], out["loads_own_again"] = best_pair(
        lambda: pickle.loads(ours["4"]), lambda: pickle.loads(own), runs
    )
    if name == "e":
        # The control for pickle-rs's linearity figure: the same doublings.
        def loads_at(s):
            data = pickle.dumps(build(name, s), 4)
            return best(lambda: pickle.loads(data), runs)

        half, full, double = loads_at(scale / 2), loads_at(scale), loads_at(scale * 2)
        out["linear_full_half"] = full / half
        out["linear_double_full"] = double / full
    return out


def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, bench_models.Item):
        return vars(a) == vars(b)
    if isinstance(a, list) and a and isinstance(a[0], bench_models.Item):
        return len(a) == len(b) and all(vars(x) == vars(y) for x, y in zip(a, b))
    if isinstance(a, list) and a and isinstance(a[0], bench_models.Record):
        import numpy as np
        return len(a) == len(b) and all(
            x.when == y.when and x.amount == y.amount and x.values.dtype == y.values.dtype
            and np.array_equal(x.values, y.values) for x, y in zip(a, b))
    return a == b


def main():
    job = json.load(sys.stdin)
    sys.setrecursionlimit(1_000_000)
    threading.stack_size(1 << 29)
    result = {}

    def target():
        result["out"] = run(job)

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "out" not in result:
        raise SystemExit("the benchmark thread failed")
    json.dump(result["out"], sys.stdout)


if __name__ == "__main__":
    main()
