use harness_core::prelude::*;

#[autotest(version = 1)]
#[derive(Default)]
struct T;

// Every mistake of one impl is reported at once.
#[autotest]
impl T {
    fn initialize(&self) {}

    fn run_once(&mut self, tag: String) {
        let _ = tag;
    }

    fn cleanpu(&mut self) {}
}

fn main() {}
