//! [`Prepared`]: a planned run whose name is given, whose output directory
//! exists and whose START is written, until [`super::run::finish`] closes it.

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::job_core::JobCore;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::names::{NameParts, Naming, naming};
use crate::plan::PlannedRun;
use crate::results::formats::pyfmt::float_repr;
use crate::results::formats::status_entry::{StatusCode, StatusEntry};
use crate::results::outputs::record::Times;
use crate::status::Status;

/// A test whose output directory exists and whose START line is written. If
/// it is dropped before `finish` (a panic in harness itself), its group is
/// closed as ABORT, never left open or GOOD.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) planned: PlannedRun,
    pub(crate) naming: Naming,
    pub(crate) outputdir: PathBuf,
    /// How deep the run is nested: 1 for a job's own test, 2 for its subtest.
    pub(crate) depth: usize,
    started: chrono::DateTime<chrono::Utc>,
    clock: Instant,
    /// The job whose group this run opened, until `finish` closes it.
    open: Option<Arc<JobCore>>,
    /// Why the test's own `status.log` did not take the START the job's did.
    pub(crate) start_lost: Option<Error>,
}

impl Prepared {
    /// A run prepared by another process (a child's parent): named, its
    /// directory made and its START written there.
    pub(crate) fn resume(planned: PlannedRun, naming: Naming, outputdir: PathBuf) -> Self {
        Prepared {
            planned,
            naming,
            outputdir,
            depth: 1,
            started: chrono::Utc::now(),
            clock: Instant::now(),
            open: None,
            start_lost: None,
        }
    }

    /// The run's `timeout`, in seconds.
    pub(crate) fn timeout(&self) -> Option<f64> {
        self.planned.checked().engine.timeout
    }

    /// The group is closed from here on: the drop guard stands down.
    pub(crate) fn close(&mut self) {
        self.open = None;
    }

    /// When the run started, until now.
    pub(crate) fn times(&self) -> Times {
        Times { start: Some(self.started), end: Some(chrono::Utc::now()), duration: self.clock.elapsed().as_secs_f64() }
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        if let Some(core) = self.open.take() {
            let reason = "the run ended without a verdict: harness itself failed";
            let (subdir, operation) = (Some(self.naming.subdir.as_str()), Some(self.naming.operation.as_str()));
            let _ = core.record(StatusCode::Status(Status::Abort), subdir, operation, reason);
            let _ = core.record(StatusCode::End(Status::Abort), subdir, operation, "");
        }
    }
}

/// Names the run, creates its output directory and writes START. The START
/// line of a variant's run says what its operation column cannot: which part
/// of the tag is the variant (`variant=small`).
///
/// # Errors
///
/// A tag that cannot be a directory, a test nested too deep, an output
/// directory that exists or cannot be made, a START the job's log cannot
/// take: nothing of the run is written then.
pub(crate) fn prepare(core: &Arc<JobCore>, planned: PlannedRun) -> Result<Prepared> {
    let info = planned.info();
    if let Some(errors) = planned.checked().naming_errors() {
        return Err(Error::Args(errors));
    }
    // The job's group is the first open one: a top-level test is at level 1.
    let depth = core.indent();
    if depth > crate::names::MAX_DEPTH {
        return Err(Error::TooDeep { test: info.name().to_owned(), depth });
    }
    let engine = &planned.checked().engine;
    let settings = &core.settings;
    let sequence = settings.use_sequence_number.then(|| core.next_sequence());
    let naming = naming(
        info.name(),
        NameParts {
            tag: engine.tag.as_deref(),
            sequence,
            automatic_tag: settings.automatic_test_tag.as_deref(),
            subdir_tag: engine.subdir_tag.as_deref(),
            master_testpath: engine.master_testpath.as_deref(),
        },
    )?;
    let outputdir = settings.resultdir.join(&naming.subdir);
    match fs::create_dir(&outputdir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::OutputDirExists { subdir: naming.subdir });
        }
        Err(e) => return Err(Error::io("create", &outputdir, e)),
    }
    let mut start = StatusEntry::new(StatusCode::Start, Some(&naming.subdir), Some(&naming.operation), "")?;
    if let Some(variant) = planned.variant() {
        start = start.with_field("variant", variant)?;
    }
    if let Some(timeout) = engine.timeout {
        start = start.with_field("timeout", &seconds_text(timeout))?;
    }
    // Once the job's log has the START, this run ends with a status line and END.
    let start_lost = core.logger.record_partly(&start)?;
    core.emit(&Event::TestStarted { test: info.name(), subdir: &naming.subdir, depth });
    Ok(Prepared {
        planned,
        naming,
        outputdir,
        depth,
        started: chrono::Utc::now(),
        clock: Instant::now(),
        open: Some(Arc::clone(core)),
        start_lost,
    })
}

/// `60` for whole seconds, else the shortest form (`0.5`).
fn seconds_text(seconds: f64) -> String {
    if seconds.fract() == 0.0 && seconds < 1e15 { format!("{seconds:.0}") } else { float_repr(seconds) }
}
