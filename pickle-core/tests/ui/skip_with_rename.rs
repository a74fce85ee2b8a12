use pickle_core::Pickle;

#[derive(Pickle)]
struct Point {
    #[pickle(skip, rename = "y")]
    x: i64,
}

fn main() {}
