use pickle_core::Pickle;

#[derive(Pickle)]
enum Never {}

fn main() {}
