//! The [`Profiler`] trait and the job's [`ProfilerSet`], with autotest's
//! add, delete, present and active.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiler::CommandProfiler;

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
