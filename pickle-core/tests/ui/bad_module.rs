use pickle_core::Pickle;

#[derive(Pickle)]
#[pickle(module = "app..models", alias = "NoDot")]
struct Point {
    x: i64,
}

fn main() {}
