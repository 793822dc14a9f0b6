//! One planned run from START to END: prepare, the body (here, or where the
//! job's [`Isolate`] puts it), finish, and the record of it all; a planned
//! run that could not start, recorded all the same; and subtests, run for a
//! test through its job.

use std::sync::Arc;

use super::body::body;
use super::isolate::{Isolate, Ran};
use super::job_core::JobCore;
use super::prepared::{Prepared, prepare};
use crate::args::Args;
use crate::context::JobLink;
use crate::definition::Autotest;
use crate::error::Result;
use crate::event::{Event, NoticeKind};
use crate::exclusive::{self, MeasureLock};
use crate::plan::PlannedRun;
use crate::results::formats::keyval::write_keyval;
use crate::results::formats::status_entry::{StatusCode, StatusEntry, split_lines};
use crate::results::outputs::job_files::NOISE_KEY;
use crate::results::outputs::record::{Ending, RecordData, RunIdentity, TestRecord};
use crate::status::Status;

/// Runs one planned test from START to END and records it. The body runs
/// in `isolation` when one is given and the test is registered (so a child
/// process can run it by name), else here.
///
/// # Errors
///
/// What [`prepare`] refuses: nothing of the run is written then. Once its
/// START is written, a run always ends with its status line and END.
pub(crate) fn run(
    core: &Arc<JobCore>,
    planned: PlannedRun,
    mut test: Box<dyn Autotest>,
    isolation: Option<&dyn Isolate>,
) -> Result<Arc<TestRecord>> {
    // Held until the run is recorded; the wait is before START, so neither
    // its duration nor its timeout counts it.
    let here = isolation.is_none_or(|isolation| isolation.runs_here());
    let _measuring = if here { measure_lock(core, &planned)? } else { None };
    say_noise(core, &planned);
    let mut prepared = prepare(core, planned)?;
    if let Some(error) = prepared.start_lost.take() {
        // The job's log has the START, the test's own does not (a full disk):
        // the run ends here, ERROR naming why, never a second START.
        let ran = Ran { ending: Ending::of(Status::Error, error.to_string()), data: RecordData::default() };
        return Ok(finish(core, prepared, ran));
    }
    let ran = match isolation {
        Some(isolation) if prepared.planned.registration().is_some() => isolation.run_body(core, &prepared),
        _ => body(core, test.as_mut(), &prepared),
    };
    Ok(finish(core, prepared, ran))
}

/// The machine-wide lock for a job's own test (a subtest runs inside its
/// parent's), unless the test or the run says it runs beside others.
///
/// # Errors
///
/// A lock that cannot be made or taken ([`exclusive::acquire`]).
fn measure_lock(core: &JobCore, planned: &PlannedRun) -> Result<Option<MeasureLock>> {
    let parallel = planned.checked().engine.parallel.unwrap_or_else(|| planned.info().parallel());
    if core.indent() > 1 || parallel || exclusive::off_by_environment() {
        return Ok(None);
    }
    let test = planned.info().name();
    exclusive::acquire(test, &core.cancel, |text| {
        log::info!("{text}");
        core.emit(&Event::Notice { subdir: test, kind: NoticeKind::Waiting, text });
    })
}

/// Before the job's first measuring test (not `parallel`, not a subtest),
/// says once, in the job keyval (`noise-1=...`, which results.json's
/// `job.noise` lists; the status log stays autotest's) and to its observers,
/// what will make its numbers noisy on this machine.
fn say_noise(core: &JobCore, planned: &PlannedRun) {
    let parallel = planned.checked().engine.parallel.unwrap_or_else(|| planned.info().parallel());
    if parallel || core.indent() > 1 || core.said_noise.swap(true, std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let said = crate::machine::noise_sources(std::path::Path::new("/"), cfg!(debug_assertions));
    let keys = (1..=said.len()).map(|n| format!("{NOISE_KEY}{n}"));
    if let Err(error) = write_keyval(&core.settings.resultdir, keys.zip(&said), None) {
        log::warn!("cannot keep what makes the numbers noisy in the job keyval: {error}");
    }
    for text in &said {
        log::warn!("{text}");
        core.emit(&Event::Notice { subdir: "", kind: NoticeKind::Noise, text });
    }
}

/// Writes the status line and END, and records the run. Never fails: a
/// status line the job's log cannot take (a full disk) makes the END `END
/// ERROR` naming why, and the record ERROR; an END it cannot take leaves the
/// group open, which the job's own END (or any reader) closes as ABORT. Never
/// GOOD either way.
fn finish(core: &JobCore, mut prepared: Prepared, ran: Ran) -> Arc<TestRecord> {
    prepared.close();
    let Ran { mut ending, data } = ran;
    let naming = prepared.naming.clone();
    let (subdir, operation) = (Some(naming.subdir.as_str()), Some(naming.operation.as_str()));
    let given = ending.status;
    match core.record_partly(StatusCode::Status(given), subdir, operation, &ending.reason) {
        Ok(Some(lost)) => {
            core.emit(&Event::Notice { subdir: &naming.subdir, kind: NoticeKind::StatusLog, text: &lost.to_string() })
        }
        Ok(None) => {}
        Err(error) => {
            let first = split_lines(&ending.reason).first().copied().unwrap_or("").to_owned();
            ending.status = if given == Status::Abort { Status::Abort } else { Status::Error };
            ending.reason = format!("its status line could not be written: {error}\nit ended {given} {first}");
        }
    }
    let end_message = if ending.status == given { String::new() } else { split_lines(&ending.reason)[0].to_owned() };
    if let Err(error) = core.record_partly(StatusCode::End(ending.status), subdir, operation, &end_message) {
        core.emit(&Event::Notice {
            subdir: &naming.subdir,
            kind: NoticeKind::StatusLog,
            text: &format!("its END could not be written: {error}"),
        });
    }
    roll_up(core, &mut ending);
    ending.times = prepared.times();
    let shown = ending.summary.as_deref().unwrap_or_else(|| split_lines(&ending.reason).first().copied().unwrap_or(""));
    if let Some(loss) = crate::context::reason_loss(shown) {
        let text = format!("{loss} (TKO's `tko_tests.reason` column)");
        log::warn!("{text}");
        core.emit(&Event::Notice { subdir: &naming.subdir, kind: NoticeKind::DataLoss, text: &text });
    }
    let planned = &prepared.planned;
    let info = planned.info();
    let identity = RunIdentity {
        test: info.name().to_owned(),
        variant: planned.variant().map(str::to_owned),
        tag: naming.tag,
        subdir: naming.subdir,
        outputdir: prepared.outputdir.clone(),
        attrs: info.attrs().iter().map(ToString::to_string).collect(),
        contacts: info.contacts().iter().map(ToString::to_string).collect(),
        args: planned.args().iter().map(|(k, v)| (k.to_owned(), v.clone())).collect(),
    };
    let record = Arc::new(TestRecord::new(identity, ending, data));
    core.emit(&Event::TestFinished { record: &record, depth: prepared.depth });
    record
}

/// The test's verdict is its group's, rolled up as TKO rolls it up: a failed
/// subtest or a WARN line inside it makes it worse.
fn roll_up(core: &JobCore, ending: &mut Ending) {
    let Some((rolled, rolled_reason)) = core.logger.take_closed() else { return };
    let Ok(own_line) = StatusEntry::new(StatusCode::Status(ending.status), None, None, &ending.reason) else { return };
    if rolled != ending.status || rolled_reason != own_line.message() {
        let details = split_lines(&ending.reason).into_iter().skip(1).collect::<Vec<_>>().join("\n");
        ending.status = rolled;
        ending.summary = Some(rolled_reason.clone());
        ending.reason = if details.is_empty() { rolled_reason } else { format!("{rolled_reason}\n{details}") };
    }
}

/// Records a planned test that could not start (its name cannot be a
/// directory, its output directory cannot be made): START, ERROR with the
/// reason, END, so that it is counted and never silently skipped.
///
/// # Errors
///
/// Status lines the job's log cannot take.
#[cfg(feature = "cli")]
pub(crate) fn unrunnable(core: &JobCore, planned: &PlannedRun, subdir: &str, reason: &str) -> Result<Arc<TestRecord>> {
    let test = planned.info().name();
    // A column that cannot be written as given is written without it.
    let column =
        |text: &str| StatusEntry::new(StatusCode::Start, None, Some(text), "").is_ok().then(|| text.to_owned());
    let operation = column(test);
    let subdir = column(subdir);
    for (code, message) in
        [(StatusCode::Start, ""), (StatusCode::Status(Status::Error), reason), (StatusCode::End(Status::Error), "")]
    {
        core.record(code, subdir.as_deref(), operation.as_deref(), message)?;
    }
    let now = Some(chrono::Utc::now());
    let mut ending = Ending::of(Status::Error, reason);
    ending.times = crate::results::outputs::record::Times { start: now, end: now, duration: 0.0 };
    let identity = RunIdentity {
        test: test.to_owned(),
        variant: planned.variant().map(str::to_owned),
        tag: None,
        subdir: subdir.unwrap_or_else(|| test.to_owned()),
        outputdir: core.settings.resultdir.clone(),
        attrs: Vec::new(),
        contacts: Vec::new(),
        args: serde_json::Map::new(),
    };
    let record = Arc::new(TestRecord::new(identity, ending, RecordData::default()));
    core.emit(&Event::TestFinished { record: &record, depth: core.indent() });
    Ok(record)
}

/// A test's subtests run in its job, here: planned by name, never isolated
/// (a subtest runs where its parent runs), their records handed back to the
/// parent's context, which keeps them.
impl JobLink for JobCore {
    fn run_subtest(self: Arc<Self>, name: &str, args: Args) -> Result<TestRecord> {
        let planned = PlannedRun::named(name, args)?;
        match planned.registration() {
            Some(registration) => run(&self, planned, registration.make(), None).map(Arc::unwrap_or_clone),
            None => Err(crate::error::Error::UnknownTest { name: name.to_owned(), suggestions: Vec::new() }),
        }
    }

    fn record(&self, code: StatusCode, subdir: Option<&str>, operation: Option<&str>, message: &str) -> Result<()> {
        JobCore::record(self, code, subdir, operation, message)
    }

    fn notice(&self, subdir: &str, kind: NoticeKind, text: &str) {
        self.emit(&Event::Notice { subdir, kind, text });
    }
}
