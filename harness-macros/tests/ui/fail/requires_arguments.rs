use harness_core::prelude::*;

#[autotest(version = 1, requires(file(3), cpus("four"), gpu("nvidia"), memory_gb(0)))]
#[derive(Default)]
struct T;

#[autotest]
impl T {
    fn run_once(&mut self) {}
}

fn main() {}
