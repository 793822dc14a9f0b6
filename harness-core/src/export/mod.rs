//! A run in the formats the dashboards teams use read: Bencher's BMF,
//! github-action-benchmark's custom JSON, the Chrome perf dashboard's
//! HistogramSet, and LAVA's test-case signals. Each knows every metric's
//! units and direction from the run, and keeps to its reader's rules (the
//! limits, the units it knows, the names it refuses): what it cannot take is
//! mapped, with a warning that says what changed, never dropped silently.
//! The mappings are in docs/file-formats.md.
//!
//! ```
//! use harness_core::export::{Format, Options, export};
//! # let dir = tempfile::tempdir()?;
//! # let job = harness_core::Job::builder(dir.path().join("r")).build()?;
//! # let _ = job.complete()?;
//! let run = harness_core::results::JobResults::read(dir.path().join("r/results.json"))?;
//! let bmf = export(&run, Format::Bmf, &Options::default());
//! assert_eq!(bmf.parts()[0].text, "{}\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bmf;
mod common;
mod github;
mod histogramset;
mod lava;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::results::JobResults;
use common::{flat, metrics};

pub use common::{Options, Part};

pub use lava::signals as lava_signals;

/// A format to export to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Bencher Metric Format (`bencher run --adapter json`).
    Bmf,
    /// github-action-benchmark's `customSmallerIsBetter` and
    /// `customBiggerIsBetter` JSON: two files, one per direction.
    GithubActionBenchmark,
    /// The Chrome perf dashboard's HistogramSet JSON.
    HistogramSet,
    /// LAVA test-case signals, one line per test and per metric.
    Lava,
}

impl Format {
    /// Every format, by the name `--format` takes.
    pub const ALL: [(&'static str, Format); 4] = [
        ("bmf", Format::Bmf),
        ("github-action-benchmark", Format::GithubActionBenchmark),
        ("histogramset", Format::HistogramSet),
        ("lava", Format::Lava),
    ];

    /// The name `--format` takes.
    #[must_use]
    pub fn name(self) -> &'static str {
        Format::ALL.iter().find(|(_, f)| *f == self).map_or("", |(name, _)| name)
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        Format::ALL.iter().find(|(name, _)| *name == text).map(|(_, f)| *f).ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|(name, _)| *name).collect();
            format!("unknown format `{}`; the formats are {}", crate::text::shown(text), names.join(", "))
        })
    }
}

/// A run exported: its files, and what had to change to fit the reader.
#[derive(Debug, Clone)]
pub struct Export {
    format: Format,
    parts: Vec<Part>,
    warnings: Vec<String>,
}

impl Export {
    /// The files.
    #[must_use]
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// What was changed to fit the reader, or left out, each as a sentence.
    #[must_use]
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Writes the files at `out` (for a format of several files, `out` is the
    /// stem: `out.smaller-is-better.json`), each whole or not at all; returns
    /// their paths. Writes nothing for a format with nothing to write.
    ///
    /// # Errors
    ///
    /// [`Error::Io`].
    pub fn write(&self, out: &Path) -> Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        for part in &self.parts {
            let path = match part.suffix {
                Some(suffix) => {
                    let stem = out.to_string_lossy();
                    let stem = stem.strip_suffix(".json").unwrap_or(&stem);
                    PathBuf::from(format!("{stem}.{suffix}.json"))
                }
                None => out.to_path_buf(),
            };
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
            }
            crate::files::write_bytes_atomic(&path, part.text.as_bytes())?;
            written.push(path);
        }
        Ok(written)
    }

    /// Whether the format writes several files, named by a stem.
    #[must_use]
    pub fn needs_stem(&self) -> bool {
        self.format == Format::GithubActionBenchmark
    }
}

/// `results` in `format`.
#[must_use]
pub fn export(results: &JobResults, format: Format, options: &Options) -> Export {
    let mut warnings = Vec::new();
    let metrics = metrics(results, &mut warnings);
    let parts = match format {
        Format::Bmf => vec![bmf::render(&metrics, &mut warnings)],
        Format::GithubActionBenchmark => github::render(&metrics, &mut warnings),
        Format::HistogramSet => vec![histogramset::render(results, &metrics, options, &mut warnings)],
        Format::Lava => vec![Part { suffix: None, text: lava::render(&flat(&results.tests), &mut warnings) }],
    };
    Export { format, parts, warnings }
}
