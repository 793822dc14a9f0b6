//! Progress on stderr while a test iterates: a bar on a terminal, a plain line
//! at most every second otherwise.

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::JobObserver;
use crate::engine::TestRecord;

/// Draws a test's progress.
pub(crate) struct Progress {
    label: String,
    bar: Option<ProgressBar>,
    last_line: Mutex<Option<Instant>>,
}

impl Progress {
    pub(crate) fn new(label: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::hidden();
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.set_prefix(label.to_owned());
            bar
        });
        Progress { label: label.to_owned(), bar, last_line: Mutex::new(None) }
    }
}

impl JobObserver for Progress {
    fn iteration_finished(&self, iteration: u64, planned: Option<u64>, test_length: Option<f64>, elapsed: Duration) {
        match &self.bar {
            Some(bar) => {
                if let Some(total) = planned {
                    if bar.length() != Some(total) {
                        bar.set_style(
                            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} iterations, {elapsed}")
                                .unwrap_or_else(|_| ProgressStyle::default_bar())
                                .progress_chars("=> "),
                        );
                        bar.set_length(total);
                    }
                    bar.set_position(iteration);
                } else if let Some(length) = test_length {
                    bar.set_style(
                        ProgressStyle::with_template("{prefix} {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    bar.set_message(format!("iteration {iteration}, {:.1} of {length} s", elapsed.as_secs_f64()));
                    bar.tick();
                }
            }
            None => {
                let mut last = self.last_line.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let done = planned == Some(iteration);
                if done || last.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                    *last = Some(Instant::now());
                    let of = match (planned, test_length) {
                        (Some(total), _) => format!("/{total}"),
                        (None, Some(length)) => format!(" ({:.1} of {length} s)", elapsed.as_secs_f64()),
                        _ => String::new(),
                    };
                    eprintln!("{}: iteration {iteration}{of}", self.label);
                }
            }
        }
    }

    fn test_finished(&self, _record: &TestRecord) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
