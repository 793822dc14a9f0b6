//! The setup most end-to-end tests share: a fresh directory, an [`Events`]
//! list, and a job writing to `<dir>/results` (its tmpdir and testdir under the
//! directory too) whose tests, profilers and hooks record into that list.

use std::path::{Path, PathBuf};

use harness_core::results::TestRecord;
use harness_core::{Args, Job, JobBuilder};

use crate::{Events, Recorder, job_builder};

/// A job in a directory of its own, and what its tests recorded.
#[derive(Debug)]
pub struct Fixture {
    dir: tempfile::TempDir,
    /// What the job's tests, profilers and hooks recorded.
    pub events: Events,
    /// The job.
    pub job: Job,
}

impl Fixture {
    /// A job on defaults.
    ///
    /// # Panics
    ///
    /// When the directory or the job cannot be made.
    #[must_use]
    pub fn new() -> Self {
        Self::with(|builder, _| builder)
    }

    /// A job whose builder `configure` finishes, given the events list (for a
    /// profiler or a hook that records into it).
    ///
    /// # Panics
    ///
    /// When the directory or the job cannot be made.
    pub fn with(configure: impl FnOnce(JobBuilder, &Events) -> JobBuilder) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let events = Events::new();
        let job = configure(job_builder(dir.path(), &events), &events).build().expect("the job starts");
        Fixture { dir, events, job }
    }

    /// The fixture's directory: the job writes to `results/` in it.
    #[must_use]
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `relative` in the job's result directory.
    #[must_use]
    pub fn results(&self, relative: &str) -> PathBuf {
        self.dir.path().join("results").join(relative)
    }

    /// A [`Recorder`] named `name` that records into the fixture's events.
    #[must_use]
    pub fn recorder(&self, name: &'static str) -> Recorder {
        Recorder::new(name, &self.events)
    }

    /// Runs `test` with `args` in the job.
    ///
    /// # Panics
    ///
    /// When the run is refused before it starts (it is not recorded).
    pub fn run(&self, test: Recorder, args: Args) -> TestRecord {
        self.job.run_test_with(test, args).expect("the run is recorded")
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}
