#!/usr/bin/env python3
"""Runs `pickle scan`, picklescan and fickling on the scan corpus
(pickle-cli/tests/python/scan_corpus.py) and writes docs/scan-comparison.md:
detection on the malicious files, false alarms on the benign ones, per file.

    bash scripts/venvs.sh && python3 scripts/compare_scanners.py

picklescan and fickling go in target/venvs/scanners (versions in
scripts/scanners.txt). No corpus file is ever unpickled: all three scanners
read them statically.
"""

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "target", "venvs", "scanners")
CORPUS = os.path.join(ROOT, "target", "scan-corpus")
OUT = os.path.join(ROOT, "docs", "scan-comparison.md")


def sh(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def setup():
    bin_dir = os.path.join(VENV, "bin")
    if not os.path.exists(os.path.join(bin_dir, "fickling")):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([os.path.join(bin_dir, "pip"), "install", "--quiet", "-r",
                        os.path.join(ROOT, "scripts", "scanners.txt")], check=True)
    subprocess.run(["rm", "-rf", CORPUS], check=True)
    subprocess.run([os.path.join(ROOT, "target", "venvs", "pandas3", "bin", "python"),
                    os.path.join(ROOT, "pickle-cli", "tests", "python", "scan_corpus.py"), CORPUS], check=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "pickle-cli"], check=True, cwd=ROOT)
    return bin_dir


def versions(bin_dir):
    out = sh(os.path.join(bin_dir, "pip"), "list", "--format", "json").stdout
    have = {p["name"].lower(): p["version"] for p in json.loads(out)}
    return have.get("picklescan", "?"), have.get("fickling", "?")


def picklescan(bin_dir, path, strict):
    args = [os.path.join(bin_dir, "picklescan"), "-p", path] + (["--strict"] if strict else [])
    r = sh(*args)
    if r.returncode == 1:
        return "dangerous"
    if r.returncode != 0:
        return "error"
    return "suspicious" if "Suspicious globals: 0" not in r.stdout else "clean"


FICKLING = {"LIKELY_SAFE": "clean", "SUSPICIOUS": "suspicious", "POSSIBLY_UNSAFE": "unsafe",
            "LIKELY_UNSAFE": "unsafe", "LIKELY_OVERTLY_MALICIOUS": "dangerous", "OVERTLY_MALICIOUS": "dangerous"}


def fickling(bin_dir, path):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        r = sh(os.path.join(bin_dir, "fickling"), "--check-safety", "--json-output", out, path)
        try:
            with open(out) as f:
                severity = json.load(f)["severity"]
        except (OSError, ValueError, KeyError):
            return "error" if r.returncode != 0 else "clean"
    return FICKLING.get(severity, severity.lower())


def ours(paths):
    exe = os.path.join(ROOT, "target", "release", "pickle")
    r = sh(exe, "scan", "--format", "json", *paths, cwd=CORPUS)
    return {f["path"]: f["verdict"] for f in json.loads(r.stdout)["files"]}


# What counts as a detection (blocking severity) for each tool.
BLOCKING = {"pickle scan": {"dangerous"}, "picklescan": {"dangerous"}, "picklescan --strict": {"dangerous"},
            "fickling": {"dangerous", "unsafe"}}
CLEAN = {"safe", "clean"}


def main():
    bin_dir = setup()
    ps_version, fk_version = versions(bin_dir)
    with open(os.path.join(CORPUS, "labels.tsv")) as f:
        labels = [line.rstrip("\n").split("\t") for line in f]
    paths = [p for p, _, _ in labels]
    results = {"pickle scan": ours(paths)}
    results["picklescan"] = {p: picklescan(bin_dir, os.path.join(CORPUS, p), False) for p in paths}
    results["picklescan --strict"] = {p: picklescan(bin_dir, os.path.join(CORPUS, p), True) for p in paths}
    results["fickling"] = {p: fickling(bin_dir, os.path.join(CORPUS, p)) for p in paths}
    tools = list(results)
    mal = [p for p, kind, _ in labels if kind == "malicious"]
    ben = [p for p, kind, _ in labels if kind == "benign"]
    plain = [p for p, kind, expect in labels if kind == "benign" and expect == "safe"]
    lines = [
        "# `pickle scan` against picklescan and fickling",
        "",
        "Made by `scripts/compare_scanners.py` on the corpus of `pickle-cli/tests/python/scan_corpus.py`",
        f"({len(mal)} malicious files, one per technique of SECURITY.md; {len(ben)} benign files, {len(plain)} of",
        "them plain data: NumPy, pandas, scikit-learn, stdlib values, torch-like archives, decoys; the other",
        f"{len(ben) - len(plain)} hold an application's own classes). picklescan {ps_version}, fickling {fk_version}.",
        "",
        "A detection is a verdict at blocking severity: `dangerous` for pickle scan and picklescan (exit 1),",
        "`LIKELY_UNSAFE` or worse for fickling. \"Not clean\" counts any warning at all.",
        "",
        "| tool | malicious detected | malicious not clean | benign flagged | plain data called clean |",
        "|---|---|---|---|---|",
    ]
    for t in tools:
        r = results[t]
        det = sum(r[p] in BLOCKING[t] for p in mal)
        not_clean = sum(r[p] not in CLEAN for p in mal)
        fp = sum(r[p] in BLOCKING[t] for p in ben)
        clean = sum(r[p] in CLEAN for p in plain)
        lines.append(f"| {t} | {det}/{len(mal)} ({100 * det // len(mal)}%) | {not_clean}/{len(mal)} | "
                     f"{fp}/{len(ben)} | {clean}/{len(plain)} |")
    lines += ["", "## Per file", "", "| file | expected | " + " | ".join(tools) + " |",
              "|---|---|" + "---|" * len(tools)]
    for p, kind, expect in labels:
        lines.append(f"| `{p}` | {expect} | " + " | ".join(results[t][p] for t in tools) + " |")
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines[10:10 + 2 + len(tools)]))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
