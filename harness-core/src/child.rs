//! The entry point of a test's child process: a process of the same binary,
//! started by the supervisor (`supervisor/parent.rs`) with `HARNESS_CHILD_DIR`
//! set, runs one test's body and writes its result.
//!
//! - Its stdin is the channel to the parent: it keeps it, and reopens stdin on
//!   `/dev/null`, so a test that reads stdin gets EOF and never waits on a
//!   terminal.
//! - It dies with its parent: `PR_SET_PDEATHSIG`, a check that the parent is
//!   still the one that started it, and the channel's end all kill the test's
//!   process group.
//! - The parent's interrupt and timeout arrive over the channel and cancel the
//!   test (ABORT, or ERROR "Test timeout expired"), so its cleanup runs;
//!   SIGINT, SIGTERM, SIGHUP or SIGQUIT from anyone else is ABORT
//!   `Interrupted by <signal>`.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::sys::stat::{SFlag, fstat};
use nix::unistd::Pid;

use crate::cancel::CancelToken;
use crate::event::{Event, Observer};
use crate::job::JobBuilder;
use crate::signal::{end_process_group, watch_child};
use crate::status::Status;
use crate::supervisor::spec::{
    CHILD_DIR_ENV, ChildMessage, ChildResult, ChildSpec, ParentMessage, result_path, spec_path, write_new,
};

/// Takes the channel the parent passed as stdin, and puts `/dev/null` there.
fn take_channel() -> Result<UnixStream, String> {
    let stdin = std::io::stdin();
    let is_socket = fstat(&stdin).is_ok_and(|st| SFlag::from_bits_truncate(st.st_mode).contains(SFlag::S_IFSOCK));
    if !is_socket {
        return Err(
            "this process was not started by a harness parent (its stdin is not the parent's channel)".to_owned()
        );
    }
    let channel = nix::unistd::dup(&stdin).map_err(|e| format!("cannot keep the parent's channel: {e}"))?;
    // The test's own subprocesses must not hold the channel open.
    fcntl(&channel, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))
        .map_err(|e| format!("cannot keep the parent's channel: {e}"))?;
    let null = File::open("/dev/null").map_err(|e| format!("cannot open /dev/null: {e}"))?;
    nix::unistd::dup2_stdin(&null).map_err(|e| format!("cannot reopen stdin on /dev/null: {e}"))?;
    Ok(UnixStream::from(channel))
}

/// Sends each iteration's end and each notice to the parent, which draws the
/// progress and tells the console.
struct ToParent {
    channel: Arc<Mutex<UnixStream>>,
}

/// Sends a message to the parent, as one line.
fn send(channel: &Mutex<UnixStream>, message: &ChildMessage) {
    if let Ok(mut line) = serde_json::to_string(message) {
        line.push('\n');
        let _ = channel.lock().unwrap_or_else(PoisonError::into_inner).write_all(line.as_bytes());
    }
}

impl Observer for ToParent {
    fn on_event(&self, event: &Event<'_>) {
        let message = match *event {
            Event::IterationFinished { subdir, iteration, planned, test_length, elapsed, values } => {
                ChildMessage::Iteration {
                    subdir: subdir.to_owned(),
                    iteration,
                    planned,
                    test_length,
                    elapsed_ms: elapsed.map(|e| u64::try_from(e.as_millis()).unwrap_or(u64::MAX)),
                    values: values.clone(),
                }
            }
            Event::Notice { subdir, kind, text } => {
                ChildMessage::Notice { subdir: subdir.to_owned(), kind, text: text.to_owned() }
            }
            _ => return,
        };
        send(&self.channel, &message);
    }
}

/// The private directory a parent left this process, when it is a test's
/// child: taken out of the environment, so that nothing the test starts (a
/// harness binary of its own, `cargo test` of a crate using harness) takes
/// itself for a child.
pub(crate) fn take_child_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os(CHILD_DIR_ENV)?;
    #[allow(unsafe_code, reason = "the only way to keep a variable from the processes a test starts")]
    // SAFETY: called first thing in a child, before harness starts any thread;
    // other threads that may exist (libtest's, waiting for its one test) do not
    // read the environment meanwhile.
    unsafe {
        std::env::remove_var(CHILD_DIR_ENV);
    }
    Some(dir.into())
}

/// The child's `main`: runs the test described in `dir` and writes its result.
/// Returns the process's exit status.
pub(crate) fn child_main(dir: &Path) -> i32 {
    match run(dir) {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("harness: {error}");
            2
        }
    }
}

fn run(dir: &Path) -> Result<(), String> {
    let channel = take_channel()?;
    let text =
        std::fs::read(spec_path(dir)).map_err(|e| format!("cannot read the child spec in `{}`: {e}", dir.display()))?;
    let spec: ChildSpec = serde_json::from_slice(&text).map_err(|e| format!("invalid child spec: {e}"))?;
    // Into the test's cgroup before any of its code can start a process.
    let method = crate::supervisor::join(&spec.holding);
    crate::debuglog::note_to(&spec.outputdir.join("debug").join(format!("{}.DEBUG", spec.naming.tagged)), &method);
    let parent = Pid::from_raw(spec.parent);
    // If the parent dies from now on, the kernel says so; if it died already, stop here.
    let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM);
    if nix::unistd::getppid() != parent {
        end_process_group();
    }
    let planned = spec.planned.plan()?;
    let cancel = CancelToken::new();
    watch_child(&cancel, parent);
    {
        let reader = channel.try_clone().map_err(|e| e.to_string())?;
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines() {
                let Ok(line) = line else { break };
                match serde_json::from_str::<ParentMessage>(&line) {
                    Ok(ParentMessage::Interrupt(reason)) => cancel.cancel(Status::Abort, reason),
                    Ok(ParentMessage::Timeout) => cancel.cancel(Status::Error, "Test timeout expired"),
                    Err(_) => {}
                }
            }
            // The parent holds its end until this process has exited: an end
            // seen here means the parent is gone, and with it anyone who would
            // hear this test's verdict or kill what it left running.
            end_process_group();
        });
    }
    let channel = Arc::new(Mutex::new(channel));
    let to_parent = Arc::clone(&channel);
    let mut builder = JobBuilder::attached(spec.settings.clone(), spec.indent)
        .cancel_token(cancel)
        .observer(Arc::new(ToParent { channel }))
        .forward_events(Box::new(move |line| send(&to_parent, &ChildMessage::EventLine(line.to_owned()))));
    for profiler in &spec.settings.profilers {
        builder = builder.profiler(profiler.build().map_err(|e| e.to_string())?);
    }
    let job = builder.build().map_err(|e| e.to_string())?;
    // The test is dropped after its result is written: a destructor that
    // fails then makes the process fail after the verdict, which the parent sees.
    let mut test = planned.registration().ok_or("a child runs only registered tests")?.make();
    let (ran, lines) = job.run_body(planned, test.as_mut(), spec.naming, spec.outputdir);
    let result = ChildResult {
        nonce: spec.nonce,
        kinds: ran.data.blocks.iter().map(|b| (b.kind, b.iteration.unwrap_or(0))).collect(),
        ending: ran.ending,
        lines,
    };
    let bytes = serde_json::to_vec(&result).map_err(|e| e.to_string())?;
    write_new(&result_path(dir), &bytes).map_err(|e| format!("cannot write the result: {e}"))?;
    drop(test);
    Ok(())
}
