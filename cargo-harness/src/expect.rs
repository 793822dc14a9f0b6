//! `report --merge --expect LIST`: the tests a sharded run was meant to run,
//! from `cargo nextest list --message-format json` with the run's filter, so
//! that a test no shard ran (a shard that died, a skipped test after a
//! failure without `--no-fail-fast`) is reported as not run, never silently
//! missing from the merged job.

use std::collections::BTreeSet;
use std::path::Path;

use crate::error::CliError;

/// A test as the results name it: the binary (nextest's `binary-name`) and the
/// harness test (`ct_slow` for the `cargo_test` trial `tests::autotest_ct_slow`).
pub(crate) type TestId = (String, String);

/// The tests the list says will run: those its filter matches, not ignored.
///
/// # Errors
///
/// A file that cannot be read, or is not nextest's list.
pub(crate) fn expected(path: &Path) -> Result<BTreeSet<TestId>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::io("read", path, e))?;
    let bad = |why: &str| CliError::Expect { path: path.to_owned(), reason: why.to_owned() };
    let list: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(&format!("it is not JSON: {e}")))?;
    let suites = list
        .get("rust-suites")
        .and_then(serde_json::Value::as_object)
        .ok_or_else(|| bad("it has no `rust-suites`; make it with `cargo nextest list --message-format json`"))?;
    let mut out = BTreeSet::new();
    for (id, suite) in suites {
        let binary = suite
            .get("binary-name")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| bad(&format!("suite `{id}` has no `binary-name`")))?;
        let Some(cases) = suite.get("testcases").and_then(serde_json::Value::as_object) else { continue };
        for (name, case) in cases {
            let matches = case.pointer("/filter-match/status").and_then(serde_json::Value::as_str) == Some("matches");
            let ignored = case.get("ignored").and_then(serde_json::Value::as_bool).unwrap_or(false);
            if matches && !ignored {
                out.insert((binary.to_owned(), harness_name(name).to_owned()));
            }
        }
    }
    Ok(out)
}

/// The harness test a libtest trial runs: `tests::autotest_ct_slow` is
/// `ct_slow` (a `cargo_test` test), `nx_slow` is itself (a `test_main` one).
fn harness_name(trial: &str) -> &str {
    let last = trial.rsplit("::").next().unwrap_or(trial);
    last.strip_prefix("autotest_").unwrap_or(last)
}

/// The test a shard's job directory holds, `<shard>/<binary>/<test>/<run>`.
pub(crate) fn test_of(job: &Path) -> Option<TestId> {
    let test = job.parent()?;
    let binary = test.parent()?;
    Some((binary.file_name()?.to_str()?.to_owned(), test.file_name()?.to_str()?.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trials_name_their_tests() {
        assert_eq!(harness_name("tests::autotest_ct_slow"), "ct_slow");
        assert_eq!(harness_name("autotest_lib_unit_test"), "lib_unit_test");
        assert_eq!(harness_name("nx_slow_a"), "nx_slow_a");
        assert_eq!(
            test_of(Path::new("shard-1/autotests/nx_good/20261207T1-42")),
            Some(("autotests".to_owned(), "nx_good".to_owned()))
        );
    }
}
