//! The machine a job ran on, recorded before its first test (autotest's
//! sysinfo, made useful for perf): the job keyval's `sysinfo-*` keys,
//! `results.json`'s `job.sysinfo`, and the raw files in `sysinfo/`.
//! `compare` shows where two runs' machines differ.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::error::{Error, Result};

/// The keys, in the order `compare` shows their differences.
pub const SYSINFO_KEYS: [&str; 12] = [
    "build",
    "cpu_model",
    "cpus",
    "governor",
    "turbo",
    "memory_kb",
    "kernel",
    "rustc",
    "harness_version",
    "crates",
    "git_commit",
    "load_average",
];

/// `/proc/cpuinfo`, read once per process: the kernel works it out for each
/// read (asking every CPU its frequency), and every job records it twice (its
/// model and the raw file).
fn cpuinfo() -> &'static str {
    static CPUINFO: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CPUINFO.get_or_init(|| fs::read_to_string("/proc/cpuinfo").unwrap_or_default())
}

fn first_line(path: &str) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_owned())
}

/// What this machine and binary are, as `sysinfo-<key>` values (a value that
/// cannot be read is left out). `crates` (name, version, manifest directory)
/// are those whose tests are registered; `git_commit` is the commit of the
/// checkout the first was built from, when it is still there (else
/// `$GITHUB_SHA`).
#[must_use]
pub fn collect<'c>(crates: impl IntoIterator<Item = (&'c str, &'c str, &'c str)>) -> BTreeMap<&'static str, String> {
    let mut info = BTreeMap::new();
    info.insert("build", if cfg!(debug_assertions) { "debug" } else { "release" }.to_owned());
    if let Some(model) = cpuinfo()
        .lines()
        .find(|l| l.starts_with("model name") || l.starts_with("Model"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
    {
        info.insert("cpu_model", model);
    }
    if let Ok(cpus) = std::thread::available_parallelism() {
        info.insert("cpus", cpus.to_string());
    }
    if let Some(governor) = first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") {
        info.insert("governor", governor);
    }
    if let Some(no_turbo) = first_line("/sys/devices/system/cpu/intel_pstate/no_turbo") {
        info.insert("turbo", if no_turbo == "1" { "off" } else { "on" }.to_owned());
    } else if let Some(boost) = first_line("/sys/devices/system/cpu/cpufreq/boost") {
        info.insert("turbo", if boost == "1" { "on" } else { "off" }.to_owned());
    }
    if let Some(kb) = fs::read_to_string("/proc/meminfo").ok().and_then(|t| {
        t.lines().find(|l| l.starts_with("MemTotal:")).and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
    }) {
        info.insert("memory_kb", kb);
    }
    if let Ok(uname) = nix::sys::utsname::uname() {
        info.insert("kernel", uname.release().to_string_lossy().into_owned());
    }
    if let Some(load) = first_line("/proc/loadavg") {
        info.insert("load_average", load.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    }
    info.insert("rustc", env!("HARNESS_RUSTC_VERSION").to_owned());
    info.insert("harness_version", env!("CARGO_PKG_VERSION").to_owned());
    let mut names: Vec<String> = Vec::new();
    let mut commit = None;
    for (name, version, manifest_dir) in crates {
        if name.is_empty() {
            continue;
        }
        let entry = format!("{name} {version}");
        if !names.contains(&entry) {
            names.push(entry);
            if commit.is_none() {
                commit = git_commit(Path::new(manifest_dir));
            }
        }
    }
    if !names.is_empty() {
        info.insert("crates", names.join(", "));
    }
    if let Some(commit) = commit.or_else(|| std::env::var("GITHUB_SHA").ok().filter(|s| !s.is_empty())) {
        info.insert("git_commit", commit);
    }
    info
}

/// The commit checked out in the git work tree holding `dir`, read from
/// `.git/HEAD` (no `git` process).
fn git_commit(dir: &Path) -> Option<String> {
    if dir.as_os_str().is_empty() {
        return None;
    }
    let git = dir.ancestors().map(|d| d.join(".git")).find(|g| g.is_dir())?;
    let head = fs::read_to_string(git.join("HEAD")).ok()?;
    let head = head.trim();
    let commit = match head.strip_prefix("ref: ") {
        Some(reference) => match fs::read_to_string(git.join(reference)) {
            Ok(text) => text.trim().to_owned(),
            Err(_) => {
                let packed = fs::read_to_string(git.join("packed-refs")).ok()?;
                packed.lines().find(|l| l.ends_with(reference))?.split_whitespace().next()?.to_owned()
            }
        },
        None => head.to_owned(),
    };
    (commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit())).then_some(commit)
}

/// Copies the raw files autotest collected into `<resultdir>/sysinfo/`:
/// `cpuinfo`, `meminfo`, `cmdline` and `uname` (as `uname -a` prints it).
///
/// # Errors
///
/// I/O errors creating the directory or writing a file.
pub(crate) fn write_dir(resultdir: &Path) -> Result<()> {
    let dir = resultdir.join("sysinfo");
    fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        fs::write(&path, bytes).map_err(|e| Error::io("write", &path, e))
    };
    if !cpuinfo().is_empty() {
        write("cpuinfo", cpuinfo().as_bytes())?;
    }
    for (name, source) in [("meminfo", "/proc/meminfo"), ("cmdline", "/proc/cmdline")] {
        if let Ok(bytes) = fs::read(source) {
            write(name, &bytes)?;
        }
    }
    if let Ok(u) = nix::sys::utsname::uname() {
        let line = format!(
            "{} {} {} {} {}\n",
            u.sysname().to_string_lossy(),
            u.nodename().to_string_lossy(),
            u.release().to_string_lossy(),
            u.version().to_string_lossy(),
            u.machine().to_string_lossy()
        );
        let path = dir.join("uname");
        fs::write(&path, line).map_err(|e| Error::io("write", &path, e))?;
    }
    Ok(())
}

/// The `sysinfo-*` keys of a job keyval, without the prefix.
#[must_use]
pub fn from_keyval(
    keyval: &BTreeMap<String, crate::results::formats::keyval::KeyvalValue>,
) -> BTreeMap<String, String> {
    keyval.iter().filter_map(|(k, v)| k.strip_prefix("sysinfo-").map(|k| (k.to_owned(), v.to_string()))).collect()
}
