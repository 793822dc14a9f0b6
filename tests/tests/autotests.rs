//! A `harness = false` test target: every test here runs through
//! `harness_core::test_main()`, under `cargo test` or `cargo nextest run`.
//! `libtest_front.rs` drives this binary and checks what it reports.

use harness_core::prelude::*;

/// Passes, and writes a perf keyval.
#[autotest(name = "nx_good", version = 1)]
#[derive(Default)]
struct Good;

#[autotest]
impl Good {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        ctx.write_perf_keyval([(
            "attempt",
            std::env::var("NEXTEST_ATTEMPT").ok().and_then(|a| a.parse::<u32>().ok()).unwrap_or(0),
        )])?;
        ctx.output_perf_value(PerfValue::new("latency", 1.5).units("ms"))?;
        Ok(())
    }
}

/// Passes with a warning.
#[autotest(name = "nx_warn", version = 1)]
#[derive(Default)]
struct Warn;

#[autotest]
impl Warn {
    fn run_once(&mut self) -> TestResult {
        Err(Failure::warn("slow but fine"))
    }
}

/// Does not apply here.
#[autotest(name = "nx_not_applicable", version = 1)]
#[derive(Default)]
struct NotApplicable;

#[autotest]
impl NotApplicable {
    fn run_once(&mut self) -> TestResult {
        Err(Failure::not_applicable("needs hardware this machine lacks"))
    }
}

/// Needs an argument nobody gives it.
#[autotest(name = "nx_needs_value", version = 1)]
#[derive(Default)]
struct NeedsValue;

#[autotest]
impl NeedsValue {
    fn run_once(&mut self, device: String) {
        let _ = device;
    }
}

/// Gets its argument from `cargo_test(...)`.
#[autotest(name = "nx_with_value", version = 1, cargo_test(device = "loop0", iterations = 2))]
#[derive(Default)]
struct WithValue;

#[autotest]
impl WithValue {
    fn run_once(&mut self, device: String) -> TestResult {
        if device == "loop0" { Ok(()) } else { Err(Failure::fail(format!("got {device}"))) }
    }
}

/// Fails when `HARNESS_TESTS_FAIL` is set (to check how failures are reported).
#[autotest(name = "nx_fails_on_request", version = 1)]
#[derive(Default)]
struct FailsOnRequest;

#[autotest]
impl FailsOnRequest {
    fn run_once(&mut self) -> TestResult {
        if std::env::var_os("HARNESS_TESTS_FAIL").is_some() {
            return Err(Failure::fail("failed on request"));
        }
        Ok(())
    }
}

/// Slow, twice: `test_main` runs harness tests one at a time unless asked otherwise.
#[autotest(name = "nx_slow_a", version = 1)]
#[derive(Default)]
struct SlowA;

#[autotest]
impl SlowA {
    fn run_once(&mut self) {
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

/// The other one.
#[autotest(name = "nx_slow_b", version = 1)]
#[derive(Default)]
struct SlowB;

#[autotest]
impl SlowB {
    fn run_once(&mut self) {
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

/// Hangs without ever checking for cancellation (when `HARNESS_TESTS_HANG` is
/// set): its 1 s timeout is enforced all the same.
#[autotest(name = "nx_hangs", version = 1, cargo_test(timeout = 1))]
#[derive(Default)]
struct Hangs;

#[autotest]
impl Hangs {
    fn run_once(&mut self) {
        if std::env::var_os("HARNESS_TESTS_HANG").is_some() {
            std::thread::sleep(std::time::Duration::from_secs(600));
        }
    }
}

/// Leaves its process group for the test binary's own, then hangs without
/// checking for cancellation (when `HARNESS_TESTS_HANG` is set): its 1 s
/// timeout is enforced all the same.
#[autotest(name = "nx_leaves_group", version = 1, cargo_test(timeout = 1))]
#[derive(Default)]
struct LeavesGroup;

#[autotest]
impl LeavesGroup {
    fn run_once(&mut self) -> TestResult {
        if std::env::var_os("HARNESS_TESTS_HANG").is_some() {
            let binary = nix::unistd::getpgid(Some(nix::unistd::getppid()))?;
            nix::unistd::setpgid(nix::unistd::Pid::from_raw(0), binary)?;
            std::thread::sleep(std::time::Duration::from_secs(600));
        }
        Ok(())
    }
}

/// Builds `flavor` into its srcdir in setup (slowly, noting each build in
/// `setups.log` beside it), and reads it back through each iteration: its
/// variants, run at once, must never see each other's build.
#[autotest(
    name = "nx_built",
    version = 1,
    variants(a(flavor = "a"), b(flavor = "b"), c(flavor = "c"), d(flavor = "d"))
)]
#[derive(Default)]
struct Built;

#[autotest]
impl Built {
    fn setup(&mut self, ctx: &mut TestContext, flavor: String) -> TestResult {
        use std::io::Write as _;
        let mut log = std::fs::File::options().create(true).append(true).open(ctx.bindir().join("setups.log"))?;
        writeln!(log, "{flavor}")?;
        std::fs::create_dir_all(ctx.srcdir())?;
        std::thread::sleep(std::time::Duration::from_millis(200));
        std::fs::write(ctx.srcdir().join("flavor"), &flavor)?;
        Ok(())
    }

    fn run_once(&mut self, ctx: &mut TestContext, flavor: String) -> TestResult {
        for _ in 0..20 {
            let built = std::fs::read_to_string(ctx.srcdir().join("flavor"))?;
            if built != flavor {
                return Err(Failure::fail(format!("built for {built}, not {flavor}")));
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        Ok(())
    }
}

/// Fails the first try of its iteration with `fail_retry`; its attribute's
/// `retries = 1` runs it again in the same process, so it passes.
#[autotest(name = "nx_flaky", version = 1, retries = 1)]
#[derive(Default)]
struct Flaky {
    tries: u32,
}

#[autotest]
impl Flaky {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        self.tries += 1;
        if self.tries == 1 {
            return Err(Failure::fail_retry("flaked on the first try"));
        }
        ctx.write_perf_keyval([("tries", self.tries)])?;
        Ok(())
    }
}

/// Hangs with no timeout (when `HARNESS_TESTS_HANG` is set), starting a
/// subprocess that holds its output: only a signal ends it.
#[autotest(name = "nx_hangs_forever", version = 1)]
#[derive(Default)]
struct HangsForever;

#[autotest]
impl HangsForever {
    fn run_once(&mut self) -> TestResult {
        if std::env::var_os("HARNESS_TESTS_HANG").is_some() {
            let _sleeper = std::process::Command::new("sleep").arg("600").spawn()?;
            std::thread::sleep(std::time::Duration::from_secs(600));
        }
        Ok(())
    }
}

// The library's `lib_unit_test` has `cargo_test`: it runs in the library's unit
// tests, and `test_main` leaves it out.
use harness_tests as _;

fn main() {
    harness_core::test_main();
}

/// Runs only where `HARNESS_TESTS_NEED` is set: TEST_NA, naming it, elsewhere.
#[autotest(name = "nx_needs", version = 1, attrs("needs"), requires(env("HARNESS_TESTS_NEED")))]
#[derive(Default)]
struct Needs;

#[autotest]
impl Needs {
    fn run_once(&mut self) {}
}

/// One test, two configurations: `nx_sized.small` and `nx_sized.large`.
#[autotest(
    name = "nx_sized",
    version = 1,
    attrs("group:perf"),
    variants(small(size = 1), large(size = 64, iterations = 2))
)]
#[derive(Default)]
struct Sized;

#[autotest]
impl Sized {
    fn run_once(&mut self, ctx: &mut TestContext, #[arg(default = 8)] size: u32) -> TestResult {
        ctx.write_perf_keyval([("size", size)])?;
        Ok(())
    }
}

/// Limited to 1 s by its attribute; sleeps 30 s when `HARNESS_TESTS_SLOW` is set.
#[autotest(name = "nx_limited", version = 1, timeout = 1)]
#[derive(Default)]
struct Limited;

#[autotest]
impl Limited {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        if std::env::var_os("HARNESS_TESTS_SLOW").is_some() {
            ctx.sleep(std::time::Duration::from_secs(30))?;
        }
        Ok(())
    }
}
