//! One entry of `results-chart.json`: units, values and direction, and the
//! raw form it is read from.

use serde::Deserialize;

use super::perf_value::PerfData;

/// One entry of the chart: units, values and direction.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartEntry {
    pub(crate) units: Option<String>,
    pub(crate) data: PerfData,
    pub(crate) higher_is_better: bool,
}

impl ChartEntry {
    /// The units, if any.
    #[must_use]
    pub fn units(&self) -> Option<&str> {
        self.units.as_deref()
    }

    /// The values; one for a scalar entry.
    #[must_use]
    pub fn values(&self) -> &[f64] {
        self.data.as_slice()
    }

    /// Whether this is a `scalar` entry (else `list_of_scalar_values`).
    #[must_use]
    pub fn is_scalar(&self) -> bool {
        matches!(self.data, PerfData::Scalar(_))
    }

    pub(super) fn data(&self) -> &PerfData {
        &self.data
    }

    /// `"up"` when higher is better, else `"down"`.
    #[must_use]
    pub fn improvement_direction(&self) -> &'static str {
        if self.higher_is_better { "up" } else { "down" }
    }
}

/// An entry as a chart file holds it, before it is checked.
#[derive(Deserialize)]
pub(super) struct RawEntry {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    units: Option<String>,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default)]
    values: Option<Vec<f64>>,
    #[serde(default)]
    improvement_direction: Option<String>,
}

impl TryFrom<RawEntry> for ChartEntry {
    type Error = String;

    fn try_from(raw: RawEntry) -> std::result::Result<Self, String> {
        let data = match (raw.kind.as_str(), raw.value, raw.values) {
            ("scalar", Some(value), _) => PerfData::Scalar(value),
            ("list_of_scalar_values", _, Some(values)) => PerfData::List(values),
            (kind, _, _) => return Err(format!("entry of type `{kind}` without its value(s)")),
        };
        Ok(ChartEntry { units: raw.units, data, higher_is_better: raw.improvement_direction.as_deref() == Some("up") })
    }
}
