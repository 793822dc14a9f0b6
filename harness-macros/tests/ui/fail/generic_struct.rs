use harness_core::prelude::*;

#[autotest(version = 1)]
#[derive(Default)]
struct T<X> {
    x: X,
}

fn main() {}
