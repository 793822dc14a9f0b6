use harness_core::prelude::*;

#[autotest(version = 1)]
enum T {
    A,
}

fn main() {}
