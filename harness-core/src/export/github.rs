//! github-action-benchmark's custom JSON: `[{"name", "unit", "value",
//! "range", "extra"}]`, read by its `customSmallerIsBetter` and
//! `customBiggerIsBetter` tools. The action takes one direction per file, so
//! the metrics are split by theirs into `STEM.smaller-is-better.json` and
//! `STEM.bigger-is-better.json`, and none is judged upside down. Its rules
//! (`extract.ts`, a zod schema): an array of at least one entry, each a
//! string name and unit, a number value, optional string range and extra;
//! an empty array is an error, so a direction without metrics has no file.

use serde_json::{Map, Value};

use super::common::{Metric, Part, number};
use crate::stats::significant;

pub(super) fn render(metrics: &[Metric<'_>], warnings: &mut Vec<String>) -> Vec<Part> {
    let mut parts = Vec::new();
    for (suffix, higher) in [("smaller-is-better", false), ("bigger-is-better", true)] {
        let entries: Vec<Value> = metrics.iter().filter(|m| m.perf.higher_is_better() == higher).map(entry).collect();
        if entries.is_empty() {
            warnings.push(format!(
                "github-action-benchmark: no {} metric; no {suffix} file written",
                if higher { "higher-is-better" } else { "lower-is-better" }
            ));
            continue;
        }
        let text = serde_json::to_string_pretty(&Value::Array(entries)).unwrap_or_default() + "\n";
        parts.push(Part { suffix: Some(suffix), text });
    }
    parts
}

/// One metric: its median, half its interquartile range as the range, and
/// what the value is made of as extra.
fn entry(metric: &Metric<'_>) -> Value {
    let s = &metric.summary;
    let mut out = Map::new();
    out.insert("name".into(), Value::from(metric.name()));
    out.insert("unit".into(), Value::from(metric.perf.units.clone().unwrap_or_default()));
    out.insert("value".into(), number(s.median));
    out.insert("range".into(), Value::from(format!("± {}", significant((s.q3 - s.q1) / 2.0))));
    out.insert(
        "extra".into(),
        Value::from(format!(
            "median of {} measured iteration{}; Q1 {}, Q3 {}, min {}, max {}",
            s.n,
            if s.n == 1 { "" } else { "s" },
            significant(s.q1),
            significant(s.q3),
            significant(s.min),
            significant(s.max)
        )),
    );
    Value::Object(out)
}
