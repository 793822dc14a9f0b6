//! `status.log` written: autotest's status lines ([`StatusEntry`]), nested
//! by START/END, in the job's log and each test's own.

use std::path::PathBuf;
use std::sync::Mutex;

use super::rollup::{Line, RollUp};
use super::status_entry::{DANGLING_REASON, StatusCode, StatusEntry};
use crate::error::{Error, Result};
use crate::files::AppendFile;
use crate::status::Status;

/// Writes entries to `<resultdir>/status.log` and, for entries with a subdir, to
/// `<resultdir>/<subdir>/status.log`, indented by the nesting level. Files stay
/// open while their group is open; every line is one `write(2)` in append mode,
/// so other processes appending to the same files interleave whole lines, and
/// a line that cannot be written whole (a full disk) is taken back.
#[derive(Debug)]
pub(crate) struct StatusLogWriter {
    resultdir: PathBuf,
    state: Mutex<LoggerState>,
}

#[derive(Debug)]
struct LoggerState {
    indent: usize,
    job: AppendFile,
    /// Open `status.log`s of test directories, by subdir.
    subdirs: Vec<(String, AppendFile)>,
    /// The groups this logger opened and has not closed, innermost last.
    open: Vec<OpenGroup>,
    /// The roll-up of the group closed last: its status and reason.
    closed: Option<(Status, String)>,
    /// For a writer attached inside another process's group: every line it
    /// wrote, for that process to roll up.
    lines: Option<Vec<Line>>,
}

#[derive(Debug)]
struct OpenGroup {
    subdir: Option<String>,
    operation: Option<String>,
    rollup: RollUp,
}

impl LoggerState {
    /// Every open group takes the line.
    fn roll(&mut self, line: &Line) {
        for group in &mut self.open {
            group.rollup.line(line);
        }
    }
}

impl StatusLogWriter {
    /// A writer at nesting level `indent`; one above 0 writes inside another
    /// process's group, and keeps its lines for that process's roll-up.
    pub(crate) fn new(resultdir: PathBuf, indent: usize) -> Self {
        let job = AppendFile::new(resultdir.join("status.log"));
        let lines = (indent > 0).then(Vec::new);
        let state = LoggerState { indent, job, subdirs: Vec::new(), open: Vec::new(), closed: None, lines };
        StatusLogWriter { resultdir, state: Mutex::new(state) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LoggerState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The current nesting level.
    pub(crate) fn indent(&self) -> usize {
        self.state().indent
    }

    /// Appends the entry (one write per file) and moves the nesting level.
    ///
    /// The job's `status.log` is the record: once it took the line, the
    /// nesting moves even if the test's own log could not take it (a full
    /// disk), and that failure is returned. An `END` for a group that has
    /// groups still open inside it (their own `END` could not be written)
    /// first closes them with `END ABORT`; if one of those cannot be written
    /// either, the `END` is not written, so no reader ever closes an inner
    /// group with an outer group's status.
    pub(crate) fn record(&self, entry: &StatusEntry) -> Result<()> {
        match self.record_partly(entry)? {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// As [`record`](Self::record), telling apart a line the job's log did
    /// not take (`Err`) from one only the test's own log did not take
    /// (`Ok(Some(error))`).
    pub(crate) fn record_partly(&self, entry: &StatusEntry) -> Result<Option<Error>> {
        if let StatusCode::End(_) = entry.code() {
            self.close_dangling(entry.subdir(), entry.operation())?;
        }
        self.record_line(entry)
    }

    /// Appends one entry, as [`record_partly`](Self::record_partly) says.
    fn record_line(&self, entry: &StatusEntry) -> Result<Option<Error>> {
        let mut state = self.state();
        let level = match entry.code() {
            StatusCode::End(_) => state.indent.saturating_sub(1),
            _ => state.indent,
        };
        let mut text = "\t".repeat(level);
        text.push_str(&entry.render());
        text.push('\n');
        state.job.append(&text)?;
        let own_log = match entry.subdir() {
            Some(subdir) => self.append_to_test_log(&mut state, subdir, &text, entry.code()),
            None => Ok(()),
        };
        let line = match entry.code() {
            StatusCode::Start => {
                state.indent += 1;
                state.roll(&Line::Start);
                let group = OpenGroup {
                    subdir: entry.subdir().map(str::to_owned),
                    operation: entry.operation().map(str::to_owned),
                    rollup: RollUp::default(),
                };
                state.open.push(group);
                Line::Start
            }
            StatusCode::End(status) => {
                state.indent = level;
                if let Some(group) = state.open.pop() {
                    state.closed = Some(group.rollup.close(status, entry.message()));
                }
                state.roll(&Line::End(status));
                Line::End(status)
            }
            StatusCode::Status(status) => {
                let line = Line::Status(status, entry.message().to_owned());
                state.roll(&line);
                line
            }
            StatusCode::Info => return Ok(own_log.err()),
        };
        if let Some(lines) = &mut state.lines {
            lines.push(line);
        }
        Ok(own_log.err())
    }

    /// Appends `text` to the test's own `status.log` (kept open while its
    /// group is).
    fn append_to_test_log(&self, state: &mut LoggerState, subdir: &str, text: &str, code: StatusCode) -> Result<()> {
        let at = match state.subdirs.iter().position(|(s, _)| s == subdir) {
            Some(at) => at,
            // A subdir that is not a directory (yet) has no log of its own.
            None => {
                let mut file = AppendFile::new(self.resultdir.join(subdir).join("status.log"));
                match file.open() {
                    Ok(_) => {
                        state.subdirs.push((subdir.to_owned(), file));
                        state.subdirs.len() - 1
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                    Err(e) => return Err(Error::io("open", file.path(), e)),
                }
            }
        };
        let appended = state.subdirs[at].1.append(text);
        if matches!(code, StatusCode::End(_)) {
            state.subdirs.remove(at);
        }
        appended
    }

    /// Closes with `END ABORT` the groups still open inside the innermost open
    /// group named (`subdir`, `operation`): those whose own `END` could not be
    /// written. Nothing when that group is the innermost, or is not open here.
    fn close_dangling(&self, subdir: Option<&str>, operation: Option<&str>) -> Result<()> {
        loop {
            let dangling = {
                let state = self.state();
                let Some(at) = state
                    .open
                    .iter()
                    .rposition(|g| g.subdir.as_deref() == subdir && g.operation.as_deref() == operation)
                else {
                    return Ok(());
                };
                if at + 1 == state.open.len() {
                    return Ok(());
                }
                let inner = &state.open[state.open.len() - 1];
                (inner.subdir.clone(), inner.operation.clone())
            };
            let end = StatusEntry::new(
                StatusCode::End(Status::Abort),
                dangling.0.as_deref(),
                dangling.1.as_deref(),
                DANGLING_REASON,
            )?;
            // Only the job's log decides: a test log that could not take the line does not.
            self.record_line(&end)?;
        }
    }

    /// The roll-up of the group closed last (status and reason), once.
    pub(crate) fn take_closed(&self) -> Option<(Status, String)> {
        self.state().closed.take()
    }

    /// Rolls lines another process wrote inside this writer's open groups
    /// (a test's child) into their roll-ups.
    pub(crate) fn fold_in(&self, lines: &[Line]) {
        let mut state = self.state();
        for line in lines {
            state.roll(line);
        }
    }

    /// The lines an attached writer wrote, for its parent's roll-up.
    pub(crate) fn take_lines(&self) -> Vec<Line> {
        self.state().lines.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Closes every group this logger opened and left open, innermost first,
    /// with `END ABORT`: what a job dropped in the middle of a test writes, so
    /// no reader ever sees such a test as GOOD.
    pub(crate) fn abort_open_groups(&self, reason: &str) {
        loop {
            let Some((subdir, operation)) =
                self.state().open.last().map(|group| (group.subdir.clone(), group.operation.clone()))
            else {
                return;
            };
            let entry =
                StatusEntry::new(StatusCode::End(Status::Abort), subdir.as_deref(), operation.as_deref(), reason);
            if entry.and_then(|entry| self.record_line(&entry)).is_err() {
                // A line the job's log cannot take (a full disk): this group and
                // those around it stay open for readers, which close them as
                // ABORT; no outer END may follow.
                return;
            }
        }
    }

    /// Whether a group other than the outermost `depth` ones is open.
    pub(crate) fn open_groups(&self) -> usize {
        self.state().open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(code: StatusCode, subdir: Option<&str>, op: Option<&str>, msg: &str) -> StatusEntry {
        StatusEntry::new(code, subdir, op, msg).unwrap().with_timestamp(1_000_000)
    }

    #[test]
    fn logger_nests_and_writes_subdir_logs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("t")).unwrap();
        let logger = StatusLogWriter::new(dir.path().to_owned(), 0);
        let records = [
            entry(StatusCode::Start, None, None, ""),
            entry(StatusCode::Start, Some("t"), Some("t"), ""),
            entry(StatusCode::Info, None, None, "Run 0 failed with flaky"),
            entry(StatusCode::Status(Status::Good), Some("t"), Some("t"), "completed successfully\nmore"),
            entry(StatusCode::End(Status::Good), Some("t"), Some("t"), ""),
            entry(StatusCode::End(Status::Good), None, None, ""),
        ];
        for record in &records {
            logger.record(record).unwrap();
        }
        assert_eq!(logger.state.lock().unwrap().indent, 0);
        let job = std::fs::read_to_string(dir.path().join("status.log")).unwrap();
        let prefixes: Vec<String> = job
            .lines()
            .map(|l| l.chars().take_while(|c| *c == '\t').count().to_string() + &l.trim_start_matches('\t')[..5])
            .collect();
        assert_eq!(prefixes, ["0START", "1START", "2INFO\t", "2GOOD\t", "0  mor", "1END G", "0END G"]);
        let test = std::fs::read_to_string(dir.path().join("t/status.log")).unwrap();
        assert_eq!(test.lines().count(), 4, "{test}");
        assert!(!test.contains("INFO"));
    }
}
