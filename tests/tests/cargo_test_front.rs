//! `#[autotest(cargo_test)]` under plain `cargo test`: each struct here becomes
//! a `#[test]` named `autotest_<name>`. `libtest_front.rs` runs this binary and
//! checks what it prints; run directly, every test here passes.

use std::time::Duration;

use harness_core::prelude::*;

/// Passes with a warning: WARN is a pass under every front end.
#[autotest(name = "ct_warn", version = 1, cargo_test)]
#[derive(Default)]
struct CtWarn;

#[autotest]
impl CtWarn {
    fn run_once(&mut self) -> TestResult {
        Err(Failure::warn("slow but fine"))
    }
}

/// Does not apply: TEST_NA is a skip, never a failure.
#[autotest(name = "ct_not_applicable", version = 1, cargo_test)]
#[derive(Default)]
struct CtNotApplicable;

#[autotest]
impl CtNotApplicable {
    fn initialize(&mut self) -> TestResult {
        Err(Failure::not_applicable("needs a GPU"))
    }

    fn run_once(&mut self) {}
}

/// Runs a process and fails if harness's own variables reached it: a test that
/// runs `cargo test` of another crate using harness must get a harness there,
/// not a child.
#[autotest(name = "ct_sees_no_harness_variables", version = 1, cargo_test)]
#[derive(Default)]
struct CtSeesNoHarnessVariables;

#[autotest]
impl CtSeesNoHarnessVariables {
    fn run_once(&mut self) -> TestResult {
        let env = std::process::Command::new("env").output()?;
        let text = String::from_utf8_lossy(&env.stdout);
        match text.lines().find(|line| line.starts_with("HARNESS_CHILD")) {
            Some(line) => Err(Failure::fail(format!("the test's processes see {line}"))),
            None => Ok(()),
        }
    }
}

/// Returns `Result<(), std::io::Error>` and fails through `?` (when
/// `HARNESS_TESTS_FAIL` is set): the failure is placed at the phase's own
/// line, never in the standard library or harness.
#[autotest(name = "ct_question_mark", version = 1, cargo_test)]
#[derive(Default)]
struct CtQuestionMark;

#[autotest]
impl CtQuestionMark {
    fn run_once(&mut self) -> Result<(), std::io::Error> {
        if std::env::var_os("HARNESS_TESTS_FAIL").is_some() {
            std::fs::read("/nonexistent/harness-config")?;
        }
        Ok(())
    }
}

/// Fails the first try of its iteration with `fail_retry`: `cargo_test(retries
/// = 1)` runs it again in the same process (its count survives), so it passes.
#[autotest(name = "ct_flaky", version = 1, cargo_test(retries = 1))]
#[derive(Default)]
struct CtFlaky {
    tries: u32,
}

#[autotest]
impl CtFlaky {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        self.tries += 1;
        if self.tries == 1 {
            return Err(Failure::fail_retry("flaked on the first try"));
        }
        ctx.write_perf_keyval([("tries", self.tries)])?;
        Ok(())
    }
}

/// Fails (when `HARNESS_TESTS_FAIL` is set) at a line of its own.
#[autotest(name = "ct_fails_on_request", version = 1, cargo_test)]
#[derive(Default)]
struct CtFailsOnRequest;

#[autotest]
impl CtFailsOnRequest {
    fn run_once(&mut self) -> TestResult {
        if std::env::var_os("HARNESS_TESTS_FAIL").is_some() {
            return Err(Failure::fail("latency over budget"));
        }
        Ok(())
    }
}

/// Panics (when `HARNESS_TESTS_FAIL` is set) in its own code.
#[autotest(name = "ct_panics_on_request", version = 1, cargo_test)]
#[derive(Default)]
struct CtPanicsOnRequest;

#[autotest]
impl CtPanicsOnRequest {
    fn run_once(&mut self) {
        let fail = std::env::var_os("HARNESS_TESTS_FAIL").is_some();
        assert!(!fail, "device vanished");
    }
}

/// Two slow tests: harness runs them one after the other, whatever libtest's threads.
#[autotest(name = "ct_slow_a", version = 1, cargo_test)]
#[derive(Default)]
struct CtSlowA;

#[autotest]
impl CtSlowA {
    fn run_once(&mut self) {
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The other one.
#[autotest(name = "ct_slow_b", version = 1, cargo_test)]
#[derive(Default)]
struct CtSlowB;

#[autotest]
impl CtSlowB {
    fn run_once(&mut self) {
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// A functional test: it runs beside others, without the machine-wide lock.
#[autotest(name = "ct_par_a", version = 1, parallel, cargo_test)]
#[derive(Default)]
struct CtParA;

#[autotest]
impl CtParA {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        std::thread::sleep(Duration::from_millis(600));
        ctx.output_perf_value(PerfValue::new("latency", vec![1.0, 2.0, 3.0]).units("ms"))?;
        Ok(())
    }
}

/// The other one.
#[autotest(name = "ct_par_b", version = 1, parallel, cargo_test)]
#[derive(Default)]
struct CtParB;

#[autotest]
impl CtParB {
    fn run_once(&mut self) {
        std::thread::sleep(Duration::from_millis(600));
    }
}

/// Hangs without checking for cancellation (when `HARNESS_TESTS_HANG` is set):
/// its 1 s timeout is enforced under plain `cargo test` too.
#[autotest(name = "ct_hangs", version = 1, cargo_test(timeout = 1))]
#[derive(Default)]
struct CtHangs;

#[autotest]
impl CtHangs {
    fn run_once(&mut self) {
        if std::env::var_os("HARNESS_TESTS_HANG").is_some() {
            std::thread::sleep(Duration::from_secs(600));
        }
    }
}

/// Needs what this machine may lack: TEST_NA naming it, a pass with a note.
#[autotest(name = "ct_needs", version = 1, requires(env("HARNESS_TESTS_NEED")), cargo_test)]
#[derive(Default)]
struct CtNeeds;

#[autotest]
impl CtNeeds {
    fn run_once(&mut self) {}
}
