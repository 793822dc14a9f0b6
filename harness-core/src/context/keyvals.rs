//! The test's keyvals and perf values: the test keyval, the iteration blocks
//! of `results/keyval`, and `results/results-chart.json`.

use std::fmt::Display;
use std::path::PathBuf;

use super::test_context::TestContext;
use crate::error::Result;
use crate::phase::Phase;
use crate::results::formats::chart::PerfChart;
use crate::results::formats::iteration_keyval::BlockKind;
use crate::results::formats::keyval::write_keyval;
use crate::results::formats::perf_number::PerfNumber;
use crate::results::formats::perf_value::PerfValue;

impl TestContext {
    /// Appends `key=value` lines to the test keyval (`<outputdir>/keyval`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`](crate::Error::InvalidKey) / [`Error::InvalidValue`](crate::Error::InvalidValue) (nothing written), or I/O errors.
    pub fn write_test_keyval<K, V>(&mut self, pairs: impl IntoIterator<Item = (K, V)>) -> Result<()>
    where
        K: AsRef<str>,
        V: Display,
    {
        let pairs: Vec<(String, String)> =
            pairs.into_iter().map(|(k, v)| (k.as_ref().to_owned(), v.to_string())).collect();
        write_keyval(&self.dirs.outputdir, pairs.iter().map(|(k, v)| (k, v)), None)?;
        self.check_key_lengths(pairs.iter().map(|(k, _)| k.as_str()));
        self.test_keyvals.extend(pairs);
        Ok(())
    }

    /// Writes an iteration block of `{perf}` keyvals (numbers) to `results/keyval`,
    /// followed by a blank line; constraints check the last block written.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`](crate::Error::InvalidKey), [`Error::InvalidValue`](crate::Error::InvalidValue) for NaN or infinity (nothing
    /// written), or I/O errors.
    pub fn write_perf_keyval<K, V>(&mut self, perf: impl IntoIterator<Item = (K, V)>) -> Result<()>
    where
        K: AsRef<str>,
        V: Into<PerfNumber>,
    {
        self.write_iteration_keyval(std::iter::empty::<(&str, &str)>(), perf)
    }

    /// Writes an iteration block of `{attr}` keyvals to `results/keyval`, followed
    /// by a blank line (so attr and perf written separately make two TKO iterations,
    /// as in autotest).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`](crate::Error::InvalidKey), [`Error::InvalidValue`](crate::Error::InvalidValue) (nothing written), or I/O errors.
    pub fn write_attr_keyval<K, V>(&mut self, attr: impl IntoIterator<Item = (K, V)>) -> Result<()>
    where
        K: AsRef<str>,
        V: Display,
    {
        self.write_iteration_keyval(attr, std::iter::empty::<(&str, f64)>())
    }

    /// Writes one iteration block: sorted `{attr}` lines, sorted `{perf}` lines and
    /// a blank line, validated as a whole and appended with one write.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`](crate::Error::InvalidKey), [`Error::InvalidValue`](crate::Error::InvalidValue) (nothing written), or I/O errors.
    pub fn write_iteration_keyval<KA, VA, KP, VP>(
        &mut self,
        attr: impl IntoIterator<Item = (KA, VA)>,
        perf: impl IntoIterator<Item = (KP, VP)>,
    ) -> Result<()>
    where
        KA: AsRef<str>,
        VA: Display,
        KP: AsRef<str>,
        VP: Into<PerfNumber>,
    {
        if self.warmup {
            return self.iteration_keyvals.write(attr, perf, None);
        }
        let _ = self.resultsdir();
        let kind = if self.profiled_run {
            BlockKind::Profiled
        } else {
            match self.phase {
                Some(Phase::Postprocess) => BlockKind::Postprocess,
                Some(phase) if phase.is_iteration() => BlockKind::Iteration,
                _ => BlockKind::Other,
            }
        };
        if kind == BlockKind::Iteration {
            // Kept for the iteration's event too.
            let attr: Vec<(String, String)> =
                attr.into_iter().map(|(k, v)| (k.as_ref().to_owned(), v.to_string())).collect();
            let perf: Vec<(String, PerfNumber)> =
                perf.into_iter().map(|(k, v)| (k.as_ref().to_owned(), v.into())).collect();
            let written_by = Some((kind, self.iteration));
            self.iteration_keyvals.write(
                attr.iter().map(|(k, v)| (k, v)),
                perf.iter().map(|(k, v)| (k, *v)),
                written_by,
            )?;
            let this = &mut self.this_iteration;
            this.attr.extend(attr);
            this.perf.extend(perf.into_iter().map(|(k, v)| (k, v.as_f64())));
        } else {
            self.iteration_keyvals.write(attr, perf, Some((kind, self.iteration)))?;
        }
        if !self.iteration_keyvals.long_keys().is_empty() {
            let long = self.iteration_keyvals.long_keys().to_vec();
            self.check_key_lengths(long.iter().map(String::as_str));
        }
        Ok(())
    }

    /// Records a perf value in `results/results-chart.json` (autotest's
    /// `output_perf_value`). The chart is kept in memory and written atomically at
    /// the end of each phase and at most every `flush_interval` (1 s by default).
    ///
    /// # Errors
    ///
    /// [`Error::PerfValue`](crate::Error::PerfValue) when the value is refused (nothing recorded), or I/O
    /// errors from a flush.
    pub fn output_perf_value(&mut self, value: PerfValue) -> Result<()> {
        if self.warmup {
            return PerfChart::check(value);
        }
        let unitless = (!value.has_units()).then(|| value.full_name());
        let threshold = value.threshold_keyval();
        let in_iteration = !self.profiled_run && self.phase.is_some_and(Phase::is_iteration);
        let for_event = in_iteration.then(|| value.clone());
        // The profiled iteration runs under the profilers: its values are kept apart.
        let chart = if self.profiled_run { &mut self.profiled_chart } else { &mut self.chart };
        chart.add(value)?;
        if let Some(value) = for_event {
            let mut alone = PerfChart::new();
            alone.add(&value)?;
            let record = crate::results::outputs::record::perf_records(alone, PerfChart::new());
            self.this_iteration.perf_values.extend(record);
        }
        if let Some(name) = unitless {
            self.warn_no_units(&name);
        }
        if let Some((key, threshold)) = threshold
            && self.test_keyvals.get(&key).is_none_or(|known| *known != threshold.to_string())
        {
            self.write_test_keyval([(key, threshold)])?;
        }
        self.flush_perf_values_if_due()
    }

    /// The perf values recorded so far.
    #[must_use]
    pub fn perf_chart(&self) -> &PerfChart {
        self.chart.chart()
    }

    /// Writes `results-chart.json` now if values were recorded since the last write.
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn flush_perf_values(&mut self) -> Result<()> {
        let path = if self.chart.is_dirty() { self.resultsdir().join("results-chart.json") } else { PathBuf::new() };
        self.chart.flush(&path)?;
        let path =
            if self.profiled_chart.is_dirty() { self.resultsdir().join("profiled-chart.json") } else { PathBuf::new() };
        self.profiled_chart.flush(&path)
    }

    pub(crate) fn flush_perf_values_if_due(&mut self) -> Result<()> {
        if self.chart.is_due() || self.profiled_chart.is_due() {
            self.flush_perf_values()?;
        }
        Ok(())
    }
}
