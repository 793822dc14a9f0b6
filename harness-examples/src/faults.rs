//! Tests that misbehave on purpose, to show what running each test in its own
//! process buys: a crash or a hang is that test's ERROR, and the job goes on.

use std::time::Duration;

use harness_core::prelude::*;

/// Aborts the whole process in run_once (as a failed assertion in C would).
#[autotest(name = "fault_abort", version = 1)]
#[derive(Debug, Default)]
pub struct FaultAbort;

#[autotest]
impl FaultAbort {
    fn run_once(&mut self) {
        std::process::abort();
    }
}

/// Dies from SIGSEGV in run_once (as a stray pointer in a C library would).
#[autotest(name = "fault_segfault", version = 1)]
#[derive(Debug, Default)]
pub struct FaultSegfault;

#[autotest]
impl FaultSegfault {
    fn run_once(&mut self) -> TestResult {
        use nix::sys::signal::{SigHandler, Signal, raise, signal};
        // std handles SIGSEGV to report stack overflows; a real crash gets the
        // default action, which this restores before raising the signal.
        #[allow(unsafe_code, reason = "setting a signal's default action has no Rust-side invariants")]
        // SAFETY: SIG_DFL is not a Rust function, so no handler can run Rust code.
        unsafe {
            signal(Signal::SIGSEGV, SigHandler::SigDfl)?;
        }
        raise(Signal::SIGSEGV)?;
        Ok(())
    }
}

/// Hangs in run_once for `seconds`: with `cooperative`, through `ctx.sleep`, which
/// returns when the job asks the test to stop (its cleanup then runs); without,
/// in a plain sleep that only SIGKILL ends. Give it a `timeout`.
#[autotest(name = "fault_hang", version = 1)]
#[derive(Debug, Default)]
pub struct FaultHang;

#[autotest]
impl FaultHang {
    fn run_once(
        &mut self,
        ctx: &mut TestContext,
        #[arg(default = 3600.0)] seconds: f64,
        #[arg(default = true, doc = "wait through ctx.sleep")] cooperative: bool,
    ) -> TestResult {
        log::info!("hanging for {seconds} s");
        if cooperative {
            ctx.sleep(Duration::from_secs_f64(seconds))
        } else {
            std::thread::sleep(Duration::from_secs_f64(seconds));
            Ok(())
        }
    }

    fn cleanup(&mut self, ctx: &mut TestContext) -> TestResult {
        ctx.write_test_keyval([("cleanup_ran", "yes")])?;
        Ok(())
    }
}
