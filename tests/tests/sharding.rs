//! A suite over several machines, as docs/ci.md runs it: build once with
//! `cargo nextest archive`, run each `--partition hash:k/N` from the archive
//! into a results directory of its own, and join the shards with
//! `harness report --merge`. The merged job equals one unsharded run.

use std::path::Path;
use std::process::{Command, Output};

use harness_core::Status;
use harness_core::results::{JobResults, StatusLog};
use harness_tests::{harness_in, junit_schema_errors, tko};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// `cargo nextest list` of the `autotests` target with the filterset `filter`, as JSON.
fn nextest_list(filter: &str) -> Output {
    cargo()
        .args(["nextest", "list", "-p", "harness-tests", "--test", "autotests", "--message-format", "json", "-E"])
        .arg(filter)
        .output()
        .expect("cargo nextest is installed (see .ci/run)")
}

/// `cargo nextest run` from the archive, into `results`.
fn run_archive(archive: &Path, partition: Option<&str>, results: &Path) -> Output {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut command = cargo();
    command
        .args(["nextest", "run", "--no-fail-fast", "--color", "never", "--archive-file"])
        .arg(archive)
        .arg("--workspace-remap")
        .arg(workspace)
        .env("HARNESS_RESULTS_DIR", results)
        .env_remove("HARNESS_TESTS_FAIL")
        .env_remove("HARNESS_TESTS_NEED");
    if let Some(partition) = partition {
        command.args(["--partition", partition]);
    }
    command.output().expect("cargo nextest is installed (see .ci/run)")
}

fn merge(dir: &Path, args: &[&str]) -> Output {
    harness_tests::tools_in(dir).arg("report").arg("--merge").args(args).output().unwrap()
}

/// (subdir, status, iterations) of every test, sorted.
fn outcome(results: &JobResults) -> Vec<(String, Status, u64)> {
    let mut tests: Vec<(String, Status, u64)> =
        results.tests.iter().map(|t| (t.subdir.clone(), t.status, t.iterations)).collect();
    tests.sort_by(|a, b| a.0.cmp(&b.0));
    tests
}

#[test]
fn archive_partitions_and_merge_give_one_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("suite.tar.zst");
    let built = cargo()
        .args(["nextest", "archive", "-p", "harness-tests", "--test", "autotests", "--archive-file"])
        .arg(&archive)
        .output()
        .expect("cargo nextest is installed (see .ci/run)");
    assert!(built.status.success(), "{}", text(&built.stderr));
    for k in 1..=2 {
        let shard = run_archive(&archive, Some(&format!("hash:{k}/2")), &dir.path().join(format!("shard-{k}")));
        assert!(shard.status.success(), "shard {k}: {}", text(&shard.stderr));
    }
    let whole = run_archive(&archive, None, &dir.path().join("whole"));
    assert!(whole.status.success(), "{}", text(&whole.stderr));

    let merged = merge(dir.path(), &["shard-1", "shard-2", "--shards", "2", "--into", "merged"]);
    assert!(merged.status.success(), "{}{}", text(&merged.stdout), text(&merged.stderr));
    assert!(text(&merged.stdout).starts_with("merged 2 shards into merged\n"), "{}", text(&merged.stdout));
    let one = merge(dir.path(), &["whole", "--into", "one"]);
    assert!(one.status.success(), "{}", text(&one.stderr));
    let (sharded, unsharded) = (
        JobResults::read(dir.path().join("merged/results.json")).unwrap(),
        JobResults::read(dir.path().join("one/results.json")).unwrap(),
    );
    assert_eq!(outcome(&sharded), outcome(&unsharded));
    let names: Vec<String> = outcome(&sharded).into_iter().map(|(subdir, _, _)| subdir).collect();
    assert!(names.contains(&"nx_sized.large".to_owned()) && names.contains(&"nx_good".to_owned()), "{names:?}");
    assert_eq!(sharded.job.status, Status::Warn, "the worst of GOOD, WARN and TEST_NA tests");
    assert!(sharded.job.sysinfo.contains_key("kernel"), "the shards' machine: {:?}", sharded.job.sysinfo);
    let large = sharded.tests.iter().find(|t| t.subdir == "nx_sized.large").unwrap();
    assert_eq!((large.iterations, large.args["size"].as_u64()), (2, Some(64)), "the shard's own record is kept");
    // One status.log with every test, read alike by harness and TKO.
    let log = StatusLog::read(dir.path().join("merged/status.log")).unwrap();
    assert!(log.groups.iter().all(|g| !g.closed_by_reader));
    assert_eq!(log.tests().count(), names.len());
    let read = tko::read_job(&dir.path().join("merged")).unwrap();
    assert_eq!(read.status, "GOOD");
    let mut rows: Vec<String> = read.tests.iter().map(|t| t.subdir.clone().unwrap_or_default()).collect();
    rows.sort();
    assert_eq!(rows, names);
    assert!(dir.path().join("merged/nx_good/debug/nx_good.DEBUG").is_file(), "test directories are copied");
    let junit = std::fs::read_to_string(dir.path().join("merged/junit.xml")).unwrap();
    assert!(junit_schema_errors(&junit).is_empty());
    let page =
        harness_tests::tools_in(dir.path()).args(["report", "merged", "--html", "merged.html"]).output().unwrap();
    assert!(page.status.success());
    assert!(std::fs::read_to_string(dir.path().join("merged.html")).unwrap().contains("nx_sized.small"));

    // A shard missing, a shard given twice, a target that holds a run.
    let missing = merge(dir.path(), &["shard-1", "--shards", "2", "--into", "m2"]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        text(&missing.stderr),
        "error: --shards 2: 1 shard directory given; a shard is missing or one too many\n"
    );
    let twice = merge(dir.path(), &["shard-1", "shard-1", "--into", "m3"]);
    assert!(twice.status.success());
    assert!(text(&twice.stderr).contains("ran in shard-1/autotests/"), "{}", text(&twice.stderr));
    let taken = merge(dir.path(), &["shard-1", "--into", "merged"]);
    assert_eq!(taken.status.code(), Some(2), "{}", text(&taken.stderr));
}

/// Hostile shards: a FIFO in a test directory is left out (reading it would
/// block the merge forever), and a shard whose status log does not parse is
/// refused before anything is written.
#[test]
fn hostile_shards_neither_hang_nor_leave_half_a_merge() {
    let dir = tempfile::tempdir().unwrap();
    let ran = harness_in(dir.path()).args(["run", "status_good", "--results", "shard/a", "-q"]).output().unwrap();
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    let fifo = dir.path().join("shard/a/status_good/pipe");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let merged = merge(dir.path(), &["shard", "--into", "out"]);
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    assert!(dir.path().join("out/status_good/keyval").is_file());
    assert!(!dir.path().join("out/status_good/pipe").exists());

    std::fs::write(dir.path().join("shard/a/status.log"), "not a status line\n").unwrap();
    let refused = merge(dir.path(), &["shard", "--into", "out2"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(text(&refused.stderr).contains("line 1"), "{}", text(&refused.stderr));
    assert!(!dir.path().join("out2").exists(), "nothing half-written");
}

/// A merge given the tests the run was meant to run (nextest's own list, with
/// the run's filter) reports each test that no shard ran as not run, and
/// fails: here the shard that would have run `nx_warn` never came back.
#[test]
fn a_merge_of_a_partial_set_of_shards_names_what_did_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let filter = "binary(autotests) & (test(=nx_good) | test(=nx_warn))";
    let listed = nextest_list(filter);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    std::fs::write(dir.path().join("expected.json"), &listed.stdout).unwrap();
    let shard = dir.path().join("shard-1");
    let ran = cargo()
        .args(["nextest", "run", "-p", "harness-tests", "--test", "autotests", "--no-fail-fast", "-E"])
        .arg("binary(autotests) & test(=nx_good)")
        .env("HARNESS_RESULTS_DIR", &shard)
        .output()
        .expect("cargo nextest is installed (see .ci/run)");
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    let out = merge(dir.path(), &["shard-1", "--into", "merged", "--expect", "expected.json"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error: ")).collect::<Vec<_>>(),
        [
            "error: not run: autotests/nx_warn is in the expected list and in no shard",
            "error: 1 of 2 expected tests did not run",
        ]
    );
    // This suite's shard was a debug build: the merge says so.
    if cfg!(debug_assertions) {
        assert!(stderr.contains("warning: this is a debug build: "), "{stderr}");
        let merged = JobResults::read(dir.path().join("merged/results.json")).unwrap();
        assert!(merged.job.noise[0].starts_with("this is a debug build"), "{:?}", merged.job.noise);
    }
    std::fs::write(dir.path().join("not-a-list.json"), "{}").unwrap();
    let wrong = merge(dir.path(), &["shard-1", "--into", "merged-again", "--expect", "not-a-list.json"]);
    assert_eq!(wrong.status.code(), Some(2), "{}", text(&wrong.stderr));
    assert_eq!(
        text(&wrong.stderr),
        "error: cannot read the expected tests in `not-a-list.json`: it has no `rust-suites`; make it with `cargo nextest list --message-format json`\n"
    );
    assert!(!dir.path().join("merged-again").exists(), "nothing is merged when the list is wrong");
}

/// The tests `test_main` lists with `env` set, under no nextest.
fn listed_by_test_main(env: &[(&str, &str)]) -> (Vec<String>, String) {
    let mut command = Command::new(harness_tests::test_target("autotests"));
    command.args(["--list", "--format", "terse"]);
    for var in harness_tests::SHARD_VARS.iter().chain(&["NEXTEST_RUN_ID", "NEXTEST_VERSION", "HARNESS_SELECT"]) {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    let out = command.output().unwrap();
    assert!(out.status.success(), "{env:?}: {}", text(&out.stderr));
    let names = text(&out.stdout).lines().filter_map(|l| l.strip_suffix(": test")).map(str::to_owned).collect();
    (names, text(&out.stderr))
}

#[test]
fn every_scheduler_shards_test_main_and_the_cli_alike() {
    use harness_core::shard::assigned;
    let (all, _) = listed_by_test_main(&[]);
    assert!(all.len() >= 6, "{all:?}");
    let dir = tempfile::tempdir().unwrap();
    let status_file = dir.path().join("bazel-shard-status");
    let status = status_file.to_str().unwrap();
    // Each scheduler's words for shard k of 3, k = 1, 2, 3.
    let vars_of = |scheduler: &str, k: u32| -> Vec<(String, String)> {
        let pairs: Vec<(&str, String)> = match scheduler {
            "Bazel" => vec![
                ("TEST_SHARD_INDEX", (k - 1).to_string()),
                ("TEST_TOTAL_SHARDS", "3".into()),
                ("TEST_SHARD_STATUS_FILE", status.into()),
            ],
            "GoogleTest" => vec![("GTEST_SHARD_INDEX", (k - 1).to_string()), ("GTEST_TOTAL_SHARDS", "3".into())],
            "GitLab" => vec![("CI_NODE_INDEX", k.to_string()), ("CI_NODE_TOTAL", "3".into())],
            "Kubernetes" => vec![("JOB_COMPLETION_INDEX", (k - 1).to_string()), ("HARNESS_SHARDS", "3".into())],
            _ => vec![("HARNESS_SHARD", format!("{k}/3"))],
        };
        pairs.into_iter().map(|(a, b)| (a.to_owned(), b)).collect()
    };
    for scheduler in ["Bazel", "GoogleTest", "GitLab", "Kubernetes", "HARNESS_SHARD"] {
        let mut union = Vec::new();
        for k in 1..=3 {
            let vars = vars_of(scheduler, k);
            let env: Vec<(&str, &str)> = vars.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let (names, _) = listed_by_test_main(&env);
            let expected: Vec<&String> = all.iter().filter(|n| assigned(n, 3) == k).collect();
            assert_eq!(names.iter().collect::<Vec<_>>(), expected, "{scheduler} shard {k}/3");
            union.extend(names);
        }
        union.sort();
        let mut every = all.clone();
        every.sort();
        assert_eq!(union, every, "{scheduler}: every test in exactly one shard");
    }
    assert!(status_file.is_file(), "Bazel's TEST_SHARD_STATUS_FILE is touched");
    // Under nextest, its own --partition shards: the variables are left alone.
    let (under_nextest, _) = listed_by_test_main(&[("NEXTEST", "1"), ("CI_NODE_INDEX", "1"), ("CI_NODE_TOTAL", "3")]);
    assert_eq!(under_nextest, all);
    let bad = Command::new(harness_tests::test_target("autotests"))
        .args(["--list"])
        .env("CI_NODE_INDEX", "4")
        .env("CI_NODE_TOTAL", "3")
        .env_remove("HARNESS_SHARD")
        .env_remove("NEXTEST")
        .env_remove("NEXTEST_RUN_ID")
        .env_remove("NEXTEST_VERSION")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(101));
    assert_eq!(
        text(&bad.stderr),
        "error: CI_NODE_INDEX=4 is out of range for CI_NODE_TOTAL=3 (GitLab counts from 1)\n"
    );

    // The CLI assigns the same way, records its shard, and a merge of the
    // shards checks that none is missing.
    let tests = ["status_good", "status_warn", "perf_sample", "checksum_throughput", "status_test_na", "build_once"];
    for k in 1..=3 {
        let out = harness_in(dir.path())
            .args(["run", "--results", &format!("shard-{k}"), "-q", "--color", "never"])
            .args(tests)
            .env("CI_NODE_INDEX", k.to_string())
            .env("CI_NODE_TOTAL", "3")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let ran: Vec<String> = JobResults::read(dir.path().join(format!("shard-{k}/results.json")))
            .unwrap()
            .tests
            .iter()
            .map(|t| t.subdir.clone())
            .collect();
        let expected: Vec<&str> = tests.iter().copied().filter(|n| assigned(n, 3) == k).collect();
        assert_eq!(ran, expected, "shard {k}/3");
        let note = format!("note: shard {k}/3 (GitLab): {} of 6 tests\n", expected.len());
        assert!(text(&out.stderr).starts_with(&note), "{}", text(&out.stderr));
        let keyval = std::fs::read_to_string(dir.path().join(format!("shard-{k}/keyval"))).unwrap();
        assert!(keyval.contains(&format!("\nshard={k}/3\nshard_source=GitLab\n")), "{keyval}");
    }
    let merge = |shards: &[&str], into: &str| {
        harness_tests::tools_in(dir.path())
            .args(["report", "--merge"])
            .args(shards)
            .args(["--into", into, "--color", "never"])
            .output()
            .unwrap()
    };
    let partial = merge(&["shard-1", "shard-3"], "partial");
    assert_eq!(partial.status.code(), Some(1), "{}", text(&partial.stderr));
    assert!(
        text(&partial.stderr)
            .contains("error: shard 2/3 is in no job merged: a shard did not run, or its results were not copied in\n"),
        "{}",
        text(&partial.stderr)
    );
    let whole = merge(&["shard-1", "shard-2", "shard-3"], "whole");
    assert_eq!(whole.status.code(), Some(0), "{}", text(&whole.stderr));
}

/// A run in `dir` with the tests `durations` gives (names, seconds), made
/// from a real run's record.
fn fake_run(dir: &Path, template: &serde_json::Value, durations: &[(String, f64)]) {
    let mut run = template.clone();
    let tests: Vec<serde_json::Value> = durations
        .iter()
        .map(|(name, seconds)| {
            let mut test = template["tests"][0].clone();
            let (base, variant) = name.split_once('.').map_or((name.as_str(), None), |(b, v)| (b, Some(v)));
            test["test"] = base.into();
            test["variant"] = variant.map_or(serde_json::Value::Null, Into::into);
            test["subdir"] = name.as_str().into();
            test["duration"] = (*seconds).into();
            test
        })
        .collect();
    run["tests"] = tests.into();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("results.json"), serde_json::to_string(&run).unwrap()).unwrap();
}

#[test]
fn a_plan_by_recorded_durations_balances_a_skewed_suite() {
    let dir = tempfile::tempdir().unwrap();
    let made = harness_in(dir.path()).args(["run", "status_good", "--results", "template", "-q"]).output().unwrap();
    assert!(made.status.success(), "{}", text(&made.stderr));
    let template: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("template/results.json")).unwrap()).unwrap();
    // 40 tests: three long ones, the rest spread from 0.5 s to 20 s, recorded
    // in two runs (the plan takes each test's median).
    let durations: Vec<(String, f64)> = (0..40)
        .map(|i| {
            let seconds = match i {
                0 => 90.0,
                1 => 60.0,
                2 => 45.0,
                _ => 0.5 + f64::from(i * 7 % 37) * 0.55,
            };
            (format!("t{i:02}"), seconds)
        })
        .collect();
    let noisy: Vec<(String, f64)> = durations.iter().map(|(n, s)| (n.clone(), s * 1.2)).collect();
    fake_run(&dir.path().join("runs/a"), &template, &durations);
    fake_run(&dir.path().join("runs/b"), &template, &noisy);
    std::fs::write(
        dir.path().join("suite.txt"),
        "# the suite\nt00\nt01\nnew_test\n".to_owned() + &(2..40).map(|i| format!("t{i:02}\n")).collect::<String>(),
    )
    .unwrap();
    let plan = harness_tests::tools_in(dir.path())
        .args(["shards", "plan", "--shards", "4", "--results", "runs", "--tests", "suite.txt", "--out", "plan"])
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stderr));
    let stdout = text(&plan.stdout);
    assert!(stdout.ends_with("files in plan\n"), "{stdout}");
    let median = {
        let mut all: Vec<f64> = durations.iter().map(|(_, s)| s * 1.1).collect();
        all.sort_by(f64::total_cmp);
        f64::midpoint(all[19], all[20])
    };
    assert_eq!(
        text(&plan.stderr),
        format!("note: 1 test with no recorded duration planned at the median, {median:.1} s\n")
    );
    // Every test in exactly one file; each shard's planned time near the mean.
    let planned = |name: &str| -> f64 {
        if name == "new_test" { median } else { durations.iter().find(|(n, _)| n == name).unwrap().1 * 1.1 }
    };
    let mut seen = Vec::new();
    let mut loads = Vec::new();
    for k in 1..=4 {
        let file = std::fs::read_to_string(dir.path().join(format!("plan/shard-{k}.filter"))).unwrap();
        let (header, filter) = file.split_once('\n').unwrap();
        assert_eq!(header, format!("# harness shard {k}/4"));
        let names: Vec<String> = filter
            .trim_end()
            .split(" | ")
            .map(|t| t.strip_prefix("test(=").unwrap().strip_suffix(')').unwrap().to_owned())
            .collect();
        loads.push(names.iter().map(|n| planned(n)).sum::<f64>());
        seen.extend(names);
    }
    seen.sort();
    let mut suite: Vec<String> = durations.iter().map(|(n, _)| n.clone()).chain(["new_test".to_owned()]).collect();
    suite.sort();
    assert_eq!(seen, suite);
    let mean = loads.iter().sum::<f64>() / 4.0;
    let slowest = loads.iter().copied().fold(0.0, f64::max);
    assert!(slowest <= mean * 1.10, "{loads:?}");
    // A hash shard of the same suite is far from it.
    let mut hashed = [0.0; 4];
    for name in &suite {
        hashed[harness_core::shard::assigned(name, 4) as usize - 1] += planned(name);
    }
    assert!(hashed.iter().copied().fold(0.0, f64::max) > mean * 1.25, "{hashed:?}");

    // A plan of real tests runs as planned: `run --shard-file` and
    // `test_main()` with HARNESS_SHARD_FILE take exactly a file's tests.
    let real: Vec<(String, f64)> = [
        ("status_good", 9.0),
        ("status_warn", 8.0),
        ("perf_sample", 4.0),
        ("build_once", 3.0),
        ("status_test_na", 2.0),
    ]
    .iter()
    .map(|(n, s)| ((*n).to_owned(), *s))
    .collect();
    fake_run(&dir.path().join("real"), &template, &real);
    let plan = harness_tests::tools_in(dir.path())
        .args(["shards", "plan", "--shards", "2", "--results", "real", "--out", "real-plan"])
        .output()
        .unwrap();
    assert!(plan.status.success(), "{}", text(&plan.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("real-plan/shard-1.filter")).unwrap(),
        "# harness shard 1/2\ntest(=build_once) | test(=status_good) | test(=status_test_na)\n"
    );
    let run = harness_in(dir.path())
        .args(["run", "status_good", "status_warn", "perf_sample", "build_once", "status_test_na"])
        .args(["--shard-file", "real-plan/shard-2.filter", "--results", "s2", "-q"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    let ran: Vec<String> =
        JobResults::read(dir.path().join("s2/results.json")).unwrap().tests.iter().map(|t| t.subdir.clone()).collect();
    assert_eq!(ran, ["status_warn", "perf_sample"]);
    let keyval = std::fs::read_to_string(dir.path().join("s2/keyval")).unwrap();
    assert!(keyval.contains("\nshard=2/2\nshard_source=shard file\n"), "{keyval}");
    assert!(text(&run.stderr).starts_with("note: shard 2/2 (shard file): 2 of 5 tests\n"), "{}", text(&run.stderr));

    // test_main's results root (`<root>/<binary>/<test>/<run>`) is read too.
    for test in ["nx_good", "nx_warn"] {
        let ran = Command::new(harness_tests::test_target("autotests"))
            .args([test, "--exact"])
            .env("HARNESS_RESULTS_DIR", dir.path().join("tm"))
            .env_remove("NEXTEST")
            .output()
            .unwrap();
        assert!(ran.status.success(), "{}", text(&ran.stderr));
    }
    let plan = harness_tests::tools_in(dir.path())
        .args(["shards", "plan", "--shards", "2", "--results", "tm", "--out", "tm-plan"])
        .output()
        .unwrap();
    assert!(plan.status.success(), "{}", text(&plan.stderr));
    let planned: String = (1..=2)
        .map(|k| std::fs::read_to_string(dir.path().join(format!("tm-plan/shard-{k}.filter"))).unwrap())
        .collect();
    assert!(planned.contains("test(=nx_good)") && planned.contains("test(=nx_warn)"), "{planned}");

    std::fs::write(dir.path().join("nx.filter"), "# harness shard 1/2\ntest(=nx_good) | test(=nx_warn)\n").unwrap();
    let listed = Command::new(harness_tests::test_target("autotests"))
        .args(["--list", "--format", "terse"])
        .env("HARNESS_SHARD_FILE", dir.path().join("nx.filter"))
        .env_remove("NEXTEST")
        .output()
        .unwrap();
    assert_eq!(text(&listed.stdout), "nx_good: test\nnx_warn: test\n", "{}", text(&listed.stderr));
    // The file's last line is a nextest filterset.
    let line = std::fs::read_to_string(dir.path().join("nx.filter")).unwrap();
    let nextest = nextest_list(&format!("binary(autotests) & ({})", line.lines().last().unwrap()));
    assert!(nextest.status.success(), "{}", text(&nextest.stderr));
    let list: serde_json::Value = serde_json::from_slice(&nextest.stdout).unwrap();
    let matched: Vec<&str> = list["rust-suites"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|suite| suite["testcases"].as_object().unwrap().iter())
        .filter(|(_, case)| case["filter-match"]["status"] == "matches")
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(matched, ["nx_good", "nx_warn"]);
}
