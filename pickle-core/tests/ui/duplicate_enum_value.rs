use pickle_core::Pickle;

#[derive(Pickle)]
enum Color {
    Red = 1,
    #[pickle(value = 1)]
    Crimson,
}

fn main() {}
