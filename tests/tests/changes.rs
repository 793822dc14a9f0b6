//! Change points over a metric's history, against Apache Otava's own test
//! series and results (`tests/fixtures/otava/`, Apache-2.0), and on seeded
//! synthetic series: a 2% step at 5% noise is found, a flat series gives few
//! false changes. (Its speed: `cargo run --release -p cargo-harness --example
//! changes_bench -- 1000`.)

use cargo_harness::changes::{Options, detect, divide};
use harness_core::compare::NoiseFigure;
use serde_json::Value;

fn fixtures() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/otava/change_points.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn series(fixtures: &Value, name: &str) -> Vec<f64> {
    fixtures["series"][name].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

fn indexes(list: &Value) -> Vec<usize> {
    list.as_array().unwrap().iter().map(|v| usize::try_from(v.as_u64().unwrap()).unwrap()).collect()
}

#[test]
fn change_points_are_otavas() {
    let fixtures = fixtures();
    let cases = fixtures["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 11);
    for case in cases {
        let options = Options {
            window_len: usize::try_from(case["window_len"].as_u64().unwrap()).unwrap(),
            max_pvalue: case["max_pvalue"].as_f64().unwrap(),
            min_magnitude: case["min_magnitude"].as_f64().unwrap(),
        };
        let found: Vec<usize> =
            detect(&series(&fixtures, case["series"].as_str().unwrap()), options).iter().map(|c| c.index).collect();
        assert_eq!(found, indexes(&case["change_points"]), "{}", case["name"]);
    }
    for case in fixtures["detector_cases"].as_array().unwrap() {
        let found = divide(&series(&fixtures, case["series"].as_str().unwrap()), case["max_pvalue"].as_f64().unwrap());
        assert_eq!(found, indexes(&case["change_points"]), "{}", case["name"]);
    }
}

/// A seeded generator of normal values (xorshift and Box-Muller).
struct Noise(u64);

impl Noise {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        #[allow(clippy::cast_precision_loss, reason = "53 bits")]
        let unit = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
        unit.max(f64::MIN_POSITIVE)
    }

    fn normal(&mut self) -> f64 {
        let (a, b) = (self.unit(), self.unit());
        (-2.0 * a.ln()).sqrt() * (2.0 * std::f64::consts::PI * b).cos()
    }
}

/// A series of `len` runs around 100, stepping up by `step` (a fraction) at
/// `at`: each point is the median of a run of 20 iterations with 5% noise, as
/// `history changes` makes a point of a run.
fn stepped(seed: u64, len: usize, at: usize, step: f64) -> Vec<f64> {
    let mut noise = Noise(seed);
    (0..len)
        .map(|i| {
            let level = if i >= at { 100.0 * (1.0 + step) } else { 100.0 };
            let mut run: Vec<f64> = (0..20).map(|_| level * (1.0 + 0.05 * noise.normal())).collect();
            run.sort_by(f64::total_cmp);
            f64::midpoint(run[9], run[10])
        })
        .collect()
}

#[test]
fn a_two_percent_step_in_five_percent_noise_is_found() {
    let mut found = 0;
    for seed in 1..=10_u64 {
        let series = stepped(seed * 7919, 100, 50, 0.02);
        if detect(&series, Options::default()).iter().any(|c| c.index.abs_diff(50) <= 6) {
            found += 1;
        }
    }
    assert!(found >= 9, "found in {found} of 10 trials");
}

/// Flat series: at most 1 false change per 1,000 points of Gaussian noise at
/// Otava's defaults (p 0.001; 9 in these 10,000), none at p 0.0001 or with
/// `history changes`' default smallest change (3 times the series' noise).
#[test]
fn a_flat_series_has_few_changes() {
    let flat: Vec<Vec<f64>> = (1..=10_u64).map(|seed| stepped(seed * 104_729, 1000, 1000, 0.0)).collect();
    let count = |options: &dyn Fn(&[f64]) -> Options| {
        flat.iter().map(|series| detect(series, options(series)).len()).sum::<usize>()
    };
    let at_defaults = count(&|_| Options::default());
    let strict = count(&|_| Options { max_pvalue: 0.0001, ..Options::default() });
    let by_noise = count(&|series| Options {
        min_magnitude: NoiseFigure::of("t", "m", "x", series).unwrap().threshold(),
        ..Options::default()
    });
    println!(
        "false changes in 10,000 flat points: {at_defaults} at Otava's defaults, {strict} at p 0.0001, {by_noise} at history changes' defaults"
    );
    assert!(at_defaults <= 10, "{at_defaults} false changes in 10,000 flat points at Otava's defaults");
    assert!(strict <= 1, "{strict} false changes in 10,000 flat points at p 0.0001");
    assert!(by_noise <= 1, "{by_noise} false changes in 10,000 flat points at history changes' defaults");
}
