use harness_core::prelude::*;

#[autotest(version = 1, attrs("group:perf", "has space", 3), contacts(""), timeout = -5)]
#[derive(Default)]
struct T;

#[autotest]
impl T {
    fn run_once(&mut self) {}
}

fn main() {}
