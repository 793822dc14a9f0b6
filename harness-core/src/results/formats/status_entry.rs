//! A line of `status.log`: autotest's tab-separated status lines, nested by
//! START/END.
//!
//! ```text
//! START⇥----⇥----⇥timestamp=T⇥localtime=L⇥
//! ⇥START⇥sleeptest⇥sleeptest⇥timestamp=T⇥localtime=L⇥
//! ⇥⇥GOOD⇥sleeptest⇥sleeptest⇥timestamp=T⇥localtime=L⇥completed successfully
//! ⇥END GOOD⇥sleeptest⇥sleeptest⇥timestamp=T⇥localtime=L⇥
//! END GOOD⇥----⇥----⇥timestamp=T⇥localtime=L⇥
//! ```

use std::fmt;
use std::fmt::Write as _;
use std::str::FromStr;

use chrono::TimeZone as _;

use crate::error::{Error, Result};
use crate::status::Status;

/// The first column of a status line: `START`, `INFO`, a status, or `END <status>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusCode {
    /// Opens a group (the job, or a test).
    Start,
    /// Information that does not change any status (for example a retried run).
    Info,
    /// A status inside a group.
    Status(Status),
    /// Closes the innermost group with its final status.
    End(Status),
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusCode::Start => f.write_str("START"),
            StatusCode::Info => f.write_str("INFO"),
            StatusCode::Status(status) => f.write_str(status.as_str()),
            StatusCode::End(status) => write!(f, "END {status}"),
        }
    }
}

impl FromStr for StatusCode {
    type Err = Error;

    fn from_str(code: &str) -> Result<Self> {
        let invalid = || Error::StatusLog(format!("invalid status code `{code}`"));
        match code {
            "START" => Ok(StatusCode::Start),
            "INFO" => Ok(StatusCode::Info),
            _ => match code.strip_prefix("END ") {
                Some(status) => status.parse().map(StatusCode::End).map_err(|_| invalid()),
                None => code.parse().map(StatusCode::Status).map_err(|_| invalid()),
            },
        }
    }
}

/// One entry of a status log: code, subdir, operation, fields and message.
///
/// ```
/// use harness_core::results::{StatusCode, StatusEntry};
/// use harness_core::Status;
///
/// let entry = StatusEntry::new(StatusCode::Status(Status::Fail), Some("t.tag"), Some("t"), "bad\nsecond line")?
///     .with_timestamp(0);
/// let text = entry.render();
/// assert!(text.starts_with("FAIL\tt.tag\tt\ttimestamp=0\tlocaltime="));
/// assert!(text.ends_with("\tbad\n  second line"));
/// # Ok::<(), harness_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    code: StatusCode,
    subdir: Option<String>,
    operation: Option<String>,
    fields: Vec<(String, String)>,
    message: String,
    extra_lines: Vec<String>,
}

fn check_column(what: &str, text: &str) -> Result<()> {
    if text.chars().any(|c| c.is_control() || is_line_break(c)) {
        return Err(Error::StatusLog(format!("Invalid character in {what} string: {text:?}")));
    }
    // TKO takes a line as a status line only when each column starts with a
    // non-space; a line it skips would unbalance its groups.
    if what != "field" && text.chars().next().is_none_or(char::is_whitespace) {
        return Err(Error::StatusLog(format!("The {what} string {text:?} must not be empty or start with a space")));
    }
    Ok(())
}

/// Whether TKO would take `part` of a status line as an optional field: a
/// word (letters, digits, `_`, as Python's `\w` has them), `=`, and at least
/// one more character.
fn looks_like_field(part: &str) -> bool {
    part.split_once('=').is_some_and(|(key, value)| {
        !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_') && !value.is_empty()
    })
}

/// A message as it was given: without the space [`StatusEntry::new`] put
/// before one that looks like a field.
fn unguarded(message: &str) -> &str {
    match message.strip_prefix(' ') {
        Some(rest) if looks_like_field(rest.trim_start_matches(' ')) => rest,
        _ => message,
    }
}

/// The reason of the `END ABORT` that closes a group whose own `END` could not
/// be written, before an outer group's `END`.
pub(super) const DANGLING_REASON: &str = "its own END could not be written";

/// The fields every entry carries; [`StatusEntry::with_field`] refuses them.
const STAMP_FIELDS: [&str; 2] = ["timestamp", "localtime"];

/// Line breaks as Python's `str.splitlines` knows them.
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Python's `str.splitlines`: no trailing empty piece, `\r\n` is one break.
pub(crate) fn split_lines(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let Some((at, brk)) = rest.char_indices().find(|(_, c)| is_line_break(*c)) else {
            pieces.push(rest);
            break;
        };
        pieces.push(&rest[..at]);
        let mut next = at + brk.len_utf8();
        if brk == '\r' && rest[next..].starts_with('\n') {
            next += 1;
        }
        rest = &rest[next..];
    }
    pieces
}

/// Escapes control characters (NUL, escape sequences, ...) that have no place in a
/// text file, as `\xNN`.
fn escape_controls(line: &str, out: &mut String) {
    for c in line.chars() {
        if c.is_control() && c != '\t' {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
}

fn localtime(timestamp: i64) -> String {
    chrono::Local
        .timestamp_opt(timestamp, 0)
        .single()
        .map(|time| time.format("%b %d %H:%M:%S").to_string())
        .unwrap_or_default()
}

impl StatusEntry {
    /// An entry stamped with the current time (`timestamp` and `localtime` fields).
    ///
    /// The message is split into lines as Python's `splitlines` splits it; in the
    /// first line a tab becomes 8 spaces; control characters are escaped as `\xNN`;
    /// a first line that TKO would read as a `word=value` field is rendered
    /// after one space (and [`StatusEntry::parse`] takes it off again).
    ///
    /// # Errors
    ///
    /// [`Error::StatusLog`] when `subdir` or `operation` holds a control character
    /// or line break, is empty or starts with a space.
    pub fn new(code: StatusCode, subdir: Option<&str>, operation: Option<&str>, message: &str) -> Result<Self> {
        if let Some(subdir) = subdir {
            check_column("subdir", subdir)?;
        }
        if let Some(operation) = operation {
            check_column("operation", operation)?;
        }
        let pieces = split_lines(message);
        let mut message_line = String::new();
        let mut extra_lines = Vec::new();
        for (i, piece) in pieces.iter().enumerate() {
            let mut line = String::with_capacity(piece.len());
            if i == 0 {
                escape_controls(&piece.replace('\t', "        "), &mut line);
                message_line = line;
            } else {
                escape_controls(piece, &mut line);
                extra_lines.push(line);
            }
        }
        let now = chrono::Utc::now().timestamp();
        Ok(StatusEntry {
            code,
            subdir: subdir.map(str::to_owned),
            operation: operation.map(str::to_owned),
            fields: vec![("timestamp".into(), now.to_string()), ("localtime".into(), localtime(now))],
            message: message_line,
            extra_lines,
        })
    }

    /// Sets the `timestamp` (seconds since the epoch) and the matching `localtime`.
    #[must_use]
    pub fn with_timestamp(mut self, timestamp: i64) -> Self {
        for (key, value) in &mut self.fields {
            match key.as_str() {
                "timestamp" => *value = timestamp.to_string(),
                "localtime" => *value = localtime(timestamp),
                _ => {}
            }
        }
        self
    }

    /// Adds an optional field before `timestamp` (as `timeout=60` on a START line).
    ///
    /// # Errors
    ///
    /// [`Error::StatusLog`] when the key is not a word or either holds a control character or line break.
    pub fn with_field(mut self, key: &str, value: &str) -> Result<Self> {
        if STAMP_FIELDS.contains(&key) {
            return Err(Error::StatusLog(format!("Invalid field {key:?}: every entry has its own {key}")));
        }
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || value.is_empty() {
            return Err(Error::StatusLog(format!(
                "Invalid field {key:?}={value:?}: the key must be a word and the value not empty"
            )));
        }
        check_column("field", value)?;
        let at = self.fields.iter().position(|(k, _)| k == "timestamp").unwrap_or(self.fields.len());
        self.fields.insert(at, (key.to_owned(), value.to_owned()));
        Ok(self)
    }

    /// The status code.
    #[must_use]
    pub fn code(&self) -> StatusCode {
        self.code
    }

    /// The subdir column (`----` in the file when absent).
    #[must_use]
    pub fn subdir(&self) -> Option<&str> {
        self.subdir.as_deref()
    }

    /// The operation column: the test name (`----` when absent).
    #[must_use]
    pub fn operation(&self) -> Option<&str> {
        self.operation.as_deref()
    }

    /// The fields in file order.
    #[must_use]
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    /// A field's value.
    #[must_use]
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The `timestamp` field as a number.
    #[must_use]
    pub fn timestamp(&self) -> Option<i64> {
        self.field("timestamp")?.parse().ok()
    }

    /// The first line of the message (the reason).
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The lines after the first, written indented by two spaces.
    #[must_use]
    pub fn extra_lines(&self) -> &[String] {
        &self.extra_lines
    }

    /// The entry as text, without indentation or trailing newline; extra lines
    /// follow, each as `"  " + line`.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "{}\t{}\t{}",
            self.code,
            self.subdir.as_deref().unwrap_or("----"),
            self.operation.as_deref().unwrap_or("----")
        );
        for (key, value) in &self.fields {
            let _ = write!(out, "\t{key}={value}");
        }
        out.push('\t');
        // A reason TKO would read as a field is written after one space, so
        // that it stays the reason.
        if looks_like_field(self.message.trim_start_matches(' ')) {
            out.push(' ');
        }
        out.push_str(&self.message);
        for line in &self.extra_lines {
            out.push_str("\n  ");
            out.push_str(line);
        }
        out
    }

    /// Parses one line of a status log, as autotest's `status_log_entry.parse`
    /// does: `None` for a continuation line (two leading spaces); otherwise the
    /// number of leading tabs and the entry (without extra lines).
    ///
    /// # Errors
    ///
    /// [`Error::StatusLog`] for fewer than four columns or an unknown status code.
    pub fn parse(line: &str) -> Result<Option<(usize, StatusEntry)>> {
        let line = line.trim_end_matches(['\n', '\r']);
        if line.starts_with("  ") {
            return Ok(None);
        }
        let body = line.trim_start_matches('\t');
        let indent = line.len() - body.len();
        let parts: Vec<&str> = body.split('\t').collect();
        if parts.len() < 4 {
            return Err(Error::StatusLog(format!("fewer than 4 columns in {line:?}")));
        }
        let column = |text: &str| (text != "----").then(|| text.to_owned());
        let fields = parts[3..parts.len() - 1]
            .iter()
            .map(|part| match part.split_once('=') {
                Some((key, value)) => (key.to_owned(), value.to_owned()),
                None => ((*part).to_owned(), String::new()),
            })
            .collect();
        let entry = StatusEntry {
            code: parts[0].parse()?,
            subdir: column(parts[1]),
            operation: column(parts[2]),
            fields,
            message: unguarded(parts[parts.len() - 1]).to_owned(),
            extra_lines: Vec::new(),
        };
        Ok(Some((indent, entry)))
    }

    pub(crate) fn push_extra_line(&mut self, line: &str) {
        self.extra_lines.push(line.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(code: StatusCode, subdir: Option<&str>, op: Option<&str>, msg: &str) -> StatusEntry {
        StatusEntry::new(code, subdir, op, msg).unwrap().with_timestamp(1_000_000)
    }

    #[test]
    fn codes_are_autotests() {
        for text in ["START", "INFO", "GOOD", "END GOOD", "END FAIL", "END ABORT", "TEST_NA", "END NOSTATUS"] {
            assert_eq!(text.parse::<StatusCode>().unwrap().to_string(), text);
        }
        for bad in ["FAKE", "START GOOD", "START FAKE", "END FAKE", "END START", "END INFO", "BAD GOOD"] {
            assert_eq!(
                bad.parse::<StatusCode>().unwrap_err().to_string(),
                format!("invalid status log entry: invalid status code `{bad}`")
            );
        }
    }

    #[test]
    fn render_layout() {
        let start = entry(StatusCode::Start, None, None, "");
        let local = localtime(1_000_000);
        assert_eq!(start.render(), format!("START\t----\t----\ttimestamp=1000000\tlocaltime={local}\t"));
        let good = entry(StatusCode::Status(Status::Good), Some("t.x"), Some("t"), "completed successfully");
        assert_eq!(
            good.render(),
            format!("GOOD\tt.x\tt\ttimestamp=1000000\tlocaltime={local}\tcompleted successfully")
        );
        let timeout = entry(StatusCode::Start, Some("t"), Some("t"), "").with_field("timeout", "60").unwrap();
        assert_eq!(timeout.render(), format!("START\tt\tt\ttimeout=60\ttimestamp=1000000\tlocaltime={local}\t"));
    }

    #[test]
    fn messages_are_sanitised() {
        let e = entry(StatusCode::Status(Status::Fail), None, None, "a\tb\r\nsecond\tline\rthird\0nul\n");
        assert_eq!(e.message(), "a        b");
        assert_eq!(e.extra_lines(), ["second\tline", "third\\x00nul"]);
        assert!(e.render().ends_with("\ta        b\n  second\tline\n  third\\x00nul"));
        let esc = entry(StatusCode::Info, None, None, "bell\x07 esc\x1b");
        assert_eq!(esc.message(), "bell\\x07 esc\\x1b");
    }

    #[test]
    fn bad_columns_are_refused() {
        for bad in ["a\tb", "a\nb", "a\rb", "a\x0bb", "a\x0cb"] {
            assert!(StatusEntry::new(StatusCode::Start, Some(bad), None, "").is_err());
            assert!(StatusEntry::new(StatusCode::Start, None, Some(bad), "").is_err());
        }
        for bad in ["", " t", "\u{a0}t"] {
            assert!(StatusEntry::new(StatusCode::Start, Some(bad), None, "").is_err(), "{bad:?}");
        }
        let e = entry(StatusCode::Start, None, None, "");
        assert!(e.clone().with_field("timestamp", "x").is_err());
        assert!(e.clone().with_field("localtime", "x").is_err());
        assert!(e.clone().with_field("bad key", "1").is_err());
        assert!(e.clone().with_field("k", "").is_err());
        assert!(e.with_field("k", "a\tb").is_err());
    }

    #[test]
    fn parse_round_trips() {
        let e = entry(StatusCode::End(Status::Warn), Some("t"), Some("t"), "k=v looks like a field");
        assert!(e.render().ends_with("\t k=v looks like a field"), "{}", e.render());
        for message in [" k=v", "  rc=1", "k=", " plain", "é_1=ü"] {
            let e = entry(StatusCode::Status(Status::Fail), None, None, message);
            let (_, parsed) = StatusEntry::parse(&e.render()).unwrap().unwrap();
            assert_eq!(parsed.message(), message);
        }
        let (indent, parsed) = StatusEntry::parse(&format!("\t\t{}\n", e.render())).unwrap().unwrap();
        assert_eq!(indent, 2);
        assert_eq!(parsed, e);
        assert_eq!(StatusEntry::parse("  continuation").unwrap(), None);
        assert!(StatusEntry::parse("\t\tGOOD\tfield\tsecond field").is_err());
        let (indent, parsed) =
            StatusEntry::parse("\t\t\tGOOD\t----\t----\tfield1=val1\tfield2=val2\tTest Passed").unwrap().unwrap();
        assert_eq!(indent, 3);
        assert_eq!(parsed.message(), "Test Passed");
        assert_eq!(parsed.field("field2"), Some("val2"));
        assert_eq!(parsed.subdir(), None);
    }
}
