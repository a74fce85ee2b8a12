use pickle_core::Pickle;

const BASE: isize = 4;

#[derive(Pickle)]
enum Color {
    Red = BASE,
    Green,
}

fn main() {}
