//! The names `harness-core` and `harness-macros` both know, in one list each:
//! the lifecycle phases a test may define, and the engine arguments no phase
//! may declare. The macro cannot depend on `harness-core` (which depends on
//! it), so both depend on this crate instead of keeping copies.

#![no_std]

/// The phases a test may define, as methods of its `#[autotest] impl`, in
/// lifecycle order (harness-core's `Phase` enum has its variants in this order
/// and names them from this list).
pub const PHASES: [&str; 10] = [
    "initialize",
    "setup",
    "warmup",
    "before_run_once",
    "run_once",
    "after_run_once",
    "postprocess_iteration",
    "postprocess",
    "cleanup",
    "execute",
];

/// Where the engine consumes one of its arguments, as autotest did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumer {
    /// The job, before the test runs (autotest's `job.run_test`, `runtest`
    /// and `_exec`): no phase sees it, nor is it written as a `param-` keyval.
    Job,
    /// The base `execute`: the iteration loop; `run_once` and the phases
    /// around each iteration never see it.
    Execute,
}

/// Every argument the engine consumes itself, with where: the one table the
/// macro's checks, harness-core's job-level and execute-level sets and its
/// parser are derived from.
pub const ENGINE_ARG_TABLE: [(&str, Consumer); 16] = [
    ("iterations", Consumer::Execute),
    ("warmup_iterations", Consumer::Execute),
    ("warmup_time", Consumer::Execute),
    ("retries", Consumer::Execute),
    ("test_length", Consumer::Execute),
    ("profile_only", Consumer::Execute),
    ("postprocess_profiled_run", Consumer::Execute),
    ("constraints", Consumer::Execute),
    ("tag", Consumer::Job),
    ("run_cleanup", Consumer::Job),
    ("test_attributes", Consumer::Job),
    ("timeout", Consumer::Job),
    ("subdir_tag", Consumer::Job),
    ("master_testpath", Consumer::Job),
    ("parallel", Consumer::Job),
    ("cpus", Consumer::Job),
];

/// The names of [`ENGINE_ARG_TABLE`]: no phase may declare a parameter named
/// like one of these.
pub const ENGINE_ARGS: [&str; ENGINE_ARG_TABLE.len()] = {
    let mut names = [""; ENGINE_ARG_TABLE.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = ENGINE_ARG_TABLE[i].0;
        i += 1;
    }
    names
};

/// How many engine arguments `consumer` consumes.
#[must_use]
pub const fn consumed_count(consumer: Consumer) -> usize {
    let mut count = 0;
    let mut i = 0;
    while i < ENGINE_ARG_TABLE.len() {
        if ENGINE_ARG_TABLE[i].1 as u8 == consumer as u8 {
            count += 1;
        }
        i += 1;
    }
    count
}

/// The engine arguments `consumer` consumes, in table order; `N` is
/// [`consumed_count`]`(consumer)` (a wrong `N` fails to compile).
#[must_use]
pub const fn consumed_by<const N: usize>(consumer: Consumer) -> [&'static str; N] {
    assert!(N == consumed_count(consumer), "N must be consumed_count(consumer)");
    let mut names = [""; N];
    let (mut i, mut at) = (0, 0);
    while i < ENGINE_ARG_TABLE.len() {
        if ENGINE_ARG_TABLE[i].1 as u8 == consumer as u8 {
            names[at] = ENGINE_ARG_TABLE[i].0;
            at += 1;
        }
        i += 1;
    }
    names
}
