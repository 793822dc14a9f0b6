// A string literal as the default of a `String` parameter, and defaults listed as values.
use harness_core::prelude::*;
use harness_core::definition::Phase;

#[autotest(version = 1, cargo_test(path = "/tmp"))]
#[derive(Default)]
struct Modes {
    seen: String,
}

#[autotest]
impl Modes {
    fn run_once(
        &mut self,
        #[arg(default = "fast")] mode: String,
        #[arg(default = "/dev/loop0".to_string())] device: String,
        #[arg(default = 64)] size_mb: usize,
        path: std::path::PathBuf,
    ) -> TestResult {
        self.seen = format!("{mode} {device} {size_mb} {}", path.display());
        Ok(())
    }

    fn postprocess(&mut self, ctx: &mut TestContext) -> TestResult {
        ctx.write_test_keyval([("seen", self.seen.as_str())])?;
        Ok(())
    }
}

fn main() {
    let info = harness_core::registry::find("modes").unwrap().info();
    let params = info.phase(Phase::RunOnce).unwrap().params();
    let shown: Vec<Option<&str>> = params.iter().map(|p| p.default_text()).collect();
    assert_eq!(shown, [Some("\"fast\""), Some("\"/dev/loop0\""), Some("64"), None]);
    assert_eq!(params[1].default_value(), Some(serde_json::json!("/dev/loop0")));
    let dir = tempfile::tempdir().unwrap();
    let job = harness_core::Job::builder(dir.path().join("r")).build().unwrap();
    let record = job.run_test_detail("modes", Args::new().with("path", "/srv")).unwrap();
    assert_eq!(record.status, Status::Good, "{}", record.reason);
    assert_eq!(record.keyvals["seen"], "fast /dev/loop0 64 /srv");
}
