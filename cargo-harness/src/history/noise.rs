//! `history noise`: how much each metric moves between runs on its machine.

use std::fmt::Write as _;
use std::path::Path;

use harness_core::compare::{NOISE_FACTOR, NOISE_MIN_RUNS, NOISE_RUNS, NoiseFigures, TOO_NOISY};
use harness_core::console::print_out;
use harness_core::stats::significant;

/// The figures as `history noise` prints them.
pub(crate) fn table(figures: &NoiseFigures, series: usize) -> String {
    let mut out = String::new();
    let width = figures.metrics.iter().map(|f| f.test.len() + 1 + f.metric.len()).max().unwrap_or(6).max(6);
    let _ = writeln!(
        out,
        "{:<width$} {:>8} {:>4} {:>7} {:>7} {:>10}",
        "METRIC", "MACHINE", "RUNS", "CV", "NOISE", "THRESHOLD"
    );
    for f in &figures.metrics {
        let line = format!(
            "{:<width$} {:>8} {:>4} {:>6}% {:>6}% {:>9}%  {}",
            format!("{}/{}", f.test, f.metric),
            f.machine,
            f.runs,
            significant(f.cv_percent),
            significant(f.noise_percent),
            significant(f.threshold() * 100.0),
            if f.too_noisy() { "too noisy to judge" } else { "" },
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let noisy = figures.metrics.iter().filter(|f| f.too_noisy()).count();
    let _ = writeln!(
        out,
        "{} of {series} series measured (the last {NOISE_RUNS} runs, at least {NOISE_MIN_RUNS}); threshold {NOISE_FACTOR} x noise; {noisy} too noisy (noise above {}%)",
        figures.metrics.len(),
        TOO_NOISY * 100.0,
    );
    out
}

/// `history noise`: the table or the JSON; exit 0, 2 on an error.
pub(crate) fn noise(history: Option<&Path>, json: bool) -> i32 {
    let figures = super::open(history).and_then(|(store, _)| Ok((store.noise()?, store.series()?.len())));
    match figures {
        Ok((figures, series)) => {
            if json {
                print_out(&(serde_json::to_string_pretty(&figures).unwrap_or_default() + "\n"));
            } else {
                print_out(&table(&figures, series));
            }
            crate::EXIT_OK
        }
        Err(e) => crate::usage_error(&e),
    }
}
