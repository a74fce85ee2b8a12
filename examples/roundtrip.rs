//! Round-trips a pickle through pickle-rs: reads pickle bytes from a file
//! (or stdin with `-`), decodes them into a `Value`, and writes them back at
//! the protocol given, to stdout.
//!
//! `cargo run -p examples --example roundtrip -- FILE [PROTOCOL]`

use std::io::{Read, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: roundtrip FILE [PROTOCOL]")?;
    let protocol: u8 = args.next().map(|p| p.parse()).transpose()?.unwrap_or(4);
    let mut bytes = Vec::new();
    if path == "-" {
        std::io::stdin().read_to_end(&mut bytes)?;
    } else {
        bytes = std::fs::read(&path)?;
    }
    let value: pickle_core::Value = pickle_core::from_slice(&bytes)?;
    let out = pickle_core::to_vec_with(&value, pickle_core::EncodeOptions::default().protocol(protocol))?;
    std::io::stdout().write_all(&out)?;
    Ok(())
}
