use pickle_core::Pickle;

#[derive(Pickle)]
#[pickle(module)]
struct Point {
    x: i64,
}

fn main() {}
