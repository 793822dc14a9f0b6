//! A full disk loses nothing already written: a failed append (a keyval block,
//! a status line) leaves its file as it was; the test ends ERROR naming the
//! cause; and once there is room again `report` rebuilds the job's files. Run
//! on a small tmpfs (root, or a machine that allows mounting; skipped with a
//! note elsewhere).

use std::path::{Path, PathBuf};
use std::process::Command;

use harness_core::Status;
use harness_core::results::{JobResults, StatusLog, read_iterations};
use harness_tests::harness_in;

/// A tmpfs of `size` mounted on a fresh directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            println!("note: skipped: mounting a tmpfs is not allowed on this machine");
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every line of `path` is whole: it ends with a newline.
fn whole_lines(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.is_empty() || text.ends_with('\n'), "{} ends in part of a line: {text:?}", path.display());
}

#[test]
fn a_full_disk_fails_the_write_not_the_file() {
    let Some(disk) = Tmpfs::mount("256k") else { return };
    let state = tempfile::tempdir().unwrap();
    let results: PathBuf = disk.path().join("r");
    let out = harness_in(state.path())
        .args(["run", "fault_fill_disk", "--results"])
        .arg(&results)
        .arg("-q")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let record = &JobResults::read(results.join("results.json")).unwrap().tests[0];
    assert_eq!(record.status, Status::Error, "a full disk is harness's trouble, ERROR in any phase");
    assert!(record.reason.starts_with("cannot write `"), "{}", record.reason);
    assert!(record.reason.ends_with("results/keyval`: No space left on device (os error 28)"), "{}", record.reason);
    // The failed block left nothing: the file holds the block before it, whole.
    assert_eq!(std::fs::read_to_string(results.join("fault_fill_disk/results/keyval")).unwrap(), "before{perf}=1\n\n");
}

#[test]
fn a_job_whose_disk_stays_full_can_be_rebuilt_afterwards() {
    let Some(disk) = Tmpfs::mount("256k") else { return };
    let state = tempfile::tempdir().unwrap();
    let results: PathBuf = disk.path().join("r");
    let out = harness_in(state.path())
        .args(["run", "fault_fill_disk", "--arg", "keep_full=true", "--results"])
        .arg(&results)
        .arg("-q")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("No space left on device"), "{}", text(&out.stderr));
    // Nothing of what was written is torn: every line whole, every block whole.
    for log in ["status.log", "fault_fill_disk/status.log", "keyval", "fault_fill_disk/keyval"] {
        whole_lines(&results.join(log));
    }
    assert_eq!(read_iterations(results.join("fault_fill_disk/results")).unwrap().len(), 1);
    StatusLog::read(results.join("status.log")).unwrap();
    // Room again: `report` rebuilds what the full disk kept from being written.
    std::fs::remove_file(results.join("fault_fill_disk/filler")).unwrap();
    let _ = std::fs::remove_file(results.join("results.json"));
    let report = harness_tests::tools_in(state.path()).arg("report").arg(&results).output().unwrap();
    assert!(text(&report.stderr).contains("rebuilt it (and junit.xml) from status.log"), "{}", text(&report.stderr));
    let rebuilt = JobResults::read(results.join("results.json")).unwrap();
    assert_eq!(rebuilt.tests.len(), 1);
    assert_eq!(rebuilt.tests[0].test, "fault_fill_disk");
    assert!(results.join("junit.xml").is_file());
}

/// The START lines of `log`, by operation.
fn starts(log: &StatusLog) -> Vec<String> {
    log.entries
        .iter()
        .filter(|(_, e)| e.code() == harness_core::results::StatusCode::Start)
        .filter_map(|(_, e)| e.operation().map(str::to_owned))
        .collect()
}

/// A test whose START reached the job's status.log but whose own status.log
/// could not take it (the disk filled up) never reads GOOD: not live, not in
/// the log, not when `report` rebuilds the job; and it has one START.
#[test]
fn a_test_started_on_a_full_disk_is_never_good() {
    let Some(disk) = Tmpfs::mount("256k") else { return };
    let state = tempfile::tempdir().unwrap();
    let results: PathBuf = disk.path().join("r");
    std::fs::write(
        state.path().join("c.json"),
        r#"{"tests": [{"test": "fault_fill_disk", "args": {"keep_full": true}},
                     {"test": "sleeptest", "args": {"seconds": 0}}]}"#,
    )
    .unwrap();
    let out = harness_in(state.path())
        .args(["run", "--control", "c.json", "-q", "--results"])
        .arg(&results)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let verdicts = |log: &StatusLog| -> Vec<(String, Status)> {
        log.tests().map(|g| (g.operation.clone().unwrap_or_default(), g.status)).collect()
    };
    let log = StatusLog::read(results.join("status.log")).unwrap();
    assert_eq!(starts(&log), ["fault_fill_disk", "sleeptest"], "one START per test");
    let sleeptest = verdicts(&log).into_iter().find(|(t, _)| t == "sleeptest").unwrap();
    assert_ne!(sleeptest.1, Status::Good, "{}", std::fs::read_to_string(results.join("status.log")).unwrap());
    if let Ok(live) = JobResults::read(results.join("results.json")) {
        assert!(live.tests.iter().all(|t| t.status != Status::Good), "{:?}", live.tests);
    }
    // Room again: the rebuilt job agrees.
    std::fs::remove_file(results.join("fault_fill_disk/filler")).unwrap();
    let _ = std::fs::remove_file(results.join("results.json"));
    let report = harness_tests::tools_in(state.path()).arg("report").arg(&results).output().unwrap();
    assert_eq!(report.status.code(), Some(1), "{}", text(&report.stderr));
    let rebuilt = JobResults::read(results.join("results.json")).unwrap();
    let rebuilt: Vec<(String, Status)> = rebuilt.tests.iter().map(|t| (t.test.clone(), t.status)).collect();
    assert_eq!(rebuilt.len(), 2, "{rebuilt:?}");
    assert!(rebuilt.iter().all(|(_, s)| *s != Status::Good), "{rebuilt:?}");
    let sleeptest = rebuilt.iter().find(|(t, _)| t == "sleeptest").unwrap();
    assert!(matches!(sleeptest.1, Status::Error | Status::Abort), "{rebuilt:?}");
}

/// A capture of the test's stdout cut short by a full disk is said in the
/// test's status, with how much was kept.
#[test]
fn a_capture_cut_short_by_a_full_disk_is_said() {
    let Some(disk) = Tmpfs::mount("256k") else { return };
    let state = tempfile::tempdir().unwrap();
    let results: PathBuf = disk.path().join("r");
    let out = harness_in(state.path())
        .args(["run", "fault_fill_disk", "--arg", "stdout_kb=512", "-q", "--results"])
        .arg(&results)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let record = &JobResults::read(results.join("results.json")).unwrap().tests[0];
    assert_eq!(record.status, Status::Warn, "{}", record.reason);
    let kept = std::fs::metadata(results.join("fault_fill_disk/debug/fault_fill_disk.stdout")).unwrap().len();
    assert!(kept < 512 * 1024, "{kept}");
    assert_eq!(
        record.reason,
        format!(
            "the capture `{}` was cut short after {kept} bytes: No space left on device (os error 28)",
            results.join("fault_fill_disk/debug/fault_fill_disk.stdout").display()
        )
    );
}

/// A run refused at its start because the disk is full leaves nothing
/// behind: once there is room, the same `--results` runs.
#[test]
fn a_run_refused_on_a_full_disk_leaves_its_directory_usable() {
    let Some(disk) = Tmpfs::mount("64k") else { return };
    let state = tempfile::tempdir().unwrap();
    let filler = disk.path().join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    while std::io::Write::write_all(&mut file, &[0u8; 4096]).is_ok() {}
    drop(file);
    let results: PathBuf = disk.path().join("r");
    let run = || {
        harness_in(state.path())
            .args(["run", "sleeptest", "--arg", "seconds=0", "-q", "--results"])
            .arg(&results)
            .output()
            .unwrap()
    };
    let refused = run();
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(text(&refused.stderr).contains("No space left on device"), "{}", text(&refused.stderr));
    assert!(!results.exists(), "{:?}", harness_tests::tree(&results));
    std::fs::remove_file(&filler).unwrap();
    let ran = run();
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran.stderr));
}
