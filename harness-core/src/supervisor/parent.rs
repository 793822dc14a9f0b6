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

use std::io::{self, BufRead as _, BufReader, Read as _, Write as _};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt as _;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

use super::capture::{Capture, capture};
use super::cgroup::Containment;
use super::exit::{describe_exit, warn_of};
use super::leaks::{kill_left_behind, pipe_inode};
use super::spec::{
    CHILD_DIR_ENV, ChildDir, ChildMessage, ChildResult, ChildRoot, ChildSpec, ParentMessage, nonce, read_result,
    write_new,
};
use crate::engine::{Isolate, JobCore, Prepared, Ran};
use crate::event::{Event, NoticeKind};
use crate::results::outputs::record::{Ending, RecordData};
use crate::signal::{JobControl, on_job_control};
use crate::status::Status;

/// How long after the child exits its stdout and stderr may stay open before
/// whoever holds them counts as left behind.
const LEAK_TIMEOUT: Duration = Duration::from_millis(100);

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

/// What a capture thread calls when its stream closes.
fn closed(tx: &Sender<Msg>) -> impl FnOnce() + Send + 'static {
    let tx = tx.clone();
    move || {
        let _ = tx.send(Msg::StreamClosed);
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
    fn run_body(&self, core: &JobCore, prepared: &Prepared) -> Ran {
        let result = self.run_child(core, prepared);
        core.logger.fold_in(&result.lines);
        Ran { data: RecordData::read(&prepared.outputdir, &result.kinds), ending: result.ending }
    }
}

impl ProcessIsolation {
    fn run_child(&self, core: &JobCore, prepared: &Prepared) -> ChildResult {
        let containment = Containment::new();
        let nonce = nonce();
        let Some(planned) = prepared.planned.wire() else {
            return ChildResult::failed(&nonce, Ending::of(Status::Error, "only a registered test runs in a child"));
        };
        let spec = ChildSpec {
            nonce,
            holding: containment.holding(),
            parent: i32::try_from(std::process::id()).unwrap_or(0),
            planned,
            naming: prepared.naming.clone(),
            outputdir: prepared.outputdir.clone(),
            settings: core.settings.clone(),
            indent: core.indent(),
        };
        let failed = |reason: String| ChildResult::failed(&spec.nonce, Ending::of(Status::Error, reason));
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
        self.job.emit(&Event::Notice { subdir: &self.prepared.naming.subdir, kind: NoticeKind::Supervisor, text });
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
            capture(stdout, to, closed(&tx));
        }
        if let Some(stderr) = child.stderr.take() {
            let tail = Some(Arc::clone(&stderr_tail));
            let to = Capture { path: debug.join(format!("{tagged}.stderr")), tail, cut_short: Arc::clone(&cut_short) };
            capture(stderr, to, closed(&tx));
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
                // Read to its end: what the child said last is not lost to its exit.
                let _ = tx.send(Msg::StreamClosed);
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
        // stdout, stderr and the channel.
        let mut streams_open = 3;
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
                // The child wrote these to events.jsonl itself: told to the observers only.
                Ok(Msg::Child(ChildMessage::Iteration {
                    subdir,
                    iteration,
                    planned,
                    test_length,
                    elapsed_ms,
                    values,
                })) => {
                    self.job.relay(&Event::IterationFinished {
                        subdir: &subdir,
                        iteration,
                        planned,
                        test_length,
                        elapsed: elapsed_ms.map(Duration::from_millis),
                        values: &values,
                    });
                }
                Ok(Msg::Child(ChildMessage::Notice { subdir, kind, text })) => {
                    self.job.relay(&Event::Notice { subdir: &subdir, kind, text: &text });
                }
                Ok(Msg::Child(ChildMessage::EventLine(line))) => self.job.events.echo(&line),
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
        let mut ending = match &mut result {
            Some(result) => std::mem::replace(&mut result.ending, Ending::of(Status::Good, "")),
            None if seen.overflowed => Ending::of(
                Status::Error,
                format!(
                    "the test sent a message of over {MAX_MESSAGE} bytes on harness's channel to its process; it was killed"
                ),
            ),
            None if seen.timed_out => Ending::of(Status::Error, "Test timeout expired"),
            None if seen.interrupted || seen.killed.is_some() => {
                let reason = self.job.cancel.reason().map_or_else(|| "Interrupted".to_owned(), |(_, r)| r);
                Ending::of(Status::Abort, reason)
            }
            None => Ending::of(Status::Error, exit.map_or_else(|| "Test subprocess failed".to_owned(), describe_exit)),
        };
        if result.is_none() {
            for line in stderr_tail.lines().rev().take(10).collect::<Vec<_>>().into_iter().rev() {
                ending.reason.push_str("\n  stderr: ");
                ending.reason.push_str(line);
            }
        } else if let Some(status) = exit.filter(|s| !s.success())
            && !seen.timed_out
            && !seen.interrupted
        {
            // The test reported, then its process failed (a panic in a destructor, say).
            let reported = format!("{} {}", ending.status, ending.reason.lines().next().unwrap_or(""));
            let subtests = std::mem::take(&mut ending.subtests);
            ending = Ending::of(Status::Error, format!("{} after the test ended {reported}", describe_exit(status)));
            ending.subtests = subtests;
        }
        if let Some(killed) = &seen.killed {
            ending.reason.push('\n');
            ending.reason.push_str(killed);
        }
        if !seen.leaked.is_empty() {
            warn_of(&mut ending, format!("the test left processes running, killed: {}", seen.leaked.join(", ")));
            self.notice(&format!("killed processes the test left behind: {}", seen.leaked.join(", ")));
        }
        for cut in cut_short {
            warn_of(&mut ending, cut.clone());
            self.notice(cut);
        }
        match result {
            Some(result) => ChildResult { ending, ..result },
            None => ChildResult::failed(&spec.nonce, ending),
        }
    }
}
