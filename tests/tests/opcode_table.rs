//! The opcode table (`pickle-core/src/format/opcode_table.rs`) is what
//! CPython's pickletools says of every opcode: regenerated here and compared.

mod common;

use common::{crate_dir, python_script};
use pickle_test_support::run_ok;

#[test]
fn the_opcode_table_is_what_pickletools_says() {
    let committed = std::fs::read_to_string(crate_dir().join("../pickle-core/src/format/opcode_table.rs"))
        .expect("read the committed table");
    let mut generate = python_script("gen_opcode_table.py");
    generate.arg("--stdout");
    let fresh = String::from_utf8(run_ok(generate, b"")).expect("UTF-8");
    // The first line names the CPython version; CPython 3.13 fixed a typo in
    // LONG4's summary that the table keeps, as 3.8-3.12 and `dis -a` print it.
    let body =
        |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n").replace("four-byte length", "found-byte length");
    assert_eq!(body(&fresh), body(&committed), "run python3 tests/python/gen_opcode_table.py");
    assert!(committed.matches("OpInfo {").count() == pickle_core::opcodes::all().len());
}
