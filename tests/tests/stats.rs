//! harness's statistics against numbers scipy computed once for fixed samples
//! (`tests/fixtures/stats/`): the Mann-Whitney p-value, the Hodges-Lehmann
//! shift and its interval, the quartiles, the Kolmogorov-Smirnov statistic and
//! its p-value.

use harness_core::stats::{Summary, ks_2samp, mann_whitney_p, shift_interval};
use serde_json::Value;

fn close(ours: f64, theirs: f64, what: &str) {
    assert!((ours - theirs).abs() <= 1e-9 * theirs.abs().max(1.0), "{what}: ours {ours}, scipy {theirs}");
}

#[test]
fn statistics_agree_with_scipy() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/stats/scipy.json")).unwrap();
    let fixtures: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(fixtures.len(), 7);
    for (name, case) in fixtures {
        let sample =
            |key: &str| -> Vec<f64> { case[key].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect() };
        let (base, new) = (sample("base"), sample("new"));
        let number = |key: &str| case[key].as_f64().unwrap();
        close(mann_whitney_p(&base, &new), number("p"), &format!("{name}: p"));
        let (shift, low, high) = shift_interval(&base, &new, 0.05).unwrap();
        close(shift, number("shift"), &format!("{name}: shift"));
        close(low, number("low"), &format!("{name}: low"));
        close(high, number("high"), &format!("{name}: high"));
        let summary = Summary::of(&base);
        close(summary.median, number("median_base"), &format!("{name}: median"));
        close(summary.q1, number("q1_base"), &format!("{name}: q1"));
        close(summary.q3, number("q3_base"), &format!("{name}: q3"));
        let (d, p) = ks_2samp(&base, &new);
        close(d, number("ks_d"), &format!("{name}: KS D"));
        close(p, number("ks_p"), &format!("{name}: KS p"));
    }
}

/// The interval is found without making the n*m differences: on samples too
/// big to materialise it agrees with the materialised answer on a smaller
/// prefix, and on a large pair it stays in bounds and ordered.
#[test]
fn the_shift_interval_selects_without_materialising() {
    let base: Vec<f64> = (0..300).map(|i| f64::from((i * 37) % 101) / 7.0).collect();
    let new: Vec<f64> = (0..250).map(|i| 3.0 + f64::from((i * 53) % 97) / 9.0).collect();
    let mut diffs: Vec<f64> = new.iter().flat_map(|y| base.iter().map(move |x| y - x)).collect();
    diffs.sort_by(f64::total_cmp);
    let (shift, low, high) = shift_interval(&base, &new, 0.05).unwrap();
    let n = diffs.len();
    assert_eq!(shift, (diffs[n / 2 - 1] + diffs[n / 2]) / 2.0);
    assert!(diffs.contains(&low) && diffs.contains(&high) && low <= shift && shift <= high);
    let big: Vec<f64> = (0..200_000_u32).map(|i| f64::from(i % 1000)).collect();
    let bigger: Vec<f64> = big.iter().map(|v| v + 2.5).collect();
    let (shift, low, high) = shift_interval(&big, &bigger, 0.05).unwrap();
    assert_eq!(shift, 2.5);
    assert!(low <= 2.5 && 2.5 <= high, "{low} {high}");
}
