#!/usr/bin/env python3
"""Merges reports of several runs of pickle-bench into one, each figure
given as its range over the runs.

    for i in 1 2 3; do cargo run --release -p bench -- --runs 3 > run$i.md; done
    python3 scripts/bench_ranges.py run1.md run2.md run3.md

Every markdown table of the first report is printed with each number of
each cell replaced by "low-high" over the reports (or the number alone when
all runs agree). Rows are matched by their first cell, so the reports must
come from the same workloads. Lines outside tables are the first report's.
"""

import re
import sys

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def tables(text):
    """{(table index, row label): [cells]} and the lines, in order."""
    rows, index, in_table = {}, -1, False
    for line in text.splitlines():
        if line.startswith("|"):
            if not in_table:
                index, in_table = index + 1, True
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[(index, cells[0])] = cells
        else:
            in_table = False
    return rows


def merge_cell(values):
    """One cell over the runs: its numbers as ranges, its text as the first run's."""
    first = values[0]
    numbers = [NUMBER.findall(v) for v in values]
    if not numbers[0] or any(len(n) != len(numbers[0]) for n in numbers):
        return first
    out, at = [], 0
    for k, match in enumerate(NUMBER.finditer(first)):
        out.append(first[at:match.start()])
        column = [float(n[k]) for n in numbers]
        digits = len(match.group().split(".")[1]) if "." in match.group() else 0
        low, high = f"{min(column):.{digits}f}", f"{max(column):.{digits}f}"
        out.append(low if low == high else f"{low}-{high}")
        at = match.end()
    out.append(first[at:])
    return "".join(out)


def main(paths):
    texts = [open(p, encoding="utf-8").read() for p in paths]
    runs = [tables(t) for t in texts]
    print(f"<!-- ranges over {len(paths)} runs: {', '.join(paths)} -->")
    index, in_table = -1, False
    for line in texts[0].splitlines():
        if not line.startswith("|"):
            in_table = False
            print(line)
            continue
        if not in_table:
            index, in_table = index + 1, True
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        key = (index, cells[0])
        if set(line) <= set("|-: "):
            print(line)
            continue
        columns = [r.get(key) for r in runs]
        if any(c is None or len(c) != len(cells) for c in columns):
            print(line)
            continue
        merged = [cells[0]] + [merge_cell([c[i] for c in columns]) for i in range(1, len(cells))]
        print("| " + " | ".join(merged) + " |")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: bench_ranges.py REPORT REPORT [REPORT...]")
    main(sys.argv[1:])
