use pickle_core::Pickle;

#[derive(Pickle)]
#[pickle(rename = "P")]
struct Point {
    #[pickle(module = "m")]
    x: i64,
}

fn main() {}
