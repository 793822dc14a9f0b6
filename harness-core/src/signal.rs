//! Every signal handler of harness, in one place.
//!
//! - A process that runs tests (a harness binary's `run`, `test_main`, a
//!   `cargo_test` test) watches SIGINT, SIGTERM, SIGHUP and SIGQUIT: each cancels
//!   the jobs registered with [`watch_job`] (ABORT `Interrupted by <signal>`; a
//!   second one escalates, and a test running in a child is killed at once).
//!   With no job registered, the signal ends the process as it would have.
//!   SIGTSTP stops the running tests' process groups, then this process;
//!   SIGCONT resumes both ([`on_job_control`]; supervisors pause their clocks).
//!   In an orphaned process group (no terminal or shell to resume it: `setsid`,
//!   CI) SIGTSTP is discarded, as the kernel discards it there.
//! - A child process running one test ([`watch_child`]) turns the same four
//!   signals, sent from outside, into ABORT `Interrupted by <signal>`; the
//!   SIGTERM the kernel sends it when its parent dies (`PR_SET_PDEATHSIG`) ends
//!   the test's whole process group instead.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use nix::sys::signal::Signal;
use nix::unistd::Pid;
use signal_hook::consts::{SIGCONT, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP};
use signal_hook::iterator::SignalsInfo;
use signal_hook::iterator::exfiltrator::WithOrigin;

use crate::cancel::CancelToken;
use crate::status::Status;

/// Stopping or resuming the running tests (Ctrl-Z, `fg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobControl {
    /// SIGTSTP: stop the tests, then this process stops.
    Stop,
    /// SIGCONT: this process was resumed; resume the tests.
    Continue,
}

type ControlListener = Arc<dyn Fn(JobControl) + Send + Sync>;

#[derive(Default)]
struct Registry {
    jobs: Vec<(u64, CancelToken)>,
    control: Vec<(u64, ControlListener)>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry { jobs: Vec::new(), control: Vec::new() });
static NEXT: AtomicU64 = AtomicU64::new(0);

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The name of a signal number: `SIGTERM`.
pub(crate) fn name(signal: i32) -> &'static str {
    Signal::try_from(signal).map_or("an unknown signal", Signal::as_str)
}

/// Removes a registration when dropped.
#[derive(Debug)]
pub(crate) struct Registration(u64);

impl Drop for Registration {
    fn drop(&mut self) {
        let mut registry = registry();
        registry.jobs.retain(|(id, _)| *id != self.0);
        registry.control.retain(|(id, _)| *id != self.0);
    }
}

fn install_supervising() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let Ok(mut signals) = SignalsInfo::<WithOrigin>::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGCONT])
        else {
            return;
        };
        std::thread::Builder::new()
            .name("harness-signals".to_owned())
            .spawn(move || {
                for origin in signals.forever() {
                    supervising_signal(origin.signal);
                }
            })
            .ok();
    });
}

/// `ppid`, `pgrp` and `session` of `pid`, from `/proc/<pid>/stat`.
fn ids(pid: &str) -> Option<(i32, i32, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(1).map(|f| f.parse::<i32>().ok());
    Some((fields.next()??, fields.next()??, fields.next()??))
}

/// Whether this process's group is orphaned, as the kernel judges it for job
/// control: no member has a parent in another group of the same session, so
/// nobody (no shell, no terminal) could ever continue it once stopped.
fn orphaned_process_group() -> bool {
    let (group, session) = (nix::unistd::getpgrp().as_raw(), nix::unistd::getsid(None).map_or(0, Pid::as_raw));
    let Ok(entries) = std::fs::read_dir("/proc") else { return false };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit())) else { continue };
        let Some((parent, pgrp, _)) = ids(pid) else { continue };
        if pgrp != group {
            continue;
        }
        if let Some((_, parent_group, parent_session)) = ids(&parent.to_string())
            && parent_group != group
            && parent_session == session
        {
            return false;
        }
    }
    true
}

fn supervising_signal(signal: i32) {
    match signal {
        // The kernel's rule for a stop signal with the default action: discarded
        // in an orphaned process group (no terminal or shell to resume it, as on
        // CI), where stopping would stop the job and its test for good.
        SIGTSTP if orphaned_process_group() => {}
        SIGTSTP | SIGCONT => {
            let what = if signal == SIGTSTP { JobControl::Stop } else { JobControl::Continue };
            let listeners: Vec<ControlListener> = registry().control.iter().map(|(_, l)| Arc::clone(l)).collect();
            for listener in listeners {
                listener(what);
            }
            if signal == SIGTSTP {
                // Now stop this process, as SIGTSTP would have.
                let _ = signal_hook::low_level::emulate_default_handler(SIGTSTP);
            }
        }
        _ => {
            LAST_INTERRUPT.store(signal, Ordering::SeqCst);
            let jobs: Vec<CancelToken> = registry().jobs.iter().map(|(_, token)| token.clone()).collect();
            if jobs.is_empty() {
                let _ = signal_hook::low_level::emulate_default_handler(signal);
            }
            for token in jobs {
                token.cancel(Status::Abort, format!("Interrupted by {}", name(signal)));
            }
        }
    }
}

static LAST_INTERRUPT: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// The last of SIGINT, SIGTERM, SIGHUP and SIGQUIT this process received.
pub(crate) fn last_interrupt() -> Option<i32> {
    Some(LAST_INTERRUPT.load(Ordering::SeqCst)).filter(|s| *s != 0)
}

/// Cancels `cancel` on SIGINT, SIGTERM, SIGHUP and SIGQUIT while the
/// registration lives (the handlers are installed on first use, for good).
pub(crate) fn watch_job(cancel: &CancelToken) -> Registration {
    install_supervising();
    let id = NEXT.fetch_add(1, Ordering::SeqCst);
    registry().jobs.push((id, cancel.clone()));
    Registration(id)
}

/// Calls `listener` on SIGTSTP (before this process stops) and on SIGCONT,
/// while the registration lives.
pub(crate) fn on_job_control(listener: impl Fn(JobControl) + Send + Sync + 'static) -> Registration {
    install_supervising();
    let id = NEXT.fetch_add(1, Ordering::SeqCst);
    registry().control.push((id, Arc::new(listener)));
    Registration(id)
}

/// Ends this process and everything in its process group, at once: what a
/// child does when the harness that started it is gone.
pub(crate) fn end_process_group() -> ! {
    let _ = nix::sys::signal::killpg(nix::unistd::getpgrp(), Signal::SIGKILL);
    std::process::exit(137)
}

/// The signals of a child process running one test for `parent`.
pub(crate) fn watch_child(cancel: &CancelToken, parent: Pid) {
    let Ok(mut signals) = SignalsInfo::<WithOrigin>::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT]) else { return };
    let cancel = cancel.clone();
    std::thread::Builder::new()
        .name("harness-signals".to_owned())
        .spawn(move || {
            for origin in signals.forever() {
                // The parent never signals its child (it speaks over their channel),
                // so a SIGTERM from it, or from the kernel on its behalf, is
                // `PR_SET_PDEATHSIG`: its thread or the whole process is dying.
                let from_parent = origin.process.as_ref().is_none_or(|p| p.pid == parent.as_raw());
                if origin.signal == SIGTERM && (from_parent || nix::unistd::getppid() != parent) {
                    end_process_group();
                }
                cancel.cancel(Status::Abort, format!("Interrupted by {}", name(origin.signal)));
            }
        })
        .ok();
}
