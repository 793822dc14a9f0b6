//! A harness binary: `latency_probe` at 10 ms (the base build `confirm` is tested with).

/// How much slower this build is than the base.
const SLOWDOWN: f64 = 1.0;

#[path = "../confirm_subject.rs"]
mod subject;

fn main() {
    harness_core::main();
}
