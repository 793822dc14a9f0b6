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
use harness_core::stats::{Summary, ks_2samp, mann_whitney_p, shift_interval};
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
        ("tight", "noise", 0, "same"),
        ("base", "tolerant", 0, "same"),
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
        assert!((metric["change"].as_f64().unwrap() - shift).abs() < 1e-12);
        assert!((metric["ks_p"].as_f64().unwrap() - ks_2samp(before, &values).1).abs() < 1e-12);
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
    assert!(table.ends_with("1 regression, 0 inconclusive, 1 compared (alpha 0.05, noise 2%)\n"), "{table}");
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

/// `results.json` of the run `name` with its one metric's values, units and
/// direction set as given (a run measured elsewhere).
fn measured(dir: &Path, name: &str, values: &[f64], units: &str, direction: &str) {
    sample(dir, name, &[1.0], &[]);
    let path = dir.join(name).join("results.json");
    let mut json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let perf = &mut json["tests"][0]["perf_values"][0];
    perf["values"] = serde_json::json!(values);
    perf["units"] = serde_json::json!(units);
    perf["improvement_direction"] = serde_json::json!(direction);
    std::fs::write(&path, serde_json::to_string(&json).unwrap()).unwrap();
}

/// What `compare` got wrong: a zero base, units, direction, samples too small
/// or too noisy to tell, nothing in common, tests that now fail.
#[test]
fn compare_never_answers_nan_and_says_when_it_cannot_tell() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // Errors: 0 in every value of BASE, about 10 in NEW. An absolute change,
    // and a regression, never NaN.
    measured(dir, "zero", &[0.0; 8], "ms", "down");
    measured(dir, "errors", &[10.2, 10.5, 10.9, 10.1, 10.6, 10.4, 10.8, 10.3], "ms", "down");
    let (code, json) = compare_json(dir, "zero", "errors", &[]);
    let metric = &json["metrics"][0];
    assert_eq!((code, metric["verdict"].as_str()), (Some(1), Some("regressed")), "{json:#}");
    assert!(metric["change_percent"].is_null() && metric["ci_percent"].is_null(), "{metric:#}");
    assert!((metric["change"].as_f64().unwrap() - 10.45).abs() < 1e-9, "{metric:#}");
    let table = text(&tools(dir, &["compare", "zero", "errors"]).stdout);
    assert!(table.contains("+10.45 ms") && !table.contains("NaN"), "{table}");
    // The same latency in s then in ms is the same; ms against counts cannot be compared.
    measured(dir, "in_s", &[0.010, 0.0101, 0.0099, 0.0102, 0.0098, 0.010, 0.0101, 0.00995], "s", "down");
    measured(dir, "in_ms", &BASE, "ms", "down");
    let (code, json) = compare_json(dir, "in_s", "in_ms", &[]);
    assert_eq!((code, json["metrics"][0]["verdict"].as_str()), (Some(0), Some("same")), "{json:#}");
    assert!((json["metrics"][0]["base"]["median"].as_f64().unwrap() - 10.0).abs() < 1e-9, "BASE in NEW's units");
    measured(dir, "counted", &BASE, "count", "down");
    let (code, json) = compare_json(dir, "in_ms", "counted", &[]);
    assert_eq!(json["metrics"][0]["verdict"], "not comparable");
    assert_eq!(json["metrics"][0]["why"], "units differ: BASE ms, NEW count");
    assert_eq!(code, Some(2), "nothing could be compared");
    measured(dir, "upward", &BASE, "ms", "up");
    let (_, json) = compare_json(dir, "in_ms", "upward", &[]);
    assert_eq!(json["metrics"][0]["why"], "direction differs: BASE down, NEW up");
    // 3 values against 5: too few to tell; --fail-on-inconclusive makes it fail.
    measured(dir, "three", &[10.0, 10.1, 9.9], "ms", "down");
    measured(dir, "five", &[12.0, 12.1, 11.9, 12.2, 11.8], "ms", "down");
    let (code, json) = compare_json(dir, "three", "five", &[]);
    assert_eq!((code, json["metrics"][0]["verdict"].as_str()), (Some(0), Some("inconclusive")), "{json:#}");
    assert_eq!(json["metrics"][0]["why"], "too few values: 3 and 5, at least 5 a side");
    let (code, _) = compare_json(dir, "three", "five", &["--fail-on-inconclusive"]);
    assert_eq!(code, Some(1));
    // Noisy values whose interval reaches past the threshold on both sides.
    measured(dir, "wild", &[5.0, 15.0, 8.0, 12.0, 10.0, 3.0, 17.0, 10.0], "ms", "down");
    measured(dir, "wilder", &[4.0, 16.0, 9.0, 11.0, 10.5, 2.0, 18.0, 9.5], "ms", "down");
    let (code, json) = compare_json(dir, "wild", "wilder", &[]);
    assert_eq!((code, json["metrics"][0]["verdict"].as_str()), (Some(0), Some("inconclusive")), "{json:#}");
    assert!(json["metrics"][0]["why"].as_str().unwrap().starts_with("the interval ["), "{json:#}");
    // No test in common: nothing compared, exit 2.
    harness(dir, &["run", "status_good", "--results", "other", "-q"]);
    let out = tools(dir, &["compare", "in_ms", "other"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert_eq!(
        text(&out.stderr),
        "error: nothing to compare: no metric of BASE is in NEW with the same units and direction\n"
    );
}

/// Tests that passed and now fail fail the comparison, even with no metric to
/// compare; `--allow-failures` lists them without failing.
#[test]
fn tests_that_now_fail_fail_the_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let control = |name: &str, fail: bool| {
        let test = if fail { "status_fail" } else { "status_good" };
        let tests: Vec<String> =
            ["a", "b", "c"].iter().map(|tag| format!(r#"{{"test": "{test}", "tag": "{tag}"}}"#)).collect();
        std::fs::write(dir.join(format!("{name}.json")), format!(r#"{{"tests": [{}]}}"#, tests.join(", "))).unwrap();
        harness(dir, &["run", "--control", &format!("{name}.json"), "--results", name, "-q"]);
    };
    control("passing", false);
    control("failing", true);
    // The subdirs differ (status_good.a against status_fail.a): give them one name.
    for run in ["passing", "failing"] {
        let path = dir.join(run).join("results.json");
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("status_fail.", "device.")
            .replace("status_good.", "device.");
        std::fs::write(&path, text).unwrap();
    }
    let out = tools(dir, &["compare", "passing", "failing"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert_eq!(text(&out.stdout).matches("now failing: device.").count(), 3, "{}", text(&out.stdout));
    let allowed = tools(dir, &["compare", "passing", "failing", "--allow-failures"]);
    assert_eq!(allowed.status.code(), Some(2), "listed, not failing; and nothing else to compare");
}
