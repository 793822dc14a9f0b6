use harness_core::prelude::*;

#[derive(Default)]
struct T<X>(X);

#[autotest]
impl<X> T<X> {
    fn run_once(&mut self) {}
}

fn main() {}
