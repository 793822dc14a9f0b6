//! Progress on stderr while a test iterates: a bar on a terminal, a plain line
//! at most every second otherwise. An observer of the job (iterations of a test
//! in a child process arrive over its channel). Nothing is drawn before a
//! test's first iteration ends, so a test that does not iterate leaves no empty
//! bar behind.

use std::io::{IsTerminal as _, Write as _};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::event::{Event, Observer};

/// How often a bar is redrawn at most (its last state is always drawn).
const REDRAW: Duration = Duration::from_millis(50);

/// A test's bar on a terminal: one line of stderr, redrawn in place.
struct Bar {
    label: String,
    started: Instant,
    drawn: Option<Instant>,
}

impl Bar {
    /// Draws `{label} [=====>    ] 3/10 iterations, 2s`, or `{label} {message}`,
    /// in place of the line before; at most every [`REDRAW`] unless `now`.
    fn draw(&mut self, what: &str, now: bool) {
        if !now && self.drawn.is_some_and(|at| at.elapsed() < REDRAW) {
            return;
        }
        self.drawn = Some(Instant::now());
        let mut line = format!("{} {what}", self.label);
        if let Some((terminal_size::Width(width), _)) = terminal_size::terminal_size_of(std::io::stderr()) {
            // The line must not wrap, or `\r` would redraw only its last row.
            line = line.chars().take(usize::from(width).saturating_sub(1)).collect();
        }
        let _ = write!(std::io::stderr().lock(), "\r{line}\x1b[K");
    }

    /// `[=====>    ] 3/10 iterations, 2s`.
    fn counted(&self, iteration: u64, total: u64) -> String {
        const WIDTH: u64 = 30;
        let filled = (iteration.min(total) * WIDTH).checked_div(total).unwrap_or(WIDTH);
        let mut bar = "=".repeat(usize::try_from(filled).unwrap_or(0));
        if filled < WIDTH {
            bar.push('>');
            bar.push_str(&" ".repeat(usize::try_from(WIDTH - filled - 1).unwrap_or(0)));
        }
        format!("[{bar}] {iteration}/{total} iterations, {}s", self.started.elapsed().as_secs())
    }

    /// Takes the line away, so the test's result line is printed where it was.
    fn clear(&self) {
        if self.drawn.is_some() {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
    }
}

/// A test's bar, or the time of its last plain line.
enum Drawn {
    Bar(Bar),
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

    fn iteration(
        &self,
        label: &str,
        iteration: u64,
        planned: Option<u64>,
        test_length: Option<f64>,
        elapsed: Option<Duration>,
    ) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|(subdir, _)| subdir != label) {
            finish(current.take());
        }
        let done = planned == Some(iteration);
        let drawn = current.get_or_insert_with(|| {
            let drawn = if self.terminal {
                Drawn::Bar(Bar { label: label.to_owned(), started: Instant::now(), drawn: None })
            } else {
                Drawn::Line(Instant::now())
            };
            (label.to_owned(), drawn)
        });
        match &mut drawn.1 {
            Drawn::Bar(bar) => {
                let what = match (planned, test_length) {
                    (Some(total), _) => bar.counted(iteration, total),
                    (None, Some(length)) => timed(iteration, length, elapsed.unwrap_or_default()),
                    (None, None) => format!("iteration {iteration}"),
                };
                bar.draw(&what, done);
            }
            // A single iteration's line would only repeat the test's result line.
            Drawn::Line(_) if planned == Some(1) => {}
            Drawn::Line(last) => {
                if done || iteration == 1 || last.elapsed() >= Duration::from_secs(1) {
                    *last = Instant::now();
                    let text = match (planned, test_length) {
                        (Some(total), _) => format!("iteration {iteration}/{total}"),
                        (None, Some(length)) => timed(iteration, length, elapsed.unwrap_or_default()),
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
        bar.clear();
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
            Event::IterationFinished { subdir, iteration, planned, test_length, elapsed, .. } => {
                self.iteration(subdir, iteration, planned, test_length, elapsed);
            }
            Event::TestFinished { record, .. } => {
                let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
                if current.as_ref().is_some_and(|(subdir, _)| *subdir == record.subdir) {
                    finish(current.take());
                }
            }
            // A notice gets a line of its own; the bar is drawn again below it.
            Event::Notice { .. } => {
                if let Some((_, Drawn::Bar(bar))) = self.current.lock().unwrap_or_else(PoisonError::into_inner).as_mut()
                {
                    bar.clear();
                    bar.drawn = None;
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
    fn a_bar_fills_with_its_iterations() {
        let bar = Bar { label: "t".to_owned(), started: Instant::now(), drawn: None };
        assert_eq!(bar.counted(0, 10), format!("[>{}] 0/10 iterations, 0s", " ".repeat(29)));
        assert_eq!(bar.counted(5, 10), format!("[{}>{}] 5/10 iterations, 0s", "=".repeat(15), " ".repeat(14)));
        assert_eq!(bar.counted(10, 10), format!("[{}] 10/10 iterations, 0s", "=".repeat(30)));
        assert_eq!(bar.counted(0, 0), format!("[{}] 0/0 iterations, 0s", "=".repeat(30)));
    }

    #[test]
    fn timed_runs_show_the_time_left() {
        assert_eq!(timed(5, 10.0, Duration::from_millis(6_800)), "iteration 5, 3.2 s left");
        assert_eq!(timed(9, 1.0, Duration::from_secs(3)), "iteration 9, 0.0 s left");
    }
}
