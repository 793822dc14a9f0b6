//! Shared helpers of the end-to-end tests: a test double that records every call
//! the engine makes, written against the core trait by hand (no macro), and a
//! recording profiler.

mod fixture;
pub mod readers;
pub mod runs;
pub mod tko;

pub use fixture::Fixture;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use harness_core::definition::{Autotest, Phase, PhaseTable, TestInfo, Version};
use harness_core::profiler::Profiler;
use harness_core::{Args, Job, JobBuilder, TestContext, TestResult};

/// An ordered, shared list of events.
#[derive(Debug, Clone, Default)]
pub struct Events(Arc<Mutex<Vec<String>>>);

impl Events {
    /// A new, empty list.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an event.
    pub fn push(&self, event: impl Into<String>) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(event.into());
    }

    /// The events so far.
    #[must_use]
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The events so far, without clearing them.
    #[must_use]
    pub fn snapshot(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// A test with `cargo_test` in a library: it runs as `autotest_lib_unit_test` in
/// this library's unit tests, and `test_main` (the `autotests` target, which
/// links this library) leaves it out rather than run it twice.
#[harness_core::autotest(name = "lib_unit_test", version = 1, cargo_test)]
#[derive(Debug, Default)]
pub struct LibUnitTest;

#[harness_core::autotest]
impl LibUnitTest {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        ctx.write_perf_keyval([("ran", 1)])?;
        Ok(())
    }
}

type Behaviour = Box<dyn FnMut(&mut TestContext, u32) -> TestResult>;

/// Every phase, each accepting every argument (as the original's `**dargs`).
static ALL_PHASES: [PhaseTable; 9] = [
    PhaseTable::new(Phase::Initialize, &[]).accepting_all(),
    PhaseTable::new(Phase::Setup, &[]).accepting_all(),
    PhaseTable::new(Phase::Warmup, &[]).accepting_all(),
    PhaseTable::new(Phase::BeforeRunOnce, &[]).accepting_all(),
    PhaseTable::new(Phase::RunOnce, &[]).accepting_all(),
    PhaseTable::new(Phase::AfterRunOnce, &[]).accepting_all(),
    PhaseTable::new(Phase::PostprocessIteration, &[]).accepting_all(),
    PhaseTable::new(Phase::Postprocess, &[]).accepting_all(),
    PhaseTable::new(Phase::Cleanup, &[]).accepting_all(),
];

/// A test that records every phase call (`run_once 2`, `setup`, ...) and runs a
/// scripted behaviour for the phases it is given.
pub struct Recorder {
    info: &'static TestInfo,
    events: Events,
    behaviours: HashMap<Phase, Behaviour>,
    calls: HashMap<Phase, u32>,
    arg_names: bool,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("name", &self.info.name()).finish_non_exhaustive()
    }
}

/// Builds the static description of a recorder.
#[derive(Debug, Clone, Copy)]
pub struct RecorderInfo {
    /// Name.
    pub name: &'static str,
    /// Version.
    pub version: Version,
    /// `preserve_srcdir`.
    pub preserve_srcdir: bool,
    /// `postprocess_profiled_run`.
    pub postprocess_profiled_run: bool,
}

impl RecorderInfo {
    /// A recorder named `name`, version 1, no flags.
    #[must_use]
    pub fn new(name: &'static str) -> Self {
        RecorderInfo { name, version: Version::Int(1), preserve_srcdir: false, postprocess_profiled_run: false }
    }

    fn leak(self) -> &'static TestInfo {
        Box::leak(Box::new(
            TestInfo::new(self.name, self.version)
                .with_preserve_srcdir(self.preserve_srcdir)
                .with_postprocess_profiled_run(self.postprocess_profiled_run)
                .with_phases(&ALL_PHASES),
        ))
    }
}

impl Recorder {
    /// A recorder named `name` (version 1) writing into `events`.
    #[must_use]
    pub fn new(name: &'static str, events: &Events) -> Self {
        Self::with_info(RecorderInfo::new(name), events)
    }

    /// A recorder with the given static description.
    #[must_use]
    pub fn with_info(info: RecorderInfo, events: &Events) -> Self {
        Recorder {
            info: info.leak(),
            events: events.clone(),
            behaviours: HashMap::new(),
            calls: HashMap::new(),
            arg_names: false,
        }
    }

    /// Also records the names of the arguments `warmup` and `run_once` receive
    /// (as autotest's `**dargs`): `warmup [iterations]`, `run_once 1 [size]`.
    #[must_use]
    pub fn recording_arg_names(mut self) -> Self {
        self.arg_names = true;
        self
    }

    /// Runs `behaviour` when `phase` is called; it gets the 1-based call count.
    #[must_use]
    pub fn on(mut self, phase: Phase, behaviour: impl FnMut(&mut TestContext, u32) -> TestResult + 'static) -> Self {
        self.behaviours.insert(phase, Box::new(behaviour));
        self
    }
}

/// The event a phase call records: `run_once 2` for phases that report the
/// iteration, the bare name for the others.
#[must_use]
pub fn phase_event(phase: Phase, iteration: u64) -> String {
    match phase {
        Phase::BeforeRunOnce
        | Phase::RunOnce
        | Phase::AfterRunOnce
        | Phase::PostprocessIteration
        | Phase::Postprocess => {
            format!("{} {iteration}", phase.name())
        }
        _ => phase.name().to_owned(),
    }
}

impl Autotest for Recorder {
    fn info(&self) -> &'static TestInfo {
        self.info
    }

    fn run_phase(&mut self, phase: Phase, ctx: &mut TestContext, args: &Args) -> TestResult {
        let mut event = phase_event(phase, ctx.iteration());
        if self.arg_names && matches!(phase, Phase::Warmup | Phase::RunOnce) {
            let mut names: Vec<&str> = args.iter().map(|(name, _)| name).collect();
            names.sort_unstable();
            event = format!("{event} [{}]", names.join(", "));
        }
        self.events.push(event);
        let calls = self.calls.entry(phase).or_insert(0);
        *calls += 1;
        let calls = *calls;
        match self.behaviours.get_mut(&phase) {
            Some(behaviour) => behaviour(ctx, calls),
            None => Ok(()),
        }
    }
}

/// A profiler that records its calls: `profiler.start 3`.
#[derive(Debug, Clone)]
pub struct RecordingProfiler {
    /// Its name.
    pub name: String,
    /// Where it records.
    pub events: Events,
}

impl Profiler for RecordingProfiler {
    fn name(&self) -> &str {
        &self.name
    }

    fn before_start(&mut self, ctx: &TestContext) -> harness_core::Result<()> {
        self.events.push(format!("profilers.before_start {}", ctx.iteration()));
        Ok(())
    }

    fn start(&mut self, ctx: &TestContext) -> harness_core::Result<()> {
        self.events.push(format!("profilers.start {}", ctx.iteration()));
        std::fs::write(ctx.profdir().join(&self.name), "profile")
            .map_err(|e| harness_core::Error::Profiler { name: self.name.clone(), reason: e.to_string() })
    }

    fn stop(&mut self, ctx: &TestContext) -> harness_core::Result<()> {
        self.events.push(format!("profilers.stop {}", ctx.iteration()));
        Ok(())
    }

    fn report(&mut self, ctx: &TestContext) -> harness_core::Result<()> {
        self.events.push(format!("profilers.report {}", ctx.iteration()));
        Ok(())
    }
}

/// A job in `root/results` with its state under `root`, caches dropped into `events`.
pub fn job_builder(root: &Path, events: &Events) -> JobBuilder {
    let drops = events.clone();
    Job::builder(root.join("results")).tmpdir(root.join("tmp")).testdir(root.join("tests")).cache_dropper(move || {
        drops.push("drop_caches");
        Ok(())
    })
}

/// The lines of a file.
///
/// # Panics
///
/// When the file cannot be read.
#[must_use]
pub fn lines(path: impl AsRef<Path>) -> Vec<String> {
    let path = path.as_ref();
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A status log's lines with the volatile `timestamp` and `localtime` fields removed.
#[must_use]
pub fn status_lines(path: impl AsRef<Path>) -> Vec<String> {
    lines(path)
        .into_iter()
        .map(|line| {
            line.split('\t')
                .filter(|part| !part.starts_with("timestamp=") && !part.starts_with("localtime="))
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect()
}

/// Every file under `dir`, relative, sorted.
#[must_use]
pub fn tree(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path: PathBuf = entry.path();
            let relative = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
            if path.is_dir() {
                out.push(format!("{relative}/"));
                walk(root, &path, out);
            } else {
                out.push(relative);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The harness binary of `harness-examples`, built once per test binary.
///
/// # Panics
///
/// When the build fails.
#[must_use]
pub fn example_harness() -> &'static Path {
    static BINARY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BINARY.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = std::process::Command::new(cargo)
            .args(["build", "-q", "-p", "harness-examples", "--bin", "harness"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the harness binary failed");
        let exe = std::env::current_exe().expect("the test binary's path");
        exe.parent().and_then(Path::parent).expect("target/<profile>/deps").join("harness")
    })
}

/// The results tools' binary (`cargo-harness`), built once per test binary.
///
/// # Panics
///
/// When the build fails.
#[must_use]
pub fn results_tools() -> &'static Path {
    static BINARY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BINARY.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = std::process::Command::new(cargo)
            .args(["build", "-q", "-p", "cargo-harness", "--bin", "cargo-harness"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building cargo-harness failed");
        let exe = std::env::current_exe().expect("the test binary's path");
        exe.parent().and_then(Path::parent).expect("target/<profile>/deps").join("cargo-harness")
    })
}

/// A command running the results tools (`cargo-harness`) in `dir`, with no
/// inherited colour setting.
#[must_use]
pub fn tools_in(dir: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(results_tools());
    command.current_dir(dir).env_remove("NO_COLOR").env_remove("HARNESS_HISTORY");
    command
}

/// Runs `command` with stdin, stdout and stderr on a new pseudo-terminal, as a
/// person at a terminal would, and returns its exit status and everything it
/// wrote there (stdout and stderr together, as a terminal shows them).
///
/// # Panics
///
/// When no pseudo-terminal can be opened or the command does not start.
pub fn run_in_pty(command: &mut std::process::Command) -> (std::process::ExitStatus, String) {
    use std::io::Read as _;
    let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
    let slave = std::fs::File::from(pty.slave);
    let stdio = || std::process::Stdio::from(slave.try_clone().expect("the terminal's fd"));
    let mut child = command.stdin(stdio()).stdout(stdio()).stderr(stdio()).spawn().expect("the command starts");
    // The command keeps its copies of the terminal until told otherwise; the reader
    // sees the end only once no copy is left open here.
    command.stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    drop(slave);
    let mut master = std::fs::File::from(pty.master);
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buffer = [0u8; 4096];
        // The read fails with EIO once every copy of the terminal's other end is closed.
        while let Ok(n) = master.read(&mut buffer) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buffer[..n]);
        }
        out
    });
    let status = child.wait().expect("the command ends");
    let out = reader.join().expect("the reader thread");
    (status, String::from_utf8_lossy(&out).into_owned())
}

/// A command running the example harness in `dir`, with its state in
/// `<dir>/.state` (not the user's cache) and no inherited colour or log settings.
#[must_use]
pub fn harness_in(dir: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(example_harness());
    command
        .current_dir(dir)
        .env_remove("HARNESS_LOG")
        .env_remove("NO_COLOR")
        // What makes a harness process a test's child is never inherited here.
        .env_remove("HARNESS_CHILD_DIR")
        .env_remove("HARNESS_HISTORY")
        .env("HARNESS_STATE_DIR", dir.join(".state"));
    // A CI machine's scheduler would shard every run of the suite.
    for var in SHARD_VARS {
        command.env_remove(var);
    }
    command
}

/// The variables a harness process takes its shard from.
pub const SHARD_VARS: [&str; 12] = [
    "HARNESS_SHARD",
    "HARNESS_SHARD_FILE",
    "HARNESS_SHARDS",
    "TEST_SHARD_INDEX",
    "TEST_TOTAL_SHARDS",
    "TEST_SHARD_STATUS_FILE",
    "GTEST_SHARD_INDEX",
    "GTEST_TOTAL_SHARDS",
    "CI_NODE_INDEX",
    "CI_NODE_TOTAL",
    "JOB_COMPLETION_INDEX",
    "NEXTEST",
];

/// A test target of this package (`autotests`), built beside the test
/// binary running: the newest `<target>-<hash>` in its directory.
#[must_use]
pub fn test_target(target: &str) -> PathBuf {
    let deps = std::env::current_exe().expect("the running test").parent().expect("its directory").to_owned();
    let mut candidates: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&deps)
        .expect("the test binaries' directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with(&format!("{target}-")) && p.extension().is_none()
        })
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .collect();
    candidates.sort();
    candidates.pop().map(|(_, p)| p).unwrap_or_else(|| panic!("the {target} test target is built with this one"))
}

/// A small deterministic generator (xorshift64*), so a failing round of a
/// fault suite can be rerun.
#[derive(Debug)]
pub struct Random(pub u64);

impl Random {
    /// The next number below `bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound
    }
}

/// The processes descended from `pid` now: its children, theirs, ...
#[must_use]
pub fn descendants(pid: u32) -> Vec<u32> {
    let mut found = children_of(pid);
    let mut at = 0;
    while let Some(parent) = found.get(at).copied() {
        found.extend(children_of(parent));
        at += 1;
    }
    found
}

/// Waits up to `seconds` for `condition`, checking every 20 ms; whether it held.
pub fn wait_for(seconds: f64, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(seconds);
    while std::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    condition()
}

/// The pids whose parent is `pid`.
#[must_use]
pub fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| proc_field(*p, 1).is_some_and(|ppid| ppid == pid.to_string()))
        .collect()
}

/// Field `index` (0: state, 1: ppid, 2: pgrp, ...) after the command of `/proc/<pid>/stat`.
#[must_use]
pub fn proc_field(pid: u32, index: usize) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(index).map(str::to_owned)
}

/// Whether `pid` is a live process (not gone, not a zombie).
#[must_use]
pub fn alive(pid: u32) -> bool {
    proc_field(pid, 0).is_some_and(|state| state != "Z")
}

/// What the Jenkins xunit plugin's junit-10.xsd (vendored in
/// `tests/fixtures/junit`) says of `xml`: no entries when it is valid.
#[must_use]
pub fn junit_schema_errors(xml: &str) -> Vec<String> {
    use xsd_schema::validation::{CollectingValidationSink, SchemaValidator, ValidationFlags, drive_quick_xml};
    let xsd =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/junit/junit-10.xsd"))
            .unwrap();
    let mut schemas = xsd_schema::SchemaSet::new();
    xsd_schema::load_and_process_schema(xsd.as_bytes(), "junit-10.xsd", &mut schemas, None).unwrap();
    let validator = SchemaValidator::new(&schemas, ValidationFlags::default());
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    let mut runtime = validator.start_run(CollectingValidationSink { errors: &mut errors, warnings: &mut warnings });
    let driven = drive_quick_xml(xml.as_bytes(), &mut runtime, &schemas);
    drop(runtime);
    let mut errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
    if let Err(e) = driven {
        errors.push(format!("not XML: {e}"));
    }
    errors
}

/// An OpenSSH server on 127.0.0.1 for the remote tests: a temporary host
/// key, an authorised key, this process's user, and a boot id file the
/// tests change to stand for a reboot. Stopped when dropped.
#[derive(Debug)]
pub struct Sshd {
    program: &'static str,
    dir: tempfile::TempDir,
    child: Mutex<Option<std::process::Child>>,
    port: u16,
}

impl Sshd {
    /// Starts one, or says why it cannot (no `sshd`, no `ssh-keygen`, it
    /// would not listen): the caller skips with a printed note.
    ///
    /// # Errors
    ///
    /// Why no server runs.
    pub fn start() -> Result<Sshd, String> {
        let sshd = ["/usr/sbin/sshd", "/usr/bin/sshd"]
            .iter()
            .find(|p| Path::new(p).is_file())
            .ok_or("no sshd (Debian's openssh-server)")?;
        // sshd started by root wants its privilege separation directory.
        if nix::unistd::geteuid().is_root() && !Path::new("/run/sshd").is_dir() {
            std::fs::create_dir_all("/run/sshd").map_err(|e| format!("/run/sshd: {e}"))?;
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path();
        for (key, comment) in [("host_key", "host"), ("client_key", "client")] {
            let made = std::process::Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
                .arg(path.join(key))
                .status()
                .map_err(|e| format!("ssh-keygen: {e}"))?;
            if !made.success() {
                return Err("ssh-keygen failed".into());
            }
        }
        let public = std::fs::read_to_string(path.join("client_key.pub")).map_err(|e| e.to_string())?;
        let boot = path.join("boot_id");
        std::fs::write(&boot, "boot-1\n").map_err(|e| e.to_string())?;
        let home = path.join("home");
        std::fs::create_dir(&home).map_err(|e| e.to_string())?;
        let authorized = format!(
            "environment=\"HARNESS_BOOT_ID_FILE={}\",environment=\"HOME={}\",environment=\"HARNESS_PARALLEL=1\" {public}",
            boot.display(),
            home.display()
        );
        std::fs::write(path.join("authorized_keys"), authorized).map_err(|e| e.to_string())?;
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\nPidFile {}\n\
             PermitUserEnvironment yes\nStrictModes no\nUsePAM no\nPermitRootLogin yes\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nMaxSessions 50\nMaxStartups 50\n",
            path.join("host_key").display(),
            path.join("authorized_keys").display(),
            path.join("sshd.pid").display()
        );
        std::fs::write(path.join("sshd_config"), config).map_err(|e| e.to_string())?;
        let server = Sshd { program: sshd, dir, child: Mutex::new(None), port };
        server.restart()?;
        let user = std::env::var("USER").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| "root".into());
        let client = format!(
            "Host dut dut2\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  IdentityFile {key}\n  IdentitiesOnly yes\n  \
             StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n\
             Host gone\n  HostName 127.0.0.1\n  Port {gone}\n  User {user}\n  IdentityFile {key}\n  \
             StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n  ConnectTimeout 3\n",
            key = server.dir.path().join("client_key").display(),
            gone = free_port(),
        );
        std::fs::write(server.ssh_config(), client).map_err(|e| e.to_string())?;
        // Up when a login works.
        let up = wait_for(10.0, || {
            std::process::Command::new("ssh")
                .arg("-F")
                .arg(server.ssh_config())
                .args(["-o", "BatchMode=yes", "dut", "true"])
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
        if !up {
            let log = std::fs::read_to_string(server.dir.path().join("sshd.log")).unwrap_or_default();
            server.stop();
            return Err(format!("sshd did not let us in: {log}"));
        }
        Ok(server)
    }

    /// The client config: `dut` and `dut2` are this server, `gone` a port
    /// where nothing listens.
    #[must_use]
    pub fn ssh_config(&self) -> PathBuf {
        self.dir.path().join("ssh_config")
    }

    /// The devices' login directory (`HOME` of the sessions).
    #[must_use]
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The port it listens on.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Says the device rebooted: a new boot id.
    pub fn reboot(&self, boot: &str) {
        std::fs::write(self.dir.path().join("boot_id"), format!("{boot}\n")).expect("the boot id file");
    }

    /// Kills every session (the server's children), as a cable pulled would.
    pub fn cut_connections(&self) {
        if let Some(child) = self.child.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
            for pid in descendants(child.id()) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap_or(0)),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }

    /// Starts the server (again, after [`Sshd::stop`]) on its port.
    ///
    /// # Errors
    ///
    /// Why it could not start.
    pub fn restart(&self) -> Result<(), String> {
        let path = self.dir.path();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path.join("sshd.log"))
            .map_err(|e| e.to_string())?;
        let child = std::process::Command::new(self.program)
            .args(["-D", "-e", "-f"])
            .arg(path.join("sshd_config"))
            .stderr(log)
            .spawn()
            .map_err(|e| format!("sshd: {e}"))?;
        *self.child.lock().unwrap_or_else(PoisonError::into_inner) = Some(child);
        Ok(())
    }

    /// Stops the server: the device becomes unreachable.
    pub fn stop(&self) {
        self.cut_connections();
        if let Some(mut child) = self.child.lock().unwrap_or_else(PoisonError::into_inner).take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A TCP port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(9)
}
