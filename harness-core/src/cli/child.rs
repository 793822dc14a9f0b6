//! Each test runs in a child process of the harness binary, as autotest forked
//! each test: the parent writes START and the END; the child does everything in
//! between and reports how it went in a result file. A crash, abort or timeout
//! of the child is that test's ERROR, and the job goes on.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use super::control::ProfilerSpec;
use super::progress::Progress;
use crate::engine::{Naming, Prepared, TestRecord, Verdict};
use crate::results::write_atomic;
use crate::{Args, CancelToken, Job, Status};

/// What the parent tells a child: the test, its arguments, its output directory
/// and the job's settings.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ChildSpec {
    pub(crate) test: String,
    pub(crate) args: Args,
    pub(crate) naming: Naming,
    pub(crate) outputdir: PathBuf,
    pub(crate) timeout: Option<f64>,
    pub(crate) resultdir: PathBuf,
    pub(crate) tmpdir: PathBuf,
    pub(crate) testdir: PathBuf,
    pub(crate) indent: usize,
    pub(crate) test_retry: u32,
    pub(crate) drop_caches_between_iterations: bool,
    pub(crate) default_profile_only: bool,
    pub(crate) run_test_cleanup: bool,
    pub(crate) profilers: Vec<ProfilerSpec>,
    pub(crate) quiet: bool,
    pub(crate) result: PathBuf,
}

/// What a child reports, and how the parent saw the child end.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ChildResult {
    pub(crate) verdict: Verdict,
    /// Records of the subtests it ran.
    pub(crate) records: Vec<TestRecord>,
}

impl ChildResult {
    fn of(status: Status, reason: impl Into<String>) -> Self {
        ChildResult { verdict: Verdict::of(status, reason), records: Vec::new() }
    }
}

/// Where the parent notes which signal interrupted the job before it sends the
/// child SIGINT, so the child's reason names the signal the user sent.
fn interrupt_note(result: &Path) -> PathBuf {
    result.with_extension("interrupt")
}

/// Turns SIGINT into ABORT ("Interrupted by" the signal the parent noted, SIGINT
/// if none) and SIGTERM into "Test timeout expired" for `cancel`.
pub(crate) fn cancel_on_signals(cancel: &CancelToken, note: PathBuf) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else { return };
    let cancel = cancel.clone();
    std::thread::spawn(move || {
        for signal in signals.forever() {
            if signal == SIGINT {
                let name = std::fs::read_to_string(&note).unwrap_or_else(|_| "SIGINT".to_owned());
                cancel.cancel(Status::Abort, format!("Interrupted by {}", name.trim()));
            } else {
                cancel.cancel(Status::Error, "Test timeout expired");
            }
        }
    });
}

/// The child's side: run the body of one test and write the result file.
pub(crate) fn child_main(spec_path: &Path) -> i32 {
    let spec: ChildSpec = match std::fs::read_to_string(spec_path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(spec) => spec,
        Err(e) => {
            eprintln!("harness: cannot read the child spec `{}`: {e}", spec_path.display());
            return 2;
        }
    };
    let Some(registration) = crate::registry::find(&spec.test) else {
        eprintln!("harness: unknown test `{}` in a child", spec.test);
        return 2;
    };
    let cancel = CancelToken::new();
    cancel_on_signals(&cancel, interrupt_note(&spec.result));
    let mut builder = Job::builder(&spec.resultdir)
        .attach(spec.indent)
        .tmpdir(&spec.tmpdir)
        .testdir(&spec.testdir)
        .test_retry(spec.test_retry)
        .drop_caches_between_iterations(spec.drop_caches_between_iterations)
        .default_profile_only(spec.default_profile_only)
        .run_test_cleanup(spec.run_test_cleanup)
        .cancel_token(cancel);
    if !spec.quiet {
        builder = builder.observer(Arc::new(Progress::new(&spec.naming.operation)));
    }
    for profiler in &spec.profilers {
        match profiler.build() {
            Ok(profiler) => builder = builder.profiler(profiler),
            Err(e) => {
                eprintln!("harness: {e}");
                return 2;
            }
        }
    }
    let job = match builder.build() {
        Ok(job) => job,
        Err(e) => {
            eprintln!("harness: {e}");
            return 2;
        }
    };
    let prepared = Prepared::resume(registration.info().name(), spec.naming, spec.outputdir, spec.timeout);
    let mut test = registration.make();
    let ran = crate::engine::body(&job, test.as_mut(), &spec.args, &prepared);
    let result = ChildResult { verdict: ran.verdict, records: job.records() };
    let written = serde_json::to_vec(&result)
        .map_err(|e| e.to_string())
        .and_then(|bytes| write_atomic(&spec.result, &bytes).map_err(|e| e.to_string()));
    match written {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("harness: cannot write the result of {}: {e}", spec.test);
            2
        }
    }
}

/// The process group of the running child, for signal forwarding (0: none).
pub(crate) static CHILD_GROUP: AtomicI32 = AtomicI32::new(0);

/// The running child's interrupt note (see [`interrupt_note`]).
static CHILD_NOTE: Mutex<Option<PathBuf>> = Mutex::new(None);

fn signal_group(pgid: i32, signal: Signal) {
    if pgid > 0 {
        let _ = killpg(Pid::from_raw(pgid), signal);
    }
}

fn describe_exit(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("Test subprocess failed rc={code}"),
        (None, Some(signal)) => {
            let name = Signal::try_from(signal).map_or_else(|_| "unknown".to_owned(), |s| s.as_str().to_owned());
            format!("Test subprocess died from signal {signal} ({name})")
        }
        _ => "Test subprocess failed".to_owned(),
    }
}

/// Runs the child for `spec` and waits: SIGTERM to its process group when the
/// timeout passes, SIGKILL when the grace period after that passes too.
pub(crate) fn supervise(
    spec_path: &Path,
    result_path: &Path,
    timeout: Option<f64>,
    grace: Duration,
    cancel: &CancelToken,
) -> ChildResult {
    use std::os::unix::process::CommandExt as _;
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from(std::env::args_os().next().unwrap_or_default()));
    let spawned = Command::new(exe).arg("__child").arg(spec_path).process_group(0).spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => return ChildResult::of(Status::Error, format!("cannot start the test subprocess: {e}")),
    };
    let pgid = i32::try_from(child.id()).unwrap_or(0);
    *CHILD_NOTE.lock().unwrap_or_else(PoisonError::into_inner) = Some(interrupt_note(result_path));
    CHILD_GROUP.store(pgid, Ordering::SeqCst);
    let started = Instant::now();
    let deadline = timeout.map(|t| started + Duration::from_secs_f64(t));
    let mut terminated_at: Option<Instant> = None;
    let mut killed = false;
    let mut interrupted_at: Option<Instant> = None;
    let exit = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(_) => break None,
        }
        let now = Instant::now();
        if terminated_at.is_none() && deadline.is_some_and(|d| now >= d) {
            signal_group(pgid, Signal::SIGTERM);
            terminated_at = Some(now);
        }
        if interrupted_at.is_none() && cancel.is_cancelled() {
            interrupted_at = Some(now);
        }
        let end_of_grace = terminated_at.or(interrupted_at).map(|t| t + grace);
        if end_of_grace.is_some_and(|g| now >= g) {
            signal_group(pgid, Signal::SIGKILL);
            killed = true;
            break child.wait().ok();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // Whatever the test left running in its group goes with it.
    signal_group(pgid, Signal::SIGKILL);
    CHILD_GROUP.store(0, Ordering::SeqCst);
    if let Some(note) = CHILD_NOTE.lock().unwrap_or_else(PoisonError::into_inner).take() {
        let _ = std::fs::remove_file(note);
    }
    let result: Option<ChildResult> =
        std::fs::read(result_path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok());
    if let Some(result) = result {
        return result;
    }
    let (status, message) = if terminated_at.is_some() {
        let how =
            if killed { format!("\nkilled after the {} s grace period", grace.as_secs_f64()) } else { String::new() };
        (Status::Error, format!("Test timeout expired{how}"))
    } else if let Some((Status::Abort, reason)) = cancel.reason() {
        (Status::Abort, reason)
    } else {
        (Status::Error, exit.map_or_else(|| "Test subprocess failed".to_owned(), describe_exit))
    };
    ChildResult::of(status, message)
}

/// The parent's signal handling: SIGINT and SIGTERM abort the job; the running
/// child gets SIGINT (and a note naming the signal the user sent) so that it ends
/// with ABORT after running its cleanup.
pub(crate) fn abort_on_signals(cancel: &CancelToken) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else { return };
    let cancel = cancel.clone();
    std::thread::spawn(move || {
        for signal in signals.forever() {
            let name = if signal == SIGINT { "SIGINT" } else { "SIGTERM" };
            cancel.cancel(Status::Abort, format!("Interrupted by {name}"));
            if let Some(note) = CHILD_NOTE.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
                let _ = std::fs::write(note, name);
            }
            signal_group(CHILD_GROUP.load(Ordering::SeqCst), Signal::SIGINT);
        }
    });
}
