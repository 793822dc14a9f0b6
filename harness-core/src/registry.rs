//! Every test registered with `#[autotest]`, found by name.
//!
//! Registration happens before `main` through `inventory`. The registry is built
//! once, sorted by name, and looked up by binary search.

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::args::Args;
use crate::context::TestContext;
use crate::definition::Autotest;
use crate::error::{Error, Result};
use crate::failure::TestResult;
use crate::phase::Phase;
use crate::schema::{TestInfo, Variant, Version};

/// A registered test: its static description and how to build one.
#[derive(Debug)]
pub struct Registration {
    info: &'static TestInfo,
    make: fn() -> Box<dyn Autotest>,
    canary: bool,
}

impl Registration {
    /// A registration for `inventory::submit!`.
    #[must_use]
    pub const fn new(info: &'static TestInfo, make: fn() -> Box<dyn Autotest>) -> Self {
        Registration { info, make, canary: false }
    }

    /// The test's description.
    #[must_use]
    pub fn info(&self) -> &'static TestInfo {
        self.info
    }

    /// A fresh instance, built with `Default`.
    #[must_use]
    pub fn make(&self) -> Box<dyn Autotest> {
        (self.make)()
    }
}

inventory::collect!(Registration);

/// harness's own registration: if it is missing, registration does not work here.
struct Canary;

static CANARY: TestInfo = TestInfo::new("__harness_canary", Version::Int(0));

impl Autotest for Canary {
    fn info(&self) -> &'static TestInfo {
        &CANARY
    }

    fn run_phase(&mut self, _phase: Phase, _ctx: &mut TestContext, _args: &Args) -> TestResult {
        Ok(())
    }
}

fn make_canary() -> Box<dyn Autotest> {
    Box::new(Canary)
}

inventory::submit! {
    Registration { info: &CANARY, make: make_canary, canary: true }
}

struct Registry {
    sorted: Vec<&'static Registration>,
    canary: bool,
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();

fn registry() -> &'static Registry {
    REGISTRY.get_or_init(|| {
        let mut canary = false;
        // Sorted with each name beside its registration: no pointer to follow per comparison.
        let mut keyed: Vec<(&'static str, &'static Registration)> = Vec::new();
        for registration in inventory::iter::<Registration> {
            if registration.canary {
                canary = true;
            } else {
                keyed.push((registration.info.name(), registration));
            }
        }
        keyed.sort_unstable_by(|(a_name, a), (b_name, b)| {
            a_name.cmp(b_name).then_with(|| a.info.place().cmp(&b.info.place()))
        });
        Registry { sorted: keyed.into_iter().map(|(_, registration)| registration).collect(), canary }
    })
}

/// Every registered test, sorted by name.
pub fn all() -> impl Iterator<Item = &'static Registration> {
    registry().sorted.iter().copied()
}

/// The crates whose tests are registered, each once, in the registry's order:
/// (name, version, manifest directory). Worked out once per process: every
/// job's sysinfo names them, and `test_main` makes a job per test.
pub(crate) fn crates() -> &'static [(&'static str, &'static str, &'static str)] {
    static CRATES: OnceLock<Vec<(&'static str, &'static str, &'static str)>> = OnceLock::new();
    CRATES.get_or_init(|| {
        let mut seen = std::collections::HashSet::new();
        all()
            .map(|registration| {
                let info = registration.info();
                let (name, version) = info.crate_version();
                (name, version, info.manifest_dir())
            })
            .filter(|krate| seen.insert(*krate))
            .collect()
    })
}

/// The test registered under `name`: a binary search once the sorted list is
/// built, else one pass over the registrations (a test's child process looks
/// up one test and needs no sorted list).
#[must_use]
pub fn find(name: &str) -> Option<&'static Registration> {
    let Some(registry) = REGISTRY.get() else {
        // With duplicates, the same one as the sorted list (check() reports them).
        return inventory::iter::<Registration>
            .into_iter()
            .filter(|r| !r.canary && r.info.name() == name)
            .min_by_key(|r| r.info.place());
    };
    let sorted = &registry.sorted;
    sorted.binary_search_by(|r| r.info.name().cmp(name)).ok().map(|at| {
        // With duplicates, always the first one (check() reports them).
        let first = sorted[..at].iter().rposition(|r| r.info.name() != name).map_or(0, |p| p + 1);
        sorted[first]
    })
}

/// A name as a user writes it: a registered test, or `<test>.<variant>` of one
/// (`disk_write.small`).
#[must_use]
pub fn resolve(name: &str) -> Option<(&'static Registration, Option<&'static Variant>)> {
    if let Some(registration) = find(name) {
        return Some((registration, None));
    }
    let (test, variant) = name.rsplit_once('.')?;
    let registration = find(test)?;
    registration.info().variant(variant).map(|variant| (registration, Some(variant)))
}

/// The arguments of a run of `variant`: its own, under those given, and its
/// name as the tag (before a tag given: `small.nightly`).
#[must_use]
pub fn variant_args(variant: &Variant, given: Args) -> Args {
    let mut args = variant.args();
    let mut tag = variant.name().to_owned();
    for (name, value) in given.iter() {
        if name == "tag" {
            match value {
                serde_json::Value::String(text) => tag = format!("{tag}.{text}"),
                serde_json::Value::Null => {}
                other => tag = format!("{tag}.{other}"),
            }
        } else {
            args.set(name, value.clone());
        }
    }
    args.set("tag", tag);
    args
}

/// Every name a user can run, sorted: each test, and each of its variants as
/// `<test>.<variant>` after it (a test's own name borrowed, a variant's made).
pub fn names() -> impl Iterator<Item = (Cow<'static, str>, &'static Registration, Option<&'static Variant>)> {
    all().flat_map(|registration| {
        let info = registration.info();
        std::iter::once((Cow::Borrowed(info.name()), registration, None)).chain(
            info.variants()
                .iter()
                .map(move |v| (Cow::Owned(format!("{}.{}", info.name(), v.name())), registration, Some(v))),
        )
    })
}

/// Registered names close to `name`, closest first (for "did you mean").
#[must_use]
pub fn suggestions(name: &str) -> Vec<String> {
    let mut close: Vec<(usize, String)> = names()
        .map(|(candidate, _, _)| (strsim::levenshtein(name, &candidate), candidate.into_owned()))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(2) || candidate.contains(name))
        .collect();
    close.sort();
    close.dedup();
    close.into_iter().take(3).map(|(_, candidate)| candidate).collect()
}

/// Checks that registration works on this platform ([`self_check`]) and that no
/// name is registered twice.
///
/// # Errors
///
/// [`Error::RegistrationBroken`], or [`Error::DuplicateTest`] naming both places.
pub fn check() -> Result<()> {
    self_check()?;
    let sorted = &registry().sorted;
    for pair in sorted.windows(2) {
        if pair[0].info.name() == pair[1].info.name() {
            return Err(Error::DuplicateTest {
                name: pair[0].info.name().to_owned(),
                first: pair[0].info.location(),
                second: pair[1].info.location(),
            });
        }
    }
    Ok(())
}

/// Fails loudly when life-before-main registration did not run: harness-core
/// registers a canary test of its own, so an empty registry is told apart from a
/// binary that has no tests.
///
/// # Errors
///
/// [`Error::RegistrationBroken`].
pub fn self_check() -> Result<()> {
    if registry().canary { Ok(()) } else { Err(Error::RegistrationBroken) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canary_is_registered_and_hidden() {
        assert!(self_check().is_ok());
        assert!(find("__harness_canary").is_none());
        assert!(all().all(|r| !r.canary));
    }
}
