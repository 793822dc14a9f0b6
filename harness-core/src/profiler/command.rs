//! [`CommandProfiler`]: a program (vmstat, perf record) run for the profiled
//! iteration in its own process group.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use super::set::Profiler;
use crate::context::TestContext;
use crate::error::{Error, Result};

/// The signal that asks a command profiler to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    /// SIGTERM (vmstat).
    Term,
    /// SIGINT (perf record writes its data on SIGINT).
    Int,
}

/// A profiler that runs a program for the profiled iteration, its output in
/// `profiling/<output>`, in its own process group: stopping it signals the whole
/// group, so no helper process is left behind (autotest's vmstat orphaned one).
///
/// `{profdir}` in an argument is replaced with the test's profiling folder.
///
/// ```no_run
/// use harness_core::profiler::{CommandProfiler, ProfilerSet};
///
/// let mut profilers = ProfilerSet::new();
/// profilers.add(CommandProfiler::vmstat(1))?;
/// profilers.add(CommandProfiler::new("iostat", "iostat").args(["-x", "1"]))?;
/// # Ok::<(), harness_core::Error>(())
/// ```
#[derive(Debug)]
pub struct CommandProfiler {
    name: String,
    program: String,
    args: Vec<String>,
    output: String,
    stop_signal: StopSignal,
    grace: Duration,
    child: Option<Child>,
}

impl CommandProfiler {
    /// Runs `program` under the profiler name `name`; output goes to `profiling/<name>`.
    pub fn new(name: impl Into<String>, program: impl Into<String>) -> Self {
        let name = name.into();
        CommandProfiler {
            output: name.clone(),
            name,
            program: program.into(),
            args: Vec::new(),
            stop_signal: StopSignal::Term,
            grace: Duration::from_secs(10),
            child: None,
        }
    }

    /// Adds arguments.
    #[must_use]
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// The file (under `profiling/`) that receives stdout and stderr.
    #[must_use]
    pub fn output(mut self, file: impl Into<String>) -> Self {
        self.output = file.into();
        self
    }

    /// The signal that stops it (default SIGTERM).
    #[must_use]
    pub fn stop_signal(mut self, signal: StopSignal) -> Self {
        self.stop_signal = signal;
        self
    }

    /// How long it may take to exit after the signal before the group is killed (default 10 s).
    #[must_use]
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// autotest's `vmstat` profiler: `vmstat <interval>` into `profiling/vmstat`.
    #[must_use]
    pub fn vmstat(interval: u32) -> Self {
        CommandProfiler::new("vmstat", "vmstat").args([interval.to_string()])
    }

    /// autotest's `perf` profiler: `perf record -a -o profiling/perf.data -e <event>...`,
    /// stopped with SIGINT so perf writes its data; its messages go to `profiling/perf`.
    #[must_use]
    pub fn perf_record(events: &[&str]) -> Self {
        let mut profiler = CommandProfiler::new("perf", "perf").args(["record", "-a", "-o", "{profdir}/perf.data"]);
        for event in events {
            profiler = profiler.args(["-e", event]);
        }
        profiler.stop_signal(StopSignal::Int)
    }

    /// The program, resolved on `PATH` when it has no `/`.
    fn resolve(&self) -> Option<PathBuf> {
        if self.program.contains('/') {
            let path = PathBuf::from(&self.program);
            return is_executable(&path).then_some(path);
        }
        let paths = std::env::var_os("PATH")?;
        std::env::split_paths(&paths).map(|dir| dir.join(&self.program)).find(|p| is_executable(p))
    }

    fn signal_group(&self, pid: u32, signal: Signal) {
        if let Ok(pid) = i32::try_from(pid) {
            // The group may already be gone; that is what we want.
            let _ = killpg(Pid::from_raw(pid), signal);
        }
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

impl Profiler for CommandProfiler {
    fn name(&self) -> &str {
        &self.name
    }

    fn check(&self) -> Result<()> {
        match self.resolve() {
            Some(_) => Ok(()),
            None => Err(Error::Profiler {
                name: self.name.clone(),
                reason: format!(
                    "program `{}` was not found on PATH or is not executable; install it or remove the profiler",
                    self.program
                ),
            }),
        }
    }

    fn start(&mut self, ctx: &TestContext) -> Result<()> {
        use std::os::unix::process::CommandExt as _;
        let profdir = ctx.profdir();
        let output_path = profdir.join(&self.output);
        let output = File::create(&output_path).map_err(|e| Error::io("create", &output_path, e))?;
        let errors = output.try_clone().map_err(|e| Error::io("open", &output_path, e))?;
        let profdir_text = profdir.to_string_lossy();
        let args: Vec<String> = self.args.iter().map(|a| a.replace("{profdir}", &profdir_text)).collect();
        let child = Command::new(&self.program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(errors)
            .process_group(0)
            .spawn()
            .map_err(|e| Error::Profiler {
                name: self.name.clone(),
                reason: format!("cannot start `{}`: {e}", self.program),
            })?;
        self.child = Some(child);
        Ok(())
    }

    fn stop(&mut self, _ctx: &TestContext) -> Result<()> {
        let Some(mut child) = self.child.take() else { return Ok(()) };
        let signal = match self.stop_signal {
            StopSignal::Term => Signal::SIGTERM,
            StopSignal::Int => Signal::SIGINT,
        };
        self.signal_group(child.id(), signal);
        let deadline = Instant::now() + self.grace;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                _ => {
                    self.signal_group(child.id(), Signal::SIGKILL);
                    let _ = child.wait();
                    break;
                }
            }
        }
        // Helpers the program left in its group go too.
        self.signal_group(child.id(), Signal::SIGKILL);
        Ok(())
    }
}

impl Drop for CommandProfiler {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            self.signal_group(child.id(), Signal::SIGKILL);
            let _ = child.wait();
        }
    }
}
