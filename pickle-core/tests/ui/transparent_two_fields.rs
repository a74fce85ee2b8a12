use pickle_core::Pickle;

#[derive(Pickle)]
#[pickle(transparent)]
struct Id(u64, u64);

fn main() {}
