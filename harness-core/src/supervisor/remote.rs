//! Running a test's body on a device over SSH, as autoserv ran a client:
//! the job's bundle is pushed once per device, each test runs there from it
//! (`run --bundle`, one control entry), and its directory and record come
//! back into the local job, which writes every file as for a local test.
//!
//! The system `ssh` client does the talking (the user's config, keys and
//! agent; `-F FILE` with `--ssh-config`), one shared connection per device
//! (`ControlMaster`). A device's health is judged as autoserv judged it: one
//! that cannot be reached is ABORT "device unreachable", one whose boot id
//! changed during a test is ABORT "device rebooted", and a connection lost
//! in a test is ABORT, never the test's FAIL; the tests after it go to the
//! other devices.

use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::engine::{Isolate, JobCore, Prepared, Ran};
use crate::event::{Event, NoticeKind};
use crate::results::formats::iteration_keyval::BlockKind;
use crate::results::formats::status_entry::StatusCode;
use crate::results::formats::status_reader::StatusLog;
use crate::results::outputs::job_results::JobResults;
use crate::results::outputs::record::{Ending, RecordData, TestRecord};
use crate::results::{EventBody, EventLine};
use crate::status::Status;

/// ssh's own exit status for a failure of its own (connection, auth).
const SSH_FAILED: i32 = 255;

/// One device: how ssh reaches it, and what is known of it.
#[derive(Debug, Clone)]
struct Device {
    /// `[user@]host[:port]` as given.
    name: String,
    destination: String,
    port: Option<String>,
    /// The boot id when last seen; `None` before the bundle is pushed.
    boot_id: Option<String>,
    /// Why it was taken out of the job, if it was.
    lost: Option<String>,
}

/// Runs tests' bodies on devices over SSH.
pub(crate) struct RemoteIsolation {
    devices: Mutex<Vec<Device>>,
    next: Mutex<usize>,
    ssh_config: Option<PathBuf>,
    bundle: PathBuf,
    /// How long to wait for a device to come back when none is ready.
    wait: Duration,
    /// The bundled harness binary's path in the bundle (`bin/<name>`).
    entry: String,
    /// The directory on each device, below its `$HOME`, as the shell writes it.
    remote_dir: String,
    /// Where ssh keeps the shared connections.
    control_dir: tempfile::TempDir,
    /// Tests run so far: each has its control file and results on the device.
    runs: AtomicU64,
}

impl RemoteIsolation {
    /// Devices `[user@]host[:port]`, the bundle to push, and its entry.
    pub(crate) fn new(
        devices: &[String],
        ssh_config: Option<PathBuf>,
        wait: Duration,
        bundle: PathBuf,
        entry: String,
    ) -> std::io::Result<Self> {
        let devices = devices
            .iter()
            .map(|name| {
                let (destination, port) = destination(name);
                Device { name: name.clone(), destination, port, boot_id: None, lost: None }
            })
            .collect();
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
        Ok(RemoteIsolation {
            devices: Mutex::new(devices),
            next: Mutex::new(0),
            ssh_config,
            bundle,
            wait,
            entry,
            remote_dir: format!("\"$HOME\"/.harness-remote/{stamp}-{}", std::process::id()),
            control_dir: tempfile::Builder::new().prefix("harness-ssh-").tempdir()?,
            runs: AtomicU64::new(0),
        })
    }

    /// `ssh` to `device` running `command` in its shell.
    fn ssh(&self, device: &Device, command: &str) -> Command {
        let mut ssh = self.ssh_options(device);
        ssh.arg(&device.destination).arg("--").arg(command);
        ssh
    }

    /// `ssh` with the options every call shares, before the destination.
    fn ssh_options(&self, device: &Device) -> Command {
        let mut ssh = Command::new("ssh");
        if let Some(config) = &self.ssh_config {
            ssh.arg("-F").arg(config);
        }
        ssh.args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=2"])
            .args(["-o", "ServerAliveCountMax=3", "-o", "ControlMaster=no"])
            .arg("-o")
            .arg(format!("ControlPath={}/%C", self.control_dir.path().display()));
        if let Some(port) = &device.port {
            ssh.args(["-p", port]);
        }
        ssh.stdin(Stdio::null());
        ssh
    }

    /// Runs `command` on `device` with `input` on its stdin: its stdout, or
    /// what went wrong (ssh's own failure is exit 255).
    fn call(&self, device: &Device, command: &str, input: Option<&Path>) -> Result<Vec<u8>, (i32, String)> {
        let mut ssh = self.ssh(device, command);
        ssh.stdout(Stdio::piped()).stderr(Stdio::piped());
        if input.is_some() {
            ssh.stdin(Stdio::piped());
        }
        let mut child = ssh.spawn().map_err(|e| (SSH_FAILED, format!("cannot start ssh: {e}")))?;
        let mut sent = Ok(0);
        if let (Some(path), Some(mut stdin)) = (input, child.stdin.take()) {
            sent = std::fs::File::open(path).and_then(|mut file| std::io::copy(&mut file, &mut stdin));
        }
        // ssh's own word on why it failed beats the pipe it closed.
        let out = child.wait_with_output().map_err(|e| (SSH_FAILED, e.to_string()))?;
        if out.status.success() {
            if let (Err(e), Some(path)) = (sent, input) {
                return Err((SSH_FAILED, format!("cannot send {}: {e}", path.display())));
            }
            return Ok(out.stdout);
        }
        Err((out.status.code().unwrap_or(SSH_FAILED), last_said(&String::from_utf8_lossy(&out.stderr))))
    }

    /// The device's boot id now.
    fn boot_id(&self, device: &Device) -> Result<String, String> {
        self.call(device, "cat \"${HARNESS_BOOT_ID_FILE:-/proc/sys/kernel/random/boot_id}\"", None)
            .map(|out| String::from_utf8_lossy(&out).trim().to_owned())
            .map_err(|(_, said)| said)
    }

    /// Opens the device's shared connection, in the background with no
    /// stream of ours (a master holding a pipe would hold its reader too);
    /// calls without it connect on their own.
    fn connect(&self, device: &Device) {
        // ssh takes an option's first value: these go before the shared ones.
        let mut master = Command::new("ssh");
        master.args(["-o", "ControlMaster=yes", "-o", "ControlPersist=60"]);
        let shared = self.ssh_options(device);
        master.args(shared.get_args());
        master
            .args(["-N", "-f"])
            .arg("-E")
            .arg(self.control_dir.path().join("ssh.log"))
            .arg(&device.destination)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = master.status();
    }

    /// Makes the device ready: reachable, its boot id known, the bundle there.
    fn ready(&self, device: &mut Device) -> Result<(), String> {
        if device.boot_id.is_none() {
            self.connect(device);
        }
        let boot = self.boot_id(device)?;
        if device.boot_id.as_deref() == Some(boot.as_str()) {
            return Ok(());
        }
        let dir = &self.remote_dir;
        let entry = shell_quoted(&self.entry);
        let push = format!("mkdir -p {dir} && cat > {dir}/suite.tar && cd {dir} && tar -xf suite.tar {entry}");
        self.call(device, &push, Some(&self.bundle)).map_err(|(_, said)| format!("cannot push the bundle: {said}"))?;
        device.boot_id = Some(boot);
        Ok(())
    }

    /// The next device that is ready, round robin, and its index. With
    /// none ready, the devices taken out are tried again every 2 s for up to
    /// `--device-wait` (a device rebooting, a link coming back); why none is.
    fn pick(&self) -> Result<usize, String> {
        // A wait too long for the clock is a wait without end.
        let deadline = Instant::now().checked_add(self.wait);
        let mut retry_lost = false;
        loop {
            match self.pick_once(retry_lost) {
                Ok(at) => return Ok(at),
                Err(why) => {
                    let left = deadline.map_or(Duration::MAX, |d| d.saturating_duration_since(Instant::now()));
                    if left.is_zero() {
                        if self.wait.is_zero() {
                            return Err(why);
                        }
                        return Err(format!("{why} (after waiting {} s for a device)", self.wait.as_secs_f64()));
                    }
                    retry_lost = true;
                    std::thread::sleep(left.min(Duration::from_secs(2)));
                }
            }
        }
    }

    fn pick_once(&self, retry_lost: bool) -> Result<usize, String> {
        let mut devices = self.devices.lock().unwrap_or_else(PoisonError::into_inner);
        let count = devices.len();
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        let mut why = Vec::new();
        for step in 0..count {
            let at = (*next + step) % count;
            if let Some(lost) = &devices[at].lost
                && !retry_lost
            {
                why.push(format!("{}: {lost}", devices[at].name));
                continue;
            }
            match self.ready(&mut devices[at]) {
                Ok(()) => {
                    devices[at].lost = None;
                    *next = (at + 1) % count;
                    return Ok(at);
                }
                Err(e) => {
                    why.push(format!("{}: {e}", devices[at].name));
                    devices[at].lost = Some(e);
                }
            }
        }
        Err(why.join("; "))
    }

    /// `remote-runner`: pushes `binary` to the first device and runs it there
    /// with `args`, its output on ours; its exit status, or 101 (a failed
    /// test binary's, so cargo and nextest report it) with the reason when
    /// the device cannot be reached or the connection is lost.
    pub(crate) fn run_binary(&self, binary: &Path, args: &[String]) -> i32 {
        let unreachable = |why: String| {
            eprintln!("error: remote-runner: {why}");
            101
        };
        let device = match self.devices.lock().unwrap_or_else(PoisonError::into_inner).first() {
            Some(device) => device.clone(),
            None => return unreachable("no device".into()),
        };
        self.connect(&device);
        let name = shell_quoted(binary.file_name().and_then(|n| n.to_str()).unwrap_or("test-binary"));
        let dir = &self.remote_dir;
        let push = format!("mkdir -p {dir} && cat > {dir}/{name} && chmod +x {dir}/{name}");
        if let Err((_, said)) = self.call(&device, &push, Some(binary)) {
            return unreachable(format!("device unreachable: {}: {said}", device.name));
        }
        let quoted: Vec<String> = args.iter().map(|a| shell_quoted(a)).collect();
        let mut run = self.ssh(&device, &format!("cd {dir} && ./{name} {}", quoted.join(" ")));
        run.stdin(Stdio::null()).stdout(Stdio::inherit()).stderr(Stdio::inherit());
        let status = run.status();
        let _ = self.call(&device, &format!("rm -rf {dir}"), None);
        match status {
            Ok(status) if status.code() == Some(SSH_FAILED) => {
                unreachable(format!("connection to {} lost (ssh exited 255)", device.name))
            }
            Ok(status) => status.code().unwrap_or(101),
            Err(e) => unreachable(format!("cannot start ssh: {e}")),
        }
    }

    /// Runs the test on the device and takes its results home; `Err` for a
    /// connection lost on the way.
    fn run_there(&self, core: &JobCore, prepared: &Prepared, device: &Device, run: u64) -> Result<Ran, String> {
        let dir = &self.remote_dir;
        let args = prepared.planned.args().to_json();
        let control = serde_json::json!({"tests": [{"test": prepared.planned.name(), "args": args}]});
        let local = tempfile::Builder::new().prefix("harness-remote-").tempdir().map_err(|e| e.to_string())?;
        let control_path = local.path().join("control.json");
        std::fs::write(&control_path, control.to_string()).map_err(|e| e.to_string())?;
        let results = format!("r{run}");
        let command = format!(
            "cat > {dir}/t{run}.json && cd {dir} && ./{} run --bundle suite.tar --control t{run}.json --results {results} -q --color never --events -",
            shell_quoted(&self.entry)
        );
        let subdir = &prepared.naming.subdir;
        let console = local.path().join("console");
        let status = self.stream(core, device, &command, &control_path, &console, subdir)?;
        let said = || last_said(&std::fs::read_to_string(&console).unwrap_or_default());
        match status {
            SSH_FAILED => return Err(said()),
            // 0 and 1 are a run's own verdicts; anything else, the device's
            // harness could not run it (a bundle it refused, a bad argument).
            0 | 1 => {}
            _ => {
                return Ok(ended(
                    Status::Error,
                    format!("the device could not run the test (exit {status}): {}", said()),
                ));
            }
        }
        // Through a file, not memory: a test's directory may be large.
        let tar = local.path().join("fetched.tar");
        let fetch = format!("cd {dir}/{results} && tar -cf - results.json status.log {}", shell_quoted(subdir));
        let mut ssh = self.ssh(device, &fetch);
        ssh.stdout(std::fs::File::create(&tar).map_err(|e| e.to_string())?).stderr(Stdio::piped());
        let out = ssh.output().map_err(|e| format!("cannot start ssh: {e}"))?;
        if !out.status.success() {
            return Err(format!("cannot fetch the results: {}", last_said(&String::from_utf8_lossy(&out.stderr))));
        }
        let fetched = local.path().join("fetched");
        unpack(&tar, &fetched)?;
        let remote = JobResults::read(fetched.join("results.json")).map_err(|e| e.to_string())?;
        let record = remote.tests.into_iter().find(|t| &t.subdir == subdir).ok_or("the device ran no such test")?;
        copy_test_dir(&fetched.join(subdir), &prepared.outputdir).map_err(|e| e.to_string())?;
        fold_lines(core, &fetched.join("status.log"), subdir);
        let kinds: Vec<(BlockKind, u64)> =
            record.keyval_blocks.iter().map(|b| (b.kind, b.iteration.unwrap_or(0))).collect();
        Ok(Ran { data: RecordData::read(&prepared.outputdir, &kinds), ending: ending_of(record) })
    }

    /// Runs `command` on the device with `input` on its stdin, its event
    /// lines (stdout) told to the local job as they come (the iterations
    /// and notices of the test `subdir`), its console (stderr) kept in
    /// `console`; its exit status.
    fn stream(
        &self,
        core: &JobCore,
        device: &Device,
        command: &str,
        input: &Path,
        console: &Path,
        subdir: &str,
    ) -> Result<i32, String> {
        let mut ssh = self.ssh(device, command);
        let console_file = std::fs::File::create(console).map_err(|e| e.to_string())?;
        ssh.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(console_file);
        let mut child = ssh.spawn().map_err(|e| format!("cannot start ssh: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            let _ = std::fs::File::open(input).and_then(|mut file| std::io::copy(&mut file, &mut stdin));
        }
        if let Some(stdout) = child.stdout.take() {
            use std::io::BufRead as _;
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                let Ok(line) = serde_json::from_str::<EventLine>(&line) else { continue };
                match line.event {
                    EventBody::IterationFinished { subdir: at, iteration, planned, test_length, elapsed, values }
                        if at == subdir =>
                    {
                        core.emit(&Event::IterationFinished {
                            subdir,
                            iteration,
                            planned,
                            test_length,
                            elapsed: elapsed.and_then(|e| Duration::try_from_secs_f64(e).ok()),
                            values: &values,
                        });
                    }
                    EventBody::Notice { kind, text, .. } if kind != NoticeKind::Waiting => {
                        core.emit(&Event::Notice { subdir, kind, text: &format!("on {}: {text}", device.name) });
                    }
                    _ => {}
                }
            }
        }
        let status = child.wait().map_err(|e| e.to_string())?;
        Ok(status.code().unwrap_or(SSH_FAILED))
    }
}

impl Isolate for RemoteIsolation {
    fn runs_here(&self) -> bool {
        false
    }

    fn run_body(&self, core: &JobCore, prepared: &Prepared) -> Ran {
        let at = match self.pick() {
            Ok(at) => at,
            Err(why) => return ended(Status::Abort, format!("device unreachable: {why}")),
        };
        let device = self.devices.lock().unwrap_or_else(PoisonError::into_inner)[at].clone();
        let run = self.runs.fetch_add(1, Ordering::Relaxed) + 1;
        let outcome = self.run_there(core, prepared, &device, run);
        // A boot id that changed is a reboot, whatever the test said.
        let verdict = match (self.boot_id(&device), outcome) {
            (Ok(boot), _) if Some(&boot) != device.boot_id.as_ref() => {
                // Pushed again before its next test: a reboot may take the bundle.
                self.devices.lock().unwrap_or_else(PoisonError::into_inner)[at].boot_id = None;
                ended(Status::Abort, format!("device rebooted during the test: {} (boot id {boot})", device.name))
            }
            (Ok(_), Ok(ran)) => ran,
            (Ok(_), Err(why)) => ended(Status::Abort, format!("connection to {} lost: {why}", device.name)),
            (Err(reached), _) => {
                self.devices.lock().unwrap_or_else(PoisonError::into_inner)[at].lost = Some(reached.clone());
                ended(Status::Abort, format!("device unreachable: {}: {reached} (lost during the test)", device.name))
            }
        };
        let _ = std::fs::write(prepared.outputdir.join("debug/device"), format!("{}\n", device.name));
        verdict
    }
}

/// What ssh is given for `[user@]host[:port]`: the destination and the
/// port. An IPv6 address is written in brackets when a port follows
/// (`root@[fe80::1]:2222`); bare, it has no port (`fe80::1`).
fn destination(name: &str) -> (String, Option<String>) {
    let (user, host) = match name.rsplit_once('@') {
        Some((user, host)) => (format!("{user}@"), host),
        None => (String::new(), name),
    };
    let is_port = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = host.strip_prefix('[')
        && let Some((address, after)) = rest.split_once(']')
    {
        let port = after.strip_prefix(':').filter(|p| is_port(p)).map(str::to_owned);
        return (format!("{user}{address}"), port);
    }
    match host.split_once(':') {
        // One colon: a name or IPv4 address and its port.
        Some((address, port)) if is_port(port) && !port.contains(':') => {
            (format!("{user}{address}"), Some(port.to_owned()))
        }
        _ => (name.to_owned(), None),
    }
}

/// The last line a program said that says something, as a message shows it.
fn last_said(text: &str) -> String {
    crate::text::shown(text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim())
}

/// `text` as one word of a POSIX shell command.
fn shell_quoted(text: &str) -> String {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b)) {
        return text.to_owned();
    }
    format!("'{}'", text.replace('\'', "'\\''"))
}

impl Drop for RemoteIsolation {
    /// Leaves no bundle or results on the devices, and closes the connections.
    fn drop(&mut self) {
        let devices = self.devices.lock().unwrap_or_else(PoisonError::into_inner).clone();
        for device in devices.iter().filter(|d| d.lost.is_none() && d.boot_id.is_some()) {
            let _ = self.call(device, &format!("rm -rf {}", self.remote_dir), None);
            let mut exit = self.ssh_options(device);
            exit.args(["-O", "exit"]).arg(&device.destination).stdout(Stdio::null()).stderr(Stdio::null());
            let _ = exit.status();
        }
    }
}

fn ended(status: Status, reason: String) -> Ran {
    Ran { ending: Ending::of(status, reason), data: RecordData::default() }
}

/// The ending a device's record says.
fn ending_of(record: TestRecord) -> Ending {
    let mut reason = record.reason;
    for line in &record.details {
        reason.push('\n');
        reason.push_str(line);
    }
    let mut ending = Ending::of(record.status, reason);
    ending.summary = (record.summary != ending.reason).then_some(record.summary);
    ending.raised_at = record.raised_at;
    ending.iterations = record.iterations;
    ending.warmup_iterations = record.warmup_iterations;
    ending.profiled_iteration = record.profiled_iteration;
    ending.subtests = record.subtests;
    ending
}

/// The lines the device's job wrote inside the test's group, written here
/// too (the test's verdict line is the local job's to write).
fn fold_lines(core: &JobCore, log: &Path, subdir: &str) {
    let Ok(log) = StatusLog::read(log) else { return };
    let inner: Vec<_> = log.entries.iter().filter(|(depth, _)| *depth >= 2).map(|(_, e)| e).collect();
    let verdict = inner.iter().rposition(|e| matches!(e.code(), StatusCode::Status(_)) && e.subdir() == Some(subdir));
    for (at, entry) in inner.iter().enumerate() {
        if Some(at) == verdict {
            continue;
        }
        let mut message = entry.message().to_owned();
        for line in entry.extra_lines() {
            message.push('\n');
            message.push_str(line);
        }
        let _ = core.record(entry.code(), entry.subdir(), entry.operation(), &message);
    }
}

/// Unpacks a tar from a device into `dir`: regular files and directories
/// with plain relative paths only.
fn unpack(tar: &Path, dir: &Path) -> Result<(), String> {
    let file = std::fs::File::open(tar).map_err(|e| e.to_string())?;
    let mut archive = tar::Archive::new(std::io::BufReader::new(file));
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path().map_err(|e| e.to_string())?.into_owned();
        if !path.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(format!("the device sent `{}`, not a plain path", path.display()));
        }
        let target = dir.join(&path);
        match entry.header().entry_type() {
            tar::EntryType::Directory => std::fs::create_dir_all(&target).map_err(|e| e.to_string())?,
            tar::EntryType::Regular => {
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
                }
                let mut out = std::fs::File::create(&target).map_err(|e| e.to_string())?;
                std::io::copy(&mut entry, &mut out).map_err(|e| e.to_string())?;
            }
            // Links and the rest are left on the device.
            _ => {}
        }
    }
    Ok(())
}

/// Copies the test's directory from the device into its local one, but the
/// `status.log` files, which the local job writes.
fn copy_test_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type()?.is_dir() {
            copy_test_dir(&source, &target)?;
        } else if entry.file_name() != "status.log" {
            std::fs::copy(&source, &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_named_as_ssh_takes_them() {
        let parsed = |name: &str| {
            let (destination, port) = destination(name);
            (destination, port.unwrap_or_default())
        };
        assert_eq!(parsed("dut1"), ("dut1".into(), String::new()));
        assert_eq!(parsed("root@10.0.0.7:2222"), ("root@10.0.0.7".into(), "2222".into()));
        assert_eq!(parsed("board.lab:22"), ("board.lab".into(), "22".into()));
        assert_eq!(parsed("root@[fe80::1]:2222"), ("root@fe80::1".into(), "2222".into()));
        assert_eq!(parsed("[::1]"), ("::1".into(), String::new()));
        assert_eq!(parsed("fe80::1"), ("fe80::1".into(), String::new()));
        assert_eq!(parsed("host:ssh"), ("host:ssh".into(), String::new()));
    }

    #[test]
    fn words_reach_the_device_shell_as_one_word_each() {
        assert_eq!(shell_quoted("nx_good"), "nx_good");
        assert_eq!(shell_quoted("--format=terse"), "--format=terse");
        assert_eq!(shell_quoted(""), "''");
        assert_eq!(shell_quoted("a b"), "'a b'");
        assert_eq!(shell_quoted("it's $HOME; rm -rf /"), "'it'\\''s $HOME; rm -rf /'");
        // What sh makes of them: the words back, unchanged.
        let words = ["plain", "a b", "it's", "$HOME", "`x`", "*"];
        let line: Vec<String> = words.iter().map(|w| shell_quoted(w)).collect();
        let out = Command::new("sh").arg("-c").arg(format!("printf '%s\\n' {}", line.join(" "))).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().collect::<Vec<_>>(), words);
    }
}
