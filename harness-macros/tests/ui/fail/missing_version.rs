use harness_core::prelude::*;

#[autotest(name = "t")]
#[derive(Default)]
struct T;

#[autotest]
impl T {
    fn run_once(&mut self) {}
}

fn main() {}
