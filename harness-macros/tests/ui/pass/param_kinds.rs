// One parameter of each kind, with the table each produces.
use harness_core::prelude::*;
use harness_core::definition::{ParamKind, Phase};

#[autotest(version = "2.0")]
#[derive(Default)]
struct Kinds {
    seen: Vec<String>,
}

#[autotest]
impl Kinds {
    fn initialize(&mut self, required: u32, optional: Option<String>) {
        self.seen.push(format!("{required} {optional:?}"));
    }

    fn run_once(
        &mut self,
        #[arg(default = 3, doc = "how many")] count: u64,
        #[arg(doc = "a list")] sizes: Vec<u16>,
        required: u32,
    ) -> Result<(), std::io::Error> {
        self.seen.push(format!("{count} {sizes:?} {required}"));
        Ok(())
    }

    fn cleanup(&mut self, ctx: &mut TestContext, #[args] all: &Args) -> TestResult {
        let names: Vec<&str> = all.iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["required", "sizes", "iterations"]);
        assert_eq!(self.seen, ["5 None", "3 [1, 2] 5"]);
        ctx.write_test_keyval([("checked", "yes")])?;
        Ok(())
    }

    fn not_a_phase(&self) -> usize {
        self.seen.len()
    }
}

fn main() {
    let info = harness_core::registry::find("kinds").unwrap().info();
    assert_eq!(info.version(), harness_core::definition::Version::Str("2.0"));
    let init = info.phase(Phase::Initialize).unwrap().params();
    assert_eq!((init[0].name(), init[0].type_name(), init[0].kind()), ("required", "u32", ParamKind::Required));
    assert_eq!((init[1].name(), init[1].type_name(), init[1].kind()), ("optional", "Option<String>", ParamKind::Optional));
    let run = info.phase(Phase::RunOnce).unwrap().params();
    assert_eq!((run[0].kind(), run[0].doc()), (ParamKind::Default("3"), "how many"));
    assert_eq!((run[1].type_name(), run[1].doc()), ("Vec<u16>", "a list"));
    assert!(info.phase(Phase::Cleanup).unwrap().accepts_all());
    assert!(info.phase(Phase::Warmup).is_none());
    let dir = tempfile::tempdir().unwrap();
    let job = harness_core::Job::builder(dir.path().join("r")).build().unwrap();
    let args = Args::new().with("required", 5).with("sizes", vec![1, 2]).with("iterations", 1);
    let record = job.run_test_detail("kinds", args).unwrap();
    assert_eq!(record.status, Status::Good, "{}", record.reason);
    assert_eq!(record.keyvals["checked"], "yes");
    assert_eq!(Kinds::default().not_a_phase(), 0);
}
