//! `#[autotest]` at compile time: what compiles (and runs), and every mistake
//! with its reviewed error message.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
