//! Example tests for harness: autotest's classic `sleeptest`, a CPU benchmark, a
//! file I/O benchmark, a sequential write with variants, a test with a
//! versioned setup, one test per outcome, and tests that crash or hang on
//! purpose to show what isolation does.
//!
//! The `harness` binary of this crate runs them: `cargo run -p harness-examples --
//! run --control harness-examples/control/quick.json`.

pub mod build_once;
pub mod checksum;
pub mod faults;
pub mod file_io;
pub mod golden;
pub mod perf_sample;
pub mod seq_write;
pub mod sleeptest;
pub mod status_tour;
