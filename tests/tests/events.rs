//! `events.jsonl`, the live event stream: every line of real runs meets
//! docs/events.schema.json, `--events -` carries the same lines on stdout (the
//! console on stderr), a copy file gets them too, and hostile text stays on
//! its line.

use std::path::Path;

use harness_tests::readers;
use serde_json::Value;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// `event` of each line, with the subdir where the event has one; a test
/// waiting for the machine-wide lock (other tests of the suite measure) is
/// left out.
fn kinds(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter(|line| line["kind"] != "waiting")
        .map(|line| {
            let event = line["event"].as_str().unwrap();
            match event {
                "status" => {
                    format!("status {} {}", line["code"].as_str().unwrap(), line["subdir"].as_str().unwrap_or("-"))
                }
                "job_started" | "job_finished" => event.to_owned(),
                _ => format!("{event} {}", line["subdir"].as_str().or(line["record"]["subdir"].as_str()).unwrap()),
            }
        })
        .collect()
}

#[test]
fn a_run_streams_every_event_on_stdout_and_in_its_results() {
    let dir = tempfile::tempdir().unwrap();
    let out = harness_tests::harness_in(dir.path())
        .args(["run", "perf_sample", "status_fail", "--iterations", "2", "--warmup-iterations", "1"])
        .args(["--events", "-", "--results", "r", "--color", "never"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout, read(dir.path().join("r/events.jsonl")));
    let lines = readers::events(&stdout).unwrap();
    assert_eq!(
        kinds(&lines),
        [
            "job_started",
            "status START -",
            "notice ",
            "test_started perf_sample",
            "status INFO -",
            "iteration_finished perf_sample",
            "iteration_finished perf_sample",
            "status GOOD perf_sample",
            "status END GOOD perf_sample",
            "test_finished perf_sample",
            "test_started status_fail",
            "status INFO -",
            "status FAIL status_fail",
            "status END FAIL status_fail",
            "test_finished status_fail",
            "status END GOOD -",
            "job_finished",
        ]
        .map(str::to_owned),
        "{stdout}"
    );
    // Each measured iteration carries its own values; the warm-up none.
    let iterations: Vec<(&Value, &Value, &Value)> = lines
        .iter()
        .filter(|l| l["event"] == "iteration_finished")
        .map(|l| (&l["iteration"], &l["perf"]["latency"], &l["perf_values"][0]["values"]))
        .collect();
    assert_eq!(
        iterations,
        [
            (&Value::from(1), &Value::from(10.0), &serde_json::json!([10.0])),
            (&2.into(), &10.2.into(), &serde_json::json!([10.2]))
        ]
    );
    assert_eq!(lines[0]["sysinfo"]["build"], if cfg!(debug_assertions) { "debug" } else { "release" });
    // The record is results.json's.
    let results: Value = serde_json::from_str(&read(dir.path().join("r/results.json"))).unwrap();
    let records: Vec<&Value> = lines.iter().filter(|l| l["event"] == "test_finished").map(|l| &l["record"]).collect();
    assert_eq!(records, [&results["tests"][0], &results["tests"][1]]);
    assert_eq!(lines.last().unwrap()["counts"], serde_json::json!({"FAIL": 1, "GOOD": 1}));
    // The console is on stderr, with its numbers.
    let stderr = text(&out.stderr);
    assert!(stderr.contains("GOOD     perf_sample "), "{stderr}");
    assert!(stderr.contains("latency: median 10.1 ms"), "{stderr}");
}

#[test]
fn subtests_a_copy_file_and_hostile_text_keep_one_event_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = harness_tests::harness_in(dir.path())
        .args(["run", "fault_nest", "--arg", "depth=2", "--results", "r", "-q", "--events", "copy.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let own = read(dir.path().join("r/events.jsonl"));
    assert_eq!(read(dir.path().join("copy.jsonl")), own);
    let lines = readers::events(&own).unwrap();
    let started: Vec<(&str, u64)> = lines
        .iter()
        .filter(|l| l["event"] == "test_started")
        .map(|l| (l["subdir"].as_str().unwrap(), l["depth"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        started,
        [("fault_nest", 1), ("fault_nest/fault_nest.d2", 2), ("fault_nest/fault_nest.d2/fault_nest.d1", 3)]
    );
    let finished: Vec<(&str, u64)> = lines
        .iter()
        .filter(|l| l["event"] == "test_finished")
        .map(|l| (l["record"]["subdir"].as_str().unwrap(), l["depth"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        finished,
        [("fault_nest/fault_nest.d2/fault_nest.d1", 3), ("fault_nest/fault_nest.d2", 2), ("fault_nest", 1)]
    );

    // A reason with line breaks and escape sequences is one JSON string on one line.
    let reason = "line one\nline two\u{1b}[32m GOOD\r\n{\"event\":\"job_finished\"}";
    let out = harness_tests::harness_in(dir.path())
        .args(["run", "fault_reason", "--arg", &format!("reason={reason}"), "--results", "r2", "-q"])
        .args(["--events", "copy.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let lines = readers::events(&read(dir.path().join("r2/events.jsonl"))).unwrap();
    let record = &lines.iter().find(|l| l["event"] == "test_finished").unwrap()["record"];
    assert_eq!(record["status"], "FAIL");
    assert_eq!(lines.last().unwrap()["event"], "job_finished");
    // The copy file is shared: the second job's lines follow the first's.
    let copy = readers::events(&read(dir.path().join("copy.jsonl"))).unwrap();
    assert_eq!(copy.len(), readers::events(&own).unwrap().len() + lines.len());
}

/// What one killed job's files say, read after its last process is gone.
struct Killed {
    /// The event lines up to the last complete one.
    lines: Vec<Value>,
    /// The job's tests in status.log: subdir and whether its END was written.
    groups: Vec<(String, bool)>,
}

impl Killed {
    /// The records of the job's finished tests, by subdir.
    fn finished(&self) -> Vec<(&str, &Value)> {
        self.lines
            .iter()
            .filter(|l| l["event"] == "test_finished" && l["depth"] == 1)
            .map(|l| (l["record"]["subdir"].as_str().unwrap(), &l["record"]))
            .collect()
    }

    /// How many iterations of `subdir` ended, as the events say.
    fn iterations(&self, subdir: &str) -> usize {
        self.lines.iter().filter(|l| l["event"] == "iteration_finished" && l["subdir"] == subdir).count()
    }
}

#[test]
fn kill_9_at_thirty_moments_loses_no_finished_test_or_iteration() {
    use harness_core::results::{StatusLog, read_iterations, read_or_rebuild};
    use nix::sys::signal::{Signal, kill};

    use nix::unistd::Pid;

    let mut random = harness_tests::Random(0x5DEE_CE66_D1CE_4E5B);
    let (mut mid_test, mut rebuilt_with_records) = (0, 0);
    for round in 0..30 {
        let dir = tempfile::tempdir().unwrap();
        let mut child = harness_tests::harness_in(dir.path())
            .args(["run", "perf_sample", "status_good", "checksum_throughput", "status_fail", "status_warn"])
            .args(["--iterations", "8", "--results", "r", "--color", "never"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let wait = random.below(700);
        std::thread::sleep(std::time::Duration::from_millis(wait));
        let left = harness_tests::descendants(child.id());
        kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), Signal::SIGKILL).unwrap();
        child.wait().unwrap();
        // The test's process, if any, ends with its parent (PR_SET_PDEATHSIG).
        assert!(
            harness_tests::wait_for(10.0, || left.iter().all(|p| !harness_tests::alive(*p))),
            "round {round}: processes outlive the job: {left:?}"
        );
        let context = format!("round {round} (killed after {wait} ms)");
        let results = dir.path().join("r");
        let Ok(log) = StatusLog::read(results.join("status.log")) else { continue };
        let text = read(results.join("events.jsonl"));
        let complete = &text[..text.rfind('\n').map_or(0, |at| at + 1)];
        let killed = Killed {
            lines: readers::events(complete).unwrap_or_else(|e| panic!("{context}: {e}")),
            groups: log
                .tests()
                .filter(|g| g.depth == 1)
                .map(|g| (g.subdir.clone().unwrap(), !g.closed_by_reader))
                .collect(),
        };
        let finished = killed.finished();
        // Every test whose END was written has its record in the events, but
        // for the last one (killed between its END line and its record).
        for (at, (subdir, ended)) in killed.groups.iter().enumerate() {
            if *ended && at + 1 < killed.groups.len() {
                assert!(
                    finished.iter().any(|(s, _)| s == subdir),
                    "{context}: {subdir} ended in status.log but has no test_finished"
                );
            }
            // Every iteration whose keyval block was written ended in the
            // events, but the one the kill stopped in.
            let blocks = read_iterations(results.join(subdir).join("results/keyval")).unwrap_or_default().len();
            let ended_iterations = killed.iterations(subdir);
            if let Some((_, record)) = finished.iter().find(|(s, _)| s == subdir) {
                let measured = record["keyval_blocks"].as_array().unwrap().iter().filter(|b| b["kind"] == "iteration");
                assert_eq!(blocks, record["keyval_blocks"].as_array().unwrap().len(), "{context}: {subdir}");
                // A failing iteration ends the test instead.
                let failed = usize::from(record["status"] != "GOOD" && record["status"] != "WARN");
                assert!(measured.count() <= ended_iterations + failed, "{context}: {subdir}");
            } else {
                assert!(
                    blocks <= ended_iterations + 1,
                    "{context}: {subdir}: {blocks} blocks, {ended_iterations} ended"
                );
                mid_test += usize::from(!ended);
            }
        }
        // What report rebuilds holds every finished record whole, and every
        // ended iteration of the test the kill stopped in.
        let (rebuilt, note) = read_or_rebuild(&results).unwrap();
        let Some(note) = note else { continue };
        assert!(note.contains("rebuilt it (and junit.xml) from status.log and events.jsonl"), "{context}: {note}");
        let tests: Vec<Value> = rebuilt.tests.iter().map(|t| serde_json::to_value(t).unwrap()).collect();
        for (subdir, record) in &finished {
            let found = tests.iter().find(|t| t["subdir"] == *subdir);
            assert_eq!(found, Some(*record), "{context}: {subdir} rebuilt");
        }
        for test in &tests {
            let subdir = test["subdir"].as_str().unwrap();
            let ended = killed.groups.iter().any(|(s, ended)| s == subdir && *ended);
            if !finished.iter().any(|(s, _)| *s == subdir) && !ended {
                assert_eq!(test["status"], "ABORT", "{context}: {subdir}");
                let iterations = usize::try_from(test["iterations"].as_u64().unwrap()).unwrap();
                assert!(iterations >= killed.iterations(subdir), "{context}: {subdir}: {iterations}");
            }
        }
        rebuilt_with_records += usize::from(!finished.is_empty());
    }
    // The moments reached into tests and past finished ones.
    assert!(mid_test >= 3 && rebuilt_with_records >= 3, "{mid_test} kills in a test, {rebuilt_with_records} rebuilt");
}

#[test]
fn a_rebuild_takes_records_from_the_events_but_never_a_verdict_status_log_contradicts() {
    use harness_core::results::read_or_rebuild;
    let dir = tempfile::tempdir().unwrap();
    let out = harness_tests::harness_in(dir.path())
        .args(["run", "perf_sample", "status_fail", "status_warn", "--results", "r", "--color", "never"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let results = dir.path().join("r");
    let written: Value = serde_json::from_str(&read(results.join("results.json"))).unwrap();
    std::fs::remove_file(results.join("results.json")).unwrap();
    // The events say status_fail ended GOOD; status.log lost status_warn's
    // lines (a full disk) and the job's END.
    let events = read(results.join("events.jsonl"));
    let forged = events
        .replace("\"subdir\":\"status_fail\",\"status\":\"FAIL\"", "\"subdir\":\"status_fail\",\"status\":\"GOOD\"");
    assert_ne!(forged, events);
    std::fs::write(results.join("events.jsonl"), forged).unwrap();
    let log = read(results.join("status.log"));
    let cut: String = log.lines().take_while(|l| !l.contains("status_warn")).map(|l| format!("{l}\n")).collect();
    std::fs::write(results.join("status.log"), cut).unwrap();

    let (rebuilt, note) = read_or_rebuild(&results).unwrap();
    assert_eq!(
        note.unwrap(),
        format!(
            "{} has no results.json; rebuilt it (and junit.xml) from status.log and events.jsonl\n  \
             status_fail: events.jsonl says it ended GOOD, status.log FAIL; status.log is the record\n  \
             status_warn: not in status.log; its record (WARN) is taken from events.jsonl",
            results.display()
        )
    );
    let tests: Vec<Value> = rebuilt.tests.iter().map(|t| serde_json::to_value(t).unwrap()).collect();
    let subdirs: Vec<&str> = tests.iter().map(|t| t["subdir"].as_str().unwrap()).collect();
    assert_eq!(subdirs, ["perf_sample", "status_fail", "status_warn"]);
    assert_eq!(tests[0], written["tests"][0], "a finished test's record is whole");
    assert_eq!(tests[1]["status"], "FAIL");
    assert_eq!(tests[2], written["tests"][2]);
    // The job's END is gone: the job is rebuilt as aborted.
    assert_eq!(rebuilt.job.status, harness_core::Status::Abort);
}

#[test]
fn a_test_the_job_died_in_keeps_the_iterations_its_events_say_ended() {
    use harness_core::results::read_or_rebuild;
    let dir = tempfile::tempdir().unwrap();
    let out = harness_tests::harness_in(dir.path())
        .args(["run", "perf_sample", "--iterations", "3", "--results", "r", "--color", "never"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let results = dir.path().join("r");
    std::fs::remove_file(results.join("results.json")).unwrap();
    // Died in the test after its third iteration, before its keyval file and
    // chart took more than the first.
    let log = read(results.join("status.log"));
    let cut: String = log.lines().take(2).map(|l| format!("{l}\n")).collect();
    assert!(cut.lines().nth(1).unwrap().starts_with("\tSTART\tperf_sample\tperf_sample\t"), "{cut}");
    std::fs::write(results.join("status.log"), cut).unwrap();
    std::fs::write(results.join("perf_sample/results/keyval"), "latency{perf}=10.0\n\n").unwrap();
    std::fs::remove_file(results.join("perf_sample/results/results-chart.json")).unwrap();
    let events = read(results.join("events.jsonl"));
    let upto = events.find("\"event\":\"test_finished\"").unwrap();
    std::fs::write(results.join("events.jsonl"), &events[..events[..upto].rfind('\n').unwrap() + 1]).unwrap();

    let (rebuilt, _) = read_or_rebuild(&results).unwrap();
    let test = serde_json::to_value(&rebuilt.tests[0]).unwrap();
    assert_eq!(test["status"], "ABORT");
    assert_eq!(test["iterations"], 3);
    let blocks: Vec<(String, Value, f64)> = test["keyval_blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (b["kind"].as_str().unwrap().to_owned(), b["iteration"].clone(), b["perf"]["latency"].as_f64().unwrap())
        })
        .collect();
    assert_eq!(
        blocks,
        [
            ("unknown".to_owned(), Value::Null, 10.0),
            ("iteration".to_owned(), Value::from(2), 10.2),
            ("iteration".to_owned(), Value::from(3), 9.8)
        ]
    );
    assert_eq!(test["perf_values"][0]["values"], serde_json::json!([10.0, 10.2, 9.8]));
    assert_eq!(test["perf_values"][0]["units"], "ms");
    assert_eq!(test["perf_keyvals"], serde_json::json!({"latency": 9.8}));
}
