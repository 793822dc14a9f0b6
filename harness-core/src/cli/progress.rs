//! Progress on stderr while a test iterates: a bar on a terminal, a plain line
//! at most every second otherwise. An observer of the job (iterations of a test
//! in a child process arrive over its channel). Nothing is drawn before a
//! test's first iteration ends, so a test that does not iterate leaves no empty
//! bar behind.

use std::io::IsTerminal as _;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::event::{Event, Observer};

/// A test's bar, or the time of its last plain line.
enum Drawn {
    Bar(ProgressBar),
    Line(Instant),
}

/// Draws the progress of the running test.
pub(crate) struct Progress {
    terminal: bool,
    current: Mutex<Option<(String, Drawn)>>,
}

impl Progress {
    pub(crate) fn new() -> Self {
        Progress { terminal: std::io::stderr().is_terminal(), current: Mutex::new(None) }
    }

    fn bar(label: &str, planned: Option<u64>) -> ProgressBar {
        let (bar, template) = match planned {
            Some(total) => (ProgressBar::new(total), "{prefix} [{bar:30}] {pos}/{len} iterations, {elapsed}"),
            None => (ProgressBar::no_length(), "{prefix} {msg}"),
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label.to_owned());
        bar
    }

    fn iteration(
        &self,
        label: &str,
        iteration: u64,
        planned: Option<u64>,
        test_length: Option<f64>,
        elapsed: Duration,
    ) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|(subdir, _)| subdir != label) {
            finish(current.take());
        }
        let done = planned == Some(iteration);
        let drawn = current.get_or_insert_with(|| {
            let drawn = if self.terminal { Drawn::Bar(Self::bar(label, planned)) } else { Drawn::Line(Instant::now()) };
            (label.to_owned(), drawn)
        });
        match &mut drawn.1 {
            Drawn::Bar(bar) => match (planned, test_length) {
                (Some(_), _) => bar.set_position(iteration),
                (None, Some(length)) => bar.set_message(timed(iteration, length, elapsed)),
                (None, None) => bar.set_message(format!("iteration {iteration}")),
            },
            // A single iteration's line would only repeat the test's result line.
            Drawn::Line(_) if planned == Some(1) => {}
            Drawn::Line(last) => {
                if done || iteration == 1 || last.elapsed() >= Duration::from_secs(1) {
                    *last = Instant::now();
                    let text = match (planned, test_length) {
                        (Some(total), _) => format!("iteration {iteration}/{total}"),
                        (None, Some(length)) => timed(iteration, length, elapsed),
                        _ => format!("iteration {iteration}"),
                    };
                    eprintln!("{label}: {text}");
                }
            }
        }
    }
}

fn finish(drawn: Option<(String, Drawn)>) {
    if let Some((_, Drawn::Bar(bar))) = drawn {
        bar.finish_and_clear();
    }
}

/// `iteration 5, 3.2 s left` for a timed run.
fn timed(iteration: u64, length: f64, elapsed: Duration) -> String {
    let left = (length - elapsed.as_secs_f64()).max(0.0);
    format!("iteration {iteration}, {left:.1} s left")
}

impl Observer for Progress {
    fn on_event(&self, event: &Event<'_>) {
        match *event {
            Event::IterationFinished { subdir, iteration, planned, test_length, elapsed } => {
                self.iteration(subdir, iteration, planned, test_length, elapsed);
            }
            Event::TestFinished { record, .. } => {
                let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
                if current.as_ref().is_some_and(|(subdir, _)| *subdir == record.subdir) {
                    finish(current.take());
                }
            }
            _ => {}
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        finish(self.current.lock().unwrap_or_else(PoisonError::into_inner).take());
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
