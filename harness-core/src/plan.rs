//! [`PlannedRun`]: one run of one test, planned once. Every front end plans
//! its runs here (the CLI from names, globs, `--select`, control files and
//! `--rerun-failed`; `test_main` and `cargo_test` from their registrations;
//! the `Job` API from a name or an instance): the test and its variant are
//! resolved, a variant's arguments merged in, and the arguments checked
//! against the test's tables, once. The job runs planned runs, and a test's
//! child process receives its planned run whole ([`WirePlan`]): it neither
//! resolves a name nor checks an argument again.

use serde::{Deserialize, Serialize};

use crate::args::Args;
use crate::definition::Autotest;
use crate::error::{Error, Result};
use crate::registry::{self, Registration};
use crate::schema::{TestInfo, Variant};
use crate::validate::{Checked, check};

/// A run of one test, planned: what runs, with which arguments, checked.
#[derive(Debug, Clone)]
pub(crate) struct PlannedRun {
    /// The registration, for a registered test (a child process can run it
    /// by name); `None` for an instance given to the job directly.
    registration: Option<&'static Registration>,
    info: &'static TestInfo,
    /// The variant's name, when the run is one (`small` of `file_io.small`).
    variant: Option<&'static str>,
    /// The arguments as run: a variant's own under those given.
    args: Args,
    /// The arguments checked: the engine's parsed, and every problem.
    checked: Checked,
}

impl PlannedRun {
    /// A run of `registration` (its `variant`, if one) with `given` arguments.
    pub(crate) fn of(registration: &'static Registration, variant: Option<&'static Variant>, given: Args) -> Self {
        let args = match variant {
            Some(variant) => registry::variant_args(variant, given),
            None => given,
        };
        let info = registration.info();
        let checked = check(info, &args);
        PlannedRun { registration: Some(registration), info, variant: variant.map(Variant::name), args, checked }
    }

    /// A run of the test or variant a user names (`sleeptest`, `file_io.small`).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownTest`], with the closest names.
    pub(crate) fn named(name: &str, given: Args) -> Result<Self> {
        let (registration, variant) = registry::resolve(name)
            .ok_or_else(|| Error::UnknownTest { name: name.to_owned(), suggestions: registry::suggestions(name) })?;
        Ok(PlannedRun::of(registration, variant, given))
    }

    /// A run of a test instance that need not be registered (it always runs
    /// in the calling process).
    pub(crate) fn instance(test: &dyn Autotest, args: Args) -> Self {
        let info = test.info();
        let checked = check(info, &args);
        PlannedRun { registration: None, info, variant: None, args, checked }
    }

    /// The registration, for a registered test.
    pub(crate) fn registration(&self) -> Option<&'static Registration> {
        self.registration
    }

    /// The test's description and tables.
    pub(crate) fn info(&self) -> &'static TestInfo {
        self.info
    }

    /// The variant's name, when the run is one.
    pub(crate) fn variant(&self) -> Option<&'static str> {
        self.variant
    }

    /// The name the run is listed and sharded by: `test`, or `test.variant`
    /// (as [`registry::names`](crate::registry::names) gives it).
    pub(crate) fn name(&self) -> String {
        match self.variant {
            Some(variant) => format!("{}.{variant}", self.info.name()),
            None => self.info.name().to_owned(),
        }
    }

    /// The arguments as run.
    pub(crate) fn args(&self) -> &Args {
        &self.args
    }

    /// The arguments, checked.
    pub(crate) fn checked(&self) -> &Checked {
        &self.checked
    }

    /// What a child process is told of this run.
    pub(crate) fn wire(&self) -> Option<WirePlan> {
        let registration = self.registration?;
        Some(WirePlan {
            test: registration.info().name().to_owned(),
            variant: self.variant.map(str::to_owned),
            args: self.args.clone(),
            checked: self.checked.clone(),
        })
    }
}

/// A planned run as it travels to a test's child process: the test by its
/// registered name, the variant by its name, the arguments as run and as
/// checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WirePlan {
    test: String,
    variant: Option<String>,
    args: Args,
    checked: Checked,
}

impl WirePlan {
    /// The planned run again, in the child: its registration found by its
    /// exact name (the binary is the same), nothing resolved or checked.
    ///
    /// # Errors
    ///
    /// A name this binary does not register (a spec that is not this
    /// binary's), or a variant it does not have.
    pub(crate) fn plan(self) -> std::result::Result<PlannedRun, String> {
        let registration =
            registry::find(&self.test).ok_or_else(|| format!("unknown test `{}` in a child", self.test))?;
        let info = registration.info();
        let variant = match &self.variant {
            Some(name) => {
                Some(info.variant(name).ok_or_else(|| format!("`{}` has no variant `{name}`", self.test))?.name())
            }
            None => None,
        };
        Ok(PlannedRun { registration: Some(registration), info, variant, args: self.args, checked: self.checked })
    }
}
