use harness_core::prelude::*;

#[autotest(version = 1, cargo_test(rounds = -5, depth = 300, spare = 7))]
#[derive(Default)]
struct Pump;

#[autotest]
impl Pump {
    fn run_once(&mut self, rounds: u32, depth: u8, spare: i64) {
        let _ = (rounds, depth, spare);
    }
}

fn main() {}
