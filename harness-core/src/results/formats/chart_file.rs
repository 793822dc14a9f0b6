//! A test's `results/results-chart.json` while it runs: the perf values in
//! memory, written out atomically at the end of each phase, at most every
//! flush interval while values arrive, and when the test asks.

use std::path::Path;
use std::time::{Duration, Instant};

use super::chart::PerfChart;
use super::perf_value::PerfValue;
use crate::error::Result;

/// The perf values of a running test and when they were last written.
#[derive(Debug)]
pub(crate) struct ChartFile {
    chart: PerfChart,
    dirty: bool,
    last_flush: Instant,
    interval: Duration,
}

impl ChartFile {
    /// An empty chart, written at most every `interval` by [`flush_if_due`](Self::flush_if_due).
    pub(crate) fn new(interval: Duration) -> Self {
        ChartFile { chart: PerfChart::new(), dirty: false, last_flush: Instant::now(), interval }
    }

    /// Records a value (refused values leave the chart as it was).
    pub(crate) fn add(&mut self, value: PerfValue) -> Result<()> {
        self.chart.insert(value)?;
        self.dirty = true;
        Ok(())
    }

    pub(crate) fn chart(&self) -> &PerfChart {
        &self.chart
    }

    /// Whether values arrived since the last write.
    pub(crate) fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Writes the chart to `path` now if values arrived since the last write.
    pub(crate) fn flush(&mut self, path: &Path) -> Result<()> {
        if self.dirty {
            self.chart.write_atomic(path)?;
            self.dirty = false;
        }
        self.last_flush = Instant::now();
        Ok(())
    }

    /// Whether a write is due: values arrived and the interval has passed.
    pub(crate) fn is_due(&self) -> bool {
        self.dirty && self.last_flush.elapsed() >= self.interval
    }

    /// The chart, leaving an empty one.
    pub(crate) fn take(&mut self) -> PerfChart {
        std::mem::take(&mut self.chart)
    }
}
