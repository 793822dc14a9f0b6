//! Every piece of metadata a test can carry, and its variants, listed and run.
use harness_core::prelude::*;

fn has_tmp() -> Result<(), String> {
    if std::path::Path::new("/tmp").exists() { Ok(()) } else { Err("no /tmp".to_owned()) }
}

#[autotest(
    name = "disk_write",
    version = 2,
    attrs("group:perf", "disk"),
    timeout = 120,
    warmup_iterations = 2,
    warmup_time = 0.5,
    cpus = "0",
    contacts("storage@example.com"),
    requires(file("/"), command("sh"), env("PATH"), cpus(1), memory_gb(1), fn(has_tmp)),
    variants(small(block_kb = 4), large(block_kb = 1024, iterations = 3))
)]
#[derive(Default)]
struct DiskWrite;

#[autotest]
impl DiskWrite {
    fn run_once(&mut self, ctx: &mut TestContext, #[arg(default = 64)] block_kb: u32) -> TestResult {
        ctx.write_perf_keyval([("block_kb", block_kb)])?;
        Ok(())
    }
}

/// A functional test: it runs beside others, without the machine-wide lock.
#[autotest(name = "disk_layout", version = 1, parallel)]
#[derive(Default)]
struct DiskLayout;

#[autotest]
impl DiskLayout {
    fn run_once(&mut self) -> TestResult {
        Ok(())
    }
}

fn main() {
    let layout = harness_core::registry::find("disk_layout").unwrap().info();
    assert!(layout.parallel());
    assert_eq!((layout.warmup_iterations(), layout.warmup_time()), (None, None));
    let info = harness_core::registry::find("disk_write").unwrap().info();
    assert_eq!(info.attrs(), ["group:perf", "disk"]);
    assert_eq!(info.contacts(), ["storage@example.com"]);
    assert_eq!(info.timeout(), Some(120.0));
    assert_eq!((info.warmup_iterations(), info.warmup_time()), (Some(2), Some(0.5)));
    assert!(!info.parallel());
    assert_eq!((info.cpus(), layout.cpus()), (Some("0"), None));
    let requirements: Vec<String> = info.requirements().iter().map(ToString::to_string).collect();
    assert_eq!(
        requirements,
        ["file(\"/\")", "command(\"sh\")", "env(\"PATH\")", "cpus(1)", "memory_gb(1)", "fn(has_tmp)"]
    );
    assert_eq!(info.check_requirements(), Ok(()));
    let (_, large) = harness_core::registry::resolve("disk_write.large").unwrap();
    let large = large.unwrap();
    assert_eq!(large.args().get("block_kb"), Some(&serde_json::json!(1024)));
    assert_eq!(large.args().get("iterations"), Some(&serde_json::json!(3)));
}
