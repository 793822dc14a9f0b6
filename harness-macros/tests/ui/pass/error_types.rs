// Phases return any error that converts into `Failure`, and `?` works on each.
use harness_core::prelude::*;

type BoxError = Box<dyn std::error::Error>;
type SyncError = Box<dyn std::error::Error + Send + Sync>;

fn read(path: &str) -> Result<String, BoxError> {
    Ok(std::fs::read_to_string(path)?)
}

fn parse(text: &str) -> Result<u32, SyncError> {
    Ok(text.trim().parse()?)
}

fn context(path: &str) -> anyhow::Result<()> {
    use anyhow::Context as _;
    std::fs::read(path).with_context(|| format!("reading {path}"))?;
    Ok(())
}

#[autotest(version = 1)]
#[derive(Default)]
struct Errors;

#[autotest]
impl Errors {
    fn initialize(&mut self) -> Result<(), BoxError> {
        log::info!("the prelude brings log");
        Ok(())
    }

    fn setup(&mut self) -> Result<(), SyncError> {
        Ok(())
    }

    fn warmup(&mut self) -> anyhow::Result<()> {
        Ok(())
    }

    fn run_once(&mut self, which: u32) -> TestResult {
        match which {
            0 => {
                read("/nonexistent/harness")?;
            }
            1 => {
                parse("x")?;
            }
            _ => context("/nonexistent/harness")?,
        }
        Ok(())
    }
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let job = harness_core::Job::builder(dir.path().join("r")).build().unwrap();
    let run = |which: u32| {
        let record = job.test("errors").tag(which.to_string()).arg("which", which).run_detail().unwrap();
        (record.status, record.reason, record.details)
    };
    let (status, reason, _) = run(0);
    assert_eq!((status, reason.as_str()), (Status::Fail, "Unhandled Box<dyn Error>: No such file or directory (os error 2)"));
    let (_, reason, _) = run(1);
    assert_eq!(reason, "Unhandled Box<dyn Error>: invalid digit found in string");
    let (_, reason, details) = run(2);
    assert_eq!(reason, "Unhandled anyhow::Error: reading /nonexistent/harness");
    assert_eq!(details, ["caused by: No such file or directory (os error 2)"]);
}
