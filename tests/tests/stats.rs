//! harness's statistics against numbers scipy computed once for fixed samples
//! (`tests/fixtures/stats/`): the Mann-Whitney p-value, the Hodges-Lehmann
//! shift and its interval, the quartiles.

use harness_core::stats::{Summary, mann_whitney_p, shift_interval};
use serde_json::Value;

fn close(ours: f64, theirs: f64, what: &str) {
    assert!((ours - theirs).abs() <= 1e-9 * theirs.abs().max(1.0), "{what}: ours {ours}, scipy {theirs}");
}

#[test]
fn statistics_agree_with_scipy() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/stats/scipy.json")).unwrap();
    let fixtures: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(fixtures.len(), 5);
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
    }
}
