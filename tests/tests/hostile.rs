//! Hostile input: keys and reasons with line breaks, tabs, `=`, `{`, NUL and
//! escapes; megabyte descriptions; names and tags that try to leave the results
//! directory; control files that are huge, deeply nested or not UTF-8. Each gives
//! a clear error or is written escaped, nothing outside the results directory is
//! touched, and memory stays bounded.

use std::path::Path;
use std::process::Command;

use harness_core::Job;
use harness_core::prelude::*;
use harness_core::results::TestRecord;
use harness_core::results::{JobResults, StatusLog, read_keyval, write_keyval};

/// Does with `text` what `what` says, so each hostile string reaches one writer.
#[autotest(name = "hostile_writer", version = 1)]
#[derive(Default)]
struct HostileWriter;

#[autotest]
impl HostileWriter {
    fn run_once(&mut self, ctx: &mut TestContext, what: String, text: String) -> TestResult {
        match what.as_str() {
            "perf_key" => ctx.write_perf_keyval([(text.as_str(), 1)])?,
            "attr_value" => ctx.write_attr_keyval([("note", text.as_str())])?,
            "test_key" => ctx.write_test_keyval([(text.as_str(), 1)])?,
            "description" => ctx.output_perf_value(PerfValue::new(text, 1.0))?,
            "units" => ctx.output_perf_value(PerfValue::new("d", 1.0).units(text))?,
            "graph" => ctx.output_perf_value(PerfValue::new("d", 1.0).graph(text))?,
            "subtest_tag" => {
                let status = ctx.runsubtest("hostile_writer", Args::new().with("tag", text.as_str()))?;
                return Err(Failure::fail(format!("the subtest ran: {status}")));
            }
            _ => return Err(Failure::fail(text)),
        }
        Ok(())
    }
}

const HOSTILE: [&str; 12] =
    ["a\nb", "a\r\nb", "a\tb", "a=b", "a{b", "a}", "a\0b", "a\x1b[31mb", "a\u{2028}b", "a b", "../x", ""];

/// A job whose results dir is `<dir>/r` (its state dir `.harness` sits beside it).
fn job(dir: &Path) -> Job {
    Job::builder(dir.join("r")).build().unwrap()
}

/// Runs `hostile_writer` once more in `job` (each run gets a tag of its own).
fn run(job: &Job, what: &str, text: &str) -> TestRecord {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let tag = format!("run{}", RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
    job.test("hostile_writer").tag(tag).arg("what", what).arg("text", text).run_detail().unwrap()
}

/// Nothing but the results dir and the job's state dir was created in `dir`.
fn only_results_in(dir: &Path) {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert!(names.iter().all(|n| n == "r" || n == ".harness"), "files outside the results dir: {names:?}");
    assert!(!dir.join("x").exists() && !dir.parent().unwrap().join("x").exists());
}

/// No control character but tab and newline in a file a parser will read.
fn no_raw_controls(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let bad: Vec<char> = text.chars().filter(|c| c.is_control() && !matches!(c, '\t' | '\n')).collect();
    assert!(bad.is_empty(), "{}: raw control characters {bad:?}", path.display());
}

#[test]
fn hostile_keys_are_refused_with_the_key_shown_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    for key in HOSTILE.iter().copied().chain(["x{perf}", "é"]) {
        let err = write_keyval(dir.path(), [(key, "1")], None).unwrap_err();
        let shown: String =
            key.chars().map(|c| if c.is_control() { c.escape_debug().to_string() } else { c.to_string() }).collect();
        assert_eq!(err.to_string(), format!("Invalid key: {shown}"));
        assert!(!err.to_string().contains(['\n', '\0', '\x1b']), "{err}");
    }
    assert!(!dir.path().join("keyval").exists(), "a refused block writes nothing");

    let job = job(dir.path());
    for key in HOSTILE {
        for what in ["perf_key", "test_key"] {
            let record = run(&job, what, key);
            // An error a test does not handle is a FAIL, as in autotest.
            assert_eq!(record.status, Status::Fail, "{what} {key:?}");
            assert!(record.reason.starts_with("Unhandled harness_core::Error: Invalid key: "), "{}", record.reason);
        }
    }
    let summary = job.complete().unwrap();
    for record in summary.records() {
        assert!(!record.outputdir.join("results/keyval").exists(), "{}", record.outputdir.display());
        let keyval = read_keyval(&record.outputdir, None).unwrap();
        assert!(keyval.keys().all(|k| !k.contains(['\n', '\t', '=', '{', '\0'])), "{keyval:?}");
    }
    no_raw_controls(&dir.path().join("r/status.log"));
    StatusLog::read(dir.path().join("r/status.log")).unwrap();
    only_results_in(dir.path());
}

#[test]
fn hostile_reasons_keep_every_file_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    let job = job(dir.path());
    let reason = "line one\tcol=1 {x}\0nul \x1b[31mred\u{85}next\u{2028}sep\r\nline two";
    let record = run(&job, "fail", reason);
    assert_eq!(record.status, Status::Fail);
    // The reason is the message's first line, the rest are details, split as the
    // status log splits them (every line break Python's `splitlines` knows).
    assert_eq!(record.reason, "line one\tcol=1 {x}\0nul \x1b[31mred", "the record keeps the first line as given");
    assert_eq!(record.details, ["next", "sep", "line two"]);
    assert!(job.complete().unwrap().has_failures());

    for log in ["r/status.log", &format!("r/{}/status.log", record.subdir)] {
        let path = dir.path().join(log);
        no_raw_controls(&path);
        let parsed = StatusLog::read(&path).unwrap();
        let test = parsed.tests().next().unwrap();
        assert_eq!(test.status, Status::Fail);
        assert_eq!(test.reason, "line one        col=1 {x}\\x00nul \\x1b[31mred");
    }
    // Every line break Python's splitlines knows starts an indented continuation line.
    let job_log = std::fs::read_to_string(dir.path().join("r/status.log")).unwrap();
    assert!(
        job_log.contains("\tline one        col=1 {x}\\x00nul \\x1b[31mred\n  next\n  sep\n  line two\n"),
        "{job_log}"
    );

    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!(results.tests[0].reason, record.reason, "results.json holds the reason exactly");
    assert_eq!(results.tests[0].details, ["next", "sep", "line two"], "split into lines as status.log splits them");
    let junit = std::fs::read_to_string(dir.path().join("r/junit.xml")).unwrap();
    assert!(!junit.contains(['\0', '\x1b']), "junit.xml holds no character XML forbids");
    assert!(junit.contains("line one"), "{junit}");
    only_results_in(dir.path());
}

#[test]
fn a_megabyte_description_units_or_graph_is_refused_briefly() {
    let dir = tempfile::tempdir().unwrap();
    let job = job(dir.path());
    let huge = "d".repeat(1 << 20);
    for (what, message) in [
        ("description", "The description must be at most 256 characters."),
        ("units", "The units must be at most 32 characters."),
        ("graph", "The graph must be at most 256 characters."),
    ] {
        let record = run(&job, what, &huge);
        assert_eq!(record.status, Status::Fail, "{what}");
        assert_eq!(record.reason, format!("Unhandled harness_core::Error: {message}"));
        assert!(!record.outputdir.join("results/results-chart.json").exists(), "{what}: nothing recorded");
    }
    // A megabyte attribute is one line, written whole and read back whole.
    let record = run(&job, "attr_value", &huge);
    assert_eq!(record.status, Status::Good, "{}", record.reason);
    let read = harness_core::results::read_iterations(record.outputdir.join("results/keyval")).unwrap();
    assert_eq!(read[0].attr["note"].len(), 1 << 20);
    assert!(job.complete().unwrap().has_failures());
    let status_log = std::fs::metadata(dir.path().join("r/status.log")).unwrap().len();
    assert!(status_log < 10_000, "the status log does not repeat the megabyte: {status_log} bytes");
    only_results_in(dir.path());
}

#[test]
fn names_and_tags_cannot_leave_the_results_dir() {
    let dir = tempfile::tempdir().unwrap();
    let job = job(dir.path());
    for (tag, reason) in [
        ("../x", "it contains a path separator; it must stay inside the results directory"),
        ("a/b", "it contains a path separator; it must stay inside the results directory"),
        ("a\\b", "it contains a path separator; it must stay inside the results directory"),
        ("..", "it contains `..`; it must stay inside the results directory"),
        (".", "it contains `..`; it must stay inside the results directory"),
        ("a\nb", "it contains a control character"),
    ] {
        let err = job.test("hostile_writer").tag(tag).arg("what", "fail").arg("text", "").run().unwrap_err();
        let shown: String =
            tag.chars().map(|c| if c.is_control() { c.escape_debug().to_string() } else { c.to_string() }).collect();
        assert_eq!(err.to_string(), format!("invalid tag `{shown}`: {reason}"));
    }
    let long = "t".repeat(300);
    let err = job.test("hostile_writer").tag(&long).arg("what", "fail").arg("text", "").run().unwrap_err();
    assert_eq!(err.to_string(), format!("invalid tag `{}...`: it is longer than 200 bytes", "t".repeat(100)));
    for (arg, value, message) in [
        ("subdir_tag", "../x", "invalid subdir_tag `../x`: it contains a path separator"),
        ("master_testpath", "../../x", "invalid master_testpath `..`: it contains `..`"),
    ] {
        let args = Args::new().with("what", "fail").with("text", "").with(arg, value);
        let err = job.run_test("hostile_writer", args).unwrap_err();
        assert!(err.to_string().starts_with(message), "{arg}: {err}");
    }
    let err = job.run_test("../hostile_writer", Args::new()).unwrap_err();
    assert!(err.to_string().starts_with("unknown test `../hostile_writer`"), "{err}");
    // From inside a test, a subtest with an escaping tag is that test's error.
    let record = run(&job, "subtest_tag", "../../x");
    assert_eq!(record.status, Status::Fail, "{}", record.reason);
    assert!(record.reason.contains("invalid tag `../../x`"), "{}", record.reason);
    assert!(job.complete().unwrap().has_failures());
    only_results_in(dir.path());
    assert!(harness_tests::tree(&dir.path().join("r")).iter().all(|p| !p.contains("..")));
}

/// Runs the example harness under a 128 MiB address-space limit, so reading a
/// 100 MB file whole would fail the test.
fn harness_limited(dir: &Path, args: &[&str]) -> std::process::Output {
    let harness = harness_tests::example_harness();
    Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 131072; exec \"$0\" \"$@\"")
        .arg(harness)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn huge_deep_or_binary_control_files_are_refused_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let big = std::fs::File::create(dir.path().join("big.json")).unwrap();
    big.set_len(100 << 20).unwrap();
    drop(big);
    let deep = format!(
        "{{\"tests\": [{{\"test\": \"sleeptest\", \"args\": {{\"x\": {}{}}}}}]}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    std::fs::write(dir.path().join("deep.json"), deep).unwrap();
    std::fs::write(dir.path().join("binary.json"), b"{\"tests\": [{\"test\": \"sleep\xfftest\"}]}").unwrap();
    for (file, message) in [
        ("big.json", "error: control file `big.json` is 104857600 bytes; control files are limited to 16777216 bytes"),
        ("deep.json", "error: invalid control file `deep.json`: recursion limit exceeded at line 1 column 171"),
        ("binary.json", "error: cannot read control file `binary.json`: stream did not contain valid UTF-8"),
    ] {
        for args in [vec!["validate", "--control", file], vec!["run", "--control", file, "--results", "r"]] {
            let command = args[0];
            let out = harness_limited(dir.path(), &args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{command} {file}: {stderr}");
            assert_eq!(stderr.trim_end(), message, "{command} {file}");
            assert!(!dir.path().join("r").exists(), "{command} {file} wrote results");
        }
    }
}

#[test]
fn hostile_command_lines_are_refused_before_anything_runs() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;
    let dir = tempfile::tempdir().unwrap();
    let harness = harness_tests::example_harness();
    let cases: [(&[&OsStr], &str); 4] = [
        (&[OsStr::new("../sleeptest")], "error: unknown test `../sleeptest`; did you mean `sleeptest`?"),
        (
            &[OsStr::new("sleeptest"), OsStr::new("--arg"), OsStr::from_bytes(b"seconds=\xff")],
            "error: invalid UTF-8 was detected in one or more arguments",
        ),
        (
            &[OsStr::new("sleeptest"), OsStr::new("--tag"), OsStr::new("a\nb")],
            "error: invalid tag `a\\nb`: it contains a control character",
        ),
        (
            &[OsStr::new("sleeptest"), OsStr::new("--constraint"), OsStr::new("__import__('os').system('touch x')")],
            "error: could not parse constraint `__import__('os').system('touch x')`: \
             unexpected character '\\'' at column 12",
        ),
    ];
    for (args, message) in cases {
        let out = Command::new(harness)
            .arg("run")
            .args(args)
            .args(["--results", "r"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().next(), Some(message), "{args:?}");
        assert!(!dir.path().join("r").exists() && !dir.path().join("x").exists(), "{args:?}");
    }
}

/// A shard holding one finished job (`<shard>/job`) that ran `hostile_writer`
/// once with `what`; the job directory and the test's subdir.
fn shard_job(shard: &Path, what: &str) -> (std::path::PathBuf, String) {
    let jobdir = shard.join("job");
    let job = Job::builder(&jobdir).state_dir(shard.join(".state")).build().unwrap();
    let record = job.test("hostile_writer").tag("t").arg("what", what).arg("text", "why").run_detail().unwrap();
    let _ = job.complete().unwrap();
    (jobdir, record.subdir)
}

/// Rewrites the subdir column of the lines of `subdir` in `jobdir/status.log`.
fn retarget(jobdir: &Path, subdir: &str, new: &str) {
    let log = jobdir.join("status.log");
    let text = std::fs::read_to_string(&log).unwrap();
    let edited = text.replace(&format!("\t{subdir}\t{subdir}\t"), &format!("\t{new}\t{subdir}\t"));
    assert_ne!(text, edited);
    std::fs::write(&log, edited).unwrap();
}

fn merge_shard(dir: &Path, shard: &Path, into: &Path) -> std::process::Output {
    harness_tests::tools_in(dir).arg("report").arg("--merge").arg(shard).arg("--into").arg(into).output().unwrap()
}

#[test]
fn a_merge_never_copies_outside_its_shard_or_into_dir() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    // `../escaped`: the shard's sibling directory, copied beside `--into`.
    let shard = dir.join("a");
    let (jobdir, subdir) = shard_job(&shard, "attr_value");
    retarget(&jobdir, &subdir, "../escaped");
    std::fs::create_dir(shard.join("escaped")).unwrap();
    std::fs::write(shard.join("escaped/planted"), "from outside the job").unwrap();
    std::fs::create_dir(dir.join("out")).unwrap();
    let out = merge_shard(dir, &shard, &dir.join("out/merged"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: refusing the test directory `../escaped` of {}: it contains `..`; it must stay inside the results directory",
            jobdir.display()
        )
    );
    assert!(!dir.join("out/escaped").exists(), "the merge wrote outside --into");
    assert!(!dir.join("out/merged").exists(), "a refused merge leaves nothing");

    // An absolute subdir: the victim would be copied onto itself and truncated.
    let shard = dir.join("b");
    let (jobdir, subdir) = shard_job(&shard, "attr_value");
    let victim = dir.join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("data"), "precious").unwrap();
    retarget(&jobdir, &subdir, victim.to_str().unwrap());
    let out = merge_shard(dir, &shard, &dir.join("merged-b"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("refusing the test directory `{}`", victim.display())), "{stderr}");
    assert_eq!(std::fs::read_to_string(victim.join("data")).unwrap(), "precious");
    assert!(!dir.join("merged-b").exists());

    // A test directory that is a link: its target's files are never copied in.
    let shard = dir.join("c");
    let (jobdir, subdir) = shard_job(&shard, "attr_value");
    let secret = dir.join("secret");
    std::fs::create_dir(&secret).unwrap();
    std::fs::write(secret.join("key"), "private").unwrap();
    std::fs::remove_dir_all(jobdir.join(&subdir)).unwrap();
    std::os::unix::fs::symlink(&secret, jobdir.join(&subdir)).unwrap();
    let out = merge_shard(dir, &shard, &dir.join("merged-c"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: refusing the test directory `{subdir}` of {}: `{subdir}` is a symbolic link; a merge never follows links",
            jobdir.display()
        )
    );
    assert!(!dir.join("merged-c").exists());
}

#[test]
fn a_shards_results_json_never_outvotes_its_status_log() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let shard = dir.join("shard");
    let (jobdir, subdir) = shard_job(&shard, "fail");
    let results = jobdir.join("results.json");
    let text = std::fs::read_to_string(&results).unwrap();
    assert!(text.contains("\"status\":\"FAIL\""), "{text}");
    std::fs::write(&results, text.replace("\"status\":\"FAIL\"", "\"status\":\"GOOD\"")).unwrap();
    let out = merge_shard(dir, &shard, &dir.join("merged"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: `{subdir}` in {}: results.json says GOOD, status.log says FAIL; the merge keeps status.log's FAIL",
            jobdir.display()
        )),
        "{stderr}"
    );
    let merged = JobResults::read(dir.join("merged/results.json")).unwrap();
    assert_eq!(merged.tests[0].status, Status::Fail);
    assert_eq!(merged.job.status, Status::Fail);
}

/// Every link the report page builds from data is a relative path, and the
/// page forbids scripts: a test directory named `javascript:...//` (a
/// results.json edited, or a shard merged) cannot run anything on a click.
#[test]
fn report_links_are_relative_paths_and_the_page_runs_no_script() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (jobdir, subdir) = shard_job(dir, "attr_value");
    let results = jobdir.join("results.json");
    let evil = "javascript:alert(document.domain)//";
    let text = std::fs::read_to_string(&results).unwrap();
    std::fs::write(&results, text.replace(&format!("\"subdir\":\"{subdir}\""), &format!("\"subdir\":\"{evil}\"")))
        .unwrap();
    let out = harness_tests::tools_in(dir)
        .arg("report")
        .arg(&jobdir)
        .arg("--html")
        .arg(jobdir.join("page.html"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = std::fs::read_to_string(jobdir.join("page.html")).unwrap();
    assert!(page.contains(evil), "the name is shown, as text");
    let hrefs: Vec<&str> = page.split("href=\"").skip(1).map(|rest| &rest[..rest.find('"').unwrap()]).collect();
    assert_eq!(hrefs.len(), 3, "{hrefs:?}");
    for href in &hrefs {
        assert!(href.starts_with("./") || href.starts_with("../"), "{href}");
        assert!(!href.contains(':'), "{href}");
    }
    assert_eq!(hrefs[0], "./javascript%3Aalert%28document.domain%29///debug/.DEBUG");
    assert!(
        page.contains(
            r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">"#
        ),
        "{}",
        &page[..400]
    );
    assert!(!page.contains("<script"));
}

/// Harness runs tests at most 32 levels deep (a test, its subtests, theirs):
/// a run at the limit is GOOD and every file reads back; a deeper subtest is
/// refused with a clear reason, never a crash; a status.log nested far deeper
/// (64, 20,000 groups) is refused by `report` with a message, never a crash or
/// a results.json it cannot read back.
#[test]
fn nesting_is_bounded_and_everything_written_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let run = |depth: u32, results: &str| {
        harness_tests::harness_in(dir)
            .args(["run", "fault_nest", "--arg", &format!("depth={depth}"), "--results", results, "-q"])
            .output()
            .unwrap()
    };
    let deepest = run(31, "at_limit");
    assert_eq!(deepest.status.code(), Some(0), "{}", String::from_utf8_lossy(&deepest.stderr));
    let results = JobResults::read(dir.join("at_limit/results.json")).unwrap();
    let mut levels = 1;
    let mut record = &results.tests[0];
    while let Some(sub) = record.subtests.first() {
        levels += 1;
        record = sub;
    }
    assert_eq!(levels, 32);
    let report = harness_tests::tools_in(dir).args(["report", "at_limit"]).output().unwrap();
    assert_eq!(report.status.code(), Some(0));
    std::fs::remove_file(dir.join("at_limit/results.json")).unwrap();
    let rebuilt = harness_tests::tools_in(dir).args(["report", "at_limit"]).output().unwrap();
    assert_eq!(rebuilt.status.code(), Some(0), "{}", String::from_utf8_lossy(&rebuilt.stderr));
    JobResults::read(dir.join("at_limit/results.json")).unwrap();

    let deeper = run(70, "past_limit");
    assert_eq!(deeper.status.code(), Some(1), "{}", String::from_utf8_lossy(&deeper.stderr));
    let results = JobResults::read(dir.join("past_limit/results.json")).unwrap();
    assert_eq!(results.tests[0].status, Status::Fail);
    assert!(
        results.tests[0].reason.contains("harness runs tests at most 32 levels deep"),
        "{}",
        results.tests[0].reason
    );

    // An argument nested deeper than 32 levels is refused before anything runs.
    let deep = format!("seconds={}{}", "[".repeat(40), "]".repeat(40));
    let out = harness_tests::harness_in(dir)
        .args(["run", "sleeptest", "--arg", &deep, "--results", "deep_arg"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "error: `seconds` nests lists and objects more than 32 levels deep; harness keeps arguments at most 32 levels deep"
    );
    assert!(!dir.join("deep_arg").exists());

    for groups in [64, 20_000] {
        let job = dir.join(format!("deep_{groups}"));
        std::fs::create_dir(&job).unwrap();
        write_keyval(&job, [("status_version", "1"), ("job_started", "1")], None).unwrap();
        let mut log = String::from("START\t----\t----\ttimestamp=1\t\n");
        for depth in 1..=groups {
            log.push_str(&"\t".repeat(depth));
            log.push_str("START\tt\tt\ttimestamp=1\t\n");
        }
        std::fs::write(job.join("status.log"), log).unwrap();
        let out = harness_tests::tools_in(dir).arg("report").arg(&job).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{groups}: {stderr}");
        assert!(
            stderr.contains(&format!("nests {groups} tests deep; harness reads at most 32 levels")),
            "{groups}: {stderr}"
        );
        assert!(!job.join("results.json").exists(), "{groups}");
    }
}
