//! The console reporter of `run`: one line per test, the supervisor's notices
//! on stderr, and the summary.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::console::{Console, escaped};
use crate::event::{Event, NoticeKind, Observer};
use crate::results::JobSummary;
use crate::results::TestRecord;
use crate::status::Status;

/// The console reporter of `run`: an observer that prints one line per test
/// with its perf values under it (unless `-q`), the notices of the supervisor
/// (on stderr), and the summary. A closed stdout
/// (`harness run ... | head -1`) ends the printing quietly; the job goes on.
pub(crate) struct Reporter {
    console: Console,
    planned: usize,
    /// The results directory as the user named it.
    resultdir: String,
    begin: Instant,
    stdout_closed: AtomicBool,
    /// Whether each test's perf values are printed under its line.
    values: bool,
    /// Whether the console is on stderr (stdout carries `--events -`).
    on_stderr: bool,
}

impl Reporter {
    pub(crate) fn new(
        console: Console,
        planned: usize,
        resultdir: &std::path::Path,
        (values, on_stderr): (bool, bool),
    ) -> Self {
        Reporter {
            console,
            planned,
            resultdir: resultdir.display().to_string(),
            begin: Instant::now(),
            stdout_closed: AtomicBool::new(false),
            values,
            on_stderr,
        }
    }

    /// A line on stdout, unless stdout is closed.
    pub(crate) fn say(&self, line: &str) {
        if self.stdout_closed.load(Ordering::Relaxed) {
            return;
        }
        let written = if self.on_stderr {
            writeln!(std::io::stderr().lock(), "{line}")
        } else {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{line}").and_then(|()| out.flush())
        };
        if written.is_err() {
            self.stdout_closed.store(true, Ordering::Relaxed);
        }
    }

    fn finished(&self, record: &TestRecord) {
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
        if self.values {
            for perf in &record.perf_values {
                self.say(&self.console.fit(&format!("{:9}{}", "", escaped(&perf.describe())), 0));
            }
        }
    }

    fn summary(&self, summary: &JobSummary) {
        let mut counts: Vec<(Status, usize)> = Vec::new();
        // A job's records are its own tests; their subtests are inside them.
        let top = summary.records();
        for record in top {
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
            // Subtests are nested in their parent's directory; the parent speaks for them.
            Event::TestFinished { record, depth: 1 } => self.finished(record),
            Event::JobFinished(summary) => self.summary(summary),
            // The job's own: about the machine, not a test.
            Event::Notice { kind: NoticeKind::Noise, text, .. } => {
                let _ = writeln!(std::io::stderr().lock(), "warning: {}", escaped(text));
            }
            Event::Notice { subdir, text, .. } => {
                let _ = writeln!(std::io::stderr().lock(), "{subdir}: {}", escaped(text));
            }
            _ => {}
        }
    }
}
