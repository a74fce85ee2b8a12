"""Classes the benchmark's derived Rust structs map to."""


class Item:
    """Workload (a): one derived struct {x: f64, y: f64, label: String, tags: Vec<i64>}."""

    def __init__(self, x, y, label, tags):
        self.x = x
        self.y = y
        self.label = label
        self.tags = tags


class Layer:
    """Workload (g): a named array of weights."""

    def __init__(self, name, weights):
        self.name = name
        self.weights = weights


class Checkpoint:
    """Workload (g): a training step and its layers."""

    def __init__(self, step, layers):
        self.step = step
        self.layers = layers


class Record:
    """Workload (h): {when: DateTime<Utc>, amount: Decimal, values: NdArray<f32> of 16}."""

    def __init__(self, when, amount, values):
        self.when = when
        self.amount = amount
        self.values = values
