// Expansions use absolute paths only: local items named like std's cannot
// capture them, and the user's `deny(warnings)` holds.
#![deny(warnings)]
#![allow(dead_code)]

struct Option;
struct Result;
struct Box;
struct Some;
mod core {}
mod std {}
mod harness_core {}
mod inventory {}

/// A test in a hostile namespace.
#[::harness_core::autotest(version = 1, cargo_test)]
#[derive(Default)]
pub struct Hostile;

#[::harness_core::autotest]
impl Hostile {
    fn initialize(&mut self, maybe: ::core::option::Option<u32>, #[arg(default = 4)] n: u32) {
        let _ = (maybe, n);
    }

    fn run_once(&mut self, ctx: &mut ::harness_core::TestContext) -> ::harness_core::TestResult {
        ctx.write_perf_keyval([("x", 1)])?;
        ::core::result::Result::Ok(())
    }
}

fn main() {}
