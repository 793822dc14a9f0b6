//! A finished run as one self-contained HTML page (no scripts, no external
//! resources): the job's tag and date as its title, its failures with their
//! reason and place, a summary table of every metric linking to its chart,
//! the tests with links to each one's files, and one SVG chart per metric
//! (drawn with plotters), the variants of a test together on one chart.
//! Given a baseline (by its name), each metric also shows both distributions
//! side by side with `compare`'s verdict; [`history_page`] draws each metric
//! over runs in time order. Text is escaped with `html-escape`.
//!
//! `charts.rs` draws, `page.rs` lays out a run, `history.rs` runs over time.

mod charts;
mod history;
mod page;

use std::fmt::Write as _;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use harness_core::Status;
use harness_core::results::TestRecord;

pub use history::history_page;
pub use page::html_page;
pub(crate) use page::page;

fn status_class(status: Status) -> &'static str {
    match status {
        Status::Good => "good",
        Status::Warn => "warn",
        Status::TestNa => "na",
        _ => "bad",
    }
}

/// Control characters never reach the page.
fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() && c != '\n' && c != '\t' { '\u{FFFD}' } else { c }).collect()
}

/// A chart with its caption; `id` is what the summary table links to.
fn figure(id: &str, name: &str, caption: &str, body: &str, tooltip: &str) -> String {
    format!(
        r#"<figure class="chart" id="{}" data-metric="{}"><figcaption>{}</figcaption><div title="{}">{body}</div></figure>"#,
        attr(id),
        attr(name),
        text(caption),
        attr(tooltip)
    )
}

fn style() -> &'static str {
    r"body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1400px; }
h1 { margin-bottom: 0.2em; } .when { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin-bottom: 2em; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { font-weight: bold; border-radius: 3px; padding: 1px 6px; }
.good { background: #d8f0d8; } .warn { background: #fff0c0; } .na { background: #e4e4e4; } .bad { background: #f8d0d0; }
.failures li { margin-bottom: 0.4em; } .place { color: #666; font-family: monospace; }
.noise { background: #fff4d6; padding: 4px 10px; border-left: 4px solid #e0a000; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5em; }
figure.chart { margin: 0; } figcaption { font-weight: 600; max-width: 680px; }
.verdict-regressed { color: #b00; font-weight: bold; } .verdict-improved { color: #070; }
dl.sysinfo { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; }
dl.sysinfo dt { color: #666; }"
}

/// What the page may load or run: its own inline styles, nothing else (no
/// script at all; the charts are inline SVG).
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CONTENT_SECURITY_POLICY}\"><title>{}</title>\n<style>\n{}\n</style></head><body>\n<h1>{}</h1>\n",
        text(title),
        style(),
        text(title)
    )
}

/// A link to `path` (relative to the page, `/`-separated) that is always a
/// relative path: every byte but letters, digits, `-._~` and `/` is
/// percent-encoded, and a path that does not start with `../` gets `./`, so
/// no name from the results (`javascript:...`) can become a scheme.
fn link(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 2);
    if !path.starts_with("../") {
        out.push_str("./");
    }
    for byte in path.trim_start_matches('/').bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Every test and subtest, parents first.
fn flat(tests: &[TestRecord]) -> Vec<&TestRecord> {
    let mut out = Vec::new();
    for test in tests {
        out.push(test);
        out.extend(flat(&test.subtests));
    }
    out
}

/// A job's start (`2026-12-07T05:06:47.123Z`) as a person reads it: `2026-12-07 05:06 UTC`.
fn when(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(at) => at.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M UTC").to_string(),
        Err(_) => rfc3339.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_relative_and_encoded() {
        assert_eq!(link("t.quick/debug/t.quick.DEBUG"), "./t.quick/debug/t.quick.DEBUG");
        assert_eq!(link("../r/t/keyval"), "../r/t/keyval");
        assert_eq!(link("javascript:alert(1)//x"), "./javascript%3Aalert%281%29//x");
        assert_eq!(link("/abs/x y"), "./abs/x%20y");
        assert_eq!(link("é\"<"), "./%C3%A9%22%3C");
    }

    #[test]
    fn text_is_escaped_and_times_read_as_dates() {
        assert_eq!(
            figure("c1", "a\"<", "x<y", "", "t'"),
            "<figure class=\"chart\" id=\"c1\" data-metric=\"a&quot;&lt;\"><figcaption>x&lt;y</figcaption><div title=\"t'\"></div></figure>"
        );
        assert_eq!(clean("a\u{0}b"), "a\u{FFFD}b");
        assert_eq!(when("2026-12-07T05:06:47.123Z"), "2026-12-07 05:06 UTC");
        assert_eq!(when("not a time"), "not a time");
    }
}
