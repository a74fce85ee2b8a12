use pickle_core::Pickle;

#[derive(Pickle)]
#[pickle(module = 3, bogus)]
struct Point {
    #[pickle(skip, with = "m")]
    x: i64,
    #[pickle(default = 5)]
    y: i64,
}

// The stub impls keep uses of the type free of secondary errors.
fn uses() -> Vec<u8> {
    pickle_core::to_vec(&Point { x: 1, y: 2 }).unwrap_or_default()
}

fn main() {}
