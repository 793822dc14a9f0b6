//! `results-chart.json`'s bytes, written by hand: the layout serde_json's
//! pretty printer gives (two-space indent, insertion order) and its number
//! and string forms, at a fraction of its cost for charts of thousands of
//! entries (the chart is rewritten at every flush).

use std::io::{self, Write};
use std::path::Path;

use serde_json::ser::{CompactFormatter, Formatter};

use super::chart::PerfChart;
use super::chart_entry::ChartEntry;
use super::perf_value::PerfData;
use crate::error::Result;

impl PerfChart {
    /// The chart as JSON: 2-space indent, insertion order, no trailing newline.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        // Serializing maps of strings and finite floats into memory cannot fail.
        let _ = self.write_json(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    pub(crate) fn write_json(&self, mut out: impl io::Write) -> io::Result<()> {
        super::chart_json::write_pretty(self, &mut out)
    }

    /// Writes the chart to `path` atomically: a temporary file in the same
    /// directory, then a rename over `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the directory is not writable.
    pub fn write_atomic(&self, path: &Path) -> Result<()> {
        crate::files::write_atomic(path, |out| self.write_json(out))
    }
}

/// Writes `chart` as serde_json's `to_writer_pretty` would.
pub(super) fn write_pretty(chart: &PerfChart, out: &mut impl Write) -> io::Result<()> {
    let mut groups = chart.groups().peekable();
    if groups.peek().is_none() {
        return out.write_all(b"{}");
    }
    out.write_all(b"{")?;
    for (at, (top, entries)) in groups.enumerate() {
        out.write_all(if at == 0 { b"\n  " } else { b",\n  " })?;
        string(out, top)?;
        out.write_all(b": {")?;
        let mut empty = true;
        for (sub, entry) in entries {
            out.write_all(if empty { b"\n    " } else { b",\n    " })?;
            empty = false;
            string(out, sub)?;
            out.write_all(b": ")?;
            write_entry(out, entry)?;
        }
        out.write_all(if empty { b"}" } else { b"\n  }" })?;
    }
    out.write_all(b"\n}")
}

fn write_entry(out: &mut impl Write, entry: &ChartEntry) -> io::Result<()> {
    let kind: &[u8] = if entry.is_scalar() { b"scalar" } else { b"list_of_scalar_values" };
    out.write_all(b"{\n      \"type\": \"")?;
    out.write_all(kind)?;
    out.write_all(b"\",\n      \"units\": ")?;
    match entry.units() {
        Some(units) => string(out, units)?,
        None => out.write_all(b"null")?,
    }
    match entry.data() {
        PerfData::Scalar(value) => {
            out.write_all(b",\n      \"value\": ")?;
            CompactFormatter.write_f64(out, *value)?;
        }
        PerfData::List(values) if values.is_empty() => out.write_all(b",\n      \"values\": []")?,
        PerfData::List(values) => {
            out.write_all(b",\n      \"values\": [")?;
            for (at, value) in values.iter().enumerate() {
                out.write_all(if at == 0 { b"\n        " } else { b",\n        " })?;
                CompactFormatter.write_f64(out, *value)?;
            }
            out.write_all(b"\n      ]")?;
        }
    }
    out.write_all(b",\n      \"improvement_direction\": \"")?;
    out.write_all(entry.improvement_direction().as_bytes())?;
    out.write_all(b"\"\n    }")
}

/// A JSON string, as serde_json writes it: as it is when nothing needs
/// escaping (sanitised names never do), else through serde_json.
pub(crate) fn string(out: &mut impl Write, text: &str) -> io::Result<()> {
    if text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        return serde_json::to_writer(out, text).map_err(io::Error::from);
    }
    out.write_all(b"\"")?;
    out.write_all(text.as_bytes())?;
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::PerfValue;

    /// What serde_json's pretty printer makes of the same chart.
    fn serde_pretty(chart: &PerfChart) -> String {
        let value: serde_json::Map<String, serde_json::Value> = chart
            .groups()
            .map(|(top, entries)| {
                let entries = entries
                    .map(|(sub, entry)| {
                        let mut json = serde_json::Map::new();
                        json.insert(
                            "type".into(),
                            if entry.is_scalar() { "scalar" } else { "list_of_scalar_values" }.into(),
                        );
                        json.insert("units".into(), entry.units().into());
                        if entry.is_scalar() {
                            json.insert("value".into(), entry.values()[0].into());
                        } else {
                            json.insert("values".into(), entry.values().into());
                        }
                        json.insert("improvement_direction".into(), entry.improvement_direction().into());
                        (sub.to_owned(), serde_json::Value::Object(json))
                    })
                    .collect();
                (top.to_owned(), serde_json::Value::Object(entries))
            })
            .collect();
        serde_json::to_string_pretty(&value).unwrap()
    }

    fn written(chart: &PerfChart) -> String {
        let mut out = Vec::new();
        write_pretty(chart, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn bytes_are_serde_jsons_pretty_form() {
        let mut chart = PerfChart::new();
        assert_eq!(written(&chart), "{}");
        for value in [
            PerfValue::new("scalar", 1.5).units("ms"),
            PerfValue::new("list", vec![1.0, 1e-7, 1e16, -0.0, 123_456_789.125]).higher_is_better(true),
            PerfValue::new("a", 2).graph("g").units("MB_s"),
            PerfValue::new("b", 3).graph("g"),
            PerfValue::new("summary", 4).graph("g"),
            PerfValue::new("a", 5).graph("g"),
            PerfValue::new("é_ß", f64::MAX),
        ] {
            chart.add(&value).unwrap();
        }
        assert_eq!(written(&chart), serde_pretty(&chart));
    }

    #[test]
    fn names_that_need_escaping_are_escaped_as_serde_json_escapes_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results-chart.json");
        let raw =
            r#"{"q\"uote\\ \n\u0001": {"s\t": {"type": "list_of_scalar_values", "units": "m\"s", "values": []}}}"#;
        std::fs::write(&path, raw).unwrap();
        let chart = PerfChart::read(&path).unwrap();
        assert_eq!(written(&chart), serde_pretty(&chart));
        assert!(written(&chart).contains(r#""q\"uote\\ \n\u0001": {"#), "{}", written(&chart));
    }
}
