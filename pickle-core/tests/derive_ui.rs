//! Compile errors of `#[derive(Pickle)]`: each case in `tests/ui` pins the
//! message and the span of the offending attribute.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
