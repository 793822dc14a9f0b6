//! `junit.xml`, laid out for the strictest of its readers: the Jenkins xunit
//! plugin validates it against `junit-10.xsd`, which allows `<properties>` only
//! on a `<testsuite>` and no `skipped` or `timestamp` on `<testsuites>`.
//!
//! So each test, and each subtest, is one `<testsuite>` named after its subdir
//! holding its `<properties>` (status, iterations, `parent` for a subtest,
//! `perf:`, `perf_keyval:` and `keyval:` entries) and one `<testcase>`; the
//! suites sit side by side under `<testsuites>` (junitparser and GitLab read
//! nested suites no better than flat ones). Attribute values keep tabs, carriage
//! returns and newlines as character references; characters XML 1.0 cannot hold
//! are written as `\xNN`.

use std::fmt::Write as _;
use std::path::Path;

use super::record::TestRecord;
use crate::results::formats::pyfmt::{float_repr, write_float_repr};
use crate::status::Status;

/// How much of a test's debug log goes into its `<system-out>`.
const DEBUG_TAIL: usize = 8 * 1024;

/// Text gathered before it goes to the file, a few kilobytes at a time: a
/// test may have thousands of perf values.
struct Spill<'w> {
    buf: String,
    out: &'w mut dyn std::io::Write,
    error: Option<std::io::Error>,
}

impl Spill<'_> {
    const AT: usize = 1 << 16;

    /// Writes what is gathered when it is long enough.
    fn spill(&mut self) {
        if self.buf.len() >= Self::AT {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.error.is_none()
            && let Err(error) = self.out.write_all(self.buf.as_bytes())
        {
            self.error = Some(error);
        }
        self.buf.clear();
    }
}

/// Writes the whole `junit.xml` of a job whose tests are `records` (subtests nested).
pub(crate) fn write_junit(
    out: &mut dyn std::io::Write,
    resultdir: &Path,
    tag: Option<&str>,
    seconds: f64,
    records: &[&TestRecord],
) -> std::io::Result<()> {
    let mut flat = Vec::new();
    flatten(records.iter().copied(), None, &mut flat);
    let count = |wanted: fn(Status) -> bool| flat.iter().filter(|(r, _)| wanted(r.status)).count();
    let mut out = Spill { buf: String::with_capacity(Spill::AT + 4096), out, error: None };
    out.buf.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out.buf,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">",
        Attr(tag.unwrap_or("harness")),
        flat.len(),
        count(|s| s == Status::Fail),
        count(is_error),
        time(seconds),
    );
    for (record, parent) in &flat {
        suite(&mut out, resultdir, record, *parent);
    }
    out.buf.push_str("</testsuites>\n");
    out.flush();
    out.error.map_or(Ok(()), Err)
}

fn is_error(status: Status) -> bool {
    status.is_failure() && status != Status::Fail
}

/// Every test and subtest, parents first, each with its parent's subdir.
fn flatten<'r>(
    records: impl Iterator<Item = &'r TestRecord>,
    parent: Option<&'r str>,
    out: &mut Vec<(&'r TestRecord, Option<&'r str>)>,
) {
    for record in records {
        out.push((record, parent));
        flatten(record.subtests.iter(), Some(&record.subdir), out);
    }
}

fn suite(spill: &mut Spill<'_>, resultdir: &Path, record: &TestRecord, parent: Option<&str>) {
    let out = &mut spill.buf;
    let status = record.status;
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"1\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\">",
        Attr(&record.subdir),
        u8::from(status == Status::Fail),
        u8::from(is_error(status)),
        u8::from(status == Status::TestNa),
        time(record.duration),
        Attr(&record.start),
    );
    out.push_str("    <properties>\n");
    property(out, "status", status.as_str());
    property(out, "iterations", record.iterations);
    if let Some(parent) = parent {
        property(out, "parent", parent);
    }
    for perf in &record.perf_values {
        perf_property(&mut spill.buf, perf);
        spill.spill();
    }
    let out = &mut spill.buf;
    for (key, value) in &record.perf_keyvals {
        property(out, format_args!("perf_keyval:{key}"), float_repr(*value));
    }
    for (key, value) in &record.keyvals {
        property(out, format_args!("keyval:{key}"), value);
    }
    out.push_str("    </properties>\n");
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\">",
        Attr(&record.subdir),
        Attr(&record.test),
        time(record.duration),
    );
    let element = match status {
        Status::Good | Status::Warn => None,
        Status::TestNa => Some("skipped"),
        Status::Fail => Some("failure"),
        _ => Some("error"),
    };
    if let Some(element) = element {
        let _ = write!(out, "\n      <{element} message=\"{}\" type=\"{}\"", Attr(&record.reason), status.as_str());
        if record.details.is_empty() {
            out.push_str("/>");
        } else {
            let _ = write!(out, ">{}</{element}>", Text(&record.details.join("\n")));
        }
    }
    let mut system_out = format!("{} {}\n", status, record.reason);
    for detail in &record.details {
        system_out.push_str(detail);
        system_out.push('\n');
    }
    if let Some(tail) = debug_tail(resultdir, record) {
        system_out.push_str("--- debug log (tail) ---\n");
        system_out.push_str(&tail);
    }
    let _ = write!(out, "\n      <system-out>{}</system-out>\n    </testcase>\n  </testsuite>\n", Text(&system_out));
    spill.spill();
}

/// `<property name=".." value=".."/>`, both escaped.
fn property(out: &mut String, name: impl std::fmt::Display, value: impl std::fmt::Display) {
    let _ =
        writeln!(out, "      <property name=\"{}\" value=\"{}\"/>", Attr(&name.to_string()), Attr(&value.to_string()));
}

/// A perf value as a junit property, written in place (a test may have
/// thousands): its values up to [`LISTED_VALUES`], else a summary
/// (`results-chart.json` holds them all): `[1.5, 2.5] ms (down)`, or
/// `n=1000 min=1.0 median=2.0 mean=2.1 max=9.0 ms (down)`. Names and units
/// are sanitised (`[-.\w]`), numbers are Python's `repr`: nothing to escape.
fn perf_property(out: &mut String, perf: &super::record::PerfRecord) {
    out.push_str("      <property name=\"perf:");
    if let Some(graph) = &perf.graph {
        push_attr(out, graph);
        out.push('/');
    }
    push_attr(out, &perf.description);
    out.push_str("\" value=\"");
    if perf.values.len() <= LISTED_VALUES {
        out.push('[');
        for (at, value) in perf.values.iter().enumerate() {
            if at > 0 {
                out.push_str(", ");
            }
            write_float_repr(out, *value);
        }
        out.push(']');
    } else {
        let s = crate::stats::Summary::of(&perf.values);
        let (min, max) =
            perf.values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        let _ = write!(out, "n={}", s.n);
        for (label, value) in [(" min=", min), (" median=", s.median), (" mean=", s.mean), (" max=", max)] {
            out.push_str(label);
            write_float_repr(out, value);
        }
    }
    if let Some(units) = &perf.units {
        out.push(' ');
        push_attr(out, units);
    }
    out.push_str(" (");
    push_attr(out, &perf.improvement_direction);
    out.push_str(")\"/>\n");
}

/// `text` escaped for an attribute value, appended without the formatting
/// machinery when nothing needs escaping (thousands of perf names).
fn push_attr(out: &mut String, text: &str) {
    if needs_no_escape(text) {
        out.push_str(text);
    } else {
        let _ = write!(out, "{}", Attr(text));
    }
}

/// Printable ASCII without `&`, `<`, `>` or `"`: what most names, numbers and units are.
fn needs_no_escape(text: &str) -> bool {
    text.bytes().all(|b| (b' '..0x7f).contains(&b) && !matches!(b, b'&' | b'<' | b'>' | b'"'))
}

/// How many values a perf property lists before it summarises them.
const LISTED_VALUES: usize = 20;

/// Seconds with at most three decimals, as the schema's `SUREFIRE_TIME` wants.
fn time(seconds: f64) -> String {
    format!("{:.3}", if seconds.is_finite() { seconds.max(0.0) } else { 0.0 })
}

/// The last [`DEBUG_TAIL`] bytes of a test's debug log, cut at a line start.
fn debug_tail(resultdir: &Path, record: &TestRecord) -> Option<String> {
    let tagged = record.subdir.rsplit('/').next().unwrap_or(&record.subdir);
    let text = std::fs::read(resultdir.join(&record.subdir).join("debug").join(format!("{tagged}.DEBUG"))).ok()?;
    let mut start = text.len().saturating_sub(DEBUG_TAIL);
    if start > 0 {
        start += text[start..].iter().position(|b| *b == b'\n').map_or(0, |p| p + 1);
    }
    let tail = String::from_utf8_lossy(&text[start..]).into_owned();
    (!tail.is_empty()).then_some(tail)
}

/// Whether XML 1.0 can hold `c` at all.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

fn escape(text: &str, attribute: bool, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    if needs_no_escape(text) {
        return f.write_str(text);
    }
    // Runs of characters that need nothing are written whole.
    let mut start = 0;
    for (at, c) in text.char_indices() {
        let replacement = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' if attribute => "&quot;",
            // An attribute's tab and line breaks would be normalised to
            // spaces by every reader; a reference keeps them. In text only
            // the carriage return needs one.
            '\t' if attribute => "&#9;",
            '\n' if attribute => "&#10;",
            '\r' => "&#13;",
            c if xml_char(c) => continue,
            _ => "",
        };
        f.write_str(&text[start..at])?;
        if replacement.is_empty() {
            write!(f, "\\x{:02x}", u32::from(c))?;
        } else {
            f.write_str(replacement)?;
        }
        start = at + c.len_utf8();
    }
    f.write_str(&text[start..])
}

/// Text escaped for an attribute value.
struct Attr<'a>(&'a str);

impl std::fmt::Display for Attr<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        escape(self.0, true, f)
    }
}

/// Text escaped for element content.
struct Text<'a>(&'a str);

impl std::fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        escape(self.0, false, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_keep_tabs_and_returns_and_drop_what_xml_cannot_hold() {
        assert_eq!(Attr("a\tb\rc\nd \"<&>\u{1b}[31m").to_string(), "a&#9;b&#13;c&#10;d &quot;&lt;&amp;&gt;\\x1b[31m");
        assert_eq!(Text("a\tb\rc\n\"\u{0}").to_string(), "a\tb&#13;c\n\"\\x00");
        assert_eq!(Attr("\u{fffe}é\u{1f600}").to_string(), "\\xfffeé\u{1f600}");
    }

    #[test]
    fn times_have_three_decimals() {
        assert_eq!(time(0.0), "0.000");
        assert_eq!(time(1234.56789), "1234.568");
        assert_eq!(time(f64::NAN), "0.000");
        assert_eq!(time(-1.0), "0.000");
    }
}
