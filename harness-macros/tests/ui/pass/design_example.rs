// The example of DESIGN.md section 2, unchanged, and a run of it.
use harness_core::prelude::*;

/// Sleeps for `seconds` in every iteration.
#[autotest(name = "sleeptest", version = 1)]
#[derive(Default)]
pub struct SleepTest {
    slept: f64,
}

#[autotest]
impl SleepTest {
    fn run_once(&mut self, ctx: &mut TestContext, seconds: f64) -> TestResult {
        std::thread::sleep(std::time::Duration::from_secs_f64(seconds));
        self.slept += seconds;
        ctx.write_perf_keyval([("slept_seconds", self.slept)])?;
        Ok(())
    }

    fn postprocess(&mut self, ctx: &mut TestContext) -> TestResult {
        ctx.output_perf_value(PerfValue::new("total_sleep", self.slept).units("s"))?;
        Ok(())
    }
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let job = harness_core::Job::builder(dir.path().join("results")).build().unwrap();
    let record = job.test("sleeptest").iterations(2).arg("seconds", 0.001).run_detail().unwrap();
    assert_eq!(record.status, Status::Good, "{}", record.reason);
    assert_eq!(record.perf_values[0].description, "total_sleep");
    let info = harness_core::registry::find("sleeptest").unwrap().info();
    assert_eq!(info.description(), "Sleeps for `seconds` in every iteration.");
    let table = info.phase(harness_core::definition::Phase::RunOnce).unwrap();
    assert_eq!(table.params()[0].name(), "seconds");
    assert_eq!(table.params()[0].type_name(), "f64");
}
