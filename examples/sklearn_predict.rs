//! Reads scikit-learn models that Python fitted and pickled into derived
//! structs, and predicts with them in Rust: a `LinearRegression`, a
//! `Pipeline` of a `StandardScaler` and a `LogisticRegression`, and a
//! `DecisionTreeClassifier` (whose tree is a structured NumPy array).
//!
//! ```sh
//! bash scripts/venvs.sh        # a venv with scikit-learn: target/venvs/pandas3
//! target/venvs/pandas3/bin/python examples/sklearn_fit.py models
//! cargo run --example sklearn_predict -- models
//! ```
//!
//! Only the attributes prediction needs are fields; pickle-rs ignores the
//! rest of each estimator's `__dict__` (`_sklearn_version`, `n_iter_`, ...).

use std::collections::BTreeMap;
use std::path::Path;

use pickle_core::numpy::{NdArray, StructArray};
use pickle_core::{Context, FromPickle, Item, Pickle, Value};

/// `sklearn.linear_model.LinearRegression`: `y = X · coef_ + intercept_`.
#[derive(Pickle, Debug)]
#[pickle(module = "sklearn.linear_model._base", name = "LinearRegression")]
#[pickle(alias = "sklearn.linear_model.LinearRegression")]
struct LinearRegression {
    coef_: NdArray<f64>,
    /// A `numpy.float64` scalar in the pickle.
    intercept_: f64,
}

/// `sklearn.preprocessing.StandardScaler`: `(x - mean_) / scale_`.
#[derive(Pickle, Debug)]
#[pickle(module = "sklearn.preprocessing._data", name = "StandardScaler")]
struct StandardScaler {
    mean_: NdArray<f64>,
    scale_: NdArray<f64>,
}

/// `sklearn.linear_model.LogisticRegression`, binary: `coef_` is 1 × n.
#[derive(Pickle, Debug)]
#[pickle(module = "sklearn.linear_model._logistic", name = "LogisticRegression")]
struct LogisticRegression {
    coef_: NdArray<f64>,
    intercept_: NdArray<f64>,
}

/// `sklearn.pipeline.Pipeline`: its steps are `(name, estimator)` pairs,
/// read as `Value`s and converted by `from_value` once their class is known.
#[derive(Pickle, Debug)]
#[pickle(module = "sklearn.pipeline", name = "Pipeline")]
struct Pipeline<'a> {
    steps: Vec<(String, Value<'a>)>,
}

/// `sklearn.tree.DecisionTreeClassifier`.
#[derive(Pickle, Debug)]
#[pickle(module = "sklearn.tree._classes", name = "DecisionTreeClassifier")]
struct DecisionTreeClassifier {
    tree_: Tree,
}

/// `sklearn.tree._tree.Tree`, a Cython class pickled as
/// `Tree(n_features, n_classes, n_outputs)` with a state dict: the node
/// table (a structured array) and the class counts per node.
#[derive(Debug)]
struct Tree {
    left: Vec<i64>,
    right: Vec<i64>,
    feature: Vec<i64>,
    threshold: Vec<f64>,
    /// node_count × n_outputs × n_classes.
    values: NdArray<f64>,
}

impl<'a> FromPickle<'a> for Tree {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> pickle_core::Result<Self> {
        let v = cx.value();
        let obj = v.as_object(item).ok_or_else(|| cx.mismatch(item, "a sklearn.tree._tree.Tree"))?;
        if !v.as_global(obj.class).is_some_and(|g| g.is("sklearn.tree._tree", "Tree")) {
            return Err(cx.mismatch(item, "a sklearn.tree._tree.Tree"));
        }
        let state = obj.state.ok_or_else(|| cx.error(item, "the Tree has no state"))?;
        let get =
            |key: &str| v.dict_get(state, key).ok_or_else(|| cx.error(state, format_args!("the Tree has no {key}")));
        let (nodes, values) = (get("nodes")?, get("values")?);
        let nodes: StructArray = cx.decode(nodes)?;
        let field = |name: &str| cx.error(item, format_args!("the Tree's nodes have no {name} of the expected type"));
        Ok(Tree {
            left: nodes.field("left_child").ok_or_else(|| field("left_child"))?,
            right: nodes.field("right_child").ok_or_else(|| field("right_child"))?,
            feature: nodes.field("feature").ok_or_else(|| field("feature"))?,
            threshold: nodes.field("threshold").ok_or_else(|| field("threshold"))?,
            values: cx.decode(values)?,
        })
    }
}

/// Derived types need all three traits for every field; this example only
/// reads trees.
impl pickle_core::ToPickle for Tree {
    fn to_pickle(&self, _: &mut pickle_core::Encoder<'_>) -> pickle_core::Result<()> {
        Err(pickle_core::Error::custom("this example reads scikit-learn trees; it does not write them"))
    }
}

impl pickle_core::PyType for Tree {
    fn py_type(_: &mut pickle_core::PyModuleBuilder) -> pickle_core::TypeHint {
        pickle_core::TypeHint::class("sklearn.tree._tree", "Tree")
    }
}

impl LinearRegression {
    fn predict(&self, row: &[f64]) -> f64 {
        self.coef_.data().iter().zip(row).map(|(w, x)| w * x).sum::<f64>() + self.intercept_
    }
}

/// A fitted Pipeline of a scaler then a binary logistic regression.
struct ScaledLogistic {
    scaler: StandardScaler,
    logistic: LogisticRegression,
}

impl ScaledLogistic {
    fn from_pipeline(p: Pipeline<'_>) -> Result<ScaledLogistic, Box<dyn std::error::Error>> {
        let mut steps = p.steps.into_iter();
        let (Some((_, scaler)), Some((_, logistic)), None) = (steps.next(), steps.next(), steps.next()) else {
            return Err("expected a pipeline of two steps".into());
        };
        Ok(ScaledLogistic {
            scaler: pickle_core::from_value(&scaler, scaler.root())?,
            logistic: pickle_core::from_value(&logistic, logistic.root())?,
        })
    }

    /// The probability of class 1, as `predict_proba(X)[:, 1]`.
    fn predict_proba(&self, row: &[f64]) -> f64 {
        let (mean, scale) = (self.scaler.mean_.data(), self.scaler.scale_.data());
        let z: f64 =
            row.iter().enumerate().map(|(i, x)| (x - mean[i]) / scale[i] * self.logistic.coef_.data()[i]).sum::<f64>()
                + self.logistic.intercept_.data()[0];
        1.0 / (1.0 + (-z).exp())
    }
}

impl Tree {
    /// The probability of class 1 at the leaf `row` falls in.
    fn predict_proba(&self, row: &[f64]) -> f64 {
        let mut node = 0usize;
        while self.left[node] >= 0 {
            let f = self.feature[node] as usize;
            node = if row[f] <= self.threshold[node] { self.left[node] } else { self.right[node] } as usize;
        }
        let classes = self.values.shape()[2];
        let counts = &self.values.data()[node * classes..(node + 1) * classes];
        counts[1] / counts.iter().sum::<f64>()
    }
}

fn rows(a: &NdArray<f64>) -> Vec<&[f64]> {
    a.data().chunks(a.shape()[1]).collect()
}

/// One model's predictions on the held-out rows: its name, ours, scikit-learn's.
type Predictions = (&'static str, Vec<f64>, Vec<f64>);

/// The predictions of the three models on the held-out rows.
fn predict_all(dir: &Path) -> Result<Vec<Predictions>, Box<dyn std::error::Error>> {
    let read = |name: &str| std::fs::read(dir.join(name));
    let linear: LinearRegression = pickle_core::from_slice(&read("linear.pickle")?)?;
    let pipeline_bytes = read("pipeline.pickle")?;
    let pipeline = ScaledLogistic::from_pipeline(pickle_core::from_slice(&pipeline_bytes)?)?;
    let tree: DecisionTreeClassifier = pickle_core::from_slice(&read("tree.pickle")?)?;
    let mut heldout: BTreeMap<String, NdArray<f64>> = pickle_core::from_slice(&read("heldout.pickle")?)?;
    let mut take = |k: &str| heldout.remove(k).ok_or_else(|| format!("heldout.pickle has no {k}"));
    let (reg, cls) = (take("regression_rows")?, take("classification_rows")?);
    Ok(vec![
        ("LinearRegression", rows(&reg).iter().map(|r| linear.predict(r)).collect(), take("linear")?.into_vec()),
        (
            "StandardScaler + LogisticRegression",
            rows(&cls).iter().map(|r| pipeline.predict_proba(r)).collect(),
            take("pipeline")?.into_vec(),
        ),
        (
            "DecisionTreeClassifier",
            rows(&cls).iter().map(|r| tree.tree_.predict_proba(r)).collect(),
            take("tree")?.into_vec(),
        ),
    ])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: sklearn_predict DIR (written by examples/sklearn_fit.py)")?;
    for (model, ours, theirs) in predict_all(Path::new(&dir))? {
        let worst = ours.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        println!("{model}: {} held-out rows, largest difference from scikit-learn {worst:.3e}", ours.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scikit-learn (in the venv scripts/venvs.sh makes) fits and pickles
    /// the models; the Rust predictions on the held-out rows equal
    /// scikit-learn's to 1e-12.
    #[test]
    fn predictions_equal_scikit_learns() {
        let Some(python) = pickle_test_support::venv_python("pandas3") else { return };
        let dir = pickle_test_support::TempDir::new("sklearn");
        let mut cmd = pickle_test_support::python_at(&python, &[]);
        cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("sklearn_fit.py")).arg(dir.path());
        pickle_test_support::run_ok(cmd, b"");
        let all = predict_all(dir.path()).expect("the models read");
        assert_eq!(all.len(), 3);
        for (model, ours, theirs) in all {
            assert_eq!(ours.len(), theirs.len(), "{model}");
            assert!(ours.len() >= 50, "{model}");
            for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                assert!((a - b).abs() <= 1e-12, "{model}, row {i}: {a} vs scikit-learn's {b}");
            }
        }
    }
}
