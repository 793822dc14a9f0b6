//! Calling user code: every phase, hook and profiler call goes through here, so a
//! panic becomes the test's failure instead of unwinding into the caller.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::args::Args;
use crate::context::TestContext;
use crate::debuglog::{PhaseScope, payload_text, take_panic};
use crate::definition::Autotest;
use crate::failure::{Failure, TestResult};
use crate::phase::Phase;

/// Runs `f`, turning a panic into `Unhandled panic: <message>` with its location.
pub(crate) fn guarded<R>(f: impl FnOnce() -> TestResult<R>) -> TestResult<R> {
    let scope = PhaseScope::enter();
    let result = catch_unwind(AssertUnwindSafe(f));
    drop(scope);
    match result {
        Ok(result) => result,
        Err(payload) => {
            let (message, location) = take_panic().unwrap_or_else(|| (payload_text(payload.as_ref()), None));
            // A payload whose destructor panics must not escape either.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            Err(Failure::from_panic(&message, location.as_deref()))
        }
    }
}

/// Runs one phase of the test, guarded.
pub(crate) fn call(test: &mut dyn Autotest, phase: Phase, ctx: &mut TestContext, args: &Args) -> TestResult {
    let outer = ctx.phase.replace(phase);
    let result = guarded(|| test.run_phase(phase, ctx, args)).map_err(|failure| failure.in_phase(phase));
    ctx.phase = outer;
    result
}
