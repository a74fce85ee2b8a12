use pickle_core::Pickle;

#[derive(Pickle)]
#[pickle(name = "A")]
#[pickle(name = "B")]
struct Point {
    x: i64,
}

fn main() {}
