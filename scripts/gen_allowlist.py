#!/usr/bin/env python3
"""Writes pickle-core/src/options/allowlist_generated.rs: the globals that
NumPy, pandas and scikit-learn pickles name, harvested from real pickles made
in every venv of scripts/venvs.sh (NumPy 1 and 2, pandas 1.5, 2 and 3,
scikit-learn), plus scikit-learn's estimator classes and Python's exception
classes (3.8-3.13 under pyenv).

Run it after changing a venv's versions:

    bash scripts/venvs.sh && python3 scripts/gen_allowlist.py

Only this project's own objects are pickled and unpickled here; the harvest
records each global through Unpickler.find_class.
"""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "pickle-core", "src", "options", "allowlist_generated.rs")

# Modules whose globals are never harvested into the allowlist, even when a
# pickle names them: they run code or touch files.
NEVER = ("numpy.f2py", "numpy.testing", "numpy.distutils", "numpy.ctypeslib", "pandas.io",
         "builtins", "copyreg", "__builtin__", "functools", "operator", "_operator", "os", "sys")
KEEP = ("numpy", "pandas", "sklearn", "scipy")

HARVEST = r'''
import io, json, pickle, sys, warnings
warnings.simplefilter("ignore")
objs = []
import numpy as np
objs += [np.arange(6).reshape(2, 3), np.array([1.5, 2.5], dtype="<f4"), np.array(["a", "bc"]),
         np.array([b"x"]), np.array([1, None], dtype=object), np.array([True]),
         np.array(["2020-01-01"], dtype="datetime64[ns]"), np.array([1], dtype="timedelta64[s]"),
         np.zeros(2, dtype=[("a", "<i4"), ("b", "<f8")]), np.ma.masked_array([1, 2], mask=[0, 1]),
         np.matrix([[1, 2]]), np.float64(1.5), np.int32(3), np.bool_(True), np.complex128(1j),
         np.datetime64("2020-01-01"), np.str_("s"), np.dtype("f8"), np.dtype([("a", "i4")]),
         np.random.RandomState(0), np.random.default_rng(0), np.float16(1), np.longdouble(1)]
try:
    objs += [np.random.Generator(np.random.PCG64DXSM(1)), np.random.Generator(np.random.Philox(1)),
             np.random.Generator(np.random.SFC64(1)), np.random.Generator(np.random.MT19937(1)),
             np.random.SeedSequence(1)]
except Exception:
    pass
try:
    import pandas as pd
    df = pd.DataFrame({"i": [1, 2], "f": [1.5, None], "s": ["a", "b"], "b": [True, False],
                       "d": pd.to_datetime(["2020-01-01", "2021-01-01"]),
                       "tz": pd.to_datetime(["2020-01-01", "2021-01-01"]).tz_localize("UTC"),
                       "td": pd.to_timedelta([1, 2], unit="s"), "c": pd.Categorical(["x", "y"]),
                       "n": pd.array([1, None], dtype="Int64"), "bn": pd.array([True, None], dtype="boolean"),
                       "fn": pd.array([1.5, None], dtype="Float64"),
                       "st": pd.array(["a", None], dtype="string"),
                       "p": pd.period_range("2020-01", periods=2, freq="M"),
                       "iv": pd.interval_range(0, 2)})
    objs += [df, df.set_index(["i", "s"]), df["f"], df.index, pd.Index([1.5]), pd.Index(["a"]),
             pd.RangeIndex(3), pd.date_range("2020", periods=3, freq="D"),
             pd.date_range("2020", periods=3, freq="h", tz="Europe/Paris"), pd.timedelta_range(0, periods=2),
             pd.CategoricalIndex(["a"]), pd.MultiIndex.from_tuples([(1, "a")]), pd.Timestamp("2020-01-01"),
             pd.Timestamp("2020-01-01", tz="UTC"), pd.Timedelta(1), pd.Period("2020-01", freq="M"),
             pd.Interval(0, 1), pd.NaT, pd.NA, pd.CategoricalDtype(["a"]), pd.offsets.MonthEnd(),
             pd.offsets.Day(2), pd.offsets.BusinessDay(), pd.arrays.SparseArray([0, 1]),
             pd.Series([1, 2], name="x"), pd.DataFrame(np.eye(2)), pd.Series(pd.Categorical(["a"])),
             pd.DatetimeTZDtype(tz="UTC"), pd.PeriodIndex(["2020-01"], freq="M"), pd.IntervalIndex.from_breaks([0, 1])]
except ImportError:
    pass
try:
    import sklearn
    from sklearn.utils import all_estimators
    from sklearn import (linear_model, tree, ensemble, cluster, decomposition, preprocessing, svm,
                         neighbors, neural_network, pipeline, compose, feature_extraction, impute)
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 3.0], [0.5, 2.0], [2.5, 0.5]] * 4)
    y = np.array([0, 1, 0, 1, 0, 1] * 4)
    models = [linear_model.LinearRegression(), linear_model.LogisticRegression(), linear_model.Ridge(),
              linear_model.SGDClassifier(), tree.DecisionTreeClassifier(), tree.DecisionTreeRegressor(),
              ensemble.RandomForestClassifier(n_estimators=3), ensemble.GradientBoostingClassifier(n_estimators=3),
              ensemble.HistGradientBoostingClassifier(max_iter=3), ensemble.HistGradientBoostingRegressor(max_iter=3),
              ensemble.IsolationForest(n_estimators=3), ensemble.GradientBoostingRegressor(n_estimators=3),
              cluster.KMeans(n_clusters=2, n_init=1), decomposition.PCA(1), preprocessing.StandardScaler(),
              preprocessing.MinMaxScaler(), svm.SVC(), neighbors.KNeighborsClassifier(2),
              neighbors.KNeighborsClassifier(2, algorithm="kd_tree"), neighbors.KNeighborsClassifier(2, algorithm="ball_tree"),
              neural_network.MLPClassifier(max_iter=5), impute.SimpleImputer(),
              pipeline.make_pipeline(preprocessing.StandardScaler(), linear_model.LogisticRegression())]
    for m in models:
        objs.append(m.fit(X, y))
    objs.append(preprocessing.OneHotEncoder().fit([["a"], ["b"]]))
    objs.append(preprocessing.LabelEncoder().fit(["a", "b"]))
    objs.append(feature_extraction.text.TfidfVectorizer().fit(["alpha beta", "beta gamma"]))
    objs.append(compose.ColumnTransformer([("s", preprocessing.StandardScaler(), [0])]).fit(X))
    for name, cls in all_estimators():
        objs.append(cls)
except ImportError:
    pass

names = {}
class Harvest(pickle.Unpickler):
    def find_class(self, module, name):
        obj = super().find_class(module, name)
        names[(module, name)] = isinstance(obj, type)
        return obj
for o in objs:
    for proto in range(0, pickle.HIGHEST_PROTOCOL + 1):
        try:
            data = pickle.dumps(o, protocol=proto)
        except Exception:
            continue
        Harvest(io.BytesIO(data)).load()
json.dump([[m, n, c] for (m, n), c in names.items()], sys.stdout)
'''

EXCEPTIONS = r'''
import builtins, json, sys
json.dump(sorted(n for n in dir(builtins) if isinstance(getattr(builtins, n), type)
                 and issubclass(getattr(builtins, n), BaseException)), sys.stdout)
'''


def run(python, code):
    out = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def pyenv_pythons():
    try:
        root = subprocess.run(["pyenv", "root"], check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return [sys.executable]
    found = []
    for v in sorted(os.listdir(os.path.join(root, "versions"))):
        exe = os.path.join(root, "versions", v, "bin", "python3")
        if os.path.exists(exe) and not v.startswith("2."):
            found.append(exe)
    return found or [sys.executable]


def main():
    classes, functions = set(), set()
    venvs = os.path.join(ROOT, "target", "venvs")
    for venv in sorted(os.listdir(venvs)):
        python = os.path.join(venvs, venv, "bin", "python")
        for module, name, is_class in run(python, HARVEST):
            if not module.startswith(KEEP) or any(module == n or module.startswith(n + ".") for n in NEVER):
                continue
            (classes if is_class else functions).add((module, name))
        print(f"{venv}: {len(classes)} classes, {len(functions)} functions so far", file=sys.stderr)
    for python in pyenv_pythons():
        for name in run(python, EXCEPTIONS):
            classes.add(("builtins", name))
    # The venvs' estimators are classes whether or not pickled by a fit.
    with open(OUT, "w") as f:
        f.write("// Generated by scripts/gen_allowlist.py from the venvs of scripts/venvs.sh\n")
        f.write("// and the pyenv Pythons; do not edit. Classes may be called,\n")
        f.write("// instantiated and given a state; functions called, their results given a state.\n\n")
        for const, items in (("CLASSES", classes), ("FUNCTIONS", functions)):
            f.write(f"pub(super) const {const}: &[(&str, &str)] = &[\n")
            for module, name in sorted(items):
                f.write(f'    ("{module}", "{name}"),\n')
            f.write("];\n\n")
    print(f"wrote {OUT}: {len(classes)} classes, {len(functions)} functions", file=sys.stderr)


if __name__ == "__main__":
    main()
