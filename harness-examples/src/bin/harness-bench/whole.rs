//! `harness-bench whole [--runs R] WORKLOAD N [WORKLOAD N ...]`: each workload as
//! a whole process (this binary again, in a fresh results directory that is
//! kept until the process has exited and removed after, as a harness run leaves
//! its results), R times each (7 by default), the workloads alternating so the
//! machine's drift falls on all of them alike. Prints, per workload, the median
//! and the fastest wall time, the in-process time the workload measured
//! itself, and the peak resident memory.

use std::os::unix::process::ExitStatusExt as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Sample {
    wall: Duration,
    inside: String,
    peak_kib: i64,
}

/// Runs `workload n` once as a child with its results in a fresh directory.
fn once(workload: &str, n: &str) -> Sample {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let exe = std::env::current_exe().expect("this binary");
    let start = Instant::now();
    let output = Command::new(exe)
        .args([workload, n])
        .env("HARNESS_BENCH_DIR", dir.path().join("run"))
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("the workload starts");
    let wall = start.elapsed();
    if !output.status.success() {
        eprintln!("{workload} {n} failed: {:?}", output.status.into_raw());
        std::process::exit(1);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let inside = stdout.lines().next().and_then(|l| l.split(": ").nth(1)).unwrap_or("").to_owned();
    let peak_kib = stdout
        .lines()
        .find_map(|l| l.strip_prefix("peak memory: "))
        .and_then(|v| v.trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0);
    Sample { wall, inside, peak_kib }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub(crate) fn whole(args: &[String]) {
    let (runs, rest) = match args {
        [flag, runs, rest @ ..] if flag == "--runs" => (runs.parse().expect("--runs takes a number"), rest),
        rest => (7_usize, rest),
    };
    if rest.is_empty() || rest.len() % 2 != 0 {
        eprintln!("usage: harness-bench whole [--runs R] WORKLOAD N [WORKLOAD N ...]");
        std::process::exit(2);
    }
    let pairs: Vec<(&str, &str)> = rest.chunks(2).map(|p| (p[0].as_str(), p[1].as_str())).collect();
    let mut samples: Vec<Vec<Sample>> = pairs.iter().map(|_| Vec::new()).collect();
    for _ in 0..runs {
        for (at, (workload, n)) in pairs.iter().enumerate() {
            samples[at].push(once(workload, n));
        }
    }
    println!("{:<28} {:>12} {:>12} {:>12}  in process (median run)", "workload", "median ms", "fastest ms", "peak MiB");
    for ((workload, n), mut runs) in pairs.into_iter().zip(samples) {
        runs.sort_by_key(|s| s.wall);
        let median = &runs[runs.len() / 2];
        #[allow(clippy::cast_precision_loss, reason = "kibibytes")]
        let peak = runs.iter().map(|s| s.peak_kib).max().unwrap_or(0) as f64 / 1024.0;
        println!(
            "{:<28} {:>12.1} {:>12.1} {:>12.1}  {}",
            format!("{workload} {n}"),
            ms(median.wall),
            ms(runs[0].wall),
            peak,
            median.inside
        );
    }
}
