//! Where a metric's level changed in its history: E-Divisive means with a
//! t-test for significance, split over sliding windows and merged, as Apache
//! Otava (formerly Hunter; Fleming et al., "Hunter: Using Change Point
//! Detection to Hunt for Performance Regressions", ICPE 2023) does it, with
//! its three parameters of the same meaning and defaults. Deterministic: no
//! permutations. Checked against Otava's own test series and results
//! (`tests/fixtures/otava/`).
//!
//! - Split: each window of `window_len` points (advancing by half a window,
//!   or past the last change found) is divided recursively by E-Divisive
//!   (`edivisive.rs`): the candidate that best separates a piece, kept while
//!   the t-test between its two sides is significant at a relaxed level (10×
//!   `max_pvalue` below 0.05). These are the weak change points.
//! - Merge: the weakest (the highest p-value above `max_pvalue`, else the
//!   smallest change below `min_magnitude`) is removed and its neighbours are
//!   judged again against their new sides, until every change point is
//!   significant and large enough.

mod edivisive;
mod ttest;

use serde::Serialize;

/// Otava's parameters, with its defaults.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// How many points a window holds (at least 2).
    pub window_len: usize,
    /// The largest p-value of a change point kept.
    pub max_pvalue: f64,
    /// The smallest relative change kept (0.05: 5%); 0 keeps any significant one.
    pub min_magnitude: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options { window_len: 50, max_pvalue: 0.001, min_magnitude: 0.0 }
    }
}

/// A point where the series changed: the first point of the new level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangePoint {
    /// Its position in the series (0-based, as Otava reports it).
    pub index: usize,
    /// The mean of the piece before it.
    pub mean_before: f64,
    /// The mean of the piece after it.
    pub mean_after: f64,
    /// The change from before to after, in percent of before (0 when before is 0).
    pub change_percent: f64,
    /// The t-test's p-value between the two pieces.
    pub pvalue: f64,
}

impl ChangePoint {
    /// The larger of the relative changes forward and backward.
    fn magnitude(&self) -> f64 {
        let forward = if self.mean_before == 0.0 { 0.0 } else { self.mean_after / self.mean_before - 1.0 };
        let backward = if self.mean_after == 0.0 { 0.0 } else { self.mean_before / self.mean_after - 1.0 };
        forward.abs().max(backward.abs())
    }
}

/// The pieces between `points` (sorted): `[0, p0)`, `[p0, p1)`, ..., `[pk, len)`.
fn intervals(points: &[usize], len: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(points.len() + 1);
    let mut start = 0;
    for &point in points {
        if point != start {
            out.push((start, point));
        }
        start = point;
    }
    if start != len {
        out.push((start, len));
    }
    out
}

/// The change point at `index` judged between its two sides among `pieces`:
/// the piece it ends and the next one, or the two halves of the piece it cuts.
fn judge(index: usize, series: &[f64], pieces: &[(usize, usize)]) -> ChangePoint {
    let (left, right) = pieces
        .iter()
        .enumerate()
        .find_map(|(at, &(start, stop))| {
            if stop == index {
                pieces.get(at + 1).map(|&next| ((start, stop), next))
            } else if start < index && index < stop {
                Some(((start, index), (index, stop)))
            } else {
                None
            }
        })
        .unwrap_or(((0, index), (index, series.len())));
    let (l, r) = (&series[left.0..left.1], &series[right.0..right.1]);
    let (mean_before, std_before) = mean_std(l);
    let (mean_after, std_after) = mean_std(r);
    let pvalue = if l.is_empty() || r.is_empty() {
        1.0
    } else {
        ttest::p_value(mean_before, std_before, l.len(), mean_after, std_after, r.len())
    };
    let change_percent = if mean_before == 0.0 { 0.0 } else { (mean_after / mean_before - 1.0) * 100.0 };
    ChangePoint { index, mean_before, mean_after, change_percent, pvalue }
}

/// The mean and the population standard deviation (numpy's `std`, 0 for one value).
fn mean_std(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, 0.0);
    }
    #[allow(clippy::cast_precision_loss, reason = "series lengths")]
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std = if values.len() < 2 { 0.0 } else { (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt() };
    (mean, std)
}

/// Whether a p-value is significant at `max` (a NaN p-value never is).
fn significant(pvalue: f64, max: f64) -> bool {
    pvalue <= max
}

/// Student's two-sample t-test with a pooled variance, two-sided, of `a`
/// and `b` (scipy's `ttest_ind`): the single test a naive alert is made of,
/// which `harness-tests` measures the false alarms of beside `compare`'s.
#[must_use]
pub fn t_test(a: &[f64], b: &[f64]) -> f64 {
    let sample_std = |values: &[f64], mean: f64| {
        #[allow(clippy::cast_precision_loss, reason = "sample sizes")]
        let n = values.len() as f64;
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    };
    let ((mean_a, _), (mean_b, _)) = (mean_std(a), mean_std(b));
    ttest::p_value(mean_a, sample_std(a, mean_a), a.len(), mean_b, sample_std(b, mean_b), b.len())
}

/// One E-Divisive pass over the whole of `series`, with the t-test at
/// `max_pvalue` (no windows, no merge): the points it finds, in order.
#[must_use]
pub fn divide(series: &[f64], max_pvalue: f64) -> Vec<usize> {
    edivisive::detect(series, max_pvalue)
}

/// The change points of `series` (in order, oldest first), as Otava's
/// `compute_change_points` finds them with `options`.
#[must_use]
pub fn detect(series: &[f64], options: Options) -> Vec<ChangePoint> {
    let window = options.window_len.max(2);
    let first_pass = if options.max_pvalue < 0.05 {
        options.max_pvalue * 10.0
    } else if options.max_pvalue < 0.5 {
        options.max_pvalue * 2.0
    } else {
        options.max_pvalue
    };
    let weak = split(series, window, first_pass);
    merge(weak, series, options.max_pvalue, options.min_magnitude)
}

/// The weak change points: E-Divisive over sliding windows at `pvalue`.
fn split(series: &[f64], window: usize, pvalue: f64) -> Vec<ChangePoint> {
    let step = window / 2;
    let mut points: Vec<usize> = Vec::new();
    let mut start = 0;
    while start < series.len() {
        let end = (start + window).min(series.len());
        let found: Vec<usize> = edivisive::detect(&series[start..end], pvalue).into_iter().map(|i| i + start).collect();
        let last = found.last().copied().unwrap_or(0);
        start = last.max(start + step.max(1));
        for point in found {
            if !points.contains(&point) {
                points.push(point);
            }
        }
    }
    points.sort_unstable();
    let pieces = intervals(&points, series.len());
    points.iter().map(|&index| judge(index, series, &pieces)).collect()
}

/// The weak change points filtered down: the weakest removed, its neighbours
/// judged again, until all are significant and large enough.
fn merge(mut points: Vec<ChangePoint>, series: &[f64], max_pvalue: f64, min_magnitude: f64) -> Vec<ChangePoint> {
    while !points.is_empty() {
        // The highest p-value (the first of equals); if all are significant,
        // the smallest change, unless it is large enough.
        let mut weakest = 0;
        for (at, point) in points.iter().enumerate() {
            if point.pvalue > points[weakest].pvalue {
                weakest = at;
            }
        }
        if significant_below(points[weakest].pvalue, max_pvalue) {
            weakest = 0;
            for (at, point) in points.iter().enumerate() {
                if point.magnitude() < points[weakest].magnitude() {
                    weakest = at;
                }
            }
            if points[weakest].magnitude() > min_magnitude {
                return points;
            }
        }
        points.remove(weakest);
        let indexes: Vec<usize> = points.iter().map(|p| p.index).collect();
        let pieces = intervals(&indexes, series.len());
        for at in [weakest, weakest + 1] {
            if let Some(point) = points.get(at) {
                let index = point.index;
                points[at] = judge(index, series, &pieces);
            }
        }
    }
    points
}

/// Otava's test in the merge step: strictly below `max`.
fn significant_below(pvalue: f64, max: f64) -> bool {
    pvalue < max
}
