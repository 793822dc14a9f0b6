//! The `cargo test` / nextest front end: `#[autotest(cargo_test)]`'s `#[test]`s.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::cancel::CancelToken;
use crate::job::Job;
use crate::plan::PlannedRun;
use crate::registry::Registration;
use crate::results::TestRecord;
use crate::schema::{TestInfo, Variant};
use crate::settings::Isolation;
use crate::shard::{Part, Shard};
use crate::status::Status;

/// Where `cargo test` runs put their results: `HARNESS_RESULTS_DIR`, else
/// `harness-results` in the target directory of the running test binary.
#[must_use]
pub fn results_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("HARNESS_RESULTS_DIR") {
        return PathBuf::from(dir);
    }
    let target = std::env::current_exe().ok().and_then(|exe| {
        let dir = exe.parent()?;
        // target/<profile>/deps/<binary> for tests, target/<profile>/<binary> otherwise.
        let profile = if dir.file_name().is_some_and(|n| n == "deps") { dir.parent()? } else { dir };
        profile.parent().map(PathBuf::from)
    });
    target.unwrap_or_else(|| PathBuf::from("target")).join("harness-results")
}

/// A name no other run of this test shares: time, process, and nextest's attempt.
pub(crate) fn run_id() -> String {
    let mut id = format!("{}-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"), std::process::id());
    if let Ok(attempt) = std::env::var("NEXTEST_ATTEMPT") {
        id.push_str("-attempt");
        id.push_str(&attempt);
    }
    id
}

/// How a finished run reads under `cargo test`: `STATUS summary`, its detail
/// lines, and (with `place`) where it was raised.
fn verdict_text(record: &TestRecord, info: &TestInfo, place: bool) -> String {
    let mut text = format!("{} {}", record.status, record.summary);
    for detail in &record.details {
        text.push_str("\n  ");
        text.push_str(detail);
    }
    if record.reason.starts_with("missing required argument") {
        text.push_str("\n  give the value in the struct's attribute: #[autotest(cargo_test(name = value))]");
    }
    let panicked = record.details.iter().any(|d| d.starts_with("panicked at "));
    if place && !panicked {
        text.push_str(&format!("\n  raised at {}", record.raised_at.clone().unwrap_or_else(|| info.location())));
    }
    text.push_str(&format!("\nresults: {}", record.outputdir.display()));
    text
}

/// A line on the real stderr, past libtest's capture of `eprintln!`, so that a
/// passing test's WARN or TEST_NA is seen.
fn tell(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// How long a test that timed out or was interrupted may take to clean up
/// before it is killed: `HARNESS_GRACE` seconds, else 10.
fn grace() -> Duration {
    std::env::var("HARNESS_GRACE")
        .ok()
        .and_then(|g| g.parse::<f64>().ok())
        .and_then(|g| Duration::try_from_secs_f64(g).ok())
        .unwrap_or(Duration::from_secs(10))
}

/// A job for one test run under [`results_root`]`/<binary>/<name>/<run>`, its
/// body isolated in a child process of this binary started with `child_args`.
/// `HARNESS_EVENTS=PATH` adds its event lines to PATH, which every test of a
/// `cargo test` or nextest run may share.
fn job_for(name: &str, cancel: &CancelToken, child_args: Vec<String>) -> crate::error::Result<Job> {
    let root = results_root().join(crate::state::binary_name());
    let mut builder = Job::builder(root.join(name).join(run_id()))
        .state_dir(root.join(".harness"))
        .cancel_token(cancel.clone())
        .isolation(Isolation::Process { grace: grace(), child_args })
        .observer(std::sync::Arc::new(Told));
    if let Some(path) = std::env::var_os("HARNESS_EVENTS").filter(|p| !p.is_empty()) {
        builder = builder.events_copy(crate::results::EventsCopy::File(crate::files::absolute(Path::new(&path))));
    }
    if let Some(shard) = SHARD.get().and_then(Option::as_ref) {
        builder = builder.shard(shard);
    }
    builder.build()
}

/// The shard `test_main` runs, recorded in each test's job keyval.
static SHARD: std::sync::OnceLock<Option<Shard>> = std::sync::OnceLock::new();

/// The part of the suite `test_main` runs: `HARNESS_SHARD_FILE`, else
/// `HARNESS_SHARD`, else the scheduler's variables, except under nextest,
/// whose own `--partition` shards there (and whose CI recipes pass the same
/// variables to it: read twice, they would shard the shard).
fn shard_part() -> Result<Option<Part>, String> {
    if let Some(file) = std::env::var_os("HARNESS_SHARD_FILE").filter(|f| !f.is_empty()) {
        return Part::choose(None, Some(Path::new(&file)));
    }
    let under_nextest = ["NEXTEST", "NEXTEST_RUN_ID", "NEXTEST_VERSION"].iter().any(|v| std::env::var_os(v).is_some());
    if under_nextest && std::env::var_os("HARNESS_SHARD").is_none() {
        return Ok(None);
    }
    Part::choose(None, None)
}

/// Tells what a person running `cargo test` should hear at once: a test
/// waiting for another to finish measuring, and (once per process) what makes
/// the numbers noisy.
struct Told;

impl crate::event::Observer for Told {
    fn on_event(&self, event: &crate::event::Event<'_>) {
        use crate::event::{Event, NoticeKind};
        static SAID_NOISE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        match event {
            Event::Notice { kind: NoticeKind::Noise, text, .. }
                if !SAID_NOISE.swap(true, std::sync::atomic::Ordering::Relaxed) =>
            {
                tell(&format!("warning: {text}"));
            }
            Event::Notice { kind: NoticeKind::Waiting, subdir, text } => tell(&format!("{subdir}: {text}")),
            _ => {}
        }
    }
}

/// Whether the test binary runs without capturing output (`--nocapture`,
/// which nextest gives every test, or `RUST_TEST_NOCAPTURE`).
fn nocapture() -> bool {
    std::env::args().any(|a| a == "--nocapture" || a == "--no-capture")
        || std::env::var_os("RUST_TEST_NOCAPTURE").is_some_and(|v| v != "0")
}

/// With `--nocapture`: the test's perf values, as the CLI shows them, and
/// where its results are.
fn tell_values(name: &str, record: &crate::results::TestRecord) {
    if !nocapture() {
        return;
    }
    for perf in &record.perf_values {
        tell(&format!("{name}: {}", perf.describe()));
    }
    tell(&format!("{name}: results in {}", record.outputdir.display()));
}

/// A process that runs tests dies with the one that started it (cargo, nextest):
/// its SIGTERM then ends the running test after its grace period.
fn die_with_parent() {
    let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM);
}

/// After an interrupt, the process ends as the signal would have ended it.
fn end_if_interrupted(cancel: &CancelToken) {
    if let Some(signal) = crate::signal::last_interrupt()
        && cancel.is_cancelled()
    {
        let _ = signal_hook::low_level::emulate_default_handler(signal);
    }
}

/// The `#[test]` of `#[autotest(cargo_test)]`, defined in module `module`: runs
/// the test once in a job of its own, its body in a child process (this test
/// binary again, running only this test), so a crash, a hang past its
/// `timeout` or a signal gives a verdict. GOOD passes; WARN and TEST_NA pass
/// with a line saying so (a `#[test]` cannot be skipped at run time); anything
/// else fails like a panic at the line of the test that raised the failure.
/// Harness tests of one binary run one at a time, even when libtest runs other
/// tests beside them.
pub(crate) fn run_cargo_test(registration: &'static crate::registry::Registration, module: &str) {
    let info = registration.info();
    let name = info.name();
    if let Some(dir) = crate::child::take_child_dir() {
        std::process::exit(crate::child::child_main(&dir));
    }
    // Turns within this process; the machine-wide lock keeps processes apart.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = (!info.parallel()).then(|| ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner));
    die_with_parent();
    // libtest names a test by its path without the crate: `tests::autotest_x`.
    let function = format!("autotest_{}", name.replace('-', "_"));
    let test_path =
        module.split_once("::").map_or_else(|| function.clone(), |(_, inner)| format!("{inner}::{function}"));
    let child_args =
        ["--exact", test_path.as_str(), "--nocapture", "--test-threads", "1", "-q"].map(str::to_owned).to_vec();
    let cancel = CancelToken::new();
    let _signals = crate::signal::watch_job(&cancel);
    let job = job_for(name, &cancel, child_args).unwrap_or_else(|e| panic!("cannot start a job for {name}: {e}"));
    let record = job
        .run(PlannedRun::of(registration, None, info.default_args()))
        .unwrap_or_else(|e| panic!("{name} could not run: {e}"));
    let _ = job.complete();
    tell_values(name, &record);
    let thread = std::thread::current().name().unwrap_or(name).to_owned();
    match record.status {
        Status::Good => {}
        Status::Warn | Status::TestNa => tell(&format!("{thread}: {} {}", record.status, record.summary)),
        _ => {
            let place = record.raised_at.clone().unwrap_or_else(|| info.location());
            // The test's own place, and no frames of harness: a panic that does not
            // go through the panic hook, with the hook's first line written here.
            eprintln!("thread '{thread}' panicked at {place}:\n{name} ended {}", verdict_text(&record, info, false));
            end_if_interrupted(&cancel);
            std::panic::resume_unwind(Box::new(format!("{name} ended {}", record.status)));
        }
    }
    end_if_interrupted(&cancel);
}

/// The `main` of a `harness = false` test target: every registered test as a
/// libtest trial, so `cargo test`, `cargo test -- FILTER --exact`,
/// `--list --format terse` and `cargo nextest run` (one process per test) work.
///
/// ```toml
/// [[test]]
/// name = "autotests"
/// harness = false
/// ```
///
/// ```text
/// // tests/autotests.rs
/// fn main() {
///     harness_core::test_main()
/// }
/// ```
///
/// Each test runs in a job of its own under [`results_root`]`/<binary>/<test>/<run>`
/// (a run is named by time, process and `NEXTEST_ATTEMPT`, so retries and shards
/// never overwrite each other), with the arguments of its
/// `#[autotest(cargo_test(...))]`. GOOD and WARN pass (WARN prints its reason);
/// TEST_NA is reported as ignored with its reason; FAIL, ERROR and ABORT fail with
/// the status and reason. A test with a required parameter and no value for it,
/// or whose `requires(...)` this machine does not meet, is listed as ignored,
/// with the reason (so nextest shows it skipped). SIGTERM (nextest's timeout) ends the
/// running tests with ERROR "Test timeout expired" after their cleanup.
pub fn test_main() {
    if let Some(dir) = crate::child::take_child_dir() {
        std::process::exit(crate::child::child_main(&dir));
    }
    let (select, rest) = select_argument(std::env::args().collect());
    let mut arguments = libtest_mimic::Arguments::from_iter(rest);
    let selection = match select.or_else(|| std::env::var("HARNESS_SELECT").ok().filter(|s| !s.is_empty())) {
        Some(text) => match crate::select::Selection::parse(&text) {
            Ok(selection) => Some(selection),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(101);
            }
        },
        None => None,
    };
    // `cargo bench` passes `--bench`: a bench target with `harness = false`
    // runs its harness tests (in the bench profile), as `cargo test` runs them.
    arguments.bench = false;
    // Perf tests must not run side by side: one at a time unless asked otherwise.
    if arguments.test_threads.is_none() && std::env::var_os("RUST_TEST_THREADS").is_none() {
        arguments.test_threads = Some(1);
    }
    if let Err(e) = crate::registry::check() {
        eprintln!("error: {e}");
        std::process::exit(101);
    }
    let part = shard_part().unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(101);
    });
    let _ = SHARD.set(part.as_ref().and_then(Part::shard).cloned());
    die_with_parent();
    let cancel = CancelToken::new();
    let signals = crate::signal::watch_job(&cancel);
    let mut notes = Vec::new();
    // A test with `cargo_test` defined in a library already runs as a `#[test]`
    // of that library's unit tests; running it here too would run it twice.
    let selected = |(name, registration, _): &(
        std::borrow::Cow<'static, str>,
        &'static Registration,
        Option<&'static Variant>,
    )| {
        selection.as_ref().is_none_or(|s| s.matches(name, registration.info().attrs()))
            && part.as_ref().is_none_or(|p| p.holds(name))
    };
    let (elsewhere, here): (Vec<_>, Vec<_>) =
        crate::registry::names().filter(selected).partition(|(_, r, v)| v.is_none() && r.info().has_unit_test());
    if !elsewhere.is_empty() {
        let names: Vec<&str> = elsewhere.iter().map(|(name, _, _)| name.as_ref()).collect();
        notes.push(format!(
            "{} with #[autotest(cargo_test)] run{} as `autotest_<name>` in {} crate's own unit tests, not here: {}",
            if names.len() == 1 { "1 test" } else { "tests" },
            if names.len() == 1 { "s" } else { "" },
            if names.len() == 1 { "its" } else { "their" },
            names.join(", ")
        ));
    }
    let trials: Vec<libtest_mimic::Trial> = here
        .into_iter()
        .map(|(name, registration, variant)| {
            let info = registration.info();
            let planned = PlannedRun::of(registration, variant, info.default_args());
            let missing = planned.checked().missing().map(|(name, ty)| {
                format!("needs a value for `{name}` ({ty}): give it with #[autotest(cargo_test({name} = ...))]")
            });
            // What the machine lacks is known now: the test is listed as ignored,
            // so nextest shows it skipped, never passed (run with --ignored, it
            // ends TEST_NA naming the requirement, or runs if it is met by then).
            let unmet = if missing.is_none() { info.check_requirements().err() } else { None };
            if let Some(reason) = &missing {
                notes.push(format!("{name}: ignored, {reason}"));
            }
            if let Some(reason) = &unmet {
                notes.push(format!("{name}: ignored, TEST_NA {reason}"));
            }
            let cancel = cancel.clone();
            let ignored = missing.is_some() || unmet.is_some();
            let run_name = name.clone();
            libtest_mimic::Trial::ignorable_test(name, move || match missing {
                Some(reason) => Ok(libtest_mimic::Completion::ignored_with(reason)),
                None => run_trial(&run_name, planned, &cancel),
            })
            .with_ignored_flag(ignored)
        })
        .collect();
    if let Some(part) = &part {
        notes.push(format!("{}: {} tests here", part.label(), trials.len()));
    }
    if !arguments.list {
        for note in notes {
            eprintln!("note: {note}");
        }
        // A shard with no test still says it ran, so a merge sees it complete.
        if trials.is_empty()
            && let Some(shard) = part.as_ref().and_then(Part::shard)
            && let Ok(job) = job_for(&format!("shard-{}-of-{}", shard.index(), shard.total()), &cancel, Vec::new())
        {
            let _ = job.complete();
        }
    }
    let conclusion = libtest_mimic::run(&arguments, trials);
    drop(signals);
    end_if_interrupted(&cancel);
    conclusion.exit();
}

/// `--select EXPR` (or `--select=EXPR`) taken out of the arguments, which
/// libtest does not know.
fn select_argument(args: Vec<String>) -> (Option<String>, Vec<String>) {
    let mut select = None;
    let mut rest = Vec::with_capacity(args.len());
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--select" {
            select = args.next();
        } else if let Some(text) = arg.strip_prefix("--select=") {
            select = Some(text.to_owned());
        } else {
            rest.push(arg);
        }
    }
    (select, rest)
}

fn run_trial(
    name: &str,
    planned: PlannedRun,
    cancel: &CancelToken,
) -> Result<libtest_mimic::Completion, libtest_mimic::Failed> {
    if cancel.is_cancelled() {
        return Err("not run: the test binary was interrupted".into());
    }
    let info = planned.info();
    let job = job_for(name, cancel, Vec::new()).map_err(|e| format!("cannot start a job for {name}: {e}"))?;
    let record = job.run(planned).map_err(|e| format!("{name} could not run: {e}"))?;
    let _ = job.complete();
    tell_values(name, &record);
    match record.status {
        Status::Good => Ok(libtest_mimic::Completion::Completed),
        Status::Warn => {
            eprintln!("{name}: {} {}", record.status, record.summary);
            Ok(libtest_mimic::Completion::Completed)
        }
        Status::TestNa => Ok(libtest_mimic::Completion::ignored_with(format!("{} {}", record.status, record.summary))),
        _ => Err(verdict_text(&record, info, true).into()),
    }
}
