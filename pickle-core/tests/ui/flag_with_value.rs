use pickle_core::Pickle;

#[derive(Pickle)]
#[pickle(transparent = true)]
struct Id(u64);

fn main() {}
