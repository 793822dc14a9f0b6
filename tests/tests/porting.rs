//! docs/porting.md maps every construct of the original `base_test` to its Rust
//! form: every method and module function of `test.py`, every attribute of the
//! test object, and every `job.*` call it makes.

/// Every `def` of the original `client/common_lib/test.py`.
const METHODS: [&str; 38] = [
    "__init__",
    "_append_type_to_keys",
    "_call_run_once",
    "_call_run_once_with_retry",
    "_call_test_function",
    "_cherry_pick_args",
    "_cherry_pick_call",
    "_exec",
    "_get_nonstar_args",
    "_installtest",
    "_make_writable_to_others",
    "_validate_args",
    "after_run_once",
    "analyze_perf_constraints",
    "assert_",
    "before_run_once",
    "cleanup",
    "configure_crash_handler",
    "crash_handler_report",
    "drop_caches_between_iterations",
    "execute",
    "initialize",
    "output_perf_value",
    "postprocess",
    "postprocess_iteration",
    "process_failed_constraints",
    "register_after_iteration_hook",
    "register_before_iteration_hook",
    "run_once",
    "run_once_profiling",
    "runsubtest",
    "runtest",
    "setup",
    "warmup",
    "write_attr_keyval",
    "write_iteration_keyval",
    "write_perf_keyval",
    "write_test_keyval",
];

/// Every attribute of the test object: class attributes, those set in
/// `__init__`, and those read with `getattr`.
const ATTRIBUTES: [&str; 23] = [
    "version",
    "preserve_srcdir",
    "network_destabilizing",
    "postprocess_profiled_run",
    "job",
    "pkgmgr",
    "autodir",
    "outputdir",
    "tagged_testname",
    "resultsdir",
    "profdir",
    "debugdir",
    "crash_handling_enabled",
    "bindir",
    "srcdir",
    "tmpdir",
    "_keyvals",
    "_new_keyval",
    "failed_constraints",
    "iteration",
    "before_iteration_hooks",
    "after_iteration_hooks",
    "success",
];

/// Every `job.*` the original uses.
const JOB_CALLS: [&str; 23] = [
    "job._tap",
    "job.autodir",
    "job.default_profile_only",
    "job.disable_warnings",
    "job.drop_caches_between_iterations",
    "job.enable_warnings",
    "job.install_pkg",
    "job.logging.restore",
    "job.logging.tee_redirect_debug_dir",
    "job.pkgmgr",
    "job.pkgmgr.fetch_pkg",
    "job.pkgmgr.get_package_name",
    "job.pkgmgr.untar_pkg",
    "job.profilers",
    "job.profilers.present",
    "job.record",
    "job.resultdir",
    "job.run_test",
    "job.run_test_cleanup",
    "job.test_retry",
    "job.testdir",
    "job.tmpdir",
    "utils.update_version",
];

fn table_rows() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/porting.md");
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().filter(|line| line.starts_with("| `")).map(str::to_owned).collect()
}

/// Whether a table row's first column names `name` (`name` or `name(...)`).
fn covered(rows: &[String], name: &str) -> bool {
    rows.iter().any(|row| {
        let first = row.split(" | ").next().unwrap_or("");
        first.contains(&format!("`{name}`"))
            || first.contains(&format!("`{name}("))
            || first.contains(&format!("`{name}.")) && name.contains('.')
    })
}

#[test]
fn every_method_and_module_function_is_mapped() {
    let rows = table_rows();
    let missing: Vec<&str> = METHODS.iter().copied().filter(|m| !covered(&rows, m)).collect();
    assert!(missing.is_empty(), "docs/porting.md has no row for {missing:?}");
}

#[test]
fn every_attribute_is_mapped() {
    let rows = table_rows();
    let missing: Vec<&str> = ATTRIBUTES.iter().copied().filter(|a| !covered(&rows, a)).collect();
    assert!(missing.is_empty(), "docs/porting.md has no row for {missing:?}");
}

#[test]
fn every_job_call_is_mapped() {
    let rows = table_rows();
    let missing: Vec<&str> = JOB_CALLS.iter().copied().filter(|c| !covered(&rows, c)).collect();
    assert!(missing.is_empty(), "docs/porting.md has no row for {missing:?}");
}

#[test]
fn the_lists_match_the_original() {
    // The reference copy of the original is outside the repository; when it is
    // there, check the lists above against it.
    let original = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/reference/autotest_test.py");
    let Ok(source) = std::fs::read_to_string(original) else { return };
    let defs: std::collections::BTreeSet<&str> = source
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("def "))
        .filter_map(|rest| rest.split('(').next())
        .collect();
    let listed: std::collections::BTreeSet<&str> = METHODS.iter().copied().filter(|m| *m != "run_once").collect();
    assert_eq!(defs, listed);
    for line in source.lines() {
        let line = line.trim_start();
        if let Some(rest) = line.strip_prefix("self.") {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if rest[name.len()..].trim_start().starts_with('=') && !rest[name.len()..].trim_start().starts_with("==") {
                assert!(ATTRIBUTES.contains(&name.as_str()), "attribute {name} is not listed");
            }
        }
    }
}
