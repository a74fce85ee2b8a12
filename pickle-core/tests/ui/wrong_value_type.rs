use pickle_core::Pickle;

#[derive(Pickle)]
#[pickle(module = 1)]
struct Point {
    x: i64,
}

fn main() {}
