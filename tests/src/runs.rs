//! Runs made to order for the history's tests: one real run of the example
//! binary's `perf_sample` as a template, cloned with another start, commit,
//! machine and values; and seeded noise to make the values of.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// A real run's `results.json`, to clone: `perf_sample` with 5 values, run
/// in `dir/template`.
///
/// # Panics
///
/// When the example binary does not write it.
#[must_use]
pub fn template(dir: &Path) -> Value {
    let out = crate::harness_in(dir)
        .args(["run", "perf_sample", "--iterations", "5", "--results", "template", "-q"])
        .output()
        .expect("the example harness runs");
    let path = dir.join("template/results.json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    serde_json::from_str(&text).expect("results.json is JSON")
}

/// What makes one cloned run.
#[derive(Debug, Clone)]
pub struct Made<'a> {
    /// Minutes after 2026-01-01T00:00:00Z the run started.
    pub minute: u32,
    /// `perf_sample`'s latency values.
    pub values: &'a [f64],
    /// Its commit.
    pub commit: Option<String>,
    /// Its machine's CPU model (the template's when `None`).
    pub cpu_model: Option<&'a str>,
}

/// Writes the run `made` of `template` as `dir/results.json`; returns `dir`.
///
/// # Panics
///
/// When it cannot be written.
pub fn write_run(template: &Value, dir: &Path, made: &Made<'_>) -> PathBuf {
    let mut run = template.clone();
    let start =
        format!("2026-01-{:02}T{:02}:{:02}:00.000Z", 1 + made.minute / 1440, made.minute / 60 % 24, made.minute % 60);
    run["job"]["start"] = Value::from(start.clone());
    run["job"]["end"] = Value::from(start.clone());
    let sysinfo = &mut run["job"]["sysinfo"];
    match &made.commit {
        Some(commit) => sysinfo["git_commit"] = Value::from(commit.clone()),
        None => {
            if let Some(map) = sysinfo.as_object_mut() {
                map.remove("git_commit");
            }
        }
    }
    if let Some(model) = made.cpu_model {
        sysinfo["cpu_model"] = Value::from(model);
    }
    let test = &mut run["tests"][0];
    test["start"] = Value::from(start);
    test["iterations"] = Value::from(made.values.len());
    test["perf_values"][0]["values"] = Value::from(made.values.to_vec());
    std::fs::create_dir_all(dir).expect("a run directory");
    std::fs::write(dir.join("results.json"), serde_json::to_string(&run).expect("JSON")).expect("results.json");
    dir.to_path_buf()
}

/// Seeded standard normal values (splitmix64, then Box-Muller).
#[derive(Debug, Clone)]
pub struct Noise(u64);

impl Noise {
    /// Values from `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Noise(seed)
    }

    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        #[allow(clippy::cast_precision_loss, reason = "53 random bits")]
        let unit = ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64;
        unit
    }

    /// The next standard normal value.
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit().max(f64::MIN_POSITIVE), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// `n` values around `level` with relative noise `spread` (0.01: 1%).
    pub fn around(&mut self, level: f64, spread: f64, n: usize) -> Vec<f64> {
        (0..n).map(|_| level * (1.0 + spread * self.normal())).collect()
    }
}
