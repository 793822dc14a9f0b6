//! [`TestInfo`]: everything static about a test, and its [`Version`].

use std::fmt;

use super::param::{Param, PhaseTable};
use super::requirement::Requirement;
use crate::args::Args;
use crate::phase::Phase;

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
/// use harness_core::definition::{Param, Phase, PhaseTable, TestInfo, Version};
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
    parallel: bool,
    phases: &'static [PhaseTable],
    default_args: Option<fn() -> Args>,
    unit_test: bool,
    file: &'static str,
    line: u32,
    attrs: &'static [&'static str],
    contacts: &'static [&'static str],
    data: &'static [&'static str],
    data_root: &'static str,
    timeout: Option<f64>,
    retries: Option<u32>,
    warmup_iterations: Option<u64>,
    warmup_time: Option<f64>,
    cpus: Option<&'static str>,
    requirements: &'static [Requirement],
    variants: &'static [Variant],
    crate_name: &'static str,
    crate_version: &'static str,
    manifest_dir: &'static str,
}

/// One configuration of a test (`#[autotest(variants(small(block_kb = 4)))]`):
/// run as `<test>.<name>`, with its arguments under those given.
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    name: &'static str,
    args: fn() -> Args,
}

impl Variant {
    /// A variant named `name` (its tag) with the arguments `args` builds.
    #[must_use]
    pub const fn new(name: &'static str, args: fn() -> Args) -> Self {
        Variant { name, args }
    }

    /// Its name: the tag of its runs.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Its arguments.
    #[must_use]
    pub fn args(&self) -> Args {
        (self.args)()
    }
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
            parallel: false,
            phases: &[],
            default_args: None,
            unit_test: false,
            file: "",
            line: 0,
            attrs: &[],
            contacts: &[],
            data: &[],
            data_root: "",
            timeout: None,
            retries: None,
            warmup_iterations: None,
            warmup_time: None,
            cpus: None,
            requirements: &[],
            variants: &[],
            crate_name: "",
            crate_version: "",
            manifest_dir: "",
        }
    }

    /// The crate that defines the test: its name, version and manifest
    /// directory (`#[autotest]` gives them; the job's sysinfo records them).
    #[must_use]
    pub const fn with_crate(mut self, name: &'static str, version: &'static str, manifest_dir: &'static str) -> Self {
        self.crate_name = name;
        self.crate_version = version;
        self.manifest_dir = manifest_dir;
        self
    }

    /// The defining crate's name and version (empty when not given).
    #[must_use]
    pub const fn crate_version(&self) -> (&'static str, &'static str) {
        (self.crate_name, self.crate_version)
    }

    /// The defining crate's manifest directory at build time (empty when not given).
    #[must_use]
    pub const fn manifest_dir(&self) -> &'static str {
        self.manifest_dir
    }

    /// Free-form attributes (`"group:perf"`, `"disk"`) that `--select` matches.
    #[must_use]
    pub const fn with_attrs(mut self, attrs: &'static [&'static str]) -> Self {
        self.attrs = attrs;
        self
    }

    /// The files and directories the test reads, relative to `root` (its
    /// crate's directory): packed by `bundle`, found with
    /// [`TestContext::data`](crate::TestContext::data).
    #[must_use]
    pub const fn with_data(mut self, data: &'static [&'static str], root: &'static str) -> Self {
        self.data = data;
        self.data_root = root;
        self
    }

    /// Who owns the test.
    #[must_use]
    pub const fn with_contacts(mut self, contacts: &'static [&'static str]) -> Self {
        self.contacts = contacts;
        self
    }

    /// The test's default time limit in seconds (a `timeout` argument wins).
    #[must_use]
    pub const fn with_timeout(mut self, seconds: f64) -> Self {
        self.timeout = Some(seconds);
        self
    }

    /// How often an iteration failing with `fail_retry` runs again, unless the
    /// run says (a `retries` argument wins; without either, the job's `test_retry`).
    #[must_use]
    pub const fn with_retries(mut self, retries: u32) -> Self {
        self.retries = Some(retries);
        self
    }

    /// Whether the test may run beside other tests (a functional test): it
    /// does not take the machine-wide lock a measuring test holds.
    #[must_use]
    pub const fn with_parallel(mut self, parallel: bool) -> Self {
        self.parallel = parallel;
        self
    }

    /// The CPUs the test runs on (`"0-3,6"`), unless the run says (a `cpus`
    /// argument wins).
    #[must_use]
    pub const fn with_cpus(mut self, cpus: &'static str) -> Self {
        self.cpus = Some(cpus);
        self
    }

    /// The CPUs the test runs on by default, as written.
    #[must_use]
    pub const fn cpus(&self) -> Option<&'static str> {
        self.cpus
    }

    /// Whether the test runs beside others, without the machine-wide lock.
    #[must_use]
    pub const fn parallel(&self) -> bool {
        self.parallel
    }

    /// Iterations to run before the measured ones and throw away, unless the
    /// run says (a `warmup_iterations` argument wins).
    #[must_use]
    pub const fn with_warmup_iterations(mut self, iterations: u64) -> Self {
        self.warmup_iterations = Some(iterations);
        self
    }

    /// Seconds of iterations to run before the measured ones and throw away,
    /// unless the run says (a `warmup_time` argument wins).
    #[must_use]
    pub const fn with_warmup_time(mut self, seconds: f64) -> Self {
        self.warmup_time = Some(seconds);
        self
    }

    /// What the machine must have; checked before `initialize`.
    #[must_use]
    pub const fn with_requirements(mut self, requirements: &'static [Requirement]) -> Self {
        self.requirements = requirements;
        self
    }

    /// The test's variants, each run as `<test>.<variant>`.
    #[must_use]
    pub const fn with_variants(mut self, variants: &'static [Variant]) -> Self {
        self.variants = variants;
        self
    }

    /// The attributes.
    #[must_use]
    pub const fn attrs(&self) -> &'static [&'static str] {
        self.attrs
    }

    /// The contacts.
    #[must_use]
    pub const fn contacts(&self) -> &'static [&'static str] {
        self.contacts
    }

    /// The data it declares (`data("tests/data")`), relative to its crate.
    #[must_use]
    pub const fn data(&self) -> &'static [&'static str] {
        self.data
    }

    /// Where declared data `path` is on the machine that built the test.
    #[must_use]
    pub fn data_source(&self, path: &str) -> std::path::PathBuf {
        std::path::Path::new(self.data_root).join(path)
    }

    /// The default time limit in seconds.
    #[must_use]
    pub const fn timeout(&self) -> Option<f64> {
        self.timeout
    }

    /// The default retries of an iteration failing with `fail_retry`.
    #[must_use]
    pub const fn retries(&self) -> Option<u32> {
        self.retries
    }

    /// The default warm-up iterations.
    #[must_use]
    pub const fn warmup_iterations(&self) -> Option<u64> {
        self.warmup_iterations
    }

    /// The default warm-up time in seconds.
    #[must_use]
    pub const fn warmup_time(&self) -> Option<f64> {
        self.warmup_time
    }

    /// The requirements.
    #[must_use]
    pub const fn requirements(&self) -> &'static [Requirement] {
        self.requirements
    }

    /// The variants.
    #[must_use]
    pub const fn variants(&self) -> &'static [Variant] {
        self.variants
    }

    /// Checks the requirements in order.
    ///
    /// # Errors
    ///
    /// The TEST_NA reason naming the first one this machine does not meet
    /// (`requirement not met: file("/dev/kvm"): /dev/kvm does not exist`).
    pub fn check_requirements(&self) -> Result<(), String> {
        super::requirement::check_all(self.requirements)
    }

    /// The variant called `name`.
    #[must_use]
    pub fn variant(&self, name: &str) -> Option<&'static Variant> {
        self.variants.iter().find(|v| v.name == name)
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

    /// File and line, in the order duplicates are ranked.
    pub(crate) const fn place(&self) -> (&'static str, u32) {
        (self.file, self.line)
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
