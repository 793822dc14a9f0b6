//! Reading a whole `status.log` back into tests and their statuses, as TKO does.

use std::fs;
use std::path::Path;

use super::rollup::{Line, RollUp};
use super::status_entry::{StatusCode, StatusEntry};
use crate::error::{Error, Result};
use crate::status::Status;

/// The reason TKO gives a group that a log leaves open.
pub const ABORTED_UNEXPECTEDLY: &str = "Job aborted unexpectedly";

/// One group of a status log: the job (no operation) or a test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupStatus {
    /// The subdir of the START line.
    pub subdir: Option<String>,
    /// The operation (test name) of the START line; `None` for the job.
    pub operation: Option<String>,
    /// The worst status inside the group and of its END line, rolled up as
    /// TKO rolls up a test (see `results::rollup` and docs/file-formats.md).
    pub status: Status,
    /// The reasons TKO collects for the group, joined with `", "`; the END
    /// message when there are none.
    pub reason: String,
    /// The START line's `timestamp`.
    pub started: Option<i64>,
    /// The END line's `timestamp`.
    pub finished: Option<i64>,
    /// The START line's fields (`timeout=60`, ...).
    pub start_fields: Vec<(String, String)>,
    /// How deep the group is nested (0 for the job).
    pub depth: usize,
    /// True when the log ended before the group's END, and the reader closed it as ABORT.
    pub closed_by_reader: bool,
}

/// A parsed status log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusLog {
    /// Every entry with its indentation, continuation lines attached.
    pub entries: Vec<(usize, StatusEntry)>,
    /// Every group, in the order of their START lines; the job's group included.
    pub groups: Vec<GroupStatus>,
}

impl StatusLog {
    /// The groups that are tests (those with an operation).
    pub fn tests(&self) -> impl Iterator<Item = &GroupStatus> {
        self.groups.iter().filter(|g| g.operation.is_some())
    }

    /// Reads and parses a status log.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be read, [`Error::StatusLog`] (with the
    /// line number) for a line that is not a status line.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
        Self::parse(&text)
    }

    /// Parses the text of a status log. Groups still open at the end are closed as
    /// ABORT with [`ABORTED_UNEXPECTEDLY`], innermost first, as TKO closes them.
    ///
    /// # Errors
    ///
    /// [`Error::StatusLog`] (with the line number) for a line that is not a status line.
    pub fn parse(text: &str) -> Result<Self> {
        // Checked before anything is built: harness never writes deeper, and
        // every open group takes each line (TKO's roll-up).
        let tests = nesting(text).saturating_sub(1);
        if tests > crate::names::MAX_DEPTH {
            return Err(Error::StatusLog(format!(
                "it nests {tests} tests deep; harness reads at most {} levels (a test, its subtests, theirs, ...)",
                crate::names::MAX_DEPTH
            )));
        }
        let mut log = StatusLog::default();
        let mut open: Vec<Open> = Vec::new();
        // A last line without its newline is one a writer never finished.
        for (number, line) in super::keyval::complete_lines(text).enumerate() {
            if line.is_empty() {
                continue;
            }
            let parsed = StatusEntry::parse(line).map_err(|e| match e {
                Error::StatusLog(message) => Error::StatusLog(format!("line {}: {message}", number + 1)),
                other => other,
            })?;
            let Some((indent, entry)) = parsed else {
                if let Some((_, last)) = log.entries.last_mut() {
                    last.push_extra_line(&line[2..]);
                }
                continue;
            };
            match entry.code() {
                StatusCode::Start => {
                    for group in &mut open {
                        group.rollup.line(&Line::Start);
                    }
                    open.push(Open { index: log.groups.len(), rollup: RollUp::default() });
                    log.groups.push(GroupStatus {
                        subdir: entry.subdir().map(str::to_owned),
                        operation: entry.operation().map(str::to_owned),
                        status: Status::NoStatus,
                        reason: String::new(),
                        started: entry.timestamp(),
                        finished: None,
                        start_fields: entry
                            .fields()
                            .iter()
                            .filter(|(k, _)| k != "timestamp" && k != "localtime")
                            .cloned()
                            .collect(),
                        depth: open.len() - 1,
                        closed_by_reader: false,
                    });
                }
                StatusCode::Status(status) => {
                    let line = Line::Status(status, entry.message().to_owned());
                    for group in &mut open {
                        group.rollup.line(&line);
                    }
                }
                StatusCode::End(status) => {
                    if let Some(group) = open.pop() {
                        group.close(&mut log.groups, status, entry.message(), entry.timestamp(), false);
                    }
                    for group in &mut open {
                        group.rollup.line(&Line::End(status));
                    }
                }
                StatusCode::Info => {}
            }
            log.entries.push((indent, entry));
        }
        while let Some(group) = open.pop() {
            group.close(&mut log.groups, Status::Abort, ABORTED_UNEXPECTEDLY, None, true);
            for outer in &mut open {
                outer.rollup.line(&Line::End(Status::Abort));
            }
        }
        Ok(log)
    }
}

/// The deepest nesting of groups in `text` (1 for a job without tests).
fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for line in super::keyval::complete_lines(text) {
        let body = line.trim_start_matches('\t');
        if body.starts_with("START\t") {
            depth += 1;
            deepest = deepest.max(depth);
        } else if body.starts_with("END ") && !line.starts_with("  ") {
            depth = depth.saturating_sub(1);
        }
    }
    deepest
}

struct Open {
    index: usize,
    rollup: RollUp,
}

impl Open {
    fn close(self, groups: &mut [GroupStatus], status: Status, message: &str, finished: Option<i64>, by_reader: bool) {
        let end = status;
        let (rolled, reason) = self.rollup.close(status, message);
        if let Some(group) = groups.get_mut(self.index) {
            // The job's group is not a test row for TKO: a job has not failed
            // because some of its tests have, so it keeps its own END status
            // (ABORT when the log ends inside it).
            let status = if group.operation.is_none() && group.subdir.is_none() { end } else { rolled };
            group.status = status;
            group.reason = reason;
            group.finished = finished;
            group.closed_by_reader = by_reader;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "START\t----\t----\ttimestamp=1\tlocaltime=x\t
\tSTART\tt.a\tt\ttimeout=60\ttimestamp=2\tlocaltime=x\t
\t\tINFO\t----\t----\ttimestamp=3\tlocaltime=x\tRun 0 failed with flaky
\t\tFAIL\tt.a\tt\ttimestamp=4\tlocaltime=x\tUnhandled panic: boom
  panicked at src/lib.rs:1:1
\tEND FAIL\tt.a\tt\ttimestamp=5\tlocaltime=x\t
\tSTART\tu\tu\ttimestamp=6\tlocaltime=x\t
\t\tGOOD\tu\tu\ttimestamp=7\tlocaltime=x\tcompleted successfully
\tEND GOOD\tu\tu\ttimestamp=8\tlocaltime=x\t
END GOOD\t----\t----\ttimestamp=9\tlocaltime=x\t
";

    #[test]
    fn groups_and_statuses() {
        let log = StatusLog::parse(LOG).unwrap();
        assert_eq!(log.entries.len(), 9);
        assert_eq!(log.entries[3].1.extra_lines(), ["panicked at src/lib.rs:1:1"]);
        let tests: Vec<_> = log.tests().collect();
        assert_eq!(tests.len(), 2);
        assert_eq!(tests[0].status, Status::Fail);
        assert_eq!(tests[0].reason, "Unhandled panic: boom");
        assert_eq!(tests[0].start_fields, [("timeout".to_owned(), "60".to_owned())]);
        assert_eq!((tests[0].started, tests[0].finished), (Some(2), Some(5)));
        assert_eq!(tests[1].status, Status::Good);
        assert_eq!(tests[1].reason, "completed successfully");
        assert_eq!(log.groups[0].status, Status::Good);
        assert_eq!(log.groups[0].depth, 0);
        assert_eq!(tests[0].depth, 1);
    }

    #[test]
    fn open_groups_are_closed_as_aborted() {
        let cut = LOG.lines().take(4).collect::<Vec<_>>().join("\n");
        let log = StatusLog::parse(&cut).unwrap();
        let test = log.tests().next().unwrap();
        assert_eq!(test.status, Status::Abort);
        assert!(test.closed_by_reader);
        assert_eq!(test.reason, ABORTED_UNEXPECTEDLY);
        assert_eq!(log.groups[0].status, Status::Abort);
        assert_eq!(log.groups[0].reason, ABORTED_UNEXPECTEDLY);
    }

    #[test]
    fn bad_lines_name_their_number() {
        let err = StatusLog::parse("START\t----\t----\tt=1\t\nnot a status line\n").unwrap_err();
        assert_eq!(err.to_string(), "invalid status log entry: line 2: fewer than 4 columns in \"not a status line\"");
    }
}
