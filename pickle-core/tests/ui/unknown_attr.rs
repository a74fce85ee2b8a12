use pickle_core::Pickle;

#[derive(Pickle)]
#[pickle(modul = "app")]
struct Point {
    x: i64,
}

fn main() {}
