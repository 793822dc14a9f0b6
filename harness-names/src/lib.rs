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

/// The arguments the engine consumes itself; no phase may declare a parameter
/// named like one of these.
pub const ENGINE_ARGS: [&str; 12] = [
    "iterations",
    "retries",
    "test_length",
    "profile_only",
    "postprocess_profiled_run",
    "constraints",
    "tag",
    "run_cleanup",
    "test_attributes",
    "timeout",
    "subdir_tag",
    "master_testpath",
];
