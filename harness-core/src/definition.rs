//! What a test is: the [`Autotest`] trait, its static [`TestInfo`], [`Phase`] and [`Version`].

use std::fmt;

use crate::args::{ArgErrors, Args, Param, PhaseTable, validate};
use crate::{Status, TestContext, TestResult};

/// The lifecycle phases a test may define, named as in autotest's `base_test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Runs first, on every run (unhandled errors give ERROR).
    Initialize,
    /// Runs once per test version, under a cross-process lock (unhandled errors give ERROR).
    Setup,
    /// Runs once before the iterations (unhandled errors give FAIL).
    Warmup,
    /// One iteration (unhandled errors give FAIL).
    RunOnce,
    /// Before every `run_once`, the profiled one included.
    BeforeRunOnce,
    /// After every successful `run_once`, the profiled one included.
    AfterRunOnce,
    /// After every iteration's `run_once`.
    PostprocessIteration,
    /// After all iterations.
    Postprocess,
    /// Last, on success and on failure unless `run_cleanup=false` (unhandled errors give ERROR).
    Cleanup,
    /// A test's own loop instead of the engine's iterations of `run_once`.
    Execute,
}

impl Phase {
    /// Every phase, in lifecycle order.
    pub const ALL: [Phase; 10] = [
        Phase::Initialize,
        Phase::Setup,
        Phase::Warmup,
        Phase::BeforeRunOnce,
        Phase::RunOnce,
        Phase::AfterRunOnce,
        Phase::PostprocessIteration,
        Phase::Postprocess,
        Phase::Cleanup,
        Phase::Execute,
    ];

    /// The method name: `initialize`, `run_once`, `postprocess_iteration`, ...
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Phase::Initialize => "initialize",
            Phase::Setup => "setup",
            Phase::Warmup => "warmup",
            Phase::RunOnce => "run_once",
            Phase::BeforeRunOnce => "before_run_once",
            Phase::AfterRunOnce => "after_run_once",
            Phase::PostprocessIteration => "postprocess_iteration",
            Phase::Postprocess => "postprocess",
            Phase::Cleanup => "cleanup",
            Phase::Execute => "execute",
        }
    }

    /// The phase of a method name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|phase| phase.name() == name)
    }

    /// The status of an unhandled error escaping this phase: ERROR for initialize,
    /// setup and cleanup, FAIL for warmup and everything under execute.
    #[must_use]
    pub const fn unhandled_status(self) -> Status {
        match self {
            Phase::Initialize | Phase::Setup | Phase::Cleanup => Status::Error,
            _ => Status::Fail,
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A test's version: setup runs again whenever it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `version = 1`.
    Int(i64),
    /// `version = "2.0"`.
    Str(&'static str),
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Int(v) => write!(f, "{v}"),
            Version::Str(v) => f.write_str(v),
        }
    }
}

/// Everything static about a test: name, version, description, flags and the
/// parameter table of every phase it defines.
///
/// `#[autotest]` builds it; tests written by hand build it with the `const`
/// builder methods:
///
/// ```
/// use harness_core::{Param, Phase, PhaseTable, TestInfo, Version};
///
/// static INFO: TestInfo = TestInfo::new("sleeptest", Version::Int(1))
///     .with_description("Sleeps for `seconds` in every iteration.")
///     .with_phases(&[PhaseTable::new(Phase::RunOnce, &[Param::required::<f64>("seconds", "f64")])]);
///
/// assert_eq!(INFO.name(), "sleeptest");
/// assert!(INFO.has_phase(Phase::RunOnce));
/// assert!(!INFO.has_phase(Phase::Setup));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TestInfo {
    name: &'static str,
    version: Version,
    description: &'static str,
    preserve_srcdir: bool,
    postprocess_profiled_run: bool,
    network_destabilizing: bool,
    phases: &'static [PhaseTable],
    default_args: Option<fn() -> Args>,
    unit_test: bool,
    file: &'static str,
    line: u32,
}

impl TestInfo {
    /// A test with no phases, flags or description.
    #[must_use]
    pub const fn new(name: &'static str, version: Version) -> Self {
        TestInfo {
            name,
            version,
            description: "",
            preserve_srcdir: false,
            postprocess_profiled_run: false,
            network_destabilizing: false,
            phases: &[],
            default_args: None,
            unit_test: false,
            file: "",
            line: 0,
        }
    }

    /// The arguments `cargo test` and `test_main()` run the test with
    /// (`#[autotest(cargo_test(name = value, ...))]`).
    #[must_use]
    pub const fn with_default_args(mut self, args: fn() -> Args) -> Self {
        self.default_args = Some(args);
        self
    }

    /// Marks a test that has a `#[test]` of its own in its crate's unit tests
    /// (`#[autotest(cargo_test)]` on a test defined in a library), which
    /// [`test_main`](crate::test_main) therefore leaves out.
    #[must_use]
    pub const fn with_unit_test(mut self, unit_test: bool) -> Self {
        self.unit_test = unit_test;
        self
    }

    /// Whether the test runs as a `#[test]` of its crate's unit tests.
    #[must_use]
    pub const fn has_unit_test(&self) -> bool {
        self.unit_test
    }

    /// Sets the description (the struct's doc comment).
    #[must_use]
    pub const fn with_description(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }

    /// Keeps `srcdir` when the version changes (setup re-runs in place).
    #[must_use]
    pub const fn with_preserve_srcdir(mut self, preserve: bool) -> Self {
        self.preserve_srcdir = preserve;
        self
    }

    /// Runs `postprocess_iteration` after the profiled run too.
    #[must_use]
    pub const fn with_postprocess_profiled_run(mut self, postprocess: bool) -> Self {
        self.postprocess_profiled_run = postprocess;
        self
    }

    /// Marks a test that disturbs the network; the job disables NETWORK warnings while it runs.
    #[must_use]
    pub const fn with_network_destabilizing(mut self, destabilizing: bool) -> Self {
        self.network_destabilizing = destabilizing;
        self
    }

    /// The phases the test defines, each with its parameter table.
    #[must_use]
    pub const fn with_phases(mut self, phases: &'static [PhaseTable]) -> Self {
        self.phases = phases;
        self
    }

    /// The arguments `cargo test` runs the test with (empty unless given).
    #[must_use]
    pub fn default_args(&self) -> Args {
        self.default_args.map(|args| args()).unwrap_or_default()
    }

    /// The first required parameter without a value in `args`, as `(name, type)`.
    #[must_use]
    pub fn missing_required(&self, args: &Args) -> Option<(&'static str, &'static str)> {
        self.params()
            .map(|(_, param)| param)
            .find(|p| {
                p.kind() == crate::ParamKind::Required
                    && matches!(args.get(p.name()), None | Some(serde_json::Value::Null))
            })
            .map(|p| (p.name(), p.type_name()))
    }

    /// Where the test is defined (for duplicate-name reports).
    #[must_use]
    pub const fn with_location(mut self, file: &'static str, line: u32) -> Self {
        self.file = file;
        self.line = line;
        self
    }

    /// The test's name: its output directory and `status.log` operation.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The version (setup re-runs when it changes).
    #[must_use]
    pub const fn version(&self) -> Version {
        self.version
    }

    /// The description.
    #[must_use]
    pub const fn description(&self) -> &'static str {
        self.description
    }

    /// Whether srcdir survives a version change.
    #[must_use]
    pub const fn preserve_srcdir(&self) -> bool {
        self.preserve_srcdir
    }

    /// Whether `postprocess_iteration` follows the profiled run.
    #[must_use]
    pub const fn postprocess_profiled_run(&self) -> bool {
        self.postprocess_profiled_run
    }

    /// Whether the test disturbs the network.
    #[must_use]
    pub const fn network_destabilizing(&self) -> bool {
        self.network_destabilizing
    }

    /// The phase tables.
    #[must_use]
    pub const fn phases(&self) -> &'static [PhaseTable] {
        self.phases
    }

    /// `file:line` where the test is defined, if known.
    #[must_use]
    pub fn location(&self) -> String {
        if self.file.is_empty() { "an unknown place".to_owned() } else { format!("{}:{}", self.file, self.line) }
    }

    /// The table of `phase`, if the test defines it.
    #[must_use]
    pub fn phase(&self, phase: Phase) -> Option<&'static PhaseTable> {
        self.phases.iter().find(|table| table.phase() == phase)
    }

    /// Whether the test defines `phase`.
    #[must_use]
    pub fn has_phase(&self, phase: Phase) -> bool {
        self.phase(phase).is_some()
    }

    /// Whether the test drives its own loop (`execute` without `run_once`).
    #[must_use]
    pub fn has_own_execute(&self) -> bool {
        self.has_phase(Phase::Execute) && !self.has_phase(Phase::RunOnce)
    }

    /// Every distinct parameter, with the first phase that declares it.
    pub fn params(&self) -> impl Iterator<Item = (Phase, &'static Param)> {
        let mut seen: Vec<&str> = Vec::new();
        self.phases.iter().flat_map(|table| table.params().iter().map(move |param| (table.phase(), param))).filter(
            move |(_, param)| {
                if seen.contains(&param.name()) {
                    false
                } else {
                    seen.push(param.name());
                    true
                }
            },
        )
    }

    /// Checks a whole argument set against the tables without running anything:
    /// engine arguments, unknown names, missing required ones and wrong types.
    ///
    /// # Errors
    ///
    /// [`ArgErrors`] listing every problem found.
    pub fn validate(&self, args: &Args) -> Result<(), ArgErrors> {
        validate(self, args).map(drop)
    }
}

/// A test the engine can run: what `#[autotest]` implements for a struct.
///
/// `info` describes the test; `run_phase` runs one phase with the arguments of
/// the whole run, from which each phase takes exactly the parameters its table
/// declares. A phase the test does not define returns `Ok(())`.
///
/// Tests can implement it by hand:
///
/// ```
/// use harness_core::prelude::*;
/// use harness_core::{Autotest, Param, Phase, PhaseTable, TestInfo, Version};
///
/// #[derive(Default)]
/// struct Counter { runs: u32 }
///
/// static INFO: TestInfo = TestInfo::new("counter", Version::Int(1))
///     .with_phases(&[PhaseTable::new(Phase::RunOnce, &[Param::optional::<u32>("step", "Option<u32>")])]);
///
/// impl Autotest for Counter {
///     fn info(&self) -> &'static TestInfo {
///         &INFO
///     }
///
///     fn run_phase(&mut self, phase: Phase, ctx: &mut TestContext, args: &Args) -> TestResult {
///         match phase {
///             Phase::RunOnce => {
///                 let step: Option<u32> = args.get_as("step")?;
///                 self.runs += step.unwrap_or(1);
///                 ctx.write_perf_keyval([("runs", self.runs)])?;
///                 Ok(())
///             }
///             _ => Ok(()),
///         }
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a test",
    label = "`{Self}` needs `#[autotest(version = ...)]`",
    note = "add `#[autotest(version = 1)]` (and `#[derive(Default)]`) to the struct `{Self}`"
)]
pub trait Autotest: 'static {
    /// The static description of the test.
    fn info(&self) -> &'static TestInfo;

    /// Runs `phase` with the run's arguments.
    ///
    /// # Errors
    ///
    /// The phase's [`Failure`](crate::Failure), if it failed.
    fn run_phase(&mut self, phase: Phase, ctx: &mut TestContext, args: &Args) -> TestResult;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_names_round_trip() {
        for phase in Phase::ALL {
            assert_eq!(Phase::from_name(phase.name()), Some(phase));
        }
        assert_eq!(Phase::from_name("run_onec"), None);
        let error_phases: Vec<Phase> =
            Phase::ALL.into_iter().filter(|p| p.unhandled_status() == Status::Error).collect();
        assert_eq!(error_phases, [Phase::Initialize, Phase::Setup, Phase::Cleanup]);
    }

    #[test]
    fn params_are_distinct_in_table_order() {
        static INFO: TestInfo = TestInfo::new("t", Version::Str("2.0")).with_phases(&[
            PhaseTable::new(
                Phase::Initialize,
                &[Param::required::<String>("host", "String"), Param::optional::<String>("arg1", "Option<String>")],
            ),
            PhaseTable::new(Phase::Warmup, &[Param::required::<String>("host", "String")]),
        ]);
        let names: Vec<(Phase, &str)> = INFO.params().map(|(phase, p)| (phase, p.name())).collect();
        assert_eq!(names, [(Phase::Initialize, "host"), (Phase::Initialize, "arg1")]);
        assert_eq!(INFO.version().to_string(), "2.0");
        assert_eq!(INFO.location(), "an unknown place");
        assert!(!INFO.has_own_execute());
    }
}
