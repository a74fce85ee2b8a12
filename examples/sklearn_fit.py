"""Fits three scikit-learn models and pickles them for
examples/sklearn_predict.rs, with held-out rows and scikit-learn's own
predictions for them.

  python sklearn_fit.py DIR   (a Python with scikit-learn: the venv
                               target/venvs/pandas3 that scripts/venvs.sh makes)

Writes DIR/linear.pickle (LinearRegression), DIR/pipeline.pickle
(StandardScaler then LogisticRegression in a Pipeline), DIR/tree.pickle
(DecisionTreeClassifier), and DIR/heldout.pickle: a dict of the held-out
rows and each model's predictions on them, as NumPy arrays.
"""
import os
import pickle
import sys

import numpy as np
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier


def main(out):
    os.makedirs(out, exist_ok=True)
    X, y = make_regression(n_samples=200, n_features=4, noise=0.5, random_state=0)
    linear = LinearRegression().fit(X[:150], y[:150])
    Xc, yc = make_classification(n_samples=300, n_features=5, n_informative=3, random_state=1)
    pipeline = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]).fit(Xc[:200], yc[:200])
    tree = DecisionTreeClassifier(max_depth=4, random_state=0).fit(Xc[:200], yc[:200])
    for name, model in (("linear", linear), ("pipeline", pipeline), ("tree", tree)):
        with open(os.path.join(out, name + ".pickle"), "wb") as f:
            pickle.dump(model, f)
    heldout = {
        "regression_rows": X[150:],
        "linear": linear.predict(X[150:]),
        "classification_rows": Xc[200:],
        "pipeline": pipeline.predict_proba(Xc[200:])[:, 1],
        "tree": tree.predict_proba(Xc[200:])[:, 1],
    }
    with open(os.path.join(out, "heldout.pickle"), "wb") as f:
        pickle.dump(heldout, f)
    print("wrote", out)


if __name__ == "__main__":
    main(sys.argv[1])
