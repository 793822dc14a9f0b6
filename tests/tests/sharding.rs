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
    let listed = cargo()
        .args([
            "nextest",
            "list",
            "-p",
            "harness-tests",
            "--test",
            "autotests",
            "--message-format",
            "json",
            "-E",
            filter,
        ])
        .output()
        .expect("cargo nextest is installed (see .ci/run)");
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
