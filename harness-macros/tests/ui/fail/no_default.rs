use harness_core::prelude::*;

#[autotest(version = 1)]
struct T {
    size: usize,
}

#[autotest]
impl T {
    fn run_once(&mut self) {
        let _ = self.size;
    }
}

fn main() {}
