//! What a test is, for those who write one without `#[autotest]`: the
//! [`Autotest`] trait, its static [`TestInfo`], the [`Phase`]s and the
//! parameter tables the engine validates arguments against.

pub use crate::phase::Phase;
pub use crate::schema::{Decoder, Param, ParamKind, PhaseTable, Requirement, TestInfo, Variant, Version, decoder};
pub use harness_names::ENGINE_ARGS;

use crate::args::Args;
use crate::context::TestContext;
use crate::failure::TestResult;

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
/// use harness_core::definition::{Autotest, Param, Phase, PhaseTable, TestInfo, Version};
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
    /// The phase's [`Failure`](crate::failure::Failure), if it failed.
    fn run_phase(&mut self, phase: Phase, ctx: &mut TestContext, args: &Args) -> TestResult;
}
