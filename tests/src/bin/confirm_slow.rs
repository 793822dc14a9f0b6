//! A harness binary: `latency_probe` 10% slower than `confirm_base`'s (a build
//! with a known regression, for `confirm`).

/// How much slower this build is than the base.
const SLOWDOWN: f64 = 1.10;

#[path = "../confirm_subject.rs"]
mod subject;

fn main() {
    harness_core::main();
}
