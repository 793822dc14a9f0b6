use harness_core::prelude::*;

#[autotest(version = 1)]
#[derive(Default)]
struct T;

#[autotest]
impl T {
    fn warmup(&mut self, timeout: f64) {
        let _ = timeout;
    }

    fn run_once(&mut self) {}
}

fn main() {}
