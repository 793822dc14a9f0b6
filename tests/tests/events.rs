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
