use harness_core::prelude::*;

struct Opaque;

#[autotest(version = 1)]
#[derive(Default)]
struct T;

#[autotest]
impl T {
    fn run_once(&mut self, value: Opaque) {
        let _ = value;
    }
}

fn main() {}
