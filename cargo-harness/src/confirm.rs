//! `confirm --base BINARY --new BINARY TEST...`: a suspected change checked
//! by running both builds again, on this machine, as Pinpoint does.
//!
//! Round after round, each build runs the tests once (`BINARY run TEST...
//! --results DIR`), in the order base-new then new-base (so that a machine
//! warming up or slowing down weighs on both alike). After each round, every
//! metric's values of all rounds so far are compared (`compare`'s
//! statistics); the rounds end when every metric is decided (`same`,
//! `regressed` or `improved`) or one regressed, after at least
//! [`MIN_ROUNDS`], or when the budget of rounds or time is spent. Looking
//! after every round is paid for: each look is made at `alpha / rounds`
//! (Bonferroni), so that the whole confirmation keeps its false alarms at
//! alpha. Every run is kept in the history as one side of a confirmation.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use harness_core::compare::{Comparison, Knobs, NoiseFigures, Verdict, compare};
use harness_core::console::print_out;
use harness_core::results::{JobResults, TestRecord};

use crate::compare::Gate;
use crate::error::CliError;
use crate::history::store::Role;

/// The fewest rounds before a verdict (unless `--rounds` allows fewer).
pub(crate) const MIN_ROUNDS: usize = 2;

/// What `confirm` was asked.
#[derive(Debug, Clone)]
pub(crate) struct ConfirmArgs {
    pub(crate) base: PathBuf,
    pub(crate) new: PathBuf,
    pub(crate) tests: Vec<String>,
    pub(crate) rounds: usize,
    pub(crate) time: f64,
    pub(crate) alpha: f64,
    pub(crate) noise: Option<f64>,
    pub(crate) history: Option<PathBuf>,
    pub(crate) json: bool,
    pub(crate) gate: Gate,
    pub(crate) run_args: Vec<String>,
}

/// One side: its build, its role in the history, and its values so far.
struct Side {
    name: &'static str,
    binary: PathBuf,
    role: Role,
    pooled: Option<JobResults>,
}

/// `confirm`: the rounds, then the verdict; exit as `compare` does.
pub(crate) fn command(args: &ConfirmArgs) -> i32 {
    match confirm(args) {
        Ok((comparison, rounds, elapsed)) => {
            let overall = overall(&comparison);
            if args.json {
                let out = serde_json::json!({
                    "verdict": overall.as_str(),
                    "rounds": rounds,
                    "seconds": elapsed.as_secs_f64(),
                    "comparison": comparison,
                });
                print_out(&(serde_json::to_string_pretty(&out).unwrap_or_default() + "\n"));
            } else {
                print_out(&comparison.table());
                print_out(&format!(
                    "confirm: {} after {rounds} round{} ({:.2} s)\n",
                    overall.as_str(),
                    if rounds == 1 { "" } else { "s" },
                    elapsed.as_secs_f64()
                ));
            }
            crate::compare::exit_status(&comparison, args.gate)
        }
        Err(e) => crate::usage_error(&e),
    }
}

/// The verdict of the whole: regressed if a metric did, else inconclusive if
/// one is, else improved if one did, else same.
fn overall(comparison: &Comparison) -> Verdict {
    let has = |v: Verdict| comparison.metrics().iter().any(|m| m.verdict == v);
    if comparison.regressed() || !comparison.now_failing().is_empty() {
        Verdict::Regressed
    } else if comparison.inconclusive() > 0 || comparison.compared() == 0 {
        Verdict::Inconclusive
    } else if has(Verdict::Improved) {
        Verdict::Improved
    } else {
        Verdict::Same
    }
}

fn confirm(args: &ConfirmArgs) -> Result<(Comparison, usize, Duration), CliError> {
    check(args)?;
    let (mut store, store_path) = crate::history::open(args.history.as_deref())?;
    let history = if args.noise.is_some() { None } else { NoiseFigures::beside(&store_path) };
    let rounds = args.rounds;
    // Each of up to `rounds` looks at alpha / rounds.
    #[allow(clippy::cast_precision_loss, reason = "a count of rounds")]
    let knobs = Knobs { alpha: args.alpha / rounds as f64, noise: args.noise.unwrap_or(0.02), history };
    let work = work_dir()?;
    eprintln!("confirm: runs in {}", work.display());
    // As paths: `build/harness` is that file, never a program on $PATH.
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut sides = [
        Side { name: "base", binary: absolute(&args.base), role: Role::ConfirmBase, pooled: None },
        Side { name: "new", binary: absolute(&args.new), role: Role::ConfirmNew, pooled: None },
    ];
    let budget = Duration::try_from_secs_f64(args.time).unwrap_or(Duration::MAX);
    let started = Instant::now();
    let mut round = 0;
    loop {
        round += 1;
        let order: [usize; 2] = if round % 2 == 1 { [0, 1] } else { [1, 0] };
        for at in order {
            let side = &mut sides[at];
            let dir = work.join(format!("{}-{round}", side.name));
            let results = run_once(side, &dir, args)?;
            store.import(&results, &dir.canonicalize().unwrap_or_else(|_| dir.clone()), side.role)?;
            match &mut side.pooled {
                Some(pooled) => pool(pooled, &results),
                None => side.pooled = Some(results),
            }
        }
        let (Some(base), Some(new)) = (&sides[0].pooled, &sides[1].pooled) else { unreachable!("both sides ran") };
        let comparison = compare(base, new, &knobs);
        let decided = comparison.regressed()
            || !comparison.now_failing().is_empty()
            || (comparison.inconclusive() == 0 && comparison.compared() > 0);
        eprintln!(
            "round {round}: {} regressed, {} inconclusive, {} compared",
            comparison.metrics().iter().filter(|m| m.verdict == Verdict::Regressed).count(),
            comparison.inconclusive(),
            comparison.compared()
        );
        let spent = round >= rounds || started.elapsed() >= budget;
        if (decided && round >= MIN_ROUNDS.min(rounds)) || spent {
            return Ok((comparison, round, started.elapsed()));
        }
    }
}

/// Both builds runnable, the knobs in range, tests named.
fn check(args: &ConfirmArgs) -> Result<(), CliError> {
    for (option, binary) in [("--base", &args.base), ("--new", &args.new)] {
        let runnable = std::fs::metadata(binary).is_ok_and(|m| {
            use std::os::unix::fs::PermissionsExt as _;
            m.is_file() && m.permissions().mode() & 0o111 != 0
        });
        if !runnable {
            return Err(CliError::Confirm(format!("{option} `{}` is not an executable file", binary.display())));
        }
    }
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        return Err(CliError::Knob { option: "--alpha", value: args.alpha, expected: "between 0 and 1" });
    }
    if let Some(noise) = args.noise.filter(|n| !(n.is_finite() && *n >= 0.0)) {
        return Err(CliError::Knob { option: "--noise", value: noise, expected: "a fraction of at least 0" });
    }
    if args.rounds == 0 {
        return Err(CliError::Confirm("--rounds must be at least 1".to_owned()));
    }
    if !(args.time.is_finite() && args.time > 0.0) {
        return Err(CliError::Knob { option: "--time", value: args.time, expected: "a number of seconds above 0" });
    }
    Ok(())
}

/// A new directory for this confirmation's runs: `results/confirm-<time>`.
fn work_dir() -> Result<PathBuf, CliError> {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let root = Path::new(crate::history::RESULTS_ROOT);
    for n in 0..1000 {
        let dir =
            if n == 0 { root.join(format!("confirm-{stamp}")) } else { root.join(format!("confirm-{stamp}.{n}")) };
        std::fs::create_dir_all(root).map_err(|e| CliError::io("make", root, e))?;
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(CliError::io("make", dir, e)),
        }
    }
    Err(CliError::Confirm(format!("no free confirm-{stamp}.N directory under {}", root.display())))
}

/// One run of `side`'s build into `dir`; its output in `dir.log`.
fn run_once(side: &Side, dir: &Path, args: &ConfirmArgs) -> Result<JobResults, CliError> {
    let log_path = dir.with_extension("log");
    let log = std::fs::File::create(&log_path).map_err(|e| CliError::io("write", &log_path, e))?;
    let err = log.try_clone().map_err(|e| CliError::io("write", &log_path, e))?;
    let status = Command::new(&side.binary)
        .arg("run")
        .args(&args.tests)
        .arg("--results")
        .arg(dir)
        .arg("--quiet")
        .args(&args.run_args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .status()
        .map_err(|e| CliError::Confirm(format!("cannot run {} `{}`: {e}", side.name, side.binary.display())))?;
    // A test that fails still wrote its results: `compare` says "now failing".
    JobResults::read(dir.join("results.json")).map_err(|_| {
        CliError::Confirm(format!(
            "{} `{}` exited with {status} and wrote no results; its output is in {}",
            side.name,
            side.binary.display(),
            log_path.display()
        ))
    })
}

/// `more`'s measured values added to `into`'s, test by test and metric by
/// metric; a test failing in either is failing.
fn pool(into: &mut JobResults, more: &JobResults) {
    fn each<'r>(tests: &'r [TestRecord], out: &mut Vec<&'r TestRecord>) {
        for test in tests {
            out.push(test);
            each(&test.subtests, out);
        }
    }
    let mut extra = Vec::new();
    each(&more.tests, &mut extra);
    pool_tests(&mut into.tests, &extra);
}

fn pool_tests(tests: &mut [TestRecord], more: &[&TestRecord]) {
    for test in tests {
        if let Some(other) = more.iter().find(|t| t.subdir == test.subdir) {
            if other.status.is_failure() && !test.status.is_failure() {
                test.status = other.status;
                test.summary.clone_from(&other.summary);
            }
            for perf in &mut test.perf_values {
                if let Some(values) = other.perf_values.iter().find(|p| p.name() == perf.name()) {
                    perf.values.extend_from_slice(&values.values);
                }
            }
        }
        pool_tests(&mut test.subtests, more);
    }
}
