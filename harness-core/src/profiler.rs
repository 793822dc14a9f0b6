//! Profilers: the [`Profiler`] trait, the job's [`ProfilerSet`], and
//! [`CommandProfiler`], which runs a program (vmstat, perf record) for the
//! profiled iteration in its own process group.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::context::TestContext;
use crate::error::{Error, Result};

/// Something that observes the profiled iteration: started before `run_once`,
/// stopped after it, then asked to report into the test's `profiling/` folder.
pub trait Profiler: Send {
    /// The name, as `ProfilerSet::delete` and the control file's `profilers` use it.
    fn name(&self) -> &str;

    /// Called when the profiler is added: refuse here what would fail later (a
    /// missing program), so a job does not start with a broken profiler.
    ///
    /// # Errors
    ///
    /// Why the profiler cannot work on this machine.
    fn check(&self) -> Result<()> {
        Ok(())
    }

    /// Called before `before_run_once` of the profiled iteration.
    ///
    /// # Errors
    ///
    /// Whatever prevents the profiler from getting ready.
    fn before_start(&mut self, _ctx: &TestContext) -> Result<()> {
        Ok(())
    }

    /// Starts profiling; output goes under `ctx.profdir()`.
    ///
    /// # Errors
    ///
    /// Whatever prevents the profiler from starting.
    fn start(&mut self, ctx: &TestContext) -> Result<()>;

    /// Stops profiling.
    ///
    /// # Errors
    ///
    /// Whatever prevents the profiler from stopping cleanly.
    fn stop(&mut self, ctx: &TestContext) -> Result<()>;

    /// Writes reports from the raw output.
    ///
    /// # Errors
    ///
    /// Whatever prevents the report.
    fn report(&mut self, _ctx: &TestContext) -> Result<()> {
        Ok(())
    }
}

/// The job's profilers, with autotest's `profiler_manager` semantics.
#[derive(Default)]
pub struct ProfilerSet {
    profilers: Vec<Box<dyn Profiler>>,
    active: bool,
}

impl std::fmt::Debug for ProfilerSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfilerSet")
            .field("profilers", &self.current_profilers())
            .field("active", &self.active)
            .finish()
    }
}

impl ProfilerSet {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a profiler after its [`check`](Profiler::check).
    ///
    /// # Errors
    ///
    /// The check's error (for example a program that is not installed).
    pub fn add(&mut self, profiler: impl Profiler + 'static) -> Result<()> {
        self.add_boxed(Box::new(profiler))
    }

    /// Adds a boxed profiler after its check.
    ///
    /// # Errors
    ///
    /// The check's error.
    pub fn add_boxed(&mut self, profiler: Box<dyn Profiler>) -> Result<()> {
        profiler.check()?;
        self.profilers.push(profiler);
        Ok(())
    }

    /// Removes every profiler with this name; returns how many were removed.
    pub fn delete(&mut self, name: &str) -> usize {
        let before = self.profilers.len();
        self.profilers.retain(|p| p.name() != name);
        before - self.profilers.len()
    }

    /// The names of the profilers (a set: a name added twice shows once).
    #[must_use]
    pub fn current_profilers(&self) -> BTreeSet<String> {
        self.profilers.iter().map(|p| p.name().to_owned()).collect()
    }

    /// Whether any profiler was added.
    #[must_use]
    pub fn present(&self) -> bool {
        !self.profilers.is_empty()
    }

    /// Whether the profilers are running (between `start` and `stop`).
    #[must_use]
    pub fn active(&self) -> bool {
        self.present() && self.active
    }

    /// Calls every profiler's `before_start`.
    ///
    /// # Errors
    ///
    /// The first profiler error.
    pub fn before_start(&mut self, ctx: &TestContext) -> Result<()> {
        self.profilers.iter_mut().try_for_each(|p| p.before_start(ctx))
    }

    /// Starts every profiler in order. If one fails, those already started are stopped.
    ///
    /// # Errors
    ///
    /// The failing profiler's error.
    pub fn start(&mut self, ctx: &TestContext) -> Result<()> {
        for i in 0..self.profilers.len() {
            if let Err(error) = self.profilers[i].start(ctx) {
                for started in &mut self.profilers[..i] {
                    let _ = started.stop(ctx);
                }
                return Err(error);
            }
        }
        self.active = true;
        Ok(())
    }

    /// Stops every profiler (all of them, even after an error).
    ///
    /// # Errors
    ///
    /// The first profiler error.
    pub fn stop(&mut self, ctx: &TestContext) -> Result<()> {
        let mut first = Ok(());
        for profiler in &mut self.profilers {
            let result = profiler.stop(ctx);
            if first.is_ok() {
                first = result;
            }
        }
        self.active = false;
        first
    }

    /// Asks every profiler for its report, then moves what they wrote into
    /// `profiling/iteration.<N>` (when the iteration number is not 0).
    ///
    /// # Errors
    ///
    /// The first profiler error, or an I/O error while moving the output.
    pub fn report(&mut self, ctx: &TestContext) -> Result<()> {
        let mut first = Ok(());
        for profiler in &mut self.profilers {
            let result = profiler.report(ctx);
            if first.is_ok() {
                first = result;
            }
        }
        first?;
        if ctx.iteration() > 0 {
            collect_iteration_dir(ctx.profdir(), ctx.iteration())?;
        }
        Ok(())
    }
}

/// Moves every entry of `profdir` that is not an `iteration.*` folder into
/// `profdir/iteration.<N>`.
fn collect_iteration_dir(profdir: &Path, iteration: u64) -> Result<()> {
    let target = profdir.join(format!("iteration.{iteration}"));
    fs::create_dir_all(&target).map_err(|e| Error::io("create", &target, e))?;
    let entries = fs::read_dir(profdir).map_err(|e| Error::io("read", profdir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("read", profdir, e))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with("iteration.") {
            continue;
        }
        let to = target.join(&name);
        fs::rename(entry.path(), &to).map_err(|e| Error::io("move profiler output to", to, e))?;
    }
    Ok(())
}

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
/// use harness_core::{CommandProfiler, ProfilerSet};
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

/// A profiler as a control file or a command line names it: a built-in
/// (`vmstat`, `perf`) or any program, with arguments. It is how profilers
/// travel to a test's child process, which builds its own.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfilerSpec {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) args: Vec<serde_json::Value>,
}

impl ProfilerSpec {
    /// `vmstat:2`, `perf:cycles,instructions`, `iostat:-x 1`.
    pub(crate) fn parse_cli(text: &str) -> ProfilerSpec {
        let (name, args) = text.split_once(':').unwrap_or((text, ""));
        let args = match name {
            "perf" => {
                args.split(',').filter(|a| !a.is_empty()).map(|a| serde_json::Value::String(a.to_owned())).collect()
            }
            _ => args.split_whitespace().map(|a| serde_json::Value::String(a.to_owned())).collect(),
        };
        ProfilerSpec { name: name.to_owned(), args }
    }

    fn text_args(&self) -> Vec<String> {
        self.args.iter().map(|a| a.as_str().map_or_else(|| a.to_string(), str::to_owned)).collect()
    }

    /// The profiler itself, checked (its program must exist).
    pub(crate) fn build(&self) -> Result<CommandProfiler> {
        let args = self.text_args();
        let profiler = match self.name.as_str() {
            "vmstat" => {
                let interval = args.first().map_or(Ok(1), |a| a.parse::<u32>()).map_err(|_| Error::Profiler {
                    name: self.name.clone(),
                    reason: format!("the interval must be a whole number of seconds, got `{}`", args[0]),
                })?;
                CommandProfiler::vmstat(interval)
            }
            "perf" => {
                let events: Vec<&str> = args.iter().map(String::as_str).collect();
                let events = if events.is_empty() { vec!["cycles", "instructions"] } else { events };
                CommandProfiler::perf_record(&events)
            }
            name => CommandProfiler::new(name, name).args(args).stop_signal(StopSignal::Term),
        };
        profiler.check()?;
        Ok(profiler)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn profiler_specs_from_the_command_line() {
        let vmstat = ProfilerSpec::parse_cli("vmstat:2");
        assert_eq!((vmstat.name.as_str(), vmstat.text_args()), ("vmstat", vec!["2".to_owned()]));
        let perf = ProfilerSpec::parse_cli("perf:cycles,instructions");
        assert_eq!(perf.text_args(), ["cycles", "instructions"]);
        let other = ProfilerSpec::parse_cli("iostat:-x 1");
        assert_eq!(other.text_args(), ["-x", "1"]);
        let bad = ProfilerSpec { name: "vmstat".into(), args: vec![json!("x")] };
        assert!(bad.build().unwrap_err().to_string().contains("the interval must be a whole number of seconds"));
    }

    #[test]
    fn missing_programs_are_refused_up_front() {
        let mut set = ProfilerSet::new();
        let err = set.add(CommandProfiler::new("nope", "harness-no-such-program")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "profiler `nope`: program `harness-no-such-program` was not found on PATH or is not executable; install it or remove the profiler"
        );
        assert!(!set.present());
        assert!(set.add(CommandProfiler::new("sh", "sh")).is_ok());
        assert!(set.add(CommandProfiler::new("sh", "/bin/sh")).is_ok());
        assert_eq!(set.current_profilers(), BTreeSet::from(["sh".to_owned()]));
        assert_eq!(set.delete("sh"), 2);
        assert!(!set.present());
    }

    #[test]
    fn iteration_dirs_collect_profiler_output() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("vmstat"), "x").unwrap();
        collect_iteration_dir(dir.path(), 3).unwrap();
        fs::write(dir.path().join("vmstat"), "y").unwrap();
        collect_iteration_dir(dir.path(), 4).unwrap();
        assert_eq!(fs::read_to_string(dir.path().join("iteration.3/vmstat")).unwrap(), "x");
        assert_eq!(fs::read_to_string(dir.path().join("iteration.4/vmstat")).unwrap(), "y");
        assert!(!dir.path().join("iteration.4/iteration.3").exists());
    }
}
