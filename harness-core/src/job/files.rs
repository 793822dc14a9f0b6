//! The job's own observer: it writes `results.json` and `junit.xml` when the
//! job finishes, as any other observer would.

use std::sync::{Mutex, PoisonError};

use crate::error::{Error, Result};
use crate::event::{Event, Observer};
use crate::results::write_job_files;

/// The writer of `results.json` and `junit.xml`: an observer that writes both
/// when the job finishes. An error is kept for [`Job::complete`](crate::job::Job::complete)
/// to return.
#[derive(Debug, Default)]
pub(crate) struct JobFiles {
    error: Mutex<Option<Error>>,
}

impl JobFiles {
    /// The error of the last write, if it failed.
    pub(crate) fn take_error(&self) -> Result<()> {
        match self.error.lock().unwrap_or_else(PoisonError::into_inner).take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

impl Observer for JobFiles {
    fn on_event(&self, event: &Event<'_>) {
        if let Event::JobFinished(summary) = event {
            let (started, finished) = summary.times();
            let written = write_job_files(
                summary.resultdir(),
                summary.tag(),
                summary.status(),
                started,
                finished,
                &summary.records().iter().map(AsRef::as_ref).collect::<Vec<_>>(),
            );
            if let Err(error) = written {
                *self.error.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
            }
        }
    }
}
