use harness_core::prelude::*;

#[autotest(version = 1)]
#[derive(Default)]
struct T;

#[autotest]
impl T {
    fn run_once(&mut self, #[arg(default = Some(3))] count: Option<u32>) {
        let _ = count;
    }
}

fn main() {}
