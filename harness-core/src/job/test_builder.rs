//! [`TestBuilder`]: one run's [`Args`], typed.

use serde_json::Value;

use super::handle::Job;
use crate::args::Args;
use crate::error::Result;
use crate::results::TestRecord;
use crate::status::Status;

/// A typed way to build one run's [`Args`] and run it.
#[derive(Debug)]
#[must_use]
pub struct TestBuilder<'j> {
    job: &'j Job,
    name: String,
    args: Args,
}

impl Job {
    /// A typed builder for one run: `job.test("sleeptest").tag("quick").iterations(3).arg("seconds", 0.1).run()`.
    pub fn test(&self, name: &str) -> TestBuilder<'_> {
        TestBuilder::new(self, name)
    }
}

impl<'j> TestBuilder<'j> {
    pub(crate) fn new(job: &'j Job, name: &str) -> Self {
        TestBuilder { job, name: name.to_owned(), args: Args::new() }
    }

    /// The tag: the output directory becomes `<name>.<tag>`.
    pub fn tag(self, tag: impl Into<String>) -> Self {
        self.arg("tag", tag.into())
    }

    /// Runs `run_once` `n` times (default 1; 0 runs none).
    pub fn iterations(self, n: u64) -> Self {
        self.arg("iterations", n)
    }

    /// Runs `run_once` until at least `seconds` have passed (wins over `iterations`).
    pub fn test_length(self, seconds: f64) -> Self {
        self.arg("test_length", seconds)
    }

    /// Runs every iteration profiled.
    pub fn profile_only(self, on: bool) -> Self {
        self.arg("profile_only", on)
    }

    /// Adds a perf constraint checked after each iteration.
    pub fn constraint(mut self, constraint: impl Into<String>) -> Self {
        let constraint = Value::String(constraint.into());
        match self.args.get("constraints").cloned() {
            Some(Value::Array(mut list)) => {
                list.push(constraint);
                self.args.set("constraints", list);
            }
            _ => {
                self.args.set("constraints", vec![constraint]);
            }
        }
        self
    }

    /// Ends the test with ERROR "Test timeout expired" after `seconds` (enforced
    /// by the CLI, which runs tests in child processes; cooperative in-process).
    pub fn timeout(self, seconds: f64) -> Self {
        self.arg("timeout", seconds)
    }

    /// Whether `cleanup` runs.
    pub fn run_cleanup(self, on: bool) -> Self {
        self.arg("run_cleanup", on)
    }

    /// Adds an argument.
    pub fn arg(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.args.set(name, value);
        self
    }

    /// The arguments built so far.
    #[must_use]
    pub fn args(&self) -> &Args {
        &self.args
    }

    /// Runs the test.
    ///
    /// # Errors
    ///
    /// As [`Job::run_test`].
    pub fn run(self) -> Result<Status> {
        self.job.run_test(&self.name, self.args)
    }

    /// Runs the test and returns its record.
    ///
    /// # Errors
    ///
    /// As [`Job::run_test`].
    pub fn run_detail(self) -> Result<TestRecord> {
        self.job.run_test_detail(&self.name, self.args)
    }
}
