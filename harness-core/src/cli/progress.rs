//! Progress on stderr while a test iterates: a bar on a terminal, a plain line
//! at most every second otherwise. Nothing is drawn before the first iteration
//! ends, so a test that does not iterate leaves no empty bar behind.

use std::io::IsTerminal as _;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::JobObserver;
use crate::engine::TestRecord;

/// Draws a test's progress.
pub(crate) struct Progress {
    label: String,
    terminal: bool,
    bar: OnceLock<ProgressBar>,
    last_line: Mutex<Option<Instant>>,
}

impl Progress {
    pub(crate) fn new(label: &str) -> Self {
        Progress {
            label: label.to_owned(),
            terminal: std::io::stderr().is_terminal(),
            bar: OnceLock::new(),
            last_line: Mutex::new(None),
        }
    }

    fn bar(&self, planned: Option<u64>) -> &ProgressBar {
        self.bar.get_or_init(|| {
            let (bar, template) = match planned {
                Some(total) => (ProgressBar::new(total), "{prefix} [{bar:30}] {pos}/{len} iterations, {elapsed}"),
                None => (ProgressBar::no_length(), "{prefix} {msg}"),
            };
            let style = ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(self.label.clone());
            bar
        })
    }
}

/// `iteration 5, 3.2 s left` for a timed run.
fn timed(iteration: u64, length: f64, elapsed: Duration) -> String {
    let left = (length - elapsed.as_secs_f64()).max(0.0);
    format!("iteration {iteration}, {left:.1} s left")
}

impl JobObserver for Progress {
    fn iteration_finished(&self, iteration: u64, planned: Option<u64>, test_length: Option<f64>, elapsed: Duration) {
        if self.terminal {
            let bar = self.bar(planned);
            match (planned, test_length) {
                (Some(_), _) => bar.set_position(iteration),
                (None, Some(length)) => bar.set_message(timed(iteration, length, elapsed)),
                (None, None) => {}
            }
            return;
        }
        let mut last = self.last_line.lock().unwrap_or_else(PoisonError::into_inner);
        let done = planned == Some(iteration);
        if done || last.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
            *last = Some(Instant::now());
            let text = match (planned, test_length) {
                (Some(total), _) => format!("iteration {iteration}/{total}"),
                (None, Some(length)) => timed(iteration, length, elapsed),
                _ => format!("iteration {iteration}"),
            };
            eprintln!("{}: {text}", self.label);
        }
    }

    fn test_finished(&self, _record: &TestRecord) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timed_runs_show_the_time_left() {
        assert_eq!(timed(5, 10.0, Duration::from_millis(6_800)), "iteration 5, 3.2 s left");
        assert_eq!(timed(9, 1.0, Duration::from_secs(3)), "iteration 9, 0.0 s left");
    }
}
