//! A reader of job directories that follows `../shared/reference/tko.md`: what
//! autotest's results parser (TKO, status_version 1, with its database layer)
//! makes of the files harness writes. It shares no code with harness's own
//! readers, so a test that compares the two catches a writer that only agrees
//! with itself. (TKO is GPL code: this is our own reading of its behaviour.)

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// Autotest's statuses from worst to best.
pub const ORDER: [&str; 9] = ["TEST_NA", "ABORT", "ERROR", "FAIL", "WARN", "GOOD", "ALERT", "RUNNING", "NOSTATUS"];

/// The longest reason TKO's database stores (`varchar(4096)`).
pub const REASON_COLUMN: usize = 4096;

/// The longest attribute name TKO's database stores (`varchar(30)`).
pub const ATTRIBUTE_COLUMN: usize = 30;

fn rank(status: &str) -> usize {
    ORDER.iter().position(|s| *s == status).unwrap_or(ORDER.len())
}

/// A parse TKO gives up on: every test of the job is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crash(pub String);

impl fmt::Display for Crash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TKO's parse crashes: {}", self.0)
    }
}

/// One iteration row: the attr and perf keyvals of one block of `results/keyval`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Iteration {
    /// `{attr}` (and untyped) keys, as the database keeps them.
    pub attr: BTreeMap<String, String>,
    /// `{perf}` keys.
    pub perf: BTreeMap<String, f64>,
}

/// One test row.
#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    /// The subdir column (`None` for `----`).
    pub subdir: Option<String>,
    /// The test name column.
    pub testname: String,
    /// The rolled-up status.
    pub status: String,
    /// The rolled-up reason, as the parser has it (before the database).
    pub reason: String,
    /// The reason as the database column keeps it: `None` when it cannot
    /// (a character outside latin1), else cut to [`REASON_COLUMN`].
    pub stored_reason: Option<String>,
    /// The START and END timestamps.
    pub started: Option<i64>,
    /// The END timestamp.
    pub finished: Option<i64>,
    /// `<subdir>/keyval`, keys cut to [`ATTRIBUTE_COLUMN`].
    pub attributes: BTreeMap<String, String>,
    /// The blocks of `<subdir>/results/keyval`.
    pub iterations: Vec<Iteration>,
}

/// What TKO makes of one job directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The `SERVER_JOB` row's status, from `.autoserv_execute`.
    pub status: String,
    /// `job_started` from the job keyval.
    pub started: Option<i64>,
    /// `job_finished` from the job keyval.
    pub finished: Option<i64>,
    /// The test rows, in order.
    pub tests: Vec<Test>,
}

impl Job {
    /// How many tests TKO counts as failed: every row not GOOD/WARN/TEST_NA,
    /// plus one for a job whose own row is not GOOD.
    #[must_use]
    pub fn failed_count(&self) -> usize {
        let tests = self.tests.iter().filter(|t| !matches!(t.status.as_str(), "GOOD" | "WARN" | "TEST_NA")).count();
        tests + usize::from(self.status != "GOOD")
    }

    /// The row of the test whose subdir is `subdir`.
    #[must_use]
    pub fn test(&self, subdir: &str) -> Option<&Test> {
        self.tests.iter().find(|t| t.subdir.as_deref() == Some(subdir))
    }
}

/// A line of `status.log` that TKO takes as a status line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Leading tabs.
    pub indent: usize,
    /// `START`, `END GOOD`, `GOOD`, `INFO`, ...
    pub status: String,
    /// The subdir column.
    pub subdir: Option<String>,
    /// The test name column.
    pub testname: Option<String>,
    /// The parts read as `key=value` fields.
    pub fields: BTreeMap<String, String>,
    /// The rest, joined with tabs.
    pub reason: String,
}

/// Whether Python's `\w` matches `c` (letters, digits and `_`, in Unicode).
fn word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Reads one line as TKO does: `None` when it is not a status line (a
/// continuation line, or one that does not have three tab-ended columns each
/// starting with a non-space).
#[must_use]
pub fn parse_line(raw: &str) -> Option<Line> {
    let body = raw.trim_start_matches('\t');
    let indent = raw.len() - body.len();
    let parts: Vec<&str> = body.split('\t').collect();
    if parts.len() < 4 || parts[..3].iter().any(|p| p.chars().next().is_none_or(char::is_whitespace)) {
        return None;
    }
    let column = |text: &str| (text != "----").then(|| text.to_owned());
    let mut fields = BTreeMap::new();
    let mut at = 3;
    while let Some(part) = parts.get(at) {
        let Some((key, value)) = part.split_once('=') else { break };
        if key.is_empty() || !key.chars().all(word) || value.is_empty() {
            break;
        }
        fields.insert(key.to_owned(), value.to_owned());
        at += 1;
    }
    Some(Line {
        indent,
        status: parts[0].to_owned(),
        subdir: column(parts[1]),
        testname: column(parts[2]),
        fields,
        reason: parts[at..].join("\t"),
    })
}

fn timestamp(line: &Line, number: usize) -> Result<Option<i64>, Crash> {
    match line.fields.get("timestamp") {
        None => Ok(None),
        Some(text) => {
            text.parse().map(Some).map_err(|_| Crash(format!("line {number}: timestamp={text:?} is not an integer")))
        }
    }
}

/// A top-level test being read.
struct Open {
    test: Test,
    /// Nested groups open inside it.
    depth: usize,
    /// The status the next reason is measured against.
    current: usize,
    reasons: Vec<String>,
}

impl Open {
    fn line(&mut self, status: &str, reason: &str) {
        let r = rank(status);
        if r <= self.current {
            if !reason.is_empty() && !self.reasons.iter().any(|known| known == reason) {
                self.reasons.push(reason.to_owned());
            }
            self.current = r;
        }
        if r < rank(&self.test.status) {
            self.test.status = status.to_owned();
        }
    }

    fn close(mut self, status: &str, reason: &str, finished: Option<i64>) -> Test {
        self.line(status, "");
        if self.reasons.is_empty() && !reason.is_empty() {
            self.reasons.push(reason.to_owned());
        }
        // A reason that is part of a longer one adds nothing.
        let all = self.reasons.clone();
        self.reasons.retain(|r| !all.iter().any(|longer| longer.len() > r.len() && longer.contains(r.as_str())));
        self.reasons.sort();
        self.test.reason = self.reasons.join(", ");
        self.test.finished = finished;
        self.test
    }
}

/// Closes the innermost open group as ABORT; `depth` is the depth after it.
fn abort_innermost(open: &mut Option<Open>, tests: &mut Vec<Test>, depth: usize) {
    match open.as_mut() {
        Some(test) if test.depth > 0 => {
            test.depth -= 1;
            test.line("ABORT", "");
        }
        Some(_) if depth == 1 => {
            if let Some(test) = open.take() {
                tests.push(test.close("ABORT", "Job aborted unexpectedly", None));
            }
        }
        _ => {}
    }
}

/// Reads the status log text into test rows (without their keyvals).
///
/// # Errors
///
/// [`Crash`] where TKO's parse of the whole job would crash.
pub fn parse_status_log(text: &str) -> Result<Vec<Test>, Crash> {
    let mut tests = Vec::new();
    // Groups open around the current line: the job's, then the test's.
    let mut depth = 0usize;
    let mut open: Option<Open> = None;
    for (number, raw) in text.lines().enumerate() {
        let Some(line) = parse_line(raw) else { continue };
        let number = number + 1;
        let ts = timestamp(&line, number)?;
        let is_end = line.status.starts_with("END ");
        let expected = |depth: usize| if is_end { depth.saturating_sub(1) } else { depth };
        if line.indent > expected(depth) {
            continue;
        }
        // The log went back out without closing a group: TKO aborts it.
        while line.indent < expected(depth) {
            depth -= 1;
            abort_innermost(&mut open, &mut tests, depth);
        }
        if line.status == "START" {
            if depth == 1 && open.is_none() {
                open = Some(Open {
                    test: Test {
                        subdir: line.subdir.clone(),
                        testname: line.testname.clone().unwrap_or_default(),
                        status: "NOSTATUS".to_owned(),
                        reason: String::new(),
                        stored_reason: None,
                        started: ts,
                        finished: None,
                        attributes: BTreeMap::new(),
                        iterations: Vec::new(),
                    },
                    depth: 0,
                    current: rank("NOSTATUS"),
                    reasons: Vec::new(),
                });
            } else if let Some(test) = open.as_mut() {
                test.depth += 1;
            }
            depth += 1;
        } else if let Some(status) = line.status.strip_prefix("END ") {
            depth = depth.saturating_sub(1);
            match open.as_mut() {
                Some(test) if test.depth > 0 => {
                    test.depth -= 1;
                    test.line(status, "");
                }
                Some(_) if depth == 1 => {
                    if let Some(test) = open.take() {
                        tests.push(test.close(status, &line.reason, ts));
                    }
                }
                _ => {}
            }
        } else if line.status != "INFO"
            && let Some(test) = open.as_mut()
        {
            test.line(&line.status, &line.reason);
        }
    }
    if let Some(test) = open.take() {
        tests.push(test.close("ABORT", "Job aborted unexpectedly", None));
    }
    Ok(tests)
}

/// A keyval file as TKO reads it: `key=value` lines, `{type}` kept in the key.
fn keyval_lines(text: &str) -> Vec<(String, String)> {
    text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

fn column(key: &str) -> String {
    key.chars().take(ATTRIBUTE_COLUMN).collect()
}

/// The iteration rows of a `results/keyval`: one per blank-line-separated block.
#[must_use]
pub fn parse_iterations(text: &str) -> Vec<Iteration> {
    let mut iterations = Vec::new();
    let mut current = Iteration::default();
    let mut any = false;
    for line in text.lines() {
        if line.trim().is_empty() {
            if any {
                iterations.push(std::mem::take(&mut current));
                any = false;
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        any = true;
        if let Some(name) = key.strip_suffix("{perf}") {
            if let Ok(number) = value.parse::<f64>() {
                current.perf.insert(column(name), number);
            }
        } else {
            let name = key.strip_suffix("{attr}").unwrap_or(key);
            current.attr.insert(column(name), value.to_owned());
        }
    }
    if any {
        iterations.push(current);
    }
    iterations
}

/// The job's own status from `.autoserv_execute`.
#[must_use]
pub fn job_status(dir: &Path) -> String {
    let Ok(text) = std::fs::read_to_string(dir.join(".autoserv_execute")) else { return "ABORT".to_owned() };
    let Some(Ok(status)) = text.lines().nth(1).map(|l| l.trim().parse::<i32>()) else { return "ABORT".to_owned() };
    if status & 0x7f != 0 {
        "ABORT".to_owned()
    } else if (status >> 8) & 0xff != 0 {
        "FAIL".to_owned()
    } else {
        "GOOD".to_owned()
    }
}

/// The reason as `tko_tests.reason` keeps it.
fn stored(reason: &str) -> Option<String> {
    reason.chars().all(|c| u32::from(c) <= 0xff).then(|| reason.chars().take(REASON_COLUMN).collect())
}

/// Reads a whole job directory as TKO does.
///
/// # Errors
///
/// [`Crash`] where TKO's parse of the job would crash (a missing status log
/// among them).
pub fn read_job(dir: &Path) -> Result<Job, Crash> {
    let log = std::fs::read_to_string(dir.join("status.log")).map_err(|e| Crash(format!("status.log: {e}")))?;
    let mut tests = parse_status_log(&log)?;
    for test in &mut tests {
        test.stored_reason = stored(&test.reason);
        let Some(subdir) = &test.subdir else { continue };
        let testdir = dir.join(subdir);
        if let Ok(text) = std::fs::read_to_string(testdir.join("keyval")) {
            test.attributes = keyval_lines(&text).into_iter().map(|(k, v)| (column(&k), v)).collect();
        }
        if let Ok(text) = std::fs::read_to_string(testdir.join("results/keyval")) {
            test.iterations = parse_iterations(&text);
        }
    }
    let keyval: BTreeMap<String, String> =
        std::fs::read_to_string(dir.join("keyval")).map(|t| keyval_lines(&t).into_iter().collect()).unwrap_or_default();
    Ok(Job {
        status: job_status(dir),
        started: keyval.get("job_started").and_then(|v| v.parse().ok()),
        finished: keyval.get("job_finished").and_then(|v| v.parse().ok()),
        tests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_swallow_a_reason_that_looks_like_one() {
        let line = parse_line("\t\tFAIL\tt\tt\ttimestamp=1\trc=1\tcommand failed").unwrap();
        assert_eq!(line.fields.len(), 2);
        assert_eq!(line.reason, "command failed");
        let kept = parse_line("\t\tFAIL\tt\tt\ttimestamp=1\t rc=1 command failed").unwrap();
        assert_eq!(kept.reason, " rc=1 command failed");
        assert!(parse_line("  continuation").is_none());
        assert!(parse_line("GOOD\t t\tt\treason").is_none());
        assert_eq!(
            parse_status_log("START\t----\t----\t\n\tSTART\tt\tt\ttimestamp=x\t\n"),
            Err(Crash("line 2: timestamp=\"x\" is not an integer".to_owned()))
        );
    }

    #[test]
    fn a_group_rolls_up_its_worst_line() {
        let log = "START\t----\t----\t\n\tSTART\tp\tp\t\n\t\tSTART\tp/c\tc\t\n\t\t\tFAIL\tp/c\tc\tbroke\n\
                   \t\tEND FAIL\tp/c\tc\t\n\t\tGOOD\tp\tp\tcompleted successfully\n\tEND GOOD\tp\tp\t\n\
                   \tSTART\tw\tw\t\n\t\tWARN\t----\t----\tcareful\n\t\tGOOD\tw\tw\tok\n\tEND GOOD\tw\tw\t\n\
                   \tSTART\tk\tk\t\n";
        let tests = parse_status_log(log).unwrap();
        let rows: Vec<(&str, &str, &str)> =
            tests.iter().map(|t| (t.testname.as_str(), t.status.as_str(), t.reason.as_str())).collect();
        assert_eq!(
            rows,
            [("p", "FAIL", "broke"), ("w", "WARN", "careful"), ("k", "ABORT", "Job aborted unexpectedly")]
        );
    }

    #[test]
    fn blocks_are_iterations() {
        let iterations = parse_iterations("a{perf}=1.5\nb{attr}=x\n\nc{perf}=2\n\n");
        assert_eq!(iterations.len(), 2);
        assert_eq!(iterations[0].perf["a"], 1.5);
        assert_eq!(iterations[0].attr["b"], "x");
        assert_eq!(iterations[1].perf["c"], 2.0);
    }
}
