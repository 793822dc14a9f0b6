//! `harness bundle` and `run --bundle`: a suite packed into one tar runs on a
//! machine with no Rust toolchain, and a bundle that is damaged, cut short or
//! for another machine is refused before anything runs.

use std::path::Path;
use std::process::Command;

use harness_core::results::JobResults;
use harness_tests::harness_in;
use serde_json::Value;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `sha256sum`'s digest of `path`: an implementation other than harness's.
fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().expect("coreutils' sha256sum");
    text(&out.stdout).split_whitespace().next().unwrap().to_owned()
}

/// Makes `suite.tar` in `dir`: the harness binary, the autotests binary, a
/// control file and a data directory.
fn make_bundle(dir: &Path, out: &str) -> std::process::Output {
    std::fs::write(
        dir.join("quick.json"),
        r#"{"tests": [{"test": "status_good"}, {"test": "perf_sample", "args": {"iterations": 3}}, {"test": "golden_checksum"}]}"#,
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("fixtures/disk")).unwrap();
    std::fs::write(dir.join("fixtures/disk/pattern.bin"), [7u8; 4096]).unwrap();
    harness_in(dir)
        .args(["bundle", "--out", out, "--control", "quick.json", "--data", "fixtures"])
        .arg("--binary")
        .arg(harness_tests::test_target("autotests"))
        .output()
        .unwrap()
}

fn members(tar: &Path) -> Vec<String> {
    let out = Command::new("tar").arg("-tf").arg(tar).output().unwrap();
    text(&out.stdout).lines().map(str::to_owned).collect()
}

#[test]
fn a_bundle_runs_where_there_is_no_toolchain() {
    let dir = tempfile::tempdir().unwrap();
    let made = make_bundle(dir.path(), "suite.tar");
    assert!(made.status.success(), "{}", text(&made.stderr));
    let autotests = harness_tests::test_target("autotests");
    let autotests_name = autotests.file_name().unwrap().to_str().unwrap().to_owned();
    let tar = dir.path().join("suite.tar");
    assert_eq!(
        members(&tar),
        [
            "manifest.json".to_owned(),
            "bin/harness".to_owned(),
            format!("bin/{autotests_name}"),
            "control/quick.json".to_owned(),
            "data/data/golden/expected.txt".to_owned(),
            "data/data/golden/input.bin".to_owned(),
            "data/fixtures/disk/pattern.bin".to_owned()
        ]
    );
    // The manifest: this machine, the tests, each file's size and SHA-256
    // as coreutils computes it.
    let out = Command::new("tar").arg("-xOf").arg(&tar).arg("manifest.json").output().unwrap();
    let manifest: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(manifest["bundle_version"], 1);
    assert_eq!(manifest["arch"], std::env::consts::ARCH);
    assert_eq!(manifest["entry"], "bin/harness");
    assert!(
        manifest["tests"].as_array().unwrap().contains(&serde_json::json!({"name": "perf_sample", "version": "1"}))
    );
    let files = manifest["files"].as_array().unwrap();
    // golden_checksum declares `data("data/golden")`: packed from its crate.
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness-examples/data/golden");
    let sources = [
        harness_tests::example_harness().to_owned(),
        autotests.clone(),
        dir.path().join("quick.json"),
        golden.join("expected.txt"),
        golden.join("input.bin"),
        dir.path().join("fixtures/disk/pattern.bin"),
    ];
    assert_eq!(files.len(), sources.len());
    for (file, source) in files.iter().zip(&sources) {
        assert_eq!(file["sha256"], sha256sum(source), "{file}");
        assert_eq!(file["size"], source.metadata().unwrap().len(), "{file}");
    }
    assert_eq!(
        files.iter().map(|f| f["kind"].as_str().unwrap()).collect::<Vec<_>>(),
        ["harness", "test_main", "control", "data", "data", "data"]
    );
    // The same inputs make the same bytes.
    assert!(make_bundle(dir.path(), "again.tar").status.success());
    assert_eq!(std::fs::read(&tar).unwrap(), std::fs::read(dir.path().join("again.tar")).unwrap());

    // A "device": a directory holding only the bundle, the harness binary
    // taken out of it with tar, and no PATH at all (no cargo, no rustc).
    let device = dir.path().join("device");
    std::fs::create_dir(&device).unwrap();
    std::fs::copy(&tar, device.join("suite.tar")).unwrap();
    let untar = Command::new("tar").args(["-xf", "suite.tar", "bin/harness"]).current_dir(&device).status().unwrap();
    assert!(untar.success());
    let run = Command::new(device.join("bin/harness"))
        .args(["run", "--bundle", "suite.tar", "--control", "quick.json", "--results", "r", "-q", "--color", "never"])
        .current_dir(&device)
        .env_clear()
        .env("HARNESS_STATE_DIR", device.join(".state"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}{}", text(&run.stdout), text(&run.stderr));
    let results = JobResults::read(device.join("r/results.json")).unwrap();
    let ran: Vec<(&str, u64)> = results.tests.iter().map(|t| (t.subdir.as_str(), t.iterations)).collect();
    assert_eq!(ran, [("status_good", 1), ("perf_sample", 3), ("golden_checksum", 1)]);
    // The golden test read the bundle's copy of its data, not its crate's.
    let golden_dir = &results.tests[2].keyvals["golden_dir"];
    // Unpacked beside the bundle (a device's /tmp may be noexec), then removed.
    assert!(
        golden_dir.starts_with(device.join(".harness-bundle-").to_str().unwrap())
            && golden_dir.ends_with("/data/data/golden"),
        "{golden_dir}"
    );
    // Nothing of the unpacked bundle is left in the device's directory.
    let mut left: Vec<String> =
        std::fs::read_dir(&device).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, [".state", "bin", "r", "suite.tar"]);
}

#[test]
fn a_damaged_or_cut_bundle_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    assert!(make_bundle(dir.path(), "suite.tar").status.success());
    let bytes = std::fs::read(dir.path().join("suite.tar")).unwrap();
    let run = |name: &str| {
        harness_in(dir.path())
            .args(["run", "--bundle", name, "--control", "quick.json", "--results", name.trim_end_matches(".tar")])
            .output()
            .unwrap()
    };
    // One byte of the harness binary changed.
    let mut damaged = bytes.clone();
    let at = 4096 + 100_000;
    damaged[at] ^= 0xff;
    std::fs::write(dir.path().join("damaged.tar"), &damaged).unwrap();
    let out = run("damaged.tar");
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: run --bundle damaged.tar: `bin/harness` is damaged: ")
            && stderr.contains("; the manifest says "),
        "{stderr}"
    );
    // Cut after the control file: the data is missing.
    let cut_at = bytes.len() - 4096 - 1024;
    std::fs::write(dir.path().join("cut.tar"), &bytes[..cut_at - cut_at % 512]).unwrap();
    let out = run("cut.tar");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: run --bundle cut.tar: "), "{}", text(&out.stderr));
    // A tar that is not a bundle.
    let tar = Command::new("tar").args(["-cf", "other.tar", "quick.json"]).current_dir(dir.path()).status().unwrap();
    assert!(tar.success());
    let out = run("other.tar");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: run --bundle other.tar: its first file is not manifest.json: not a harness bundle\n"
    );
    for name in ["damaged", "cut", "other"] {
        assert!(!dir.path().join(name).exists(), "{name}: nothing ran");
    }
    // A bundle that names a file it cannot take refuses to be made, and leaves nothing.
    let bad =
        harness_in(dir.path()).args(["bundle", "--out", "bad.tar", "--control", "missing.json"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).starts_with("error: bundle: missing.json: No such file or directory"),
        "{}",
        text(&bad.stderr)
    );
    assert!(!dir.path().join("bad.tar").exists() && !dir.path().join("bad.tar.partial").exists());
}
