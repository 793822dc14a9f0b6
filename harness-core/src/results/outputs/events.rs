//! `events.jsonl`: the job's live event stream. Every event a job emits
//! (bar the profiler queries) is one JSON object on one line, written with one
//! `write` as it happens, so a reader tailing the file, or one reading it after
//! `kill -9`, sees every event that happened up to its last complete line.
//!
//! Each line is `{"schema":1,"seq":N,"time":"<RFC 3339>","event":"<name>",...}`.
//! The processes of a job (its supervised children, and every process of a
//! nextest run sharing `HARNESS_EVENTS`) append to one file under an exclusive
//! `flock`, so `seq` grows by one per line across all of them. The schema is
//! `docs/events.schema.json`; docs/file-formats.md maps it to libtest's JSON
//! and nextest's events.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::{FileExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use super::record::{PerfRecord, TestRecord};
use crate::error::{Error, Result};
use crate::status::Status;

/// The file's name in a result directory.
pub const EVENTS_FILE: &str = "events.jsonl";

/// The version of the line format, the `schema` of every line.
pub const EVENTS_SCHEMA_VERSION: u32 = 1;

/// One line of `events.jsonl`: its header and the event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EventLine {
    /// [`EVENTS_SCHEMA_VERSION`] of the writer.
    pub schema: u32,
    /// 1 for the file's first line, one more for each next line.
    pub seq: u64,
    /// When the line was written, RFC 3339 with milliseconds, UTC.
    pub time: String,
    /// What happened.
    #[serde(flatten)]
    pub event: EventBody<'static>,
}

/// What one line says happened: a job's event as the file holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
#[allow(clippy::large_enum_variant, reason = "written one at a time, borrowed; a record read back is read once")]
pub enum EventBody<'a> {
    /// The job started.
    JobStarted {
        /// Its result directory.
        resultdir: Cow<'a, Path>,
        /// Its tag.
        tag: Option<Cow<'a, str>>,
        /// The machine and build, as results.json's `job.sysinfo`.
        sysinfo: Cow<'a, BTreeMap<String, String>>,
    },
    /// A test's START line was written.
    TestStarted {
        /// The test's name.
        test: Cow<'a, str>,
        /// Its output directory, relative to the result directory.
        subdir: Cow<'a, str>,
        /// 1 for a test of the job, 2 for a subtest of one, ...
        depth: usize,
    },
    /// A measured iteration of `run_once` ended.
    IterationFinished {
        /// The test's output directory.
        subdir: Cow<'a, str>,
        /// The iteration's number.
        iteration: u64,
        /// The planned number of iterations, in a counted run.
        planned: Option<u64>,
        /// The planned `test_length` in seconds, in a timed run.
        test_length: Option<f64>,
        /// Seconds since the first measured iteration started, in a timed run.
        elapsed: Option<f64>,
        /// Its keyvals and perf values.
        #[serde(flatten)]
        values: Cow<'a, IterationValues>,
    },
    /// A line of `status.log`.
    Status {
        /// `START`, `GOOD`, `END FAIL`, `INFO`, ...
        code: Cow<'a, str>,
        /// Its subdir column, `null` for `----`.
        subdir: Option<Cow<'a, str>>,
        /// Its operation column, `null` for `----`.
        operation: Option<Cow<'a, str>>,
        /// Its fields (`timestamp`, `localtime`, `timeout`, ...), in order.
        fields: Cow<'a, [(String, String)]>,
        /// Its message, the lines after the first joined by newlines.
        message: Cow<'a, str>,
    },
    /// Something a person should know now.
    Notice {
        /// The test's output directory, empty for the job's.
        subdir: Cow<'a, str>,
        /// What it is about.
        kind: NoticeKind,
        /// What happened.
        text: Cow<'a, str>,
    },
    /// A test ended.
    TestFinished {
        /// 1 for a test of the job, 2 for a subtest of one, ...
        depth: usize,
        /// Its record, as results.json holds it.
        record: Cow<'a, TestRecord>,
    },
    /// The job ended.
    JobFinished {
        /// How it ended.
        status: Status,
        /// How many tests ended with each status.
        counts: BTreeMap<String, usize>,
        /// Start, RFC 3339.
        start: Cow<'a, str>,
        /// End, RFC 3339.
        end: Cow<'a, str>,
    },
}

/// What one measured iteration of `run_once` recorded, as
/// the event of a finished iteration carries it (warm-up iterations record nothing).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct IterationValues {
    /// The `{attr}` keyvals of its iteration blocks.
    #[serde(default)]
    pub attr: BTreeMap<String, String>,
    /// The `{perf}` keyvals of its iteration blocks.
    #[serde(default)]
    pub perf: BTreeMap<String, f64>,
    /// The perf values it output, in order, each with only this iteration's values.
    #[serde(default)]
    pub perf_values: Vec<PerfRecord>,
}

impl IterationValues {
    /// Whether the iteration recorded nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.attr.is_empty() && self.perf.is_empty() && self.perf_values.is_empty()
    }
}

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NoticeKind {
    /// What will make the job's numbers noisy (a debug build, the CPU
    /// governor, turbo, the load): the job's, said once before its first
    /// measuring test.
    Noise,
    /// Something a downstream reader would lose: a perf value without units,
    /// a key or reason too long for TKO's database.
    DataLoss,
    /// A status line the disk did not take.
    StatusLog,
    /// What the supervisor waits for or did: an interrupt, a kill, processes
    /// left behind, output cut.
    Supervisor,
    /// A test waits for another to finish measuring (the machine-wide lock).
    Waiting,
}

/// Where else a job's lines go besides its result directory's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventsCopy {
    /// This process's standard output (`--events -`).
    Stdout,
    /// Another file, appended to by every process given it (`--events PATH`,
    /// `HARNESS_EVENTS=PATH`).
    File(PathBuf),
}

/// What a child process does with its lines for its parent's copy.
pub(crate) type Forward = Box<dyn Fn(&str) + Send + Sync>;

/// The writer of a job's event lines.
pub(crate) struct EventLog {
    files: Vec<LineFile>,
    /// Where each line of the first file goes too: stdout, or the parent.
    echo: Option<Forward>,
}

impl std::fmt::Debug for EventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLog").field("files", &self.files.len()).finish_non_exhaustive()
    }
}

impl EventLog {
    /// Appends to `<resultdir>/events.jsonl` and to the copy, if any; a copy on
    /// stdout is written by `forward` instead when given (a child's parent
    /// holds the stdout).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the file that cannot be opened.
    pub(crate) fn open(resultdir: &Path, copy: Option<&EventsCopy>, forward: Option<Forward>) -> Result<EventLog> {
        let mut files = vec![LineFile::open(&resultdir.join(EVENTS_FILE))?];
        let mut echo = None;
        match copy {
            Some(EventsCopy::File(path)) => files.push(LineFile::open(path)?),
            Some(EventsCopy::Stdout) => {
                echo = Some(forward.unwrap_or_else(|| {
                    Box::new(|line: &str| {
                        let mut out = io::stdout().lock();
                        let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
                    })
                }));
            }
            None => {}
        }
        Ok(EventLog { files, echo })
    }

    /// Writes the event's line to every file, and echoes the first one's.
    /// A line a file does not take (a full disk) is left out of it whole;
    /// the error is returned after the other files had their try.
    pub(crate) fn write(&self, body: Option<EventBody<'_>>) -> io::Result<()> {
        if self.files.is_empty() {
            return Ok(());
        }
        let Some(body) = body else { return Ok(()) };
        let body = serde_json::to_string(&body).map_err(io::Error::other)?;
        let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut result = Ok(());
        for (at, file) in self.files.iter().enumerate() {
            match file.append(&time, &body) {
                Ok(line) => {
                    if at == 0
                        && let Some(echo) = &self.echo
                    {
                        echo(&line);
                    }
                }
                Err(e) => result = Err(e),
            }
        }
        result
    }

    /// Echoes a line a child wrote to its file (the parent's copy on stdout).
    pub(crate) fn echo(&self, line: &str) {
        if let Some(echo) = &self.echo {
            echo(line);
        }
    }
}

/// One file of lines, shared by processes.
struct LineFile {
    file: File,
    path: PathBuf,
    /// The file's length after this process's last line, and that line's `seq`.
    last: Mutex<(u64, u64)>,
}

impl LineFile {
    fn open(path: &Path) -> Result<LineFile> {
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .read(true)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(path)
            .map_err(|e| Error::io("open", path, e))?;
        Ok(LineFile { file, path: path.to_owned(), last: Mutex::new((u64::MAX, 0)) })
    }

    /// Appends one line with the next `seq`, as one write; returns it.
    fn append(&self, time: &str, body: &str) -> io::Result<String> {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        self.file.lock()?;
        let written = self.append_locked(&mut last, time, body);
        let _ = self.file.unlock();
        written
    }

    fn append_locked(&self, last: &mut (u64, u64), time: &str, body: &str) -> io::Result<String> {
        let mut len = self.file.metadata()?.len();
        if len != last.0 {
            // Another process wrote since (or this is the first line): find
            // the last complete line, cutting off what a killed writer left.
            let (end, seq) = last_line(&self.file, len)?;
            if end != len {
                self.file.set_len(end)?;
                len = end;
            }
            last.1 = seq;
        }
        let seq = last.1 + 1;
        let line = format!(
            "{{\"schema\":{EVENTS_SCHEMA_VERSION},\"seq\":{seq},\"time\":\"{time}\",{}\n",
            body.strip_prefix('{').unwrap_or(body)
        );
        if let Err(e) = (&self.file).write_all(line.as_bytes()) {
            // Never leave half a line: a later line would be glued to it.
            let _ = self.file.set_len(len);
            last.0 = u64::MAX;
            return Err(io::Error::new(e.kind(), format!("{}: {e}", self.path.display())));
        }
        *last = (len + line.len() as u64, seq);
        Ok(line)
    }
}

/// The end of the last complete line of the file (`len` bytes long) and that
/// line's `seq` (0 for a file without one).
fn last_line(file: &File, len: u64) -> io::Result<(u64, u64)> {
    const CHUNK: u64 = 64 * 1024;
    let mut buffer = vec![0; CHUNK as usize];
    // Where the last complete line ends: after the file's last newline.
    let mut end = None;
    let mut scan = len;
    let mut start = 0;
    while scan > 0 {
        let from = scan.saturating_sub(CHUNK);
        let chunk = &mut buffer[..usize::try_from(scan - from).unwrap_or(0)];
        file.read_exact_at(chunk, from)?;
        for (at, byte) in chunk.iter().enumerate().rev() {
            if *byte != b'\n' {
                continue;
            }
            let position = from + at as u64 + 1;
            if end.is_none() {
                end = Some(position);
            } else {
                start = position;
                scan = 0;
                break;
            }
        }
        if scan != 0 {
            scan = from;
        }
    }
    let Some(end) = end else { return Ok((0, 0)) };
    let mut head = vec![0; usize::try_from((end - start).min(64)).unwrap_or(64)];
    file.read_exact_at(&mut head, start)?;
    let head = String::from_utf8_lossy(&head);
    let seq = head
        .split_once("\"seq\":")
        .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(0);
    Ok((end, seq))
}

/// What a reader finds in an `events.jsonl`.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct EventsRead {
    /// Every complete line, in order.
    pub lines: Vec<EventLine>,
    /// Bytes after the last complete line (a line a killed writer left half written).
    pub torn: usize,
}

/// Reads an `events.jsonl` up to its last complete line.
///
/// # Errors
///
/// [`Error::Io`] when it cannot be read, [`Error::Json`] with the line and
/// column of what is not an event.
pub fn read_events(path: impl AsRef<Path>) -> Result<EventsRead> {
    let path = path.as_ref();
    let text = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let complete = text.iter().rposition(|b| *b == b'\n').map_or(0, |at| at + 1);
    let lines = serde_json::Deserializer::from_slice(&text[..complete])
        .into_iter::<EventLine>()
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|source| Error::Json { path: path.to_owned(), source })?;
    Ok(EventsRead { lines, torn: text.len() - complete })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(text: &str) -> Option<EventBody<'_>> {
        Some(EventBody::Notice { subdir: "t".into(), kind: NoticeKind::Supervisor, text: text.into() })
    }

    #[test]
    fn lines_count_up_across_writers_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let one = EventLog::open(dir.path(), None, None).unwrap();
        let two = EventLog::open(dir.path(), None, None).unwrap();
        one.write(notice("a")).unwrap();
        two.write(notice("b")).unwrap();
        one.write(notice("c")).unwrap();
        let path = dir.path().join(EVENTS_FILE);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"schema\":1,\"seq\":4,\"ti").unwrap();
        assert_eq!(read_events(&path).unwrap().torn, 23);
        two.write(notice("d")).unwrap();
        let read = read_events(&path).unwrap();
        assert_eq!(read.torn, 0);
        let seen: Vec<(u64, String)> = read
            .lines
            .iter()
            .map(|l| match &l.event {
                EventBody::Notice { text, .. } => (l.seq, text.to_string()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(seen, [(1, "a".into()), (2, "b".into()), (3, "c".into()), (4, "d".into())]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("{\"schema\":1,\"seq\":1,\"time\":\"")
                && text
                    .lines()
                    .next()
                    .unwrap()
                    .ends_with("\",\"event\":\"notice\",\"subdir\":\"t\",\"kind\":\"supervisor\",\"text\":\"a\"}"),
            "{text}"
        );
    }

    #[test]
    fn the_last_line_is_found_past_chunk_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::open(dir.path(), None, None).unwrap();
        let long = "x".repeat(200_000);
        log.write(notice(&long)).unwrap();
        log.write(notice(&long)).unwrap();
        let other = EventLog::open(dir.path(), None, None).unwrap();
        other.write(notice("after")).unwrap();
        let read = read_events(dir.path().join(EVENTS_FILE)).unwrap();
        assert_eq!(read.lines.iter().map(|l| l.seq).collect::<Vec<_>>(), [1, 2, 3]);
    }
}
