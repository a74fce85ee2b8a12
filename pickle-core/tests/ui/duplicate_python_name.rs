use pickle_core::Pickle;

#[derive(Pickle)]
struct Point {
    #[pickle(rename = "y")]
    x: i64,
    y: i64,
}

fn main() {}
