//! False alarms, measured (A/A): 200 pairs of runs of one noisy test
//! compared with themselves, with seeded noise. `compare` may call at most
//! alpha of them `regressed`; a single t-test on the same values is shown
//! beside it (docs/regressions.md quotes these numbers: run with
//! `--nocapture` to see them).
//!
//! Two kinds of noise: within a run (each iteration, 3%) and between runs
//! (each run's level, 2%: another boot, another file layout, another
//! neighbour). Tests on the iterations of two runs see the first only.

use std::sync::Arc;

use harness_core::compare::{Knobs, NoiseFigure, NoiseFigures, Verdict, compare, machine_id};
use harness_core::results::JobResults;
use harness_tests::runs::{Noise, template};

const PAIRS: usize = 200;
const ITERATIONS: usize = 10;
const ALPHA: f64 = 0.05;

/// A run of `template` with `values`.
fn run(template: &serde_json::Value, values: &[f64]) -> JobResults {
    let mut run = template.clone();
    run["tests"][0]["perf_values"][0]["values"] = serde_json::Value::from(values.to_vec());
    serde_json::from_value(run).unwrap()
}

/// Each run: its level moved by `between`, each iteration by `within`.
fn values(noise: &mut Noise, between: f64, within: f64) -> Vec<f64> {
    let level = 100.0 * (1.0 + between * noise.normal());
    noise.around(level, within, ITERATIONS)
}

#[derive(Debug, Default)]
struct Tally {
    regressed: usize,
    improved: usize,
    same: usize,
    inconclusive: usize,
    t_test_worse: usize,
    t_test_any: usize,
}

fn share(n: usize) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "small counts")]
    let share = n as f64 / PAIRS as f64;
    share
}

/// 200 pairs judged by `compare` with `knobs`, and by a t-test: A/A, or
/// A/B when `slower` (0.1: B 10% slower).
fn tally(template: &serde_json::Value, seed: u64, between: f64, knobs: &Knobs, slower: f64) -> Tally {
    let mut noise = Noise::new(seed);
    let mut tally = Tally::default();
    for _ in 0..PAIRS {
        let a = values(&mut noise, between, 0.03);
        let b: Vec<f64> = values(&mut noise, between, 0.03).iter().map(|v| v * (1.0 + slower)).collect();
        let comparison = compare(&run(template, &a), &run(template, &b), knobs);
        match comparison.metrics()[0].verdict {
            Verdict::Regressed => tally.regressed += 1,
            Verdict::Improved => tally.improved += 1,
            Verdict::Same => tally.same += 1,
            _ => tally.inconclusive += 1,
        }
        let p = cargo_harness::changes::t_test(&a, &b);
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        tally.t_test_any += usize::from(p < ALPHA);
        // Lower is better: a t-test alert is a significant rise.
        tally.t_test_worse += usize::from(p < ALPHA && mean(&b) > mean(&a));
    }
    println!(
        "{}between-run noise {:.0}%, {}: regressed {:.1}%, improved {:.1}%, same {:.1}%, inconclusive {:.1}%; \
         t-test at {ALPHA}: worse {:.1}%, any {:.1}%",
        if slower == 0.0 { "A/A, ".to_owned() } else { format!("B {:.0}% slower, ", slower * 100.0) },
        between * 100.0,
        if knobs.history.is_some() { "threshold 3 x the history's noise" } else { "threshold 2%" },
        share(tally.regressed) * 100.0,
        share(tally.improved) * 100.0,
        share(tally.same) * 100.0,
        share(tally.inconclusive) * 100.0,
        share(tally.t_test_worse) * 100.0,
        share(tally.t_test_any) * 100.0,
    );
    tally
}

#[test]
fn compare_calls_at_most_alpha_of_a_and_a_pairs_regressed() {
    let dir = tempfile::tempdir().unwrap();
    let template = template(dir.path());
    let machine = machine_id(&run(&template, &[1.0]).job.sysinfo).0;

    // Only noise within runs: the statistics alone keep alpha.
    let plain = Knobs { alpha: ALPHA, ..Knobs::default() };
    let iid = tally(&template, 1, 0.0, &plain, 0.0);
    assert!(share(iid.regressed) <= ALPHA, "{iid:?}");

    // Noise between runs too: a t-test on the iterations alarms far more
    // often than alpha; so does `compare` with a fixed 2% threshold.
    let fixed = tally(&template, 2, 0.02, &plain, 0.0);
    assert!(share(fixed.t_test_worse) > 2.0 * ALPHA, "{fixed:?}");
    // With the threshold the history gives (k times the noise of 20 earlier
    // runs' medians), `compare` keeps its false alarms under alpha.
    let mut noise = Noise::new(3);
    let medians: Vec<f64> =
        (0..20).map(|_| harness_core::stats::Summary::of(&values(&mut noise, 0.02, 0.03)).median).collect();
    let figure = NoiseFigure::of("perf_sample", "latency", &machine, &medians).unwrap();
    let history = Knobs { alpha: ALPHA, history: Some(Arc::new(NoiseFigures::new(vec![figure]))), ..Knobs::default() };
    let known = tally(&template, 2, 0.02, &history, 0.0);
    assert!(share(known.regressed) <= ALPHA, "{known:?}");
    assert!(known.regressed < fixed.t_test_worse, "{known:?} {fixed:?}");
    // And a real 10% slowdown is still seen in most pairs of single runs
    // (`confirm` runs more rounds where one pair is not enough).
    let real = tally(&template, 4, 0.02, &history, 0.10);
    assert!(share(real.regressed) > 0.5, "{real:?}");
}
