use harness_core::prelude::*;

#[derive(Default)]
struct T;

#[autotest]
impl Clone for T {
    fn clone(&self) -> Self {
        T
    }
}

fn main() {}
