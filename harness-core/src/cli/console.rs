//! What the CLI prints for a person: statuses in colour on a terminal
//! (`--color auto|always|never`, `NO_COLOR`), plain otherwise.

use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anstyle::{AnsiColor, Style};

use crate::event::{Event, Observer};
use crate::results::JobSummary;
use crate::results::TestRecord;
use crate::status::Status;

/// `--color`: when to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (or `TERM=dumb`).
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// How text reaches the console.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Console {
    color: bool,
    /// How many characters a line may take: the terminal's width, else
    /// `COLUMNS`, else 200 (a CI log).
    width: usize,
}

impl Console {
    /// Decides once, for stdout.
    pub(crate) fn new(choice: ColorChoice) -> Self {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        };
        let width = terminal_size::terminal_size_of(std::io::stdout())
            .map(|(terminal_size::Width(w), _)| usize::from(w))
            .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
            .filter(|w| *w > 0)
            .unwrap_or(200);
        Console { color, width }
    }

    /// `text` cut to fit after `used` characters of a line: its last character
    /// is `…` when it was cut.
    pub(crate) fn fit(self, text: &str, used: usize) -> String {
        let room = self.width.saturating_sub(used).max(1);
        if text.chars().count() <= room {
            return text.to_owned();
        }
        let mut cut: String = text.chars().take(room - 1).collect();
        cut.push('…');
        cut
    }

    fn style(status: Status) -> Style {
        let color = match status {
            Status::Good => AnsiColor::Green,
            Status::Warn => AnsiColor::Yellow,
            Status::TestNa => AnsiColor::Cyan,
            Status::Abort => AnsiColor::Magenta,
            _ => AnsiColor::Red,
        };
        let style = Style::new().fg_color(Some(color.into()));
        if status.is_failure() { style.bold() } else { style }
    }

    /// A status, padded to `width`, coloured when the console is.
    pub(crate) fn status(self, status: Status, width: usize) -> String {
        let text = format!("{:<width$}", status.as_str());
        if self.color {
            let style = Self::style(status);
            format!("{style}{text}{style:#}")
        } else {
            text
        }
    }
}

/// The console reporter of `run`: an observer that prints one line per test,
/// the notices of the supervisor (on stderr), and the summary. A closed stdout
/// (`harness run ... | head -1`) ends the printing quietly; the job goes on.
pub(crate) struct Reporter {
    console: Console,
    planned: usize,
    /// The results directory as the user named it.
    resultdir: String,
    begin: Instant,
    stdout_closed: AtomicBool,
    said_debug_build: AtomicBool,
}

impl Reporter {
    pub(crate) fn new(console: Console, planned: usize, resultdir: &std::path::Path) -> Self {
        Reporter {
            console,
            planned,
            resultdir: resultdir.display().to_string(),
            begin: Instant::now(),
            said_debug_build: AtomicBool::new(false),
            stdout_closed: AtomicBool::new(false),
        }
    }

    /// A line on stdout, unless stdout is closed.
    pub(crate) fn say(&self, line: &str) {
        if self.stdout_closed.load(Ordering::Relaxed) {
            return;
        }
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            self.stdout_closed.store(true, Ordering::Relaxed);
        }
    }

    fn finished(&self, record: &TestRecord) {
        // Subtests are nested in their parent's directory; the parent speaks for them.
        if record.subdir.contains('/') {
            return;
        }
        let line = format!("{:<32} {:>8.2} s", record.subdir, record.duration);
        // One line per test: a long reason is cut to the console's width (the
        // whole of it is in results.json and the test's debug log).
        let reason = if record.status == Status::Good {
            String::new()
        } else {
            let shown = if record.summary.is_empty() { &record.reason } else { &record.summary };
            format!("  {}", self.console.fit(&escaped(shown), 9 + line.chars().count() + 2))
        };
        self.say(&format!("{} {line}{reason}", self.console.status(record.status, 8)));
    }

    fn summary(&self, summary: &JobSummary) {
        let mut counts: Vec<(Status, usize)> = Vec::new();
        let top: Vec<&TestRecord> =
            summary.records().iter().map(AsRef::as_ref).filter(|r| !r.subdir.contains('/')).collect();
        for record in &top {
            match counts.iter_mut().find(|(s, _)| *s == record.status) {
                Some((_, n)) => *n += 1,
                None => counts.push((record.status, 1)),
            }
        }
        let mut parts: Vec<String> =
            counts.iter().map(|(s, n)| format!("{n} {}", self.console.status(*s, 0))).collect();
        let not_run = self.planned.saturating_sub(top.len());
        if not_run > 0 {
            parts.push(format!("{not_run} not run"));
        }
        let tests = self.planned.max(top.len());
        let aborted = if summary.status() == Status::Abort { " (job aborted)" } else { "" };
        self.say(&format!(
            "{tests} test{}: {} in {:.2} s{aborted}; results: {}",
            if tests == 1 { "" } else { "s" },
            if parts.is_empty() { "none ran".to_owned() } else { parts.join(", ") },
            self.begin.elapsed().as_secs_f64(),
            self.resultdir
        ));
    }
}

impl Observer for Reporter {
    fn on_event(&self, event: &Event<'_>) {
        match event {
            Event::TestFinished(record) => self.finished(record),
            Event::JobFinished(summary) => self.summary(summary),
            Event::Notice { subdir, text } => {
                // The debug-build warning is the job's, said once.
                if *text == crate::context::DEBUG_BUILD && self.said_debug_build.swap(true, Ordering::Relaxed) {
                    return;
                }
                let _ = writeln!(std::io::stderr().lock(), "{subdir}: {}", escaped(text));
            }
            _ => {}
        }
    }
}

/// `text` made safe for a terminal: control characters (escape sequences
/// among them) are shown escaped, so a reason cannot restyle or move the
/// cursor, and a FAIL cannot be made to look GOOD.
pub(crate) fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_coloured_only_when_asked() {
        let plain = Console { color: false, width: 20 };
        assert_eq!(plain.status(Status::Fail, 6), "FAIL  ");
        assert_eq!(plain.fit("0123456789", 10), "0123456789");
        assert_eq!(plain.fit("0123456789a", 10), "012345678…");
        let colour = Console { color: true, width: 80 };
        assert_eq!(colour.status(Status::Good, 5), "\u{1b}[32mGOOD \u{1b}[0m");
        assert_eq!(colour.status(Status::Fail, 4), "\u{1b}[1m\u{1b}[31mFAIL\u{1b}[0m");
        assert_eq!(escaped("\u{1b}[32mGOOD\r\n"), "\\u{1b}[32mGOOD\\r\\n");
    }
}
