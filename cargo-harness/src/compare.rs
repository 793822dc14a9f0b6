//! `compare BASE NEW`: every perf metric of two runs side by side, with the
//! statistics of `harness_core::stats`, a verdict that knows the metric's
//! direction, and an exit status that fails CI on a real regression only.

use std::path::Path;

use harness_core::compare::{Comparison, Knobs, compare, load_run};
use harness_core::console::print_out;
use harness_core::results::JobResults;

use crate::error::CliError;

/// Where `run` keeps its results, and so its baselines.
const RESULTS_ROOT: &str = "results";

/// A side of `compare`: a results directory, a `results.json`, or the name of
/// a baseline in `./results/baselines/`.
pub(crate) fn load_side(text: &str) -> Result<JobResults, CliError> {
    let (results, rebuilt) = load_run(Path::new(RESULTS_ROOT), text)?;
    if let Some(note) = rebuilt {
        eprintln!("note: {note}");
    }
    Ok(results)
}

/// What fails a comparison besides a regression.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gate {
    /// Tests that now fail do not.
    pub(crate) allow_failures: bool,
    /// An inconclusive metric does.
    pub(crate) fail_on_inconclusive: bool,
}

/// `compare BASE NEW`: the table (or JSON); exit 1 on a regression or a test
/// that now fails (unless allowed; an inconclusive metric too when asked), 2
/// when nothing could be compared, 0 otherwise.
pub(crate) fn command(base: &str, new: &str, knobs: &Knobs, json: bool, gate: Gate) -> i32 {
    let loaded = load_side(base).and_then(|b| load_side(new).map(|n| (b, n)));
    match (check_knobs(knobs), loaded) {
        (Ok(()), Ok((base, new))) => {
            let comparison = compare(&base, &new, knobs);
            if json {
                print_out(&(serde_json::to_string_pretty(&comparison).unwrap_or_default() + "\n"));
            } else {
                print_out(&comparison.table());
            }
            exit_status(&comparison, gate)
        }
        (Err(e), _) | (_, Err(e)) => crate::usage_error(&e),
    }
}

/// 1 on a regression or a test that now fails (unless allowed; an
/// inconclusive metric too when asked), 2 when nothing could be compared
/// (said on stderr), 0 otherwise.
pub(crate) fn exit_status(comparison: &Comparison, gate: Gate) -> i32 {
    let failing = !gate.allow_failures && !comparison.now_failing().is_empty();
    let inconclusive = gate.fail_on_inconclusive && comparison.inconclusive() > 0;
    if comparison.regressed() || failing || inconclusive {
        crate::EXIT_FAILED
    } else if comparison.compared() == 0 {
        eprintln!("error: nothing to compare: no metric of BASE is in NEW with the same units and direction");
        crate::EXIT_USAGE
    } else {
        crate::EXIT_OK
    }
}

/// `--alpha` in (0, 1), `--noise` at least 0.
fn check_knobs(knobs: &Knobs) -> Result<(), CliError> {
    if !(knobs.alpha > 0.0 && knobs.alpha < 1.0) {
        return Err(CliError::Knob { option: "--alpha", value: knobs.alpha, expected: "between 0 and 1" });
    }
    if !(knobs.noise.is_finite() && knobs.noise >= 0.0) {
        return Err(CliError::Knob { option: "--noise", value: knobs.noise, expected: "a fraction of at least 0" });
    }
    Ok(())
}
