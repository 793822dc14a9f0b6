use harness_core::prelude::*;

#[autotest(version = 1)]
fn sleeptest() {}

fn main() {}
