//! One metric of one test in two runs, judged: the statistics of
//! [`crate::stats`] on values in one unit, and a verdict of four values as
//! Pinpoint gives one: `regressed` or `improved` (a significant change beyond
//! the threshold), `same` (enough values, and the whole interval inside the
//! threshold), `inconclusive` (too few values, or an interval too wide to
//! tell, or a changed spread); `not comparable` when units or directions differ.

use serde::{Serialize, Serializer};

use std::sync::Arc;

use super::noise::NoiseFigures;
use crate::results::formats::perf_value::threshold_key;
use crate::results::{PerfRecord, TestRecord};
use crate::stats::{Summary, ks_2samp, mann_whitney_p, shift_interval, significant};
use crate::units::factor;

/// The statistical knobs: significance level and noise threshold.
#[derive(Debug, Clone)]
pub struct Knobs {
    /// The significance level of the Mann-Whitney U test.
    pub alpha: f64,
    /// Changes smaller than this fraction are noise, for metrics the history
    /// has no noise figure of (a metric's `regression_threshold` keyval wins
    /// for regressions).
    pub noise: f64,
    /// The history's noise figures: where one is known for a metric on NEW's
    /// machine, [`NOISE_FACTOR`](super::NOISE_FACTOR) times it is the threshold.
    pub history: Option<Arc<NoiseFigures>>,
}

impl Default for Knobs {
    /// alpha 0.05, noise 2%, no history.
    fn default() -> Self {
        Knobs { alpha: 0.05, noise: 0.02, history: None }
    }
}

/// The fewest values a side for a verdict other than `inconclusive`.
pub const MIN_VALUES: usize = 5;

/// What a comparison of one metric says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Significantly worse, by more than the threshold.
    Regressed,
    /// Significantly better, by more than the noise threshold.
    Improved,
    /// Enough values, and the change's whole interval inside the threshold.
    Same,
    /// Too few values, an interval too wide to tell, or a changed spread.
    Inconclusive,
    /// Units or directions that differ between the runs.
    NotComparable,
}

impl Verdict {
    /// As the table and the JSON say it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::Same => "same",
            Verdict::Inconclusive => "inconclusive",
            Verdict::NotComparable => "not comparable",
        }
    }
}

impl Serialize for Verdict {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One side's values of a metric, summarised (BASE in NEW's units).
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct SideStats {
    /// How many values.
    pub n: usize,
    /// Their median.
    pub median: f64,
    /// Their mean.
    pub mean: f64,
    /// The first quartile.
    pub q1: f64,
    /// The third quartile.
    pub q3: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
    /// The coefficient of variation, in percent.
    pub cv_percent: f64,
}

impl From<Summary> for SideStats {
    fn from(s: Summary) -> Self {
        SideStats {
            n: s.n,
            median: s.median,
            mean: s.mean,
            q1: s.q1,
            q3: s.q3,
            min: s.min,
            max: s.max,
            cv_percent: s.cv_percent,
        }
    }
}

/// One metric of one test in both runs.
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct MetricRow {
    /// The test's subdir.
    pub test: String,
    /// `graph.description`, or the description.
    pub metric: String,
    /// The units (NEW's; BASE's values are converted into them).
    pub units: Option<String>,
    /// `up` (higher is better) or `down` (NEW's).
    pub direction: String,
    /// BASE's values, summarised, in NEW's units.
    pub base: SideStats,
    /// NEW's values, summarised.
    pub new: SideStats,
    /// The Hodges-Lehmann shift from BASE to NEW, in the units.
    pub change: f64,
    /// Its `1 - alpha` confidence interval, in the units.
    pub ci: [f64; 2],
    /// The shift relative to BASE's median, in percent; null when BASE's
    /// median is 0 (the change is then only absolute).
    pub change_percent: Option<f64>,
    /// The interval in percent of BASE's median, when there is one.
    pub ci_percent: Option<[f64; 2]>,
    /// The two-sided Mann-Whitney U p-value (a change of location).
    pub p: f64,
    /// The two-sample Kolmogorov-Smirnov p-value (any change of distribution).
    pub ks_p: f64,
    /// The change beyond which a significant worsening is a regression, in percent.
    pub threshold_percent: f64,
    /// Where that threshold comes from: `keyval` (the metric's
    /// `regression_threshold`), `history` (k times its noise on this
    /// machine) or `noise` (the `--noise` given or its default).
    pub threshold_from: &'static str,
    /// The verdict.
    pub verdict: Verdict,
    /// Why the verdict is `inconclusive` or `not comparable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

impl MetricRow {
    /// The change as the table shows it: `+10.0%`, or `+10.45 ms` when BASE's
    /// median is 0.
    #[must_use]
    pub fn shown_change(&self) -> String {
        match self.change_percent {
            Some(percent) => format!("{percent:+.1}%"),
            None => format!(
                "{}{} {}",
                if self.change >= 0.0 { "+" } else { "" },
                significant(self.change),
                self.units.as_deref().unwrap_or("")
            )
            .trim_end()
            .to_owned(),
        }
    }
}

/// Judges `old` (BASE) against `new` (NEW) of test `subdir`, whose NEW
/// record may hold the metric's own `regression_threshold`.
pub(super) fn judge(
    subdir: &str,
    old: &PerfRecord,
    new: &PerfRecord,
    record: &TestRecord,
    knobs: &Knobs,
    machine: &str,
) -> MetricRow {
    let name = new.name();
    let history = knobs.history.as_ref().and_then(|h| h.get(subdir, &name, machine)).map(|f| f.threshold());
    let noise_fraction = history.unwrap_or(knobs.noise);
    let keyval = record.keyvals.get(&threshold_key(&name)).and_then(|t| t.parse::<f64>().ok());
    let threshold = keyval.unwrap_or(noise_fraction);
    let threshold_from = match (keyval, history) {
        (Some(_), _) => "keyval",
        (None, Some(_)) => "history",
        (None, None) => "noise",
    };
    let higher_is_better = new.higher_is_better();
    let convert = factor(old.units.as_deref(), new.units.as_deref());
    let base_values: Vec<f64> = old.values.iter().map(|v| v * convert.unwrap_or(1.0)).collect();
    let (base, now) = (Summary::of(&base_values), Summary::of(&new.values));
    let (shift, low, high) = shift_interval(&base_values, &new.values, knobs.alpha).unwrap_or((0.0, 0.0, 0.0));
    let p = mann_whitney_p(&base_values, &new.values);
    let (_, ks_p) = ks_2samp(&base_values, &new.values);
    // Relative to BASE's median when it has one; a zero median (errors,
    // retries) leaves the change absolute, and the threshold relative to NEW.
    let relative = (base.median != 0.0 && base.median.is_finite()).then(|| 100.0 / base.median.abs());
    let reference = if relative.is_some() { base.median.abs() } else { now.median.abs() };
    let (tolerance, noise) = (threshold * reference, noise_fraction * reference);
    let worse = if higher_is_better { shift < 0.0 } else { shift > 0.0 };
    // Two tests consulted, each at half the level, so that the pair keeps alpha.
    let (location, distribution) = (p < knobs.alpha / 2.0, ks_p < knobs.alpha / 2.0);
    let units = |u: &Option<String>| u.clone().unwrap_or_else(|| "no units".to_owned());
    let (verdict, why) = if old.improvement_direction != new.improvement_direction {
        (
            Verdict::NotComparable,
            Some(format!("direction differs: BASE {}, NEW {}", old.improvement_direction, new.improvement_direction)),
        )
    } else if convert.is_none() {
        (Verdict::NotComparable, Some(format!("units differ: BASE {}, NEW {}", units(&old.units), units(&new.units))))
    } else if base.n < MIN_VALUES || now.n < MIN_VALUES {
        (Verdict::Inconclusive, Some(format!("too few values: {} and {}, at least {MIN_VALUES} a side", base.n, now.n)))
    } else if (location || distribution) && worse && shift.abs() > tolerance {
        (Verdict::Regressed, None)
    } else if (location || distribution) && !worse && shift.abs() > noise {
        (Verdict::Improved, None)
    } else if distribution && !location {
        (Verdict::Inconclusive, Some(format!("the spread changed (Kolmogorov-Smirnov p = {})", significant(ks_p))))
    } else if low >= -tolerance && high <= tolerance {
        (Verdict::Same, None)
    } else {
        (
            Verdict::Inconclusive,
            Some(format!(
                "the interval [{}, {}] reaches past the threshold ±{}",
                significant(low),
                significant(high),
                significant(tolerance)
            )),
        )
    };
    MetricRow {
        test: subdir.to_owned(),
        metric: name,
        units: new.units.clone(),
        direction: new.improvement_direction.to_string(),
        base: base.into(),
        new: now.into(),
        // `+ 0.0` makes a negative zero positive: no `-0.0%` for no change.
        change: shift + 0.0,
        ci: [low, high],
        change_percent: relative.map(|scale| shift * scale + 0.0),
        ci_percent: relative.map(|scale| [low * scale, high * scale]),
        p,
        ks_p,
        threshold_percent: threshold * 100.0,
        threshold_from,
        verdict,
        why,
    }
}
