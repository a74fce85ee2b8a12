use pickle_core::Pickle;

#[derive(Pickle)]
enum Shape {
    #[pickle(value = 1)]
    Circle { r: f64 },
    Empty,
}

fn main() {}
