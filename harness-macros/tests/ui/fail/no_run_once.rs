use harness_core::prelude::*;

#[autotest(version = 1)]
#[derive(Default)]
struct T;

#[autotest]
impl T {
    fn initialize(&mut self) {}
}

fn main() {}
