//! Catching regressions: `compare` on crafted runs (a clear regression, a
//! clear improvement, noise inside the threshold, a higher-is-better metric,
//! a per-metric threshold, missing and newly failing tests), baselines saved
//! and compared, `baseline(...)` constraints, the machine's context, and the
//! debug-build warning. Runs are made with the example binary's
//! `perf_sample`, whose numbers are given.

use std::path::Path;
use std::process::Output;

use harness_core::Status;
use harness_core::results::{JobResults, read_keyval};
use harness_core::stats::{Summary, mann_whitney_p, shift_interval};
use harness_tests::harness_in;
use serde_json::Value;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn harness(dir: &Path, args: &[&str]) -> Output {
    harness_in(dir).args(args).output().unwrap()
}

/// The results tools (`cargo-harness`) in `dir`.
fn tools(dir: &Path, args: &[&str]) -> Output {
    harness_tests::tools_in(dir).args(args).output().unwrap()
}

/// A run of `perf_sample` with `values` (one per iteration) into `dir/name`.
fn sample(dir: &Path, name: &str, values: &[f64], extra: &[&str]) -> Output {
    let list = format!("values={}", serde_json::to_string(values).unwrap());
    let iterations = values.len().to_string();
    let mut args = vec!["run", "perf_sample", "--arg", &list, "--iterations", &iterations, "--results", name, "-q"];
    args.extend_from_slice(extra);
    let out = harness(dir, &args);
    assert!(dir.join(name).join("results.json").is_file(), "{}", text(&out.stderr));
    out
}

const BASE: [f64; 8] = [10.0, 10.1, 9.9, 10.2, 9.8, 10.0, 10.1, 9.95];

/// Values with almost no spread: a 1% shift of them is significant, and small.
const TIGHT: [f64; 8] = [10.0, 10.002, 9.998, 10.004, 9.996, 10.001, 9.999, 10.003];

fn scaled(factor: f64) -> Vec<f64> {
    BASE.iter().map(|v| v * factor).collect()
}

fn compare_json(dir: &Path, base: &str, new: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["compare", base, new, "--json"];
    args.extend_from_slice(extra);
    let out = tools(dir, &args);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    (out.status.code(), json)
}

#[test]
fn compare_tells_regressions_from_improvements_and_noise() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), "base", &BASE, &[]);
    for (name, factor) in [("slower", 1.10), ("faster", 0.90)] {
        sample(dir.path(), name, &scaled(factor), &[]);
    }
    sample(dir.path(), "tight", &TIGHT, &[]);
    sample(dir.path(), "noise", &TIGHT.map(|v| v * 1.01), &[]);
    sample(dir.path(), "tolerant", &scaled(1.10), &["--arg", "threshold=0.2"]);
    for (old, new, exit, verdict) in [
        ("base", "slower", 1, "regressed"),
        ("base", "faster", 0, "improved"),
        ("tight", "noise", 0, "no change"),
        ("base", "tolerant", 0, "no change"),
    ] {
        let (code, json) = compare_json(dir.path(), old, new, &[]);
        let metric = &json["metrics"][0];
        assert_eq!((code, metric["verdict"].as_str()), (Some(exit), Some(verdict)), "{new}: {json:#}");
        assert_eq!(metric["metric"], "latency");
        assert_eq!(metric["direction"], "down");
        // The numbers are the stats module's on the same samples.
        let values =
            JobResults::read(dir.path().join(new).join("results.json")).unwrap().tests[0].perf_values[0].values.clone();
        let before: &[f64] = if old == "tight" { &TIGHT } else { &BASE };
        let p = mann_whitney_p(before, &values);
        assert!((metric["p"].as_f64().unwrap() - p).abs() < 1e-12);
        assert!(p < 0.05, "every change here is significant; {new}: p = {p}");
        let (shift, low, high) = shift_interval(before, &values, 0.05).unwrap();
        let scale = 100.0 / Summary::of(before).median;
        assert!((metric["change_percent"].as_f64().unwrap() - shift * scale).abs() < 1e-9);
        assert!((metric["ci_percent"][0].as_f64().unwrap() - low * scale).abs() < 1e-9);
        assert!((metric["ci_percent"][1].as_f64().unwrap() - high * scale).abs() < 1e-9);
    }
    let (_, tolerant) = compare_json(dir.path(), "base", "tolerant", &[]);
    assert_eq!(tolerant["metrics"][0]["threshold_percent"], 20.0, "the metric's own threshold");
    // With a stricter noise threshold, the 1% change is an improvement or
    // regression only if significant: here it is significant and slower.
    let (code, strict) = compare_json(dir.path(), "tight", "noise", &["--noise", "0.005"]);
    assert_eq!((code, strict["metrics"][0]["verdict"].as_str()), (Some(1), Some("regressed")));
    // The table for people.
    let table = tools(dir.path(), &["compare", "base", "slower"]);
    assert_eq!(table.status.code(), Some(1));
    let table = text(&table.stdout);
    assert!(table.contains("perf_sample/latency"), "{table}");
    assert!(table.contains("regressed"), "{table}");
    assert!(table.ends_with("1 regression (alpha 0.05, noise 2%)\n"), "{table}");
    let bad = tools(dir.path(), &["compare", "base", "slower", "--alpha", "2"]);
    assert_eq!(
        (bad.status.code(), text(&bad.stderr)),
        (Some(2), "error: --alpha must be between 0 and 1, got 2\n".into())
    );
    let nowhere = tools(dir.path(), &["compare", "base", "nowhere"]);
    assert_eq!(nowhere.status.code(), Some(2));
    assert!(text(&nowhere.stderr).contains("`nowhere` is neither a results directory"));
}

#[test]
fn a_higher_is_better_metric_missing_and_failing_tests() {
    let dir = tempfile::tempdir().unwrap();
    let control = |name: &str, speed: f64, fail: bool| {
        let tests = format!(
            r#"{{"tests": [{{"test": "checksum_throughput", "args": {{"size_mb": 1, "iterations": 1}}}},
                           {{"test": "{}"}}, {{"test": "status_good", "tag": "{name}"}},
                           {{"test": "sleeptest", "args": {{"seconds": {}}}}}]}}"#,
            if fail { "status_fail" } else { "status_warn" },
            if fail { -1 } else { 0 }
        );
        std::fs::write(dir.path().join(format!("{name}.json")), tests).unwrap();
        harness(dir.path(), &["run", "--control", &format!("{name}.json"), "--results", name, "-q"]);
        // The throughput, as if measured: eight values around `speed`.
        let path = dir.path().join(name).join("results.json");
        let mut json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        json["tests"][0]["perf_values"][0]["values"] =
            serde_json::json!(BASE.iter().map(|v| v * speed).collect::<Vec<_>>());
        std::fs::write(&path, serde_json::to_string(&json).unwrap()).unwrap();
    };
    control("a", 10.0, false);
    control("b", 9.0, true);
    let (code, json) = compare_json(dir.path(), "a", "b", &[]);
    assert_eq!(code, Some(1));
    let metric = &json["metrics"][0];
    assert_eq!((metric["direction"].as_str(), metric["verdict"].as_str()), (Some("up"), Some("regressed")), "{json:#}");
    assert_eq!(json["missing"], serde_json::json!(["status_good.a", "status_warn"]));
    assert_eq!(json["added"], serde_json::json!(["status_fail", "status_good.b"]));
    assert_eq!(
        json["now_failing"],
        serde_json::json!(["sleeptest (ERROR `seconds` must be a non-negative number, got -1)"])
    );
    let (code, back) = compare_json(dir.path(), "b", "a", &[]);
    assert_eq!((code, back["metrics"][0]["verdict"].as_str()), (Some(0), Some("improved")), "faster is better");
}

#[test]
fn baselines_are_saved_compared_and_used_by_constraints() {
    let dir = tempfile::tempdir().unwrap();
    let saved = sample(dir.path(), "r1", &BASE, &["--save-baseline", "main"]);
    assert!(saved.status.success(), "{}", text(&saved.stderr));
    assert!(dir.path().join("results/baselines/main.json").is_file());
    let same = sample(dir.path(), "r2", &BASE, &["--baseline", "main"]);
    assert!(same.status.success(), "{}", text(&same.stdout));
    assert!(text(&same.stdout).contains("0 regressions"), "{}", text(&same.stdout));
    let slower = sample(dir.path(), "r3", &scaled(1.2), &["--baseline", "main"]);
    assert_eq!(slower.status.code(), Some(1), "a regression fails the run: {}", text(&slower.stdout));
    assert_eq!(JobResults::read(dir.path().join("r3/results.json")).unwrap().tests[0].status, Status::Good);
    let (code, json) = compare_json(dir.path(), "main", "r3", &[]);
    assert_eq!((code, json["metrics"][0]["verdict"].as_str()), (Some(1), Some("regressed")));
    // A constraint against the baseline: still parsed, never executed.
    let within = sample(
        dir.path(),
        "r4",
        &scaled(1.02),
        &["--baseline", "main", "--constraint", "latency < 1.05 * baseline(latency)"],
    );
    assert_eq!(
        JobResults::read(dir.path().join("r4/results.json")).unwrap().tests[0].status,
        Status::Good,
        "{}",
        text(&within.stdout)
    );
    sample(
        dir.path(),
        "r5",
        &scaled(1.2),
        &["--baseline", "main", "--constraint", "latency < 1.05 * baseline(latency)"],
    );
    let failed = &JobResults::read(dir.path().join("r5/results.json")).unwrap().tests[0];
    assert_eq!(failed.status, Status::Fail);
    assert!(failed.reason.starts_with("iteration 0:latency < 1.05 * baseline(latency): constraint was not met"));
    assert!(failed.summary.contains("baseline(latency) = 10"), "{}", failed.summary);
    sample(dir.path(), "r6", &BASE, &["--constraint", "latency < 1.05 * baseline(latency)"]);
    let unknown = &JobResults::read(dir.path().join("r6/results.json")).unwrap().tests[0];
    assert!(
        unknown.reason.starts_with("iteration 0:could not evaluate constraint: latency < 1.05 * baseline(latency)"),
        "{}",
        unknown.reason
    );
    let missing = sample_refused(dir.path(), &["--baseline", "nope"]);
    assert!(missing.contains("`nope` is neither a results directory"), "{missing}");
    let bad = sample_refused(dir.path(), &["--save-baseline", "../x"]);
    assert!(bad.contains("invalid baseline name `../x`"), "{bad}");
}

/// A run refused before it starts: its stderr.
fn sample_refused(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["run", "perf_sample", "--results", "refused", "-q"];
    args.extend_from_slice(extra);
    let out = harness(dir, &args);
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.join("refused").exists());
    text(&out.stderr)
}

#[test]
fn every_job_records_its_machine_and_compare_shows_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    let out = harness(
        dir.path(),
        &["run", "perf_sample", "sleeptest", "--iterations", "1", "--arg", "seconds=0", "--results", "a"],
    );
    assert!(out.status.success() || out.status.code() == Some(2), "{}", text(&out.stderr));
    let out = harness(dir.path(), &["run", "perf_sample", "--iterations", "2", "--results", "a2"]);
    let stderr = text(&out.stderr);
    if cfg!(debug_assertions) {
        assert_eq!(
            stderr.matches("this is a debug build: perf numbers from debug builds mislead").count(),
            1,
            "{stderr}"
        );
    }
    let keyval = read_keyval(dir.path().join("a2"), None).unwrap();
    for key in ["build", "cpus", "kernel", "rustc", "harness_version", "crates", "memory_kb", "load_average"] {
        assert!(keyval.contains_key(&format!("sysinfo-{key}")), "sysinfo-{key}: {keyval:?}");
    }
    assert_eq!(keyval["sysinfo-build"].to_string(), if cfg!(debug_assertions) { "debug" } else { "release" });
    assert!(keyval["sysinfo-crates"].to_string().starts_with("harness-examples "));
    let results = JobResults::read(dir.path().join("a2/results.json")).unwrap();
    assert_eq!(results.job.sysinfo["cpus"], keyval["sysinfo-cpus"].to_string());
    for file in ["cpuinfo", "meminfo", "cmdline", "uname"] {
        assert!(dir.path().join("a2/sysinfo").join(file).is_file(), "sysinfo/{file}");
    }
    // Another machine, or a release build: said above the table.
    let path = dir.path().join("a2/results.json");
    let mut json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    json["job"]["sysinfo"]["cpu_model"] = "Another CPU".into();
    json["job"]["sysinfo"]["build"] = "release".into();
    let other = dir.path().join("other.json");
    std::fs::write(&other, serde_json::to_string(&json).unwrap()).unwrap();
    let compared = tools(dir.path(), &["compare", "a2/results.json", "other.json"]);
    let table = text(&compared.stdout);
    let build = if cfg!(debug_assertions) { "debug" } else { "release" };
    if build == "debug" {
        assert!(table.starts_with("context differs: build: debug -> release\ncontext differs: cpu_model: "), "{table}");
    }
    assert!(table.contains(" -> Another CPU\n"), "{table}");
}
