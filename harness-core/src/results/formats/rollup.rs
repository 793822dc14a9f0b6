//! TKO's roll-up of a test's group in `status.log`: the status of a test is
//! the worst status seen anywhere inside its group (its own line, its
//! subtests, WARN or FAIL lines recorded inside it), in autotest's order, and
//! its reason collects the reasons of the lines that were at least as bad as
//! the status so far. harness's own verdicts (`results.json`, `junit.xml`, the
//! console, the exit status) use the same rule as its reader of status logs,
//! so they and TKO never disagree.
//!
//! The rule, as TKO's status_version 1 parser applies it (described in our
//! words; see docs/file-formats.md):
//! - each nesting level inside the group keeps the worst status of its lines,
//!   and a closed level passes its status to the one around it;
//! - a line counts for the reason when its status is at least as bad as the
//!   status seen so far at the level the previous counted line left;
//! - reasons are kept as a set: one that is part of a longer one is dropped,
//!   and the rest are sorted and joined with `", "`;
//! - a group whose lines gave no reason takes the reason of its END line.

use serde::{Deserialize, Serialize};

use crate::status::Status;

/// One line of a group, as the roll-up reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Line {
    /// A nested group opens.
    Start,
    /// A status line.
    Status(Status, String),
    /// A nested group closes.
    End(Status),
}

/// The roll-up of one group while its lines arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RollUp {
    /// The worst status of each open level, the group's own first.
    levels: Vec<Status>,
    /// The status the next line is compared with.
    current: Status,
    reasons: Vec<String>,
}

impl Default for RollUp {
    fn default() -> Self {
        RollUp { levels: vec![Status::NoStatus], current: Status::NoStatus, reasons: Vec::new() }
    }
}

impl RollUp {
    fn update_top(&mut self, status: Status) {
        if let Some(top) = self.levels.last_mut()
            && status.is_worse_than(*top)
        {
            *top = status;
        }
    }

    /// Takes one line inside the group.
    pub(crate) fn line(&mut self, line: &Line) {
        match line {
            Line::Start => self.levels.push(Status::NoStatus),
            Line::Status(status, reason) => {
                self.update_top(*status);
                if !self.current.is_worse_than(*status) {
                    if !reason.is_empty() && !self.reasons.contains(reason) {
                        self.reasons.push(reason.clone());
                    }
                    self.current = self.levels.last().copied().unwrap_or(Status::NoStatus);
                }
            }
            Line::End(status) => {
                self.update_top(*status);
                if self.levels.len() > 1 {
                    let closed = self.levels.pop().unwrap_or(Status::NoStatus);
                    self.update_top(closed);
                }
                self.current = self.levels.last().copied().unwrap_or(Status::NoStatus);
            }
        }
    }

    /// Closes the group with its END line: its status, and its reason
    /// (`end_reason` when no line gave one).
    pub(crate) fn close(mut self, status: Status, end_reason: &str) -> (Status, String) {
        self.update_top(status);
        let status = self.levels.first().copied().unwrap_or(status);
        let reason = if self.reasons.is_empty() { end_reason.to_owned() } else { joined(&self.reasons) };
        (status, reason)
    }
}

/// A set of reasons as TKO shows it: those that are part of a longer one
/// dropped, the rest sorted and joined with `", "`.
fn joined(reasons: &[String]) -> String {
    let mut longest_first: Vec<&String> = reasons.iter().collect();
    longest_first.sort_by_key(|reason| std::cmp::Reverse(reason.len()));
    let mut kept: Vec<&str> = Vec::new();
    for reason in longest_first {
        if !kept.iter().any(|longer| longer.contains(reason.as_str())) {
            kept.push(reason);
        }
    }
    kept.sort_unstable();
    kept.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roll(lines: &[Line], end: Status) -> (Status, String) {
        let mut rollup = RollUp::default();
        for line in lines {
            rollup.line(line);
        }
        rollup.close(end, "")
    }

    fn status(status: Status, reason: &str) -> Line {
        Line::Status(status, reason.to_owned())
    }

    #[test]
    fn a_plain_test_is_its_own_line() {
        assert_eq!(
            roll(&[status(Status::Good, "completed successfully")], Status::Good),
            (Status::Good, "completed successfully".to_owned())
        );
    }

    #[test]
    fn inner_lines_make_the_test_worse() {
        let warned = [status(Status::Warn, "disk slow"), status(Status::Good, "completed successfully")];
        assert_eq!(roll(&warned, Status::Good), (Status::Warn, "disk slow".to_owned()));
        let subtest_failed = [
            Line::Start,
            status(Status::Fail, "child broke"),
            Line::End(Status::Fail),
            status(Status::Good, "completed successfully"),
        ];
        assert_eq!(roll(&subtest_failed, Status::Good), (Status::Fail, "child broke".to_owned()));
    }

    #[test]
    fn reasons_of_better_lines_stay_as_tko_keeps_them() {
        // A GOOD subtest, then the test's own FAIL: both reasons, sorted.
        let lines = [
            Line::Start,
            status(Status::Good, "completed successfully"),
            Line::End(Status::Good),
            status(Status::Fail, "boom"),
        ];
        assert_eq!(roll(&lines, Status::Fail), (Status::Fail, "boom, completed successfully".to_owned()));
    }

    #[test]
    fn test_na_is_the_worst_and_parts_of_longer_reasons_go() {
        let lines = [status(Status::Fail, "disk"), status(Status::TestNa, "no disk here")];
        assert_eq!(roll(&lines, Status::Fail), (Status::TestNa, "no disk here".to_owned()));
        assert_eq!(roll(&[], Status::Abort), (Status::Abort, String::new()));
    }
}
