//! What every exporter shares: what a reader needs that the run does not
//! say, the metrics of a run, the file an export makes, and names cut to a
//! reader's limits.

use crate::results::{JobResults, PerfRecord, TestRecord};
use crate::stats::Summary;

/// What a reader needs that the run does not say (the Chrome perf
/// dashboard's master, bot, benchmark and point id).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The dashboard's master (default `harness`).
    pub master: Option<String>,
    /// The dashboard's bot (default: the machine's identity in the history).
    pub bot: Option<String>,
    /// The dashboard's benchmark (default: the job's tag, else `harness`).
    pub benchmark: Option<String>,
    /// The point's id on the dashboard's x axis (default: the job's start, in
    /// seconds since 1970).
    pub point_id: Option<i64>,
    /// Links to the run's logs, shown by the dashboard beside each point.
    pub log_urls: Vec<String>,
}

/// One file of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// What tells the file apart when a format writes several
    /// (`smaller-is-better`); `None` for a format of one file.
    pub suffix: Option<&'static str>,
    /// Its contents.
    pub text: String,
}

/// One metric of one test, with the summary of its measured values.
pub(super) struct Metric<'r> {
    pub(super) test: &'r TestRecord,
    pub(super) perf: &'r PerfRecord,
    pub(super) summary: Summary,
}

impl Metric<'_> {
    /// `test[.tag]/metric`: the test's directory and the metric's name.
    pub(super) fn name(&self) -> String {
        format!("{}/{}", self.test.subdir, self.perf.name())
    }
}

/// Every test and subtest, in order.
pub(super) fn flat(tests: &[TestRecord]) -> Vec<&TestRecord> {
    let mut out = Vec::new();
    for test in tests {
        out.push(test);
        out.extend(flat(&test.subtests));
    }
    out
}

/// Every metric with measured values; one without is said and left out.
pub(super) fn metrics<'r>(results: &'r JobResults, warnings: &mut Vec<String>) -> Vec<Metric<'r>> {
    let mut out = Vec::new();
    for test in flat(&results.tests) {
        for perf in &test.perf_values {
            if perf.values.is_empty() {
                warnings.push(format!(
                    "{}/{}: no measured value (only the profiled iteration's); left out",
                    test.subdir,
                    perf.name()
                ));
                continue;
            }
            out.push(Metric { test, perf, summary: perf.summary() });
        }
    }
    out
}

/// `text` cut to at most `max` bytes (at a character boundary) with a short
/// hash of the whole at its end, so that two long names cut alike stay apart.
pub(super) fn shortened(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut hash: u32 = 0x811c_9dc5;
    for byte in text.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    let tail = format!("~{hash:08x}");
    let mut end = max.saturating_sub(tail.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{tail}", &text[..end])
}

/// A number as JSON writes it (finite: perf values are).
pub(super) fn number(value: f64) -> serde_json::Value {
    serde_json::Number::from_f64(value).map_or(serde_json::Value::Null, serde_json::Value::Number)
}
