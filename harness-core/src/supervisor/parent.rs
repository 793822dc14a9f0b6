//! The parent's side: one test's body in a child process of this binary,
//! watched until it ends, so that its verdict can be trusted whatever the child
//! does.
//!
//! - The child gets a fresh private directory (its spec, its result) in its
//!   job's locked directory of children,
//!   stdin that is a channel to this process (it reopens its own stdin on
//!   `/dev/null`), and stdout and stderr captured into its test's `debug/`.
//! - Threads wait for the child (a blocking `wait`), read its two streams and
//!   its channel, and hand everything to one loop over a channel: no polling.
//! - Where the machine allows it, the child runs in a cgroup of its own
//!   (`cgroup.rs`), which holds everything it starts; else its process group
//!   and its output pipes are how what it leaves behind is found. The debug log
//!   says which.
//! - A timeout or an interrupt is told to the child over the channel, so its
//!   cleanup runs; after the grace period the child, its process group and its
//!   cgroup are killed. A second interrupt kills them at once.
//! - Every message read from the child is bounded ([`MAX_MESSAGE`] per line on
//!   the channel, [`super::spec::MAX_RESULT`] for the result): a child that
//!   sends more is killed and ends ERROR.
//! - Ctrl-Z stops the child's process group before this process stops, and
//!   `fg` resumes it; the clocks of timeout and grace stand still meanwhile.
//! - Processes the test leaves behind (in its cgroup or process group, or
//!   holding its stdout or stderr) are found, killed and reported; a capture of
//!   stdout or stderr cut short (a full disk) is said in the test's status.
//! - The result is believed only if it carries the nonce this child was given
//!   and the child then exited cleanly.

use std::fs::{self, File};
use std::io::{self, BufRead as _, BufReader, Read as _, Write as _};
use std::os::unix::net::UnixStream;
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

use super::cgroup::Containment;
use super::leaks::{kill_left_behind, pipe_inode};
use super::spec::{
    CHILD_DIR_ENV, ChildDir, ChildMessage, ChildResult, ChildRoot, ChildSpec, ParentMessage, nonce, read_result,
    write_new,
};
use crate::args::Args;
use crate::engine::{Isolate, Isolated, JobCore, Prepared, Verdict};
use crate::event::Event;
use crate::signal::{JobControl, on_job_control};
use crate::status::Status;

/// How long after the child exits its stdout and stderr may stay open before
/// whoever holds them counts as left behind.
const LEAK_TIMEOUT: Duration = Duration::from_millis(100);

/// How much of the child's stderr a verdict may quote.
const STDERR_TAIL: usize = 2048;

/// The longest line the parent reads from its channel to the child; a child
/// that sends a longer one is killed.
pub(crate) const MAX_MESSAGE: usize = 1 << 20;

enum Msg {
    Child(ChildMessage),
    /// The child sent a line longer than [`MAX_MESSAGE`].
    Overflow,
    Exited(io::Result<ExitStatus>),
    StreamClosed,
    Cancelled(u32),
    Resumed,
}

/// Time that stands still while the job is stopped (Ctrl-Z).
#[derive(Debug, Default)]
struct PauseClock {
    paused_at: Option<Instant>,
    total: Duration,
}

impl PauseClock {
    /// Time since `start`, less the time spent stopped.
    fn running(&self, start: Instant) -> Duration {
        let end = self.paused_at.unwrap_or_else(Instant::now);
        end.saturating_duration_since(start).saturating_sub(self.total)
    }
}

/// `seconds` as a duration; `None` (no limit) for any number too large to count.
fn seconds(seconds: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(seconds).ok()
}

/// Runs registered tests' bodies in supervised child processes of this binary:
/// a crash is the test's ERROR, a timeout ends it after `grace`, whatever the
/// test does. The job's children share one locked directory, made for the
/// first.
pub(crate) struct ProcessIsolation {
    grace: Duration,
    /// The arguments that make the binary run a child (for a libtest binary,
    /// the one `#[test]` to run).
    child_args: Vec<String>,
    children: Mutex<Option<Arc<ChildRoot>>>,
}

impl ProcessIsolation {
    pub(crate) fn new(grace: Duration, child_args: Vec<String>) -> Self {
        ProcessIsolation { grace, child_args, children: Mutex::new(None) }
    }

    /// The job's directory of child directories, made on first use.
    fn child_root(&self, core: &JobCore) -> crate::error::Result<Arc<ChildRoot>> {
        let mut root = self.children.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(root) = root.as_ref() {
            return Ok(Arc::clone(root));
        }
        let made = Arc::new(ChildRoot::create(&core.settings.tmpdir.join("children"))?);
        *root = Some(Arc::clone(&made));
        Ok(made)
    }
}

impl Isolate for ProcessIsolation {
    /// Runs the body of the prepared test in a child process and returns what
    /// it ended with. Never fails: whatever goes wrong is the test's verdict.
    fn run_body(&self, core: &JobCore, prepared: &Prepared, args: &Args) -> Isolated {
        let result = self.run_child(core, prepared, args);
        core.logger.fold_in(&result.lines);
        Isolated { verdict: result.verdict, records: result.records, kinds: result.kinds }
    }
}

impl ProcessIsolation {
    fn run_child(&self, core: &JobCore, prepared: &Prepared, args: &Args) -> ChildResult {
        let containment = Containment::new();
        let spec = ChildSpec {
            nonce: nonce(),
            holding: containment.holding(),
            parent: i32::try_from(std::process::id()).unwrap_or(0),
            test: prepared.info.name().to_owned(),
            args: args.clone(),
            naming: prepared.naming.clone(),
            outputdir: prepared.outputdir.clone(),
            settings: core.settings.clone(),
            indent: core.indent(),
        };
        let failed = |reason: String| ChildResult::failed(&spec.nonce, Verdict::of(Status::Error, reason));
        let dir = match self.child_root(core).and_then(|root| root.child()) {
            Ok(dir) => dir,
            Err(e) => return failed(format!("cannot start the test subprocess: {e}")),
        };
        let written = serde_json::to_vec(&spec).map_err(|e| e.to_string()).and_then(|bytes| {
            write_new(&dir.spec(), &bytes).map_err(|e| format!("cannot write `{}`: {e}", dir.spec().display()))
        });
        if let Err(e) = written {
            return failed(format!("cannot start the test subprocess: {e}"));
        }
        let supervisor = Supervisor { job: core, containment: &containment, prepared, grace: self.grace, dir: &dir };
        match supervisor.run(&spec, &self.child_args) {
            Ok(result) => result,
            Err(e) => failed(format!("cannot start the test subprocess: {e}")),
        }
    }
}

struct Supervisor<'a> {
    job: &'a JobCore,
    containment: &'a Containment,
    prepared: &'a Prepared,
    grace: Duration,
    dir: &'a ChildDir,
}

/// What the loop saw happen.
#[derive(Default)]
struct Seen {
    exit: Option<io::Result<ExitStatus>>,
    timed_out: bool,
    interrupted: bool,
    killed: Option<String>,
    /// The child overflowed its channel and was killed.
    overflowed: bool,
    leaked: Vec<String>,
}

/// Kills the child `pid`, its process group and its cgroup: a test that left
/// its group is still ended.
fn kill_test(pid: Pid, containment: &Containment) {
    if let Containment::Cgroup(cgroup) = containment {
        cgroup.kill_all();
    }
    let _ = kill(pid, Signal::SIGKILL);
    let _ = killpg(pid, Signal::SIGKILL);
}

impl Supervisor<'_> {
    fn notice(&self, text: &str) {
        self.job.emit(&Event::Notice { subdir: &self.prepared.naming.subdir, text });
    }

    fn run(&self, spec: &ChildSpec, child_args: &[String]) -> io::Result<ChildResult> {
        let (channel, theirs) = UnixStream::pair()?;
        let exe = std::env::current_exe()?;
        let mut command = Command::new(exe);
        command
            .args(child_args)
            .env(CHILD_DIR_ENV, self.dir.path())
            .stdin(Stdio::from(std::os::fd::OwnedFd::from(theirs)))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = command.spawn()?;
        drop(command);
        let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(0));
        let (tx, rx) = mpsc::channel::<Msg>();
        let pipes = [child.stdout.as_ref().map(pipe_inode), child.stderr.as_ref().map(pipe_inode)];
        let stderr_tail = Arc::new(Mutex::new(Vec::new()));
        let debug = self.prepared.outputdir.join("debug");
        let tagged = &self.prepared.naming.tagged;
        let cut_short = Arc::new(Mutex::new(Vec::new()));
        if let Some(stdout) = child.stdout.take() {
            let to =
                Capture { path: debug.join(format!("{tagged}.stdout")), tail: None, cut_short: Arc::clone(&cut_short) };
            capture(stdout, to, tx.clone());
        }
        if let Some(stderr) = child.stderr.take() {
            let tail = Some(Arc::clone(&stderr_tail));
            let to = Capture { path: debug.join(format!("{tagged}.stderr")), tail, cut_short: Arc::clone(&cut_short) };
            capture(stderr, to, tx.clone());
        }
        {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let _ = tx.send(Msg::Exited(child.wait()));
            });
        }
        let control = channel.try_clone()?;
        {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(channel);
                let mut line = Vec::new();
                loop {
                    line.clear();
                    let limit = u64::try_from(MAX_MESSAGE).unwrap_or(u64::MAX) + 1;
                    match (&mut reader).take(limit).read_until(b'\n', &mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if line.len() > MAX_MESSAGE => {
                            let _ = tx.send(Msg::Overflow);
                            break;
                        }
                        Ok(_) => {
                            if let Ok(message) = serde_json::from_slice::<ChildMessage>(&line) {
                                let _ = tx.send(Msg::Child(message));
                            }
                        }
                    }
                }
            });
        }
        let clock = Arc::new(Mutex::new(PauseClock::default()));
        let _job_control = {
            let (clock, tx) = (Arc::clone(&clock), Mutex::new(tx.clone()));
            // Runs on the signal thread before this process stops: the child's
            // group is stopped first, so nothing runs while the job is stopped.
            on_job_control(move |what| {
                let mut clock = clock.lock().unwrap_or_else(PoisonError::into_inner);
                match what {
                    JobControl::Stop => {
                        let _ = killpg(pid, Signal::SIGSTOP);
                        clock.paused_at.get_or_insert_with(Instant::now);
                    }
                    JobControl::Continue => {
                        let _ = killpg(pid, Signal::SIGCONT);
                        if let Some(at) = clock.paused_at.take() {
                            clock.total += at.elapsed();
                        }
                        let _ = tx.lock().unwrap_or_else(PoisonError::into_inner).send(Msg::Resumed);
                    }
                }
            })
        };
        let token = self.job.cancel.clone();
        let _cancel = {
            let tx = Mutex::new(tx.clone());
            token.listen(move |level| {
                let _ = tx.lock().unwrap_or_else(PoisonError::into_inner).send(Msg::Cancelled(level));
            })
        };
        if token.is_cancelled() {
            let _ = tx.send(Msg::Cancelled(token.level()));
        }
        drop(tx);
        let seen = self.watch(&rx, pid, &control, &clock, pipes, self.containment);
        let tail = String::from_utf8_lossy(&stderr_tail.lock().unwrap_or_else(PoisonError::into_inner)).into_owned();
        let cut_short = std::mem::take(&mut *cut_short.lock().unwrap_or_else(PoisonError::into_inner));
        Ok(self.verdict(spec, seen, &tail, &cut_short))
    }

    /// The loop: until the child has exited and its streams are closed.
    fn watch(
        &self,
        rx: &mpsc::Receiver<Msg>,
        pid: Pid,
        control: &UnixStream,
        clock: &Mutex<PauseClock>,
        pipes: [Option<Option<u64>>; 2],
        containment: &Containment,
    ) -> Seen {
        let start = Instant::now();
        let running = || clock.lock().unwrap_or_else(PoisonError::into_inner).running(start);
        let timeout = self.prepared.timeout().and_then(seconds);
        let mut grace_until: Option<Duration> = None;
        let mut leak_at: Option<Instant> = None;
        let mut streams_open = 2;
        let mut seen = Seen::default();
        let tell = |message: &ParentMessage| {
            if let Ok(mut line) = serde_json::to_string(message) {
                line.push('\n');
                let _ = (&*control).write_all(line.as_bytes());
            }
        };
        let grace_text = format!("{} s", self.grace.as_secs_f64());
        loop {
            if seen.exit.is_some() && streams_open == 0 {
                break;
            }
            let now = running();
            let mut wait: Option<Duration> = None;
            let mut shorten = |at: Option<Duration>| {
                if let Some(at) = at {
                    let left = at.saturating_sub(now);
                    wait = Some(wait.map_or(left, |w| w.min(left)));
                }
            };
            if seen.exit.is_none() {
                shorten(if seen.timed_out { None } else { timeout });
                shorten(if seen.killed.is_some() { None } else { grace_until });
            }
            if let Some(at) = leak_at {
                let left = at.saturating_duration_since(Instant::now());
                wait = Some(wait.map_or(left, |w| w.min(left)));
            }
            let message = match wait {
                Some(wait) => rx.recv_timeout(wait),
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match message {
                Ok(Msg::Child(ChildMessage::Iteration { subdir, iteration, planned, test_length, elapsed_ms })) => {
                    self.job.emit(&Event::IterationFinished {
                        subdir: &subdir,
                        iteration,
                        planned,
                        test_length,
                        elapsed: Duration::from_millis(elapsed_ms),
                    });
                }
                Ok(Msg::Child(ChildMessage::Notice { subdir, text })) => {
                    self.job.emit(&Event::Notice { subdir: &subdir, text: &text });
                }
                Ok(Msg::Overflow) => {
                    if seen.exit.is_none() {
                        kill_test(pid, containment);
                    }
                    seen.overflowed = true;
                }
                Ok(Msg::Exited(status)) => {
                    seen.exit = Some(status);
                    if streams_open > 0 {
                        leak_at = Some(Instant::now() + LEAK_TIMEOUT);
                    }
                }
                Ok(Msg::StreamClosed) => streams_open -= 1,
                Ok(Msg::Cancelled(level)) if seen.exit.is_none() => {
                    if level >= 2 {
                        kill_test(pid, containment);
                        seen.killed = Some("killed at once: the job was interrupted again".to_owned());
                        self.notice("interrupted again: killing the test's processes now");
                    } else if !seen.interrupted {
                        seen.interrupted = true;
                        let reason = self.job.cancel.reason().map_or_else(|| "Interrupted".to_owned(), |(_, r)| r);
                        tell(&ParentMessage::Interrupt(reason));
                        grace_until = running().checked_add(self.grace);
                        self.notice(&format!(
                            "interrupted: waiting up to {grace_text} for the test to clean up (interrupt again to kill it now)"
                        ));
                    }
                }
                Ok(Msg::Cancelled(_) | Msg::Resumed) => {}
                Err(RecvTimeoutError::Timeout) => {
                    if leak_at.is_some_and(|at| Instant::now() >= at) {
                        leak_at = None;
                        seen.leaked = kill_left_behind(pid, &pipes, containment);
                        // Whoever held the streams is gone, or out of reach: stop waiting for them.
                        streams_open = 0;
                    } else if seen.exit.is_none() && grace_until.is_some_and(|at| running() >= at) {
                        kill_test(pid, containment);
                        seen.killed = Some(format!("killed after the {grace_text} grace period"));
                        grace_until = None;
                    } else if seen.exit.is_none() && !seen.timed_out && timeout.is_some_and(|t| running() >= t) {
                        seen.timed_out = true;
                        tell(&ParentMessage::Timeout);
                        grace_until = running().checked_add(self.grace);
                        let limit = self.prepared.timeout().unwrap_or_default();
                        self.notice(&format!(
                            "ran past its {limit} s timeout: waiting up to {grace_text} for the test to clean up"
                        ));
                    }
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        // What is still in the test's process group or cgroup was left behind.
        let mut left = kill_left_behind(pid, &[None, None], containment);
        for entry in left.drain(..) {
            if !seen.leaked.contains(&entry) {
                seen.leaked.push(entry);
            }
        }
        seen
    }

    fn verdict(&self, spec: &ChildSpec, seen: Seen, stderr_tail: &str, cut_short: &[String]) -> ChildResult {
        // A child that overflowed was killed for it: whatever it wrote is not believed.
        let mut result = if seen.overflowed { None } else { read_result(&self.dir.result(), &spec.nonce) };
        let exit = match &seen.exit {
            Some(Ok(status)) => Some(*status),
            _ => None,
        };
        let mut verdict = match &mut result {
            Some(result) => std::mem::replace(&mut result.verdict, Verdict::of(Status::Good, "")),
            None if seen.overflowed => Verdict::of(
                Status::Error,
                format!(
                    "the test sent a message of over {MAX_MESSAGE} bytes on harness's channel to its process; it was killed"
                ),
            ),
            None if seen.timed_out => Verdict::of(Status::Error, "Test timeout expired"),
            None if seen.interrupted || seen.killed.is_some() => {
                let reason = self.job.cancel.reason().map_or_else(|| "Interrupted".to_owned(), |(_, r)| r);
                Verdict::of(Status::Abort, reason)
            }
            None => Verdict::of(Status::Error, exit.map_or_else(|| "Test subprocess failed".to_owned(), describe_exit)),
        };
        if result.is_none() {
            for line in stderr_tail.lines().rev().take(10).collect::<Vec<_>>().into_iter().rev() {
                verdict.reason.push_str("\n  stderr: ");
                verdict.reason.push_str(line);
            }
        } else if let Some(status) = exit.filter(|s| !s.success())
            && !seen.timed_out
            && !seen.interrupted
        {
            // The test reported, then its process failed (a panic in a destructor, say).
            let reported = format!("{} {}", verdict.status, verdict.reason.lines().next().unwrap_or(""));
            verdict = Verdict::of(Status::Error, format!("{} after the test ended {reported}", describe_exit(status)));
        }
        if let Some(killed) = &seen.killed {
            verdict.reason.push('\n');
            verdict.reason.push_str(killed);
        }
        if !seen.leaked.is_empty() {
            warn_of(&mut verdict, format!("the test left processes running, killed: {}", seen.leaked.join(", ")));
            self.notice(&format!("killed processes the test left behind: {}", seen.leaked.join(", ")));
        }
        for cut in cut_short {
            warn_of(&mut verdict, cut.clone());
            self.notice(cut);
        }
        match result {
            Some(result) => ChildResult { verdict, ..result },
            None => ChildResult::failed(&spec.nonce, verdict),
        }
    }
}

/// Makes a verdict that passed WARN with `text` as its reason; adds `text` as
/// a detail line to one that did not pass (or was not applicable).
fn warn_of(verdict: &mut Verdict, text: String) {
    if verdict.status.is_failure() || verdict.status == Status::TestNa || verdict.status == Status::Warn {
        verdict.reason.push('\n');
        verdict.reason.push_str(&text);
    } else {
        verdict.status = Status::Warn;
        verdict.reason = text;
    }
}

/// How a child ended, in autotest's words where it has them.
fn describe_exit(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("Test subprocess failed rc={code}"),
        (None, Some(signal)) => format!("Test subprocess died from signal {signal} ({})", crate::signal::name(signal)),
        _ => "Test subprocess failed".to_owned(),
    }
}

/// Where a captured stream goes.
struct Capture {
    /// The file (made on the first byte).
    path: PathBuf,
    /// The stream's last bytes, kept for the verdict.
    tail: Option<Arc<Mutex<Vec<u8>>>>,
    /// What was lost when the file could not take more (a full disk).
    cut_short: Arc<Mutex<Vec<String>>>,
}

/// Copies a child's stream into its file; when the file cannot take more, says
/// so once and goes on draining the stream, so the child never blocks; says
/// when the stream closes.
fn capture(mut stream: impl io::Read + Send + 'static, to: Capture, tx: Sender<Msg>) {
    std::thread::spawn(move || {
        let Capture { path, tail, cut_short } = to;
        let mut file: Option<File> = None;
        let mut written: u64 = 0;
        let mut failed = false;
        let mut buffer = [0u8; 8192];
        while let Ok(n) = stream.read(&mut buffer) {
            if n == 0 {
                break;
            }
            let bytes = &buffer[..n];
            if file.is_none() && !failed {
                if let Some(dir) = path.parent() {
                    let _ = fs::create_dir_all(dir);
                }
                match File::options().create(true).append(true).open(&path) {
                    Ok(opened) => file = Some(opened),
                    Err(e) => {
                        failed = true;
                        let lost = format!("cannot capture the test's output in `{}`: {e}", path.display());
                        cut_short.lock().unwrap_or_else(PoisonError::into_inner).push(lost);
                    }
                }
            }
            if let Some(open) = file.as_mut()
                && let Err(e) = write_counting(open, bytes, &mut written)
            {
                failed = true;
                file = None;
                let lost = format!("the capture `{}` was cut short after {written} bytes: {e}", path.display());
                cut_short.lock().unwrap_or_else(PoisonError::into_inner).push(lost);
            }
            if let Some(tail) = &tail {
                let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
                tail.extend_from_slice(bytes);
                let excess = tail.len().saturating_sub(STDERR_TAIL);
                tail.drain(..excess);
            }
        }
        let _ = tx.send(Msg::StreamClosed);
    });
}

/// Writes all of `bytes`, counting in `written` what the file took.
fn write_counting(file: &mut File, mut bytes: &[u8], written: &mut u64) -> io::Result<()> {
    while !bytes.is_empty() {
        match file.write(bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                *written += n as u64;
                bytes = &bytes[n..];
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
