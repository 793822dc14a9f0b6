//! What autotest's own results parser (TKO) makes of harness's job
//! directories, read with `harness_tests::tko` (our reader of
//! `../shared/reference/tko.md`), and what strict JUnit consumers make of
//! `junit.xml`: the job's status, hostile reasons, roll-up, a killed job's
//! rebuilt report, per-iteration data, data-loss warnings and the schema.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};

use harness_core::event::{Event, Observer};
use harness_core::prelude::*;
use harness_core::results::{BlockKind, JobResults, StatusCode, StatusEntry, StatusLog, TestRecord};
use harness_core::{Job, JobBuilder};
use harness_tests::{harness_in, tko, wait_for};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use proptest::prelude::*;

/// Passes, fails with `reason`, or records what `what` says first.
#[autotest(name = "tko_probe", version = 1)]
#[derive(Default)]
struct Probe;

#[autotest]
impl Probe {
    fn run_once(
        &mut self,
        ctx: &mut TestContext,
        #[arg(default = "")] what: String,
        #[arg(default = "")] reason: String,
    ) -> TestResult {
        match what.as_str() {
            "fail" => return Err(Failure::fail(reason)),
            "error" => return Err(Failure::error(reason)),
            "na" => return Err(Failure::not_applicable(reason)),
            "warn_inside" => {
                ctx.job().record(StatusCode::Status(Status::Warn), None, None, &reason)?;
            }
            "failing_subtest" => {
                let status = ctx.runsubtest(
                    "tko_probe",
                    Args::new().with("tag", "sub").with("what", "fail").with("reason", reason),
                )?;
                ctx.write_test_keyval([("subtest_status", status)])?;
            }
            "lossy" => {
                for _ in 0..2 {
                    ctx.output_perf_value(PerfValue::new("no_units", 1.0))?;
                    ctx.output_perf_value(PerfValue::new("t", 2.0).graph("g"))?;
                    ctx.write_perf_keyval([("a_key_much_longer_than_thirty_characters", 1)])?;
                }
                ctx.write_test_keyval([("another_key_longer_than_thirty_chars", 1)])?;
                return Err(Failure::fail("speed → 0"));
            }
            _ => {}
        }
        Ok(())
    }
}

/// Writes a perf keyval in every iteration and one more in postprocess.
#[autotest(name = "tko_blocks", version = 1)]
#[derive(Default)]
struct Blocks {
    runs: u32,
}

#[autotest]
impl Blocks {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        self.runs += 1;
        ctx.write_iteration_keyval([("note", format!("run {}", self.runs))], [("speed", f64::from(self.runs) * 1.5)])?;
        Ok(())
    }

    fn postprocess(&mut self, ctx: &mut TestContext) -> TestResult {
        ctx.write_perf_keyval([("total", f64::from(self.runs))])?;
        Ok(())
    }
}

/// The notices a job gives its observers.
#[derive(Default)]
struct Notices(Mutex<Vec<String>>);

impl Observer for Notices {
    fn on_event(&self, event: &Event<'_>) {
        if let Event::Notice { subdir, text, .. } = event {
            self.0.lock().unwrap_or_else(PoisonError::into_inner).push(format!("{subdir}: {text}"));
        }
    }
}

fn builder(dir: &Path) -> JobBuilder {
    Job::builder(dir.join("r")).state_dir(dir.join(".state"))
}

fn probe(job: &Job, tag: &str, what: &str, reason: &str) -> TestRecord {
    job.test("tko_probe").tag(tag).arg("what", what).arg("reason", reason).run_detail().unwrap()
}

fn results(dir: &Path) -> JobResults {
    JobResults::read(dir.join("r/results.json")).unwrap()
}

#[test]
fn tko_reads_a_good_job_as_good_and_a_failed_one_as_fail() {
    for (what, job_status, failed) in [("", "GOOD", 0), ("fail", "FAIL", 2)] {
        let dir = tempfile::tempdir().unwrap();
        let job = builder(dir.path()).build().unwrap();
        probe(&job, "a", "", "");
        probe(&job, "b", what, "it broke");
        let summary = job.complete().unwrap();
        let read = tko::read_job(&dir.path().join("r")).unwrap();
        assert_eq!(read.status, job_status);
        assert_eq!(read.failed_count(), failed, "{read:?}");
        let execute = std::fs::read_to_string(dir.path().join("r/.autoserv_execute")).unwrap();
        let wait = if failed == 0 { 0 } else { 256 };
        assert_eq!(execute, format!("{}\n{wait}\n", std::process::id()));
        assert_eq!(summary.status().as_str(), if failed == 0 { "GOOD" } else { "FAIL" });
        assert_eq!(results(dir.path()).job.status, summary.status());
        let rows: Vec<(&str, &str)> = read.tests.iter().map(|t| (t.testname.as_str(), t.status.as_str())).collect();
        let expected = if failed == 0 { "GOOD" } else { "FAIL" };
        assert_eq!(rows, [("tko_probe.a", "GOOD"), ("tko_probe.b", expected)]);
    }
}

#[test]
fn hostile_reasons_stay_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let job = builder(dir.path()).build().unwrap();
    let reasons = [
        "rc=1\tcommand failed",
        "timestamp=abc",
        "key=value looks like a field",
        "localtime=x",
        "é_1=ü",
        "a=b=c",
        " k=v",
        "=x",
        "k=",
    ];
    for (i, reason) in reasons.iter().enumerate() {
        probe(&job, &format!("r{i}"), "fail", reason);
    }
    for tag in ["timestamp=x", "k=v"] {
        probe(&job, tag, "", "");
    }
    let _ = job.complete().unwrap();
    let read = tko::read_job(&dir.path().join("r")).expect("TKO parses the job");
    let ours = StatusLog::read(dir.path().join("r/status.log")).unwrap();
    for (i, reason) in reasons.iter().enumerate() {
        let subdir = format!("tko_probe.r{i}");
        let row = read.test(&subdir).unwrap_or_else(|| panic!("{subdir} is a row"));
        // The first line of a reason has its tabs as spaces; TKO reads it as
        // the reason, after at most one space put before it.
        let shown = reason.replace('\t', "        ");
        assert_eq!(
            (row.status.as_str(), row.reason.strip_prefix(' ').unwrap_or(&row.reason)),
            ("FAIL", shown.as_str())
        );
        assert!(row.reason == shown || row.reason == format!(" {shown}"), "{:?}", row.reason);
        let group = ours.tests().find(|g| g.subdir.as_deref() == Some(&subdir)).unwrap();
        assert_eq!(group.reason, shown, "harness's reader gives the reason back as written");
    }
    for tag in ["timestamp=x", "k=v"] {
        assert_eq!(read.test(&format!("tko_probe.{tag}")).unwrap().status, "GOOD");
    }
}

proptest! {
    /// Whatever a test gives as its reason, TKO reads it as the reason.
    #[test]
    fn no_reason_is_read_as_fields(reason in "\\PC{0,40}", field in "[a-z_]{1,8}=[^\t]{1,8}") {
        for message in [reason.clone(), format!("{field}{reason}"), format!("{field}\t{reason}")] {
            let entry = StatusEntry::new(StatusCode::Status(Status::Fail), Some("t"), Some("t"), &message).unwrap();
            let line = tko::parse_line(&format!("\t{}", entry.render().lines().next().unwrap())).unwrap();
            prop_assert_eq!(line.fields.keys().collect::<Vec<_>>(), ["localtime", "timestamp"]);
            let message = entry.message();
            prop_assert!(line.reason == message || line.reason == format!(" {message}"), "{:?} for {:?}", line.reason, message);
            prop_assert!(line.fields["timestamp"].parse::<i64>().is_ok());
        }
    }
}

#[test]
fn subtests_and_inner_warnings_roll_up_as_tko_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let job = builder(dir.path()).build().unwrap();
    let parent = probe(&job, "parent", "failing_subtest", "the subtest broke");
    let warned = probe(&job, "warned", "warn_inside", "careful: disk is slow");
    probe(&job, "plain", "", "");
    let summary = job.complete().unwrap();
    assert_eq!((parent.status, parent.summary.as_str()), (Status::Fail, "the subtest broke"));
    assert_eq!((warned.status, warned.summary.as_str()), (Status::Warn, "careful: disk is slow"));
    assert_eq!(summary.status(), Status::Fail);
    let read = tko::read_job(&dir.path().join("r")).unwrap();
    let results = results(dir.path());
    let ours: Vec<(String, String, String)> =
        results.tests.iter().map(|t| (t.subdir.clone(), t.status.to_string(), t.summary.clone())).collect();
    let theirs: Vec<(String, String, String)> =
        read.tests.iter().map(|t| (t.subdir.clone().unwrap_or_default(), t.status.clone(), t.reason.clone())).collect();
    assert_eq!(ours, theirs, "results.json and TKO agree on every test");
    assert_eq!(
        theirs.iter().map(|(s, st, _)| (s.as_str(), st.as_str())).collect::<Vec<_>>(),
        [("tko_probe.parent", "FAIL"), ("tko_probe.warned", "WARN"), ("tko_probe.plain", "GOOD")]
    );
    let sub = &results.tests[0].subtests;
    assert_eq!(
        sub.iter().map(|t| (t.subdir.as_str(), t.status, t.reason.as_str())).collect::<Vec<_>>(),
        [("tko_probe.parent/tko_probe.sub", Status::Fail, "the subtest broke")]
    );
    assert_eq!(results.job.status, Status::Fail);
    let junit = std::fs::read_to_string(dir.path().join("r/junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let suites: Vec<(&str, Option<&str>)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .map(|suite| {
            let parent = suite
                .descendants()
                .find(|p| p.has_tag_name("property") && p.attribute("name") == Some("parent"))
                .and_then(|p| p.attribute("value"));
            (suite.attribute("name").unwrap(), parent)
        })
        .collect();
    assert_eq!(
        suites,
        [
            ("tko_probe.parent", None),
            ("tko_probe.parent/tko_probe.sub", Some("tko_probe.parent")),
            ("tko_probe.warned", None),
            ("tko_probe.plain", None)
        ]
    );
    let report = harness_tests::tools_in(dir.path()).args(["report", "r"]).output().unwrap();
    assert_eq!(report.status.code(), Some(1), "a FAIL job: {}", String::from_utf8_lossy(&report.stdout));
    let table = String::from_utf8_lossy(&report.stdout);
    assert!(table.ends_with("job FAIL: 1 FAIL, 1 GOOD, 1 WARN\n"), "{table}");
    let rows: Vec<&str> = table.lines().collect();
    let at = |needle: &str| rows.iter().position(|row| row.contains(needle)).unwrap_or_else(|| panic!("{table}"));
    assert_eq!(at(" tko_probe.parent ") + 1, at("   tko_probe.parent/tko_probe.sub "), "the subtest under its parent");
}

#[test]
fn every_block_is_in_results_json_as_tko_loads_it() {
    let dir = tempfile::tempdir().unwrap();
    let job = builder(dir.path()).build().unwrap();
    let record = job.test("tko_blocks").arg("iterations", 2).run_detail().unwrap();
    let _ = job.complete().unwrap();
    let kinds: Vec<(BlockKind, Option<u64>)> = record.keyval_blocks.iter().map(|b| (b.kind, b.iteration)).collect();
    assert_eq!(
        kinds,
        [(BlockKind::Iteration, Some(1)), (BlockKind::Iteration, Some(2)), (BlockKind::Postprocess, None)]
    );
    let read = tko::read_job(&dir.path().join("r")).unwrap();
    let theirs = &read.tests[0].iterations;
    assert_eq!(theirs.len(), 3);
    for (ours, theirs) in record.keyval_blocks.iter().zip(theirs) {
        assert_eq!(ours.perf, theirs.perf);
        assert_eq!(ours.attr, theirs.attr);
    }
    assert_eq!(theirs[1].perf["speed"], 3.0);
    assert_eq!(theirs[1].attr["note"], "run 2");
    let json = results(dir.path());
    assert_eq!(json.tests[0].keyval_blocks, record.keyval_blocks);
}

#[test]
fn what_downstream_readers_would_lose_is_warned_about_once() {
    let dir = tempfile::tempdir().unwrap();
    let notices = Arc::new(Notices::default());
    let job = builder(dir.path()).observer(notices.clone()).build().unwrap();
    let record = probe(&job, "lossy", "lossy", "");
    let _ = job.complete().unwrap();
    assert_eq!(record.status, Status::Fail, "warnings are not errors");
    let mut notices = notices.0.lock().unwrap().clone();
    // What makes the numbers noisy is the job's, said with no test's name: a
    // debug build at least, in a debug build.
    let said_by_the_job = notices.iter().filter(|n| n.starts_with(": ")).count();
    assert!(said_by_the_job >= usize::from(cfg!(debug_assertions)), "{notices:?}");
    notices.retain(|n| !n.starts_with(": "));
    let subdir = "tko_probe.lossy";
    assert_eq!(
        notices,
        [
            format!(
                "{subdir}: perf value `no_units` has no units: the perf dashboard refuses the whole test's upload \
                 (\"Units must be specified in the chart data\"); give it `.units(..)`"
            ),
            format!(
                "{subdir}: perf value `g/t` has no units: the perf dashboard refuses the whole test's upload \
                 (\"Units must be specified in the chart data\"); give it `.units(..)`"
            ),
            format!(
                "{subdir}: keyval key `a_key_much_longer_than_thirty_characters` is 40 characters long; \
                 TKO's database keeps the first 30"
            ),
            format!(
                "{subdir}: keyval key `another_key_longer_than_thirty_chars` is 36 characters long; \
                 TKO's database keeps the first 30"
            ),
            format!(
                "{subdir}: the reason holds '→', outside latin1, which TKO's database cannot store \
                 (TKO's `tko_tests.reason` column)"
            ),
        ]
    );
    let debug = std::fs::read_to_string(dir.path().join("r/tko_probe.lossy/debug/tko_probe.lossy.DEBUG")).unwrap();
    assert_eq!(debug.matches("has no units").count(), 2, "{debug}");
    assert_eq!(debug.matches("TKO's database keeps the first 30").count(), 2, "{debug}");
    let read = tko::read_job(&dir.path().join("r")).unwrap();
    assert_eq!(read.tests[0].stored_reason, None, "TKO's database cannot store it");
    assert!(read.tests[0].iterations[0].perf.contains_key("a_key_much_longer_than_thirty_"), "{read:?}");
}

#[test]
fn junit_validates_against_the_jenkins_schema_and_keeps_tabs() {
    let dir = tempfile::tempdir().unwrap();
    let job = builder(dir.path()).tag("nightly").build().unwrap();
    probe(&job, "good", "", "");
    probe(&job, "tabs", "fail", "a\tb\rc <&> \"q\" \u{1b}[31m");
    probe(&job, "error", "error", "second line follows\nhere it is");
    probe(&job, "na", "na", "no gpu");
    probe(&job, "parent", "failing_subtest", "sub broke");
    probe(&job, "warned", "warn_inside", "careful");
    job.test("tko_blocks").run_detail().unwrap();
    let _ = job.complete().unwrap();
    let junit = std::fs::read_to_string(dir.path().join("r/junit.xml")).unwrap();
    let errors = harness_tests::junit_schema_errors(&junit);
    assert!(errors.is_empty(), "junit.xml breaks junit-10.xsd: {errors:#?}\n{junit}");
    assert!(junit.contains("<testsuites name=\"nightly\" tests=\"8\" failures=\"3\" errors=\"1\" time=\""), "{junit}");
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let failure = doc.descendants().find(|n| n.has_tag_name("failure")).unwrap();
    // A carriage return ends the reason's first line, as Python's splitlines
    // has it; the rest is the failure's text.
    assert_eq!(failure.attribute("message"), Some("a\tb"), "tabs survive");
    assert_eq!(failure.text(), Some("c <&> \"q\" \\x1b[31m"));
    assert_eq!(failure.attribute("type"), Some("FAIL"));
    let suite =
        |name: &str| doc.descendants().find(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some(name));
    let property = |suite: roxmltree::Node<'_, '_>, name: &str| {
        suite
            .descendants()
            .find(|p| p.has_tag_name("property") && p.attribute("name") == Some(name))
            .and_then(|p| p.attribute("value"))
            .map(str::to_owned)
    };
    let blocks = suite("tko_blocks").unwrap();
    assert_eq!(property(blocks, "perf_keyval:total").as_deref(), Some("1.0"));
    assert_eq!(property(blocks, "status").as_deref(), Some("GOOD"));
    let na = suite("tko_probe.na").unwrap();
    assert_eq!(na.attribute("skipped"), Some("1"));
    let error = suite("tko_probe.error").unwrap().descendants().find(|n| n.has_tag_name("error")).unwrap();
    assert_eq!((error.attribute("message"), error.text()), (Some("second line follows"), Some("here it is")));
    // The same layout before the fix would have been refused: the schema is
    // checked for real.
    let refused = junit.replacen("<testsuites name=", "<testsuites skipped=\"1\" name=", 1);
    assert!(!harness_tests::junit_schema_errors(&refused).is_empty());
}

/// `harness run ARGS` in `dir`, started; returns once `debug` holds `ready`.
fn start(dir: &Path, args: &[&str], debug: &str, ready: &str) -> std::process::Child {
    let child = harness_in(dir).args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let log = dir.join(debug);
    assert!(
        wait_for(30.0, || std::fs::read_to_string(&log).is_ok_and(|l| l.contains(ready))),
        "the test did not start: {}",
        log.display()
    );
    child
}

fn control(dir: &Path) {
    std::fs::write(
        dir.join("c.json"),
        r#"{"tests": [{"test": "sleeptest", "args": {"seconds": 0, "iterations": 3}},
                      {"test": "fault_hang", "args": {"seconds": 600}}]}"#,
    )
    .unwrap();
}

#[test]
fn a_killed_job_is_abort_and_its_rebuilt_report_is_real() {
    let dir = tempfile::tempdir().unwrap();
    control(dir.path());
    let mut harness = start(
        dir.path(),
        &["run", "--control", "c.json", "--results", "r", "-q"],
        "r/fault_hang/debug/fault_hang.DEBUG",
        "hanging for",
    );
    harness.kill().unwrap();
    harness.wait().unwrap();
    let r = dir.path().join("r");
    let read = tko::read_job(&r).unwrap();
    assert_eq!(read.status, "ABORT", "a killed job leaves line 2 of .autoserv_execute unwritten");
    let rows: Vec<(&str, &str, &str)> =
        read.tests.iter().map(|t| (t.testname.as_str(), t.status.as_str(), t.reason.as_str())).collect();
    assert_eq!(
        rows,
        [("sleeptest", "GOOD", "completed successfully"), ("fault_hang", "ABORT", "Job aborted unexpectedly")]
    );
    // What `report` finds later must come from the files, not from its own clock.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let before_report = chrono::Utc::now();
    let report = harness_tests::tools_in(dir.path()).args(["report", "r"]).output().unwrap();
    assert_eq!(report.status.code(), Some(1), "an aborted job is not a pass");
    let rebuilt = JobResults::read(r.join("results.json")).unwrap();
    assert_eq!(rebuilt.job.status, Status::Abort);
    let parse = |text: &str| chrono::DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&chrono::Utc);
    let job_end = parse(&rebuilt.job.end);
    assert!(job_end < before_report - chrono::Duration::milliseconds(1000), "{job_end} vs {before_report}");
    assert!(parse(&rebuilt.job.start) <= job_end);
    let tests: Vec<(&str, Status, u64)> =
        rebuilt.tests.iter().map(|t| (t.test.as_str(), t.status, t.iterations)).collect();
    assert_eq!(tests, [("sleeptest", Status::Good, 3), ("fault_hang", Status::Abort, 0)]);
    for test in &rebuilt.tests {
        let (start, end) = (parse(&test.start), parse(&test.end));
        assert!(start <= end && end <= job_end, "{}: {start} .. {end}", test.test);
    }
    assert_eq!(rebuilt.tests[0].keyval_blocks.len(), 3);
    // sleeptest's record is events.jsonl's, whole: its blocks' kinds are known.
    assert_eq!(rebuilt.tests[0].keyval_blocks[0].kind, BlockKind::Iteration);
    assert!(harness_tests::junit_schema_errors(&std::fs::read_to_string(r.join("junit.xml")).unwrap()).is_empty());
}

#[test]
fn an_interrupted_job_is_abort() {
    let dir = tempfile::tempdir().unwrap();
    control(dir.path());
    let harness = start(
        dir.path(),
        &["run", "--control", "c.json", "--results", "r", "-q"],
        "r/fault_hang/debug/fault_hang.DEBUG",
        "hanging for",
    );
    kill(Pid::from_raw(i32::try_from(harness.id()).unwrap()), Signal::SIGTERM).unwrap();
    let out = harness.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let execute = std::fs::read_to_string(dir.path().join("r/.autoserv_execute")).unwrap();
    assert_eq!(execute.lines().nth(1), Some("15"), "the wait status of a SIGTERM");
    assert_eq!(tko::read_job(&dir.path().join("r")).unwrap().status, "ABORT");
    assert_eq!(results_at(&dir.path().join("r")).job.status, Status::Abort);
}

fn results_at(dir: &Path) -> JobResults {
    JobResults::read(dir.join("results.json")).unwrap()
}
