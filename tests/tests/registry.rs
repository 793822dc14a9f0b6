//! The registry: every `#[autotest]` test of the binary, sorted, found by name,
//! duplicates reported with both places.

use harness_core::prelude::*;
use harness_core::{Error, Job, registry};

macro_rules! test_named {
    ($ty:ident, $name:literal) => {
        #[autotest(name = $name, version = 1)]
        #[derive(Default)]
        struct $ty;

        #[autotest]
        impl $ty {
            fn run_once(&mut self) {}
        }
    };
}

test_named!(Zeta, "zeta");
test_named!(Alpha, "alpha");
test_named!(Mid, "mid_test");
test_named!(Dup1, "dup");
test_named!(Dup2, "dup");

/// Defaults to the struct name in snake case.
#[autotest(version = 1)]
#[derive(Default)]
struct HTTPLoadTest;

#[autotest]
impl HTTPLoadTest {
    fn run_once(&mut self) {}
}

#[test]
fn tests_are_sorted_by_name() {
    let names: Vec<&str> = registry::all().map(|r| r.info().name()).collect();
    assert_eq!(names, ["alpha", "dup", "dup", "http_load_test", "mid_test", "zeta"]);
    assert!(registry::self_check().is_ok());
}

#[test]
fn lookup_and_suggestions() {
    assert_eq!(registry::find("mid_test").unwrap().info().name(), "mid_test");
    assert!(registry::find("nope").is_none());
    assert_eq!(registry::suggestions("alpah"), ["alpha"]);
    assert_eq!(registry::suggestions("mid"), ["mid_test"]);
    let dir = tempfile::tempdir().unwrap();
    let job = Job::builder(dir.path().join("r")).build().unwrap();
    let err = job.run_test("zeat", Args::new()).unwrap_err();
    assert!(matches!(err, Error::UnknownTest { .. }));
    assert_eq!(err.to_string(), "unknown test `zeat`; did you mean `zeta`?");
    assert!(std::fs::read_dir(dir.path().join("r")).unwrap().all(|e| {
        let name = e.unwrap().file_name();
        ["status.log", "keyval", ".autoserv_execute", "sysinfo", "events.jsonl"].iter().any(|n| name == *n)
    }));
}

#[test]
fn duplicates_name_both_places() {
    let err = registry::check().unwrap_err().to_string();
    let here = file!();
    assert!(err.starts_with("test name `dup` is registered twice: at "), "{err}");
    assert_eq!(err.matches(here).count(), 2, "{err}");
    assert!(err.ends_with("rename one of them with #[autotest(name = \"...\")]"), "{err}");
}
