use harness_core::prelude::*;

#[autotest(version = 1)]
#[derive(Default)]
struct T;

#[autotest]
impl T {
    fn initialize(&mut self, size: u32) {
        let _ = size;
    }

    fn run_once(&mut self, size: String) {
        let _ = size;
    }
}

fn main() {}
