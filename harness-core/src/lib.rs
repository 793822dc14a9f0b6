//! autotest's test lifecycle for Rust: write a test as a struct and its phases,
//! run it under `cargo test`, `cargo nextest` or a harness binary, and get the
//! files autotest's tools read (`keyval`, `results-chart.json`, `status.log`)
//! plus `junit.xml` and `results.json`.
//!
//! ```
//! use harness_core::prelude::*;
//!
//! /// Sleeps for `seconds` in every iteration.
//! #[autotest(name = "sleeptest", version = 1)]
//! #[derive(Default)]
//! pub struct SleepTest {
//!     slept: f64,
//! }
//!
//! #[autotest]
//! impl SleepTest {
//!     fn run_once(&mut self, ctx: &mut TestContext, seconds: f64) -> TestResult {
//!         std::thread::sleep(std::time::Duration::from_secs_f64(seconds));
//!         self.slept += seconds;
//!         ctx.write_perf_keyval([("slept_seconds", self.slept)])?;
//!         Ok(())
//!     }
//!
//!     fn postprocess(&mut self, ctx: &mut TestContext) -> TestResult {
//!         ctx.output_perf_value(PerfValue::new("total_sleep", self.slept).units("s"))?;
//!         Ok(())
//!     }
//! }
//!
//! let dir = tempfile::tempdir()?;
//! let job = harness_core::Job::builder(dir.path().join("results")).build()?;
//! let status = job.test("sleeptest").iterations(2).arg("seconds", 0.001).run()?;
//! assert_eq!(status, Status::Good);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! | module or item | what it holds |
//! | --- | --- |
//! | [`prelude`] | what a test file needs: `autotest`, `TestContext`, `TestResult`, `Failure`, `PerfValue`, `Amount`, `Args`, `Status`, `black_box` |
//! | [`Job`], [`JobBuilder`] | a result directory and the settings, hooks and profilers of its tests |
//! | [`TestContext`], [`JobView`] | directories, iteration, keyvals, perf values, hooks, subtests; what a test sees of its job |
//! | [`Failure`], [`Status`] | how a test ended |
//! | [`main`], [`test_main`] | the command line of a harness binary; a `harness = false` test target |
//! | [`definition`] | what a test is, for tests written without `#[autotest]`: `Autotest`, `TestInfo`, `Phase`, the parameter tables |
//! | [`results`] | writers and readers of every result file, and the records of a run |
//! | [`compare`] | two runs compared metric by metric; baselines |
//! | [`console`] | how harness's command lines print (colours, escaping, widths) |
//! | [`event`] | what a job tells its observers |
//! | [`export`] | a run in the formats dashboards read: Bencher's BMF, github-action-benchmark, the Chrome perf dashboard's HistogramSet, LAVA signals |
//! | [`registry`] | every `#[autotest]` test of the binary |
//! | [`constraint`] | the perf-constraint language |
//! | [`profiler`] | profilers of the extra iteration |
//! | [`cancel`] | the token interrupts and timeouts cancel |
//!
//! The lifecycle, the files and the differences from autotest are described in
//! the guide under `docs/` in the repository.

#![deny(missing_docs)]

// Lets `::harness_core::...` paths of `#[autotest]` expansions work inside this crate.
#[allow(unused_extern_crates, reason = "used by macro expansions in doctests and unit tests")]
extern crate self as harness_core;

mod args;
mod caches;
pub mod cancel;
mod child;
#[cfg(feature = "cli")]
mod cli;
pub mod compare;
#[cfg(feature = "cli")]
pub mod console;
pub mod constraint;
mod context;
mod debuglog;
pub mod definition;
mod engine;
mod error;
pub mod event;
mod exclusive;
pub mod export;
mod failure;
mod files;
mod job;
mod libtest;
mod machine;
mod names;
mod phase;
mod plan;
pub mod profiler;
pub mod registry;
pub mod results;
mod schema;
pub mod select;
mod settings;
pub mod shard;
mod signal;
mod state;
pub mod stats;
mod status;
mod supervisor;
mod text;
mod units;
mod validate;

#[doc(hidden)]
pub mod __private;

pub use args::{ArgError, ArgErrors, Args};
#[cfg(feature = "cli")]
pub use cli::{main, run_cli};
pub use context::{Amount, JobView, TestContext};
pub use error::{Error, Result};
pub use failure::{Failure, FailureKind, TestResult};
pub use harness_macros::autotest;
pub use job::{Job, JobBuilder, TestBuilder};
pub use libtest::{results_root, test_main};
pub use results::PerfValue;
pub use status::{ParseStatusError, Status};

/// What a test file needs: `use harness_core::prelude::*;`.
///
/// It also brings the `log` crate, so `log::info!("...")` in a phase writes to
/// the test's debug log without a dependency of the test's own.
pub mod prelude {
    pub use crate::{Amount, Args, Failure, PerfValue, Status, TestContext, TestResult, autotest};
    pub use ::log;
    /// Keeps the compiler from optimising a value (or the work that made it) away.
    pub use std::hint::black_box;
}
