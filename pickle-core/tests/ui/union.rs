use pickle_core::Pickle;

#[derive(Pickle)]
union Bits {
    a: u32,
    b: f32,
}

fn main() {}
