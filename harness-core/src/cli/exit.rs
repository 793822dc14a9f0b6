//! How a harness binary's command ends: its exit statuses, and the usage
//! errors that end it before anything runs.

use super::error::Problem;

/// Exit status when every test ended GOOD, WARN or TEST_NA.
pub(crate) const EXIT_OK: i32 = 0;
/// Exit status when a test ended FAIL, ERROR or ABORT.
pub(crate) const EXIT_FAILED: i32 = 1;
/// Exit status for usage and validation errors (nothing ran).
pub(crate) const EXIT_USAGE: i32 = 2;

/// Prints every problem; the usage exit status.
pub(crate) fn usage_errors(problems: &[Problem]) -> i32 {
    for problem in problems {
        eprintln!("error: {problem}");
    }
    EXIT_USAGE
}
