//! Test statuses, named and ordered as autotest names and orders them.

use std::fmt;
use std::str::FromStr;

/// How a test ended, as written in `status.log`, `junit.xml` and `results.json`.
///
/// The first six are what harness produces. `ALERT`, `RUNNING` and `NOSTATUS`
/// are never produced by harness; they exist so that status logs written by
/// autotest itself parse.
///
/// Statuses are ordered from worst to best exactly as autotest's
/// `job_statuses` list (and TKO) order them, so `TEST_NA` counts as the worst:
///
/// ```
/// use harness_core::Status;
/// assert!(Status::Fail.is_worse_than(Status::Warn));
/// assert!(Status::TestNa.is_worse_than(Status::Abort));
/// assert_eq!("TEST_NA".parse::<Status>().unwrap(), Status::TestNa);
/// assert_eq!(Status::Good.to_string(), "GOOD");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Status {
    /// The test passed.
    #[serde(rename = "GOOD")]
    Good,
    /// The test ran and found the system under test wanting (`TestFail`).
    #[serde(rename = "FAIL")]
    Fail,
    /// The test could not do its job (`TestError`): setup, arguments, harness trouble.
    #[serde(rename = "ERROR")]
    Error,
    /// The test does not apply to this system (`TestNAError`).
    #[serde(rename = "TEST_NA")]
    TestNa,
    /// The test passed with a warning (`TestWarn`).
    #[serde(rename = "WARN")]
    Warn,
    /// The job was aborted while the test ran (interrupt, `JobError`).
    #[serde(rename = "ABORT")]
    Abort,
    /// Only read from autotest logs.
    #[serde(rename = "ALERT")]
    Alert,
    /// Only read from autotest logs.
    #[serde(rename = "RUNNING")]
    Running,
    /// Only read from autotest logs.
    #[serde(rename = "NOSTATUS")]
    NoStatus,
}

/// autotest's `job_statuses`, worst first.
const ORDER: [Status; 9] = [
    Status::TestNa,
    Status::Abort,
    Status::Error,
    Status::Fail,
    Status::Warn,
    Status::Good,
    Status::Alert,
    Status::Running,
    Status::NoStatus,
];

impl Status {
    /// The name as it appears in files: `GOOD`, `FAIL`, `ERROR`, `TEST_NA`, `WARN`, `ABORT`, ...
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Good => "GOOD",
            Status::Fail => "FAIL",
            Status::Error => "ERROR",
            Status::TestNa => "TEST_NA",
            Status::Warn => "WARN",
            Status::Abort => "ABORT",
            Status::Alert => "ALERT",
            Status::Running => "RUNNING",
            Status::NoStatus => "NOSTATUS",
        }
    }

    /// True for FAIL, ERROR and ABORT: the outcomes that make a job exit non-zero.
    ///
    /// GOOD, WARN and TEST_NA are not failures.
    #[must_use]
    pub const fn is_failure(self) -> bool {
        matches!(self, Status::Fail | Status::Error | Status::Abort)
    }

    /// The status of a job from its tests': the worst failure (ABORT, ERROR,
    /// FAIL, in autotest's order), else WARN if there is one, else TEST_NA if
    /// there is one, else GOOD. Unlike autotest's order, a TEST_NA never hides
    /// a failure in a job's status.
    ///
    /// ```
    /// use harness_core::Status;
    /// assert_eq!(Status::of_job([Status::Good, Status::TestNa, Status::Fail]), Status::Fail);
    /// assert_eq!(Status::of_job([Status::Good, Status::TestNa, Status::Warn]), Status::Warn);
    /// assert_eq!(Status::of_job([]), Status::Good);
    /// ```
    #[must_use]
    pub fn of_job(statuses: impl IntoIterator<Item = Status>) -> Status {
        let rank = |status: Status| match status {
            s if s.is_failure() => 3 + (ORDER.len() - s.rank()),
            Status::Warn => 2,
            Status::TestNa => 1,
            _ => 0,
        };
        statuses.into_iter().filter(|s| rank(*s) > 0).max_by_key(|s| rank(*s)).unwrap_or(Status::Good)
    }

    fn rank(self) -> usize {
        ORDER.iter().position(|s| *s == self).unwrap_or(ORDER.len())
    }

    /// Whether `self` comes before `other` in autotest's worst-to-best order.
    #[must_use]
    pub fn is_worse_than(self, other: Status) -> bool {
        self.rank() < other.rank()
    }

    /// The worse of two statuses (the first one on a tie).
    #[must_use]
    pub fn worst(self, other: Status) -> Status {
        if other.is_worse_than(self) { other } else { self }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a [`Status`] from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status `{0}`; expected one of GOOD, FAIL, ERROR, TEST_NA, WARN, ABORT, ALERT, RUNNING, NOSTATUS")]
pub struct ParseStatusError(pub String);

impl FromStr for Status {
    type Err = ParseStatusError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ORDER.iter().copied().find(|status| status.as_str() == s).ok_or_else(|| ParseStatusError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_autotests_job_statuses() {
        let names: Vec<&str> = ORDER.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["TEST_NA", "ABORT", "ERROR", "FAIL", "WARN", "GOOD", "ALERT", "RUNNING", "NOSTATUS"]);
        assert_eq!(Status::Good.worst(Status::Warn), Status::Warn);
        assert_eq!(Status::Fail.worst(Status::Error), Status::Error);
        assert_eq!(Status::Fail.worst(Status::Fail), Status::Fail);
    }

    #[test]
    fn parse_round_trips_and_rejects_unknown() {
        for status in ORDER {
            assert_eq!(status.as_str().parse::<Status>(), Ok(status));
        }
        assert_eq!(
            "BAD".parse::<Status>().unwrap_err().to_string(),
            "unknown status `BAD`; expected one of GOOD, FAIL, ERROR, TEST_NA, WARN, ABORT, ALERT, RUNNING, NOSTATUS"
        );
    }

    #[test]
    fn failures_are_fail_error_abort() {
        let failing: Vec<Status> = ORDER.into_iter().filter(|s| s.is_failure()).collect();
        assert_eq!(failing, [Status::Abort, Status::Error, Status::Fail]);
    }
}
