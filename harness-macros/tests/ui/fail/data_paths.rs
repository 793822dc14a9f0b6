use harness_core::prelude::*;

#[autotest(version = 1, data("tests/data", "../shared", "/etc/passwd", ""))]
#[derive(Default)]
struct T;

#[autotest]
impl T {
    fn run_once(&mut self) {}
}

fn main() {}
