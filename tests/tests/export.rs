//! Exports (`cargo harness export`, `run --export`, live LAVA signals), each
//! read back by its reader's rules (`harness_tests::readers`): a real run,
//! and a run with hostile names (quotes, slashes, unicode, a 600-character
//! description, names the readers refuse or merge), both directions, units
//! that need mapping, and a metric of one sample.

use std::path::Path;
use std::process::Output;

use harness_tests::readers;
use harness_tests::runs::template;
use serde_json::{Value, json};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn tools(dir: &Path, args: &[&str]) -> Output {
    harness_tests::tools_in(dir).args(args).output().unwrap()
}

/// A perf record of the results.json format.
fn perf(graph: Option<&str>, description: &str, units: Option<&str>, up: bool, values: &[f64]) -> Value {
    json!({
        "graph": graph, "description": description, "units": units, "values": values,
        "improvement_direction": if up { "up" } else { "down" },
    })
}

/// A run whose tests and metrics no sane test would have.
fn hostile(dir: &Path) -> std::path::PathBuf {
    let mut run = template(dir);
    let base = run["tests"][0].clone();
    let long = "d".repeat(600);
    let test = |subdir: &str, status: &str, perf_values: Vec<Value>| {
        let mut test = base.clone();
        test["subdir"] = Value::from(subdir);
        test["test"] = Value::from(subdir.split('.').next().unwrap_or(subdir));
        test["status"] = Value::from(status);
        test["perf_values"] = Value::from(perf_values);
        test
    };
    run["tests"] = json!([
        test(
            "disk \"fast\" 'q'",
            "GOOD",
            vec![
                perf(None, "latency", Some("s"), false, &[0.5, 0.25, 1.0, 0.75]),
                perf(Some("read/write"), "throughput", Some("MiB/s"), true, &[1.5, 2.0, 2.5]),
                perf(None, "read_write.throughput", Some("MiB/s"), true, &[3.0]),
            ]
        ),
        test(
            "ünïcödé.变体",
            "FAIL",
            vec![
                perf(None, &long, Some("widgets"), true, &[7.0]),
                perf(None, "__init__", Some("%"), false, &[12.5, 10.0]),
                perf(None, "x_bencher_ignore", None, false, &[1.0, 2.0]),
            ]
        ),
        test("skipped", "TEST_NA", vec![]),
    ]);
    let out = dir.join("hostile");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("results.json"), serde_json::to_string(&run).unwrap()).unwrap();
    out
}

fn export(dir: &Path, args: &[&str]) -> (String, Vec<String>) {
    let out = tools(dir, &[&["export"][..], args].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let warnings = text(&out.stderr).lines().map(str::to_owned).collect();
    (text(&out.stdout), warnings)
}

#[test]
fn bmf_is_what_bencher_takes_with_times_in_nanoseconds() {
    let dir = tempfile::tempdir().unwrap();
    hostile(dir.path());
    let (out, warnings) = export(dir.path(), &["--format", "bmf", "hostile"]);
    let bmf = readers::bmf(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(bmf.len(), 6, "{out}");
    // Seconds are Bencher's latency, in nanoseconds: median, Q1, Q3.
    let latency = &bmf["disk \"fast\" 'q'/latency"]["latency"];
    assert_eq!(*latency, (6.25e8, Some(4.375e8), Some(8.125e8)));
    // Other units are the slug of their name, values as they are.
    assert_eq!(bmf["disk \"fast\" 'q'/read/write.throughput"]["mib-s"], (2.0, Some(1.75), Some(2.25)));
    // One sample: its bounds are itself.
    assert_eq!(bmf["disk \"fast\" 'q'/read_write.throughput"]["mib-s"], (3.0, Some(3.0), Some(3.0)));
    assert_eq!(bmf["ünïcödé.变体/__init__"]["percent"].0, 11.25);
    // 600 characters are within Bencher's 1024 bytes: kept whole.
    assert!(bmf.contains_key(&format!("ünïcödé.变体/{}", "d".repeat(600))));
    // A name Bencher would ignore is renamed, and said.
    assert!(bmf.contains_key("ünïcödé.变体/x_bencher_ignore."), "{out}");
    assert!(warnings.contains(&"warning: bmf: Bencher ignores a benchmark named `ünïcödé.变体/x_bencher_ignore`; named `ünïcödé.变体/x_bencher_ignore.`".to_owned()), "{warnings:?}");
    assert_eq!(bmf["ünïcödé.变体/x_bencher_ignore."]["unitless"].0, 1.5);
}

#[test]
fn github_action_benchmark_gets_one_file_per_direction() {
    let dir = tempfile::tempdir().unwrap();
    hostile(dir.path());
    let (out, _) = export(dir.path(), &["--format", "github-action-benchmark", "--out", "out/bench", "hostile"]);
    assert_eq!(out, "out/bench.smaller-is-better.json\nout/bench.bigger-is-better.json\n");
    let read = |name: &str| {
        let text = std::fs::read_to_string(dir.path().join("out").join(name)).unwrap();
        readers::github_action_benchmark(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    };
    let smaller = read("bench.smaller-is-better.json");
    let bigger = read("bench.bigger-is-better.json");
    let names = |entries: &[readers::ActionEntry]| entries.iter().map(|e| e.name.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&smaller),
        ["disk \"fast\" 'q'/latency", "ünïcödé.变体/__init__", "ünïcödé.变体/x_bencher_ignore"]
    );
    assert_eq!(bigger.len(), 3);
    assert!(bigger.iter().all(|e| e.name != "disk \"fast\" 'q'/latency"), "no metric judged upside down");
    let latency = &smaller[0];
    assert_eq!((latency.unit.as_str(), latency.value), ("s", 0.625));
    assert_eq!(latency.range.as_deref(), Some("± 0.1875"));
    assert_eq!(
        latency.extra.as_deref(),
        Some("median of 4 measured iterations; Q1 0.4375, Q3 0.8125, min 0.25, max 1")
    );
    // Without a stem it says what it needs.
    let out = tools(dir.path(), &["export", "--format", "github-action-benchmark", "hostile"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("error: github-action-benchmark writes one file per direction: give --out STEM")
    );
    // A run of one direction writes one file, and says so.
    let (out, warnings) = export(dir.path(), &["--format", "github-action-benchmark", "--out", "one", "template"]);
    assert_eq!(out, "one.smaller-is-better.json\n");
    assert_eq!(
        warnings,
        ["warning: github-action-benchmark: no higher-is-better metric; no bigger-is-better file written"]
    );
}

#[test]
fn histogramset_is_what_the_chrome_perf_dashboard_takes() {
    let dir = tempfile::tempdir().unwrap();
    hostile(dir.path());
    let (out, warnings) = export(
        dir.path(),
        &[
            "--format",
            "histogramset",
            "--master",
            "ChromiumPerf",
            "--bot",
            "lab/bot*1",
            "--point-id",
            "4242",
            "--log-url",
            "https://ci/1",
            "hostile",
        ],
    );
    let histograms = readers::histogram_set(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(histograms.len(), 6);
    assert!(histograms.iter().all(|h| h.point_id == 4242));
    let by_path = |suffix: &str| {
        histograms.iter().find(|h| h.test_path.ends_with(suffix)).unwrap_or_else(|| panic!("{suffix}: {histograms:#?}"))
    };
    // Seconds in ms, MiB/s in bytes per second, % as a fraction; directions kept.
    let latency = by_path("/latency/disk \"fast\" 'q'");
    assert_eq!(latency.test_path, "ChromiumPerf/lab_bot_1/harness/latency/disk \"fast\" 'q'");
    assert_eq!(
        (latency.unit.as_str(), latency.samples.clone()),
        ("ms_smallerIsBetter", vec![500.0, 250.0, 1000.0, 750.0])
    );
    let throughput = by_path("/read_write.throughput/disk \"fast\" 'q'");
    assert_eq!(throughput.unit, "bytesPerSecond_biggerIsBetter");
    assert_eq!(throughput.samples, [1_572_864.0, 2_097_152.0, 2_621_440.0]);
    // `read/write.throughput` and `read_write.throughput` would be one test path: apart.
    assert!(by_path("/read_write.throughput_2/disk \"fast\" 'q'").samples == [3.0 * 1_048_576.0]);
    assert_eq!(by_path("/x__init__/ünïcödé.变体").unit, "n%_smallerIsBetter");
    assert_eq!(by_path("/x__init__/ünïcödé.变体").samples, [0.125, 0.1]);
    // A 600-character metric is cut to fit the dashboard's 500-character test path.
    let widgets = histograms.iter().find(|h| h.unit == "unitless_biggerIsBetter").unwrap();
    assert!(widgets.test_path.len() <= 500 && widgets.test_path.contains("ddd~"), "{}", widgets.test_path);
    assert!(
        warnings.iter().any(|w| w.starts_with("warning: histogramset: ünïcödé.变体/ddd") && w.contains("~")),
        "{warnings:#?}"
    );
    for expected in [
        "warning: histogramset: the bot `lab/bot*1` is `lab_bot_1` for the dashboard",
        "warning: histogramset: disk \"fast\" 'q'/read_write.throughput: `MiB/s` is `bytesPerSecond` for the dashboard (values times 1048576)",
        "warning: histogramset: ünïcödé.变体/__init__: `%` is `n%` for the dashboard (values times 0.01)",
    ] {
        assert!(warnings.contains(&expected.to_owned()), "{expected}: {warnings:#?}");
    }
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("the dashboard knows no unit `widgets`; exported as unitless, values unchanged"))
    );
    assert!(warnings.iter().any(|w| w.contains("is named `read_write.throughput_2`")), "{warnings:#?}");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert!(json.as_array().unwrap().iter().any(|d| d["values"] == json!(["https://ci/1"])), "log URLs shared");
}

#[test]
fn lava_signals_are_what_the_dispatcher_records() {
    let dir = tempfile::tempdir().unwrap();
    hostile(dir.path());
    let (out, warnings) = export(dir.path(), &["--format", "lava", "hostile"]);
    let cases = readers::lava(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids[..3], ["disk__fast___q_", "disk__fast___q_.latency", "disk__fast___q_.read_write.throughput"]);
    assert_eq!(ids[3], "disk__fast___q_.read_write.throughput_2", "apart, not a duplicate LAVA refuses");
    assert_eq!(cases[1].measurement, Some(0.625));
    assert_eq!(cases[1].units.as_deref(), Some("s"));
    assert_eq!(cases[2].units.as_deref(), Some("MiB/s"));
    let results: Vec<&str> = cases.iter().map(|c| c.result.as_str()).collect();
    assert_eq!(results, ["pass", "pass", "pass", "pass", "fail", "fail", "fail", "fail", "skip"]);
    assert!(cases.iter().all(|c| c.id.len() <= 100));
    assert!(
        warnings.contains(&"warning: lava: `ünïcödé.变体` is the test case `_n_c_d_.__`".to_owned()),
        "{warnings:#?}"
    );
}

#[test]
fn a_run_exports_as_it_ends_and_prints_lava_signals_under_lava() {
    let dir = tempfile::tempdir().unwrap();
    let out = harness_tests::harness_in(dir.path())
        .args(["run", "perf_sample", "--iterations", "3", "-q", "--results", "r"])
        .args(["--export", "bmf=out/bmf.json", "--export", "histogramset=out/hs.json"])
        .env("LAVA_RESULT_DIR", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let cases = readers::lava(&stdout).unwrap();
    assert_eq!(cases.len(), 2, "{stdout}");
    assert_eq!(
        (cases[1].id.as_str(), cases[1].measurement, cases[1].units.as_deref()),
        ("perf_sample.latency", Some(10.0), Some("ms"))
    );
    let bmf = readers::bmf(&std::fs::read_to_string(dir.path().join("out/bmf.json")).unwrap()).unwrap();
    assert_eq!(bmf["perf_sample/latency"]["latency"], (1.0e7, Some(9.9e6), Some(1.01e7)));
    readers::histogram_set(&std::fs::read_to_string(dir.path().join("out/hs.json")).unwrap()).unwrap();
    assert!(text(&out.stderr).contains("bmf: out/bmf.json\n"), "{}", text(&out.stderr));
    // A bad --export is refused before anything runs.
    let bad = harness_tests::harness_in(dir.path())
        .args(["run", "perf_sample", "--export", "csv=x", "--results", "r2"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        text(&bad.stderr),
        "error: --export: unknown format `csv`; the formats are bmf, github-action-benchmark, histogramset, lava\n"
    );
    assert!(!dir.path().join("r2").exists());
}
