//! [`PerfValue`]: one measured value, or a list of them, as a test hands it to
//! `output_perf_value`.

use std::borrow::Cow;

/// A measured value (or list of values) for `output_perf_value`.
///
/// Units, direction and graph are optional; `higher_is_better` defaults to false
/// and is written as `"down"`, as autotest writes `None`.
///
/// ```
/// use harness_core::PerfValue;
///
/// let value = PerfValue::new("page_load_time", 12.5)
///     .units("ms")
///     .higher_is_better(false)
///     .graph("startup");
/// assert_eq!(value.description(), "page_load_time");
///
/// let samples = PerfValue::new("frame_times", vec![16.6, 16.7, 33.4]).units("ms");
/// assert_eq!(samples.values(), [16.6, 16.7, 33.4]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PerfValue {
    pub(super) description: String,
    pub(super) data: PerfData,
    pub(super) units: Option<String>,
    pub(super) higher_is_better: bool,
    pub(super) graph: Option<String>,
    pub(super) replace_existing: bool,
    pub(super) replacement: Cow<'static, str>,
    pub(super) regression_threshold: Option<f64>,
}

/// One number or a list of numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum PerfData {
    /// A single value: a `scalar` entry the first time, appended to a list after.
    Scalar(f64),
    /// Several values: always a `list_of_scalar_values` entry.
    List(Vec<f64>),
}

impl PerfData {
    pub(super) fn as_slice(&self) -> &[f64] {
        match self {
            PerfData::Scalar(value) => std::slice::from_ref(value),
            PerfData::List(values) => values,
        }
    }
}

macro_rules! perf_data_from_number {
    ($($t:ty)*) => {$(
        impl From<$t> for PerfData {
            #[allow(clippy::cast_precision_loss, clippy::cast_lossless, reason = "perf values are floats, as in autotest")]
            fn from(value: $t) -> Self {
                PerfData::Scalar(value as f64)
            }
        }
    )*};
}
perf_data_from_number!(f64 f32 i8 i16 i32 i64 u8 u16 u32 u64 usize isize);

impl From<Vec<f64>> for PerfData {
    fn from(values: Vec<f64>) -> Self {
        PerfData::List(values)
    }
}

impl From<&[f64]> for PerfData {
    fn from(values: &[f64]) -> Self {
        PerfData::List(values.to_vec())
    }
}

impl From<&Vec<f64>> for PerfData {
    fn from(values: &Vec<f64>) -> Self {
        PerfData::List(values.clone())
    }
}

impl<const N: usize> From<[f64; N]> for PerfData {
    fn from(values: [f64; N]) -> Self {
        PerfData::List(values.to_vec())
    }
}

impl PerfValue {
    /// A value under `description` (at most 256 characters; characters outside
    /// `[-.\w]` are replaced with `_`).
    pub fn new(description: impl Into<String>, value: impl Into<PerfData>) -> Self {
        PerfValue {
            description: description.into(),
            data: value.into(),
            units: None,
            higher_is_better: false,
            graph: None,
            replace_existing: false,
            replacement: Cow::Borrowed("_"),
            regression_threshold: None,
        }
    }

    /// The change beyond which `harness compare` calls a significant
    /// worsening of this metric a regression (`0.05`: 5%), instead of its
    /// `--noise` (default 2%). Kept in the test keyval as
    /// `regression_threshold-<graph.>description`.
    #[must_use]
    pub fn regression_threshold(mut self, fraction: f64) -> Self {
        self.regression_threshold = Some(fraction);
        self
    }

    /// The units (at most 32 characters, sanitised like the description). An empty
    /// string means no units, written as `null`.
    #[must_use]
    pub fn units(mut self, units: impl Into<String>) -> Self {
        let units = units.into();
        self.units = (!units.is_empty()).then_some(units);
        self
    }

    /// Whether a higher value is better (`"up"`); the default is `"down"`.
    #[must_use]
    pub fn higher_is_better(mut self, higher_is_better: bool) -> Self {
        self.higher_is_better = higher_is_better;
        self
    }

    /// Groups the value under a graph: the entry goes to `charts[graph][description]`
    /// instead of `charts[description]["summary"]`. Checked and sanitised like the
    /// description (autotest leaves it raw).
    #[must_use]
    pub fn graph(mut self, graph: impl Into<String>) -> Self {
        self.graph = Some(graph.into());
        self
    }

    /// Replaces an existing entry instead of appending to it (autotest's
    /// `replace_existing_values`).
    #[must_use]
    pub fn replace_existing(mut self, replace: bool) -> Self {
        self.replace_existing = replace;
        self
    }

    /// What illegal characters are replaced with (default `_`; may be empty, and
    /// may itself only hold `[-.\w]`).
    #[must_use]
    pub fn replacement(mut self, replacement: impl Into<String>) -> Self {
        self.replacement = Cow::Owned(replacement.into());
        self
    }

    /// The description as given.
    #[must_use]
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The value or values.
    #[must_use]
    pub fn values(&self) -> &[f64] {
        self.data.as_slice()
    }

    /// Whether units were given (the perf dashboard refuses a value without).
    pub(crate) fn has_units(&self) -> bool {
        self.units.is_some()
    }

    /// `graph/description`, or the description alone.
    pub(crate) fn full_name(&self) -> String {
        match &self.graph {
            Some(graph) => format!("{graph}/{}", self.description),
            None => self.description.clone(),
        }
    }

    /// The keyval that keeps the regression threshold, with its value.
    pub(crate) fn threshold_keyval(&self) -> Option<(String, f64)> {
        let threshold = self.regression_threshold.filter(|t| t.is_finite() && *t >= 0.0)?;
        let description = sanitize(&self.description, &self.replacement);
        let name = match &self.graph {
            Some(graph) => format!("{}.{description}", sanitize(graph, &self.replacement)),
            None => description,
        };
        Some((threshold_key(&name), threshold))
    }
}

/// The test keyval key of a metric's regression threshold (`name` is
/// `graph.description` or the description).
pub(crate) fn threshold_key(name: &str) -> String {
    format!("regression_threshold-{name}")
}

/// What autotest allows in descriptions, units and replacement strings: `[-.\w]`.
pub(super) fn is_legal(c: char) -> bool {
    super::keyval::is_key_char(c)
}

/// `text` with every character autotest does not allow replaced.
pub(super) fn sanitize(text: &str, replacement: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_legal(c) {
            out.push(c);
        } else {
            out.push_str(replacement);
        }
    }
    out
}

/// `text` sanitised, moved as it is when nothing needs replacing.
pub(super) fn sanitized(text: String, replacement: &str) -> String {
    if text.chars().all(is_legal) { text } else { sanitize(&text, replacement) }
}

/// Whether `text` is longer than `max` characters (its bytes first: most names are short).
pub(super) fn longer_than(text: &str, max: usize) -> bool {
    text.len() > max && text.chars().count() > max
}
