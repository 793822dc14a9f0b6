//! The history store (`cargo harness history ...`): runs imported once
//! however often they are given, every command catching up with the results
//! root, concurrent importers, an importer killed at any moment, change points
//! over a series of runs, noise figures, and `compare` using them. Runs are
//! clones of one real run with other starts, commits, machines and values.

use std::path::Path;
use std::process::Output;

use harness_core::compare::NoiseFigure;
use harness_tests::runs::{Made, Noise, template, write_run};
use serde_json::Value;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn tools(dir: &Path, args: &[&str]) -> Output {
    harness_tests::tools_in(dir).args(args).output().unwrap()
}

fn made(minute: u32, values: &[f64]) -> Made<'_> {
    Made { minute, values, commit: Some(format!("{minute:040x}")), cpu_model: None }
}

fn count(db: &rusqlite::Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn a_run_is_imported_once_and_every_command_catches_up_with_the_results_root() {
    let dir = tempfile::tempdir().unwrap();
    let template = template(dir.path());
    let values = [10.0, 10.1, 9.9, 10.2, 9.8];
    for i in 0..3 {
        write_run(&template, &dir.path().join(format!("results/r{i}")), &made(i, &values));
    }
    // Neither the `latest` link, nor baselines, nor a run still going (no
    // results.json yet) are runs to import.
    std::os::unix::fs::symlink("r2", dir.path().join("results/latest")).unwrap();
    std::fs::create_dir_all(dir.path().join("results/baselines")).unwrap();
    std::fs::create_dir_all(dir.path().join("results/going")).unwrap();
    std::fs::write(dir.path().join("results/going/status.log"), "").unwrap();

    let first = tools(dir.path(), &["history", "noise"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert_eq!(text(&first.stderr), "note: imported 3 new runs from results\n");
    let again = tools(dir.path(), &["history", "noise"]);
    assert_eq!(text(&again.stderr), "", "nothing new the second time");

    let store = dir.path().join("results/history.sqlite");
    let out = tools(dir.path(), &["history", "import", "results/r1"]);
    assert_eq!(text(&out.stdout), "imported 0 runs, 1 already in results/history.sqlite\n");
    // The same run from another place is the same run.
    let copy = dir.path().join("elsewhere/r1");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(dir.path().join("results/r1/results.json"), copy.join("results.json")).unwrap();
    let out = tools(dir.path(), &["history", "import", "elsewhere"]);
    assert_eq!(text(&out.stdout), "imported 0 runs, 1 already in results/history.sqlite\n", "{}", text(&out.stderr));

    // Queried as its users query it, with SQL (docs/file-formats.md).
    let db = rusqlite::Connection::open(&store).unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM runs"), 3);
    assert_eq!(count(&db, "SELECT count(*) FROM tests"), 3);
    assert_eq!(count(&db, "SELECT count(*) FROM perf_values"), 15);
    let version: String =
        db.query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0)).unwrap();
    assert_eq!(version, "1");
    let row: (String, String, String, String, f64) = db
        .query_row(
            "SELECT r.git_commit, t.test, v.metric, v.units, v.value FROM perf_values v
             JOIN tests t ON v.test = t.id JOIN runs r ON t.run = r.id
             WHERE r.start LIKE '2026-01-01T00:01%' AND v.position = 3",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!(row, (format!("{:040x}", 1), "perf_sample".to_owned(), "latency".to_owned(), "ms".to_owned(), 10.2));

    // A directory that holds no run is named, and nothing is imported.
    write_run(&template, &dir.path().join("more/r9"), &made(9, &values));
    let out = tools(dir.path(), &["history", "import", "more/r9", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: `nowhere` is not a result directory: it holds neither results.json nor status.log\n"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM runs"), 3, "all or nothing");

    // A store of a newer schema is refused, not written.
    db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'", []).unwrap();
    let out = tools(dir.path(), &["history", "changes"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: history store `results/history.sqlite` has schema version 2; this harness reads version 1\n"
    );
}

#[test]
fn concurrent_importers_lose_no_run_and_import_none_twice() {
    let dir = tempfile::tempdir().unwrap();
    let template = template(dir.path());
    let mut noise = Noise::new(7);
    for group in 0..8u32 {
        for i in 0..5 {
            let values = noise.around(10.0, 0.01, 5);
            write_run(&template, &dir.path().join(format!("many/g{group}/r{i}")), &made(group * 10 + i, &values));
        }
    }
    // Eight importers of different runs and four more of the same group, at once.
    let children: Vec<_> = (0..8)
        .map(|g| format!("many/g{g}"))
        .chain((0..4).map(|_| "many/g0".to_owned()))
        .map(|group| harness_tests::tools_in(dir.path()).args(["history", "import", &group]).output_async())
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let db = rusqlite::Connection::open(dir.path().join("results/history.sqlite")).unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM runs"), 40);
    assert_eq!(count(&db, "SELECT count(*) FROM perf_values"), 200);
    let journal: String = db.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(journal, "wal");
}

/// `Command::spawn` with the output piped, to be collected later.
trait OutputAsync {
    fn output_async(&mut self) -> std::process::Child;
}

impl OutputAsync for std::process::Command {
    fn output_async(&mut self) -> std::process::Child {
        self.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
    }
}

#[test]
fn an_importer_killed_at_any_moment_leaves_a_store_of_complete_runs() {
    let dir = tempfile::tempdir().unwrap();
    let template = template(dir.path());
    const RUNS: u32 = 60;
    const VALUES: usize = 3000;
    let mut noise = Noise::new(11);
    for i in 0..RUNS {
        let values = noise.around(10.0, 0.01, VALUES);
        write_run(&template, &dir.path().join(format!("big/r{i:02}")), &made(i, &values));
    }
    let store = dir.path().join("results/history.sqlite");
    let mut partial = 0;
    let mut before = 0;
    for delay_ms in [40, 90, 150, 220, 300, 400] {
        let mut child = harness_tests::tools_in(dir.path()).args(["history", "import", "big"]).output_async();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        // SIGKILL: no handler, no cleanup.
        let _ = child.kill();
        let _ = child.wait();
        if !store.exists() {
            continue;
        }
        let db = rusqlite::Connection::open(&store).unwrap();
        let check: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok");
        let runs = count(&db, "SELECT count(*) FROM runs");
        assert!(runs >= before, "runs never vanish: {before} then {runs}");
        before = runs;
        partial += usize::from(runs < i64::from(RUNS));
        // Every run the store holds is whole: its test and all its values.
        let whole = count(
            &db,
            &format!(
                "SELECT count(*) FROM runs r WHERE (SELECT count(*) FROM tests t WHERE t.run = r.id) = 1
                 AND (SELECT count(*) FROM perf_values v JOIN tests t ON v.test = t.id WHERE t.run = r.id) = {VALUES}"
            ),
        );
        assert_eq!(whole, runs, "a run without all its values");
    }
    assert!(partial > 0, "no kill landed before the import finished: make the runs bigger");
    // And it finishes afterwards, each run once.
    let out = tools(dir.path(), &["history", "import", "big"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let db = rusqlite::Connection::open(&store).unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM runs"), i64::from(RUNS));
}

/// A history of 40 runs of `perf_sample`, one a day... (one a minute), whose
/// latency moves from 10 to 11 ms at run 25, with 1% noise.
fn stepped_history(dir: &Path) {
    let template = template(dir);
    let mut noise = Noise::new(3);
    for i in 0..40u32 {
        let level = if i < 25 { 10.0 } else { 11.0 };
        let values = noise.around(level, 0.01, 5);
        write_run(&template, &dir.join(format!("results/run{i:02}")), &made(i, &values));
    }
}

#[test]
fn changes_are_found_where_the_level_moved_with_their_run_and_commit() {
    let dir = tempfile::tempdir().unwrap();
    stepped_history(dir.path());
    let out = tools(dir.path(), &["history", "changes", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let series = json.as_array().unwrap();
    assert_eq!(series.len(), 1, "{json:#}");
    assert_eq!(series[0]["test"], "perf_sample");
    assert_eq!(series[0]["metric"], "latency");
    assert_eq!(series[0]["points"].as_array().unwrap().len(), 40);
    let changes = series[0]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{json:#}");
    let change = &changes[0];
    assert_eq!(change["index"], 25);
    assert_eq!(change["git_commit"], format!("{:040x}", 25));
    assert_eq!(change["start"], "2026-01-01T00:25:00.000Z");
    assert_eq!(change["verdict"], "regressed", "a slower latency");
    let (before, after) = (change["mean_before"].as_f64().unwrap(), change["mean_after"].as_f64().unwrap());
    assert!((before - 10.0).abs() < 0.05 && (after - 11.0).abs() < 0.05, "{change}");
    assert!((change["change_percent"].as_f64().unwrap() - 10.0).abs() < 0.6);
    assert!(change["pvalue"].as_f64().unwrap() < 1e-10);

    // The table: one line for the series, one per change.
    let out = tools(dir.path(), &["history", "changes"]);
    let table = text(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("perf_sample: latency (ms, lower is better) on "), "{table}");
    assert!(lines[0].ends_with(": 40 runs, 1 change (at least 0%)") || lines[0].contains("k x noise"), "{table}");
    assert!(lines[1].starts_with("  #25   2026-01-01 00:25  0000000  "), "{table}");
    assert!(lines[1].ends_with("regressed"), "{table}");
    assert_eq!(lines[2], "1 change in 1 series");

    // Selection by test glob, metric and machine; Otava's knobs.
    let machine = series[0]["machine"].as_str().unwrap().to_owned();
    for (args, expected) in [
        (vec!["--test", "perf_*"], "1 change in 1 series"),
        (vec!["--test", "other*"], "0 changes in 0 series"),
        (vec!["--metric", "latency", "--machine", &machine], "1 change in 1 series"),
        (vec!["--machine", "00000000"], "0 changes in 0 series"),
        (vec!["--min-magnitude", "0.2"], "0 changes in 1 series"),
        (vec!["--max-pvalue", "1e-45"], "0 changes in 1 series"),
    ] {
        let out = tools(dir.path(), &[&["history", "changes"][..], &args].concat());
        assert_eq!(text(&out.stdout).lines().last(), Some(expected), "{args:?}: {}", text(&out.stdout));
    }
    let out = tools(dir.path(), &["history", "changes", "--window", "1"]);
    assert_eq!((out.status.code(), text(&out.stderr)), (Some(2), "error: --window must be at least 2, got 1\n".into()));
    let out = tools(dir.path(), &["history", "changes", "--test", "[x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: --test: invalid selection"), "{}", text(&out.stderr));

    // The page: the series with its change marked and listed; and `report
    // --history` draws the same from the store.
    let out = tools(dir.path(), &["history", "changes", "--html", "changes.html"]);
    assert_eq!(out.status.code(), Some(0));
    let page = std::fs::read_to_string(dir.path().join("changes.html")).unwrap();
    assert!(page.contains(">\n+10"), "the change is marked on the chart");
    assert!(page.contains("<li>regressed at run 25 ("), "{page}");
    assert_eq!(page.matches("<li>run").count(), 40, "every run listed");
    let out = tools(dir.path(), &["report", "--history", "--html", "report.html"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "history of 40 runs: report.html\n");
    let report = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert_eq!(report.matches("<circle").count(), 40, "one median per run");
    assert!(report.contains("<li>regressed at run 25 ("));
}

#[test]
fn noise_is_measured_per_metric_and_machine_and_the_noisy_are_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let template = template(dir.path());
    let mut noise = Noise::new(5);
    let (mut quiet, mut loud) = (Vec::new(), Vec::new());
    for i in 0..12u32 {
        // Each run's level moves: 0.5% between runs on one machine, 10% on the other.
        for (model, spread, medians) in [("Quiet CPU", 0.005, &mut quiet), ("Loud CPU", 0.10, &mut loud)] {
            let level = 10.0 * (1.0 + spread * noise.normal());
            let values = [level; 3];
            medians.push(level);
            let run = Made { minute: i, values: &values, commit: None, cpu_model: Some(model) };
            write_run(&template, &dir.path().join(format!("results/{}{i:02}", &model[..4])), &run);
        }
    }
    let out = tools(dir.path(), &["history", "noise", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let figures: Vec<NoiseFigure> = serde_json::from_value(json["metrics"].clone()).unwrap();
    assert_eq!(figures.len(), 2);
    for (figure, medians) in [(&figures[0], &quiet), (&figures[1], &loud)].iter().map(|(f, m)| (*f, *m)) {
        let expected = NoiseFigure::of("perf_sample", "latency", &figure.machine, medians).unwrap();
        assert_eq!(*figure, expected);
    }
    assert!(!figures[0].too_noisy() && figures[1].too_noisy(), "{figures:?}");
    // Written beside the store, for `compare` and `run --baseline`.
    let beside = std::fs::read_to_string(dir.path().join("results/history.noise.json")).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&beside).unwrap(), json);

    let table = text(&tools(dir.path(), &["history", "noise"]).stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert!(lines[0].starts_with("METRIC ") && lines[0].ends_with("THRESHOLD"), "{table}");
    assert!(!lines[1].ends_with("too noisy to judge") && lines[2].ends_with("too noisy to judge"), "{table}");
    assert_eq!(
        lines[3],
        "2 of 2 series measured (the last 20 runs, at least 5); threshold 3 x noise; 1 too noisy (noise above 5%)"
    );
}

#[test]
fn compare_and_run_baseline_judge_by_k_times_the_noise_of_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let template = template(dir.path());
    // A history whose runs move by about 3% from one to the next.
    let mut noise = Noise::new(9);
    let mut medians = Vec::new();
    for i in 0..20u32 {
        let level = 10.0 * (1.0 + 0.03 * noise.normal());
        medians.push(level);
        write_run(&template, &dir.path().join(format!("results/h{i:02}")), &made(i, &[level; 5]));
    }
    let figure = NoiseFigure::of("perf_sample", "latency", "x", &medians).unwrap();
    assert!(figure.threshold() > 0.04, "{figure:?}");
    assert_eq!(tools(dir.path(), &["history", "import", "results"]).status.code(), Some(0));
    // Two runs 3% apart, each tight: significant, beyond 2%, within 3 x the noise.
    let tight = [10.0, 10.002, 9.998, 10.004, 9.996, 10.001, 9.999, 10.003];
    for (name, factor) in [("a", 1.0), ("b", 1.03)] {
        let values = serde_json::to_string(&tight.map(|v| v * factor)).unwrap();
        let out = harness_tests::harness_in(dir.path())
            .args(["run", "perf_sample", "--iterations", "8", "-q", "--results", name])
            .arg("--arg")
            .arg(format!("values={values}"))
            .output()
            .unwrap();
        assert!(dir.path().join(name).join("results.json").is_file(), "{}", text(&out.stderr));
    }
    let json = |args: &[&str]| -> (Option<i32>, Value) {
        let out = tools(dir.path(), &[&["compare", "a", "b", "--json"][..], args].concat());
        (out.status.code(), serde_json::from_slice(&out.stdout).unwrap())
    };
    let (code, by_history) = json(&[]);
    let metric = &by_history["metrics"][0];
    assert_eq!(
        (code, metric["verdict"].as_str(), metric["threshold_from"].as_str()),
        (Some(0), Some("same"), Some("history"))
    );
    let expected = 3.0 * figure.noise_percent;
    assert!((metric["threshold_percent"].as_f64().unwrap() - expected).abs() < 1e-9, "{metric}");
    // An explicit --noise wins over the history.
    let (code, by_flag) = json(&["--noise", "0.02"]);
    let metric = &by_flag["metrics"][0];
    assert_eq!(
        (code, metric["verdict"].as_str(), metric["threshold_from"].as_str()),
        (Some(1), Some("regressed"), Some("noise"))
    );
    // The table says where its thresholds came from.
    let table = text(&tools(dir.path(), &["compare", "a", "b"]).stdout);
    assert!(table.ends_with("compared (alpha 0.05, noise 3 x the history's for 1 metric, else 2%)\n"), "{table}");

    // A harness binary's `run --baseline` reads the figures beside the store.
    let out = harness_tests::harness_in(dir.path())
        .args(["run", "perf_sample", "--iterations", "8", "-q", "--results", "c", "--baseline", "a"])
        .arg("--arg")
        .arg(format!("values={}", serde_json::to_string(&tight.map(|v| v * 1.03)).unwrap()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("noise 3 x the history's for 1 metric"), "{}", text(&out.stdout));
}
