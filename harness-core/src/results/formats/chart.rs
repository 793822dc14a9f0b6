//! `results-chart.json`: perf values in the chart JSON that autotest writes and the
//! chromeperf dashboard reads.
//!
//! The chart is kept in memory and written whole, atomically (temp file + rename),
//! so recording n values costs O(n) and a reader never sees a torn file.

use std::borrow::Cow;
use std::fs;
use std::io;
use std::path::Path;

use indexmap::IndexMap;

use super::chart_entry::{ChartEntry, RawEntry};
use super::perf_value::{PerfData, PerfValue, is_legal, longer_than, sanitized};
use crate::error::{Error, Result};

/// The hasher of the chart's maps: descriptions come from the test's own code.
type Map<K, V> = IndexMap<K, V, foldhash::fast::RandomState>;

/// The entries under one key of the chart: most often one (a description
/// without a graph, under `"summary"`), so that one costs no map of its own.
#[derive(Debug, Clone, PartialEq)]
enum Group {
    One(Cow<'static, str>, ChartEntry),
    Many(Map<Cow<'static, str>, ChartEntry>),
}

impl Group {
    fn get(&self, sub: &str) -> Option<&ChartEntry> {
        match self {
            Group::One(key, entry) => (key == sub).then_some(entry),
            Group::Many(entries) => entries.get(sub),
        }
    }

    fn get_mut(&mut self, sub: &str) -> Option<&mut ChartEntry> {
        match self {
            Group::One(key, entry) => (key == sub).then_some(entry),
            Group::Many(entries) => entries.get_mut(sub),
        }
    }

    /// Puts `entry` at `sub`, replacing one there, else after the others.
    fn insert(&mut self, sub: Cow<'static, str>, entry: ChartEntry) {
        match self {
            Group::One(key, existing) if *key == sub => *existing = entry,
            Group::One(..) => {
                let mut entries = Map::default();
                if let Group::One(key, existing) = std::mem::replace(self, Group::Many(Map::default())) {
                    entries.insert(key, existing);
                }
                entries.insert(sub, entry);
                *self = Group::Many(entries);
            }
            Group::Many(entries) => {
                entries.insert(sub, entry);
            }
        }
    }

    fn iter(&self) -> impl Iterator<Item = (&str, &ChartEntry)> {
        let (one, many) = match self {
            Group::One(key, entry) => (Some((key.as_ref(), entry)), None),
            Group::Many(entries) => (None, Some(entries.iter().map(|(key, entry)| (key.as_ref(), entry)))),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }
}

/// The whole `results-chart.json`: graphs (or descriptions) in the order they were
/// first recorded, each holding entries (`"summary"` when there is no graph).
///
/// ```
/// use harness_core::{results::PerfChart, PerfValue};
///
/// let mut chart = PerfChart::new();
/// chart.add(&PerfValue::new("Test", 1).units("ms").higher_is_better(true))?;
/// chart.add(&PerfValue::new("Test", 2).units("ms").higher_is_better(true))?;
/// let entry = chart.get("Test", "summary").unwrap();
/// assert_eq!(entry.values(), [1.0, 2.0]);
/// assert!(!entry.is_scalar());
///
/// let too_long = chart.add(&PerfValue::new("x".repeat(257), 1));
/// assert_eq!(too_long.unwrap_err().to_string(), "The description must be at most 256 characters.");
/// # Ok::<(), harness_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PerfChart {
    charts: Map<String, Group>,
}

impl PerfChart {
    /// An empty chart.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a value with autotest's checks and merge rules.
    ///
    /// A scalar creates a `scalar` entry and is appended to an existing one (which
    /// becomes a `list_of_scalar_values`); a list always makes or extends a list.
    /// With `replace_existing`, the entry is replaced instead. Units and direction
    /// of the latest call win.
    ///
    /// # Errors
    ///
    /// [`Error::PerfValue`] for a description or graph over 256 characters or
    /// empty, units over 32 characters, an illegal replacement string, an empty
    /// list, or a NaN or infinite value. The chart is unchanged on error.
    pub fn add(&mut self, value: &PerfValue) -> Result<()> {
        if self.append_in_place(value) {
            return Ok(());
        }
        self.insert(value.clone())
    }

    /// [`add`](Self::add), taking the value: its strings move into the chart.
    pub(crate) fn insert(&mut self, value: PerfValue) -> Result<()> {
        if self.append_in_place(&value) {
            return Ok(());
        }
        let replace = value.replace_existing;
        let (top, sub, entry) = Self::checked_entry(value)?;
        match self.charts.entry(top) {
            indexmap::map::Entry::Vacant(slot) => {
                slot.insert(Group::One(sub, entry));
            }
            indexmap::map::Entry::Occupied(mut slot) => match slot.get_mut().get_mut(&sub) {
                Some(existing) if !replace => {
                    let mut values = match std::mem::replace(&mut existing.data, PerfData::List(Vec::new())) {
                        PerfData::Scalar(old) => vec![old],
                        PerfData::List(old) => old,
                    };
                    values.extend_from_slice(entry.data.as_slice());
                    existing.data = PerfData::List(values);
                    existing.units = entry.units;
                    existing.higher_is_better = entry.higher_is_better;
                }
                _ => slot.get_mut().insert(sub, entry),
            },
        }
        Ok(())
    }

    /// The common case without an allocation: more values for an entry that
    /// exists, every name already legal and the values fine. `false` leaves
    /// the chart alone for [`add`](Self::add)'s full path (and its errors).
    fn append_in_place(&mut self, value: &PerfValue) -> bool {
        let legal = |text: &str, max: usize| !text.is_empty() && text.len() <= max && text.chars().all(is_legal);
        let data = value.data.as_slice();
        let plain = !value.replace_existing
            && legal(&value.description, 256)
            && value.graph.as_deref().is_none_or(|g| legal(g, 256))
            && value.units.as_deref().is_none_or(|u| legal(u, 32))
            && value.replacement.chars().all(is_legal)
            && !data.is_empty()
            && data.iter().all(|v| v.is_finite());
        if !plain {
            return false;
        }
        let (top, sub) = match &value.graph {
            Some(graph) => (graph.as_str(), value.description.as_str()),
            None => (value.description.as_str(), "summary"),
        };
        let Some(existing) = self.charts.get_mut(top).and_then(|group| group.get_mut(sub)) else { return false };
        match &mut existing.data {
            PerfData::List(values) => values.extend_from_slice(data),
            PerfData::Scalar(old) => {
                let mut values = Vec::with_capacity(1 + data.len());
                values.push(*old);
                values.extend_from_slice(data);
                existing.data = PerfData::List(values);
            }
        }
        if existing.units.as_deref() != value.units.as_deref() {
            existing.units.clone_from(&value.units);
        }
        existing.higher_is_better = value.higher_is_better;
        true
    }

    /// Checks `value` as [`add`](Self::add) would, keeping nothing (a
    /// warm-up iteration's value).
    pub(crate) fn check(value: PerfValue) -> Result<()> {
        Self::checked_entry(value).map(drop)
    }

    fn checked_entry(value: PerfValue) -> Result<(String, Cow<'static, str>, ChartEntry)> {
        let description = &value.description;
        let fail = |message: String| Err(Error::perf(description, message));
        if longer_than(description, 256) {
            return fail("The description must be at most 256 characters.".into());
        }
        if description.is_empty() {
            return fail("The description must not be empty.".into());
        }
        if value.units.as_ref().is_some_and(|u| longer_than(u, 32)) {
            return fail("The units must be at most 32 characters.".into());
        }
        if !value.replacement.chars().all(is_legal) {
            return fail(format!(
                "Invalid replacement string to mask illegal characters. May only contain letters, numbers, periods, dashes, and underscores. replacement: {}",
                value.replacement
            ));
        }
        if let Some(graph) = &value.graph {
            if longer_than(graph, 256) {
                return fail("The graph must be at most 256 characters.".into());
            }
            if graph.is_empty() {
                return fail("The graph must not be empty.".into());
            }
        }
        if value.data.as_slice().is_empty() {
            return fail(format!("The value list of `{description}` must hold at least one value."));
        }
        if let Some(bad) = value.data.as_slice().iter().find(|v| !v.is_finite()) {
            return fail(format!("The value of `{description}` must be a finite number, got {bad}."));
        }
        let replacement = &value.replacement;
        let description = sanitized(value.description, replacement);
        let units = value.units.map(|u| sanitized(u, replacement));
        let entry = ChartEntry { units, data: value.data, higher_is_better: value.higher_is_better };
        Ok(match value.graph {
            Some(graph) => (sanitized(graph, replacement), Cow::Owned(description), entry),
            None => (description, Cow::Borrowed("summary"), entry),
        })
    }

    /// The entry at `charts[top][sub]` (`sub` is `"summary"` for values without a graph).
    #[must_use]
    pub fn get(&self, top: &str, sub: &str) -> Option<&ChartEntry> {
        self.charts.get(top)?.get(sub)
    }

    /// Every entry as `(graph or description, description or "summary", entry)`, in order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str, &ChartEntry)> {
        self.charts.iter().flat_map(|(top, group)| group.iter().map(move |(sub, entry)| (top.as_str(), sub, entry)))
    }

    /// Gives every entry to `each`, moving its strings and values: the
    /// graph, the description (`"summary"` for a description's own entry)
    /// and the entry, in the chart's order.
    pub(crate) fn drain_into(self, mut each: impl FnMut(String, Cow<'static, str>, ChartEntry)) {
        for (top, group) in self.charts {
            match group {
                Group::One(sub, entry) => each(top, sub, entry),
                Group::Many(entries) => {
                    for (sub, entry) in entries {
                        each(top.clone(), sub, entry);
                    }
                }
            }
        }
    }

    /// Whether nothing was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.charts.is_empty()
    }

    /// Each key of the chart with its entries, in order.
    pub(super) fn groups(&self) -> impl Iterator<Item = (&str, impl Iterator<Item = (&str, &ChartEntry)>)> {
        self.charts.iter().map(|(top, group)| (top.as_str(), group.iter()))
    }

    /// Reads a `results-chart.json`; a missing or empty file is an empty chart (as TKO reads it).
    ///
    /// # Errors
    ///
    /// [`Error::Json`] when the file is not chart JSON, [`Error::Io`] when it
    /// cannot be read.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Self::new()),
            Err(e) => return Err(Error::io("read", path, e)),
        };
        if text.trim().is_empty() {
            return Ok(Self::new());
        }
        let json_error = |source| Error::Json { path: path.to_owned(), source };
        let raw: IndexMap<String, IndexMap<String, RawEntry>> = serde_json::from_str(&text).map_err(json_error)?;
        let mut charts = Map::with_capacity_and_hasher(raw.len(), foldhash::fast::RandomState::default());
        for (top, subs) in raw {
            let mut group: Option<Group> = None;
            for (sub, entry) in subs {
                let entry = ChartEntry::try_from(entry)
                    .map_err(|message| json_error(serde::de::Error::custom(format!("{top}/{sub}: {message}"))))?;
                match &mut group {
                    None => group = Some(Group::One(Cow::Owned(sub), entry)),
                    Some(group) => group.insert(Cow::Owned(sub), entry),
                }
            }
            // A key without entries is left out: no value makes one.
            if let Some(group) = group {
                charts.insert(top, group);
            }
        }
        Ok(PerfChart { charts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn chart_of(values: &[PerfValue]) -> Value {
        let mut chart = PerfChart::new();
        for value in values {
            chart.add(value).unwrap();
        }
        serde_json::from_str(&chart.to_json()).unwrap()
    }

    fn summary(type_: &str, key: &str, value: Value, units: Value, dir: &str) -> Value {
        json!({"summary": {"type": type_, "units": units, key: value, "improvement_direction": dir}})
    }

    // The original's test_unittest cases 13-21 and the replace cases of 2017.
    #[test]
    fn single_value() {
        let got = chart_of(&[PerfValue::new("Test", 1).units("ms").higher_is_better(true)]);
        assert_eq!(got, json!({"Test": summary("scalar", "value", json!(1.0), json!("ms"), "up")}));
    }

    #[test]
    fn single_twice_and_three_times() {
        let v = |x: i32| PerfValue::new("Test", x).units("ms").higher_is_better(true);
        let twice = chart_of(&[v(1), v(2)]);
        assert_eq!(
            twice,
            json!({"Test": summary("list_of_scalar_values", "values", json!([1.0, 2.0]), json!("ms"), "up")})
        );
        let thrice = chart_of(&[v(1), v(2), v(3)]);
        assert_eq!(thrice["Test"]["summary"]["values"], json!([1.0, 2.0, 3.0]));
    }

    #[test]
    fn lists() {
        let list = |x: Vec<f64>| PerfValue::new("Test", x).units("ms").higher_is_better(false);
        let one = chart_of(&[list(vec![1.0, 2.0, 3.0])]);
        assert_eq!(
            one,
            json!({"Test": summary("list_of_scalar_values", "values", json!([1.0, 2.0, 3.0]), json!("ms"), "down")})
        );
        let single_then_list = chart_of(&[PerfValue::new("Test", 1).units("ms"), list(vec![4.0, 3.0, 2.0])]);
        assert_eq!(single_then_list["Test"]["summary"]["values"], json!([1.0, 4.0, 3.0, 2.0]));
        let list_then_list = chart_of(&[list(vec![1.0, 2.0, 3.0]), list(vec![4.0, 3.0, 2.0])]);
        assert_eq!(list_then_list["Test"]["summary"]["values"], json!([1.0, 2.0, 3.0, 4.0, 3.0, 2.0]));
    }

    #[test]
    fn graph_groups_entries_and_keeps_siblings() {
        let mut values = Vec::new();
        for config in ["tcp_tx", "tcp_rx", "udp_tx", "udp_rx"] {
            for bt in ["BT_connected_but_not_streaming", "BT_streaming_audiofile", "BT_disconnected_again"] {
                values.push(
                    PerfValue::new(format!("{config}_{bt}_drop"), 5.0)
                        .units("percent_drop")
                        .graph("ch006_mode11B_none_drop"),
                );
            }
        }
        values.push(
            PerfValue::new("udp_rx_BT_streaming_audiofile_drop", 9.0)
                .units("percent_drop")
                .graph("ch006_mode11B_none_drop"),
        );
        let got = chart_of(&values);
        let graph = got["ch006_mode11B_none_drop"].as_object().unwrap();
        assert_eq!(got.as_object().unwrap().len(), 1);
        assert_eq!(graph.len(), 12);
        assert_eq!(graph["tcp_tx_BT_streaming_audiofile_drop"]["type"], "scalar");
        assert_eq!(graph["udp_rx_BT_streaming_audiofile_drop"]["values"], json!([5.0, 9.0]));
    }

    #[test]
    fn replace_existing_values() {
        let r = |v: PerfValue| v.replace_existing(true);
        let list_then_list =
            chart_of(&[PerfValue::new("Test", vec![1.0, 2.0, 3.0]), r(PerfValue::new("Test", vec![4.0, 5.0, 6.0]))]);
        assert_eq!(list_then_list["Test"]["summary"]["values"], json!([4.0, 5.0, 6.0]));
        let single_then_list = chart_of(&[PerfValue::new("Test", 3), r(PerfValue::new("Test", vec![4.0, 5.0, 6.0]))]);
        assert_eq!(single_then_list["Test"]["summary"]["type"], "list_of_scalar_values");
        let list_then_single = chart_of(&[PerfValue::new("Test", vec![1.0, 2.0, 3.0]), r(PerfValue::new("Test", 4))]);
        assert_eq!(list_then_single["Test"], summary("scalar", "value", json!(4.0), Value::Null, "down"));
        let single_then_single = chart_of(&[PerfValue::new("Test", 1), r(PerfValue::new("Test", 2))]);
        assert_eq!(single_then_single["Test"]["summary"]["value"], json!(2.0));
        let certain = chart_of(&[
            PerfValue::new("Test1", 1),
            PerfValue::new("Test2", 2),
            PerfValue::new("Test3", 3),
            r(PerfValue::new("Test2", -1)),
        ]);
        assert_eq!(certain["Test1"]["summary"]["value"], json!(1.0));
        assert_eq!(certain["Test2"]["summary"]["value"], json!(-1.0));
        assert_eq!(certain["Test3"]["summary"]["value"], json!(3.0));
    }

    #[test]
    fn sanitising_and_latest_call_wins() {
        let got = chart_of(&[
            PerfValue::new("page load/time ms", 12.5).units("ms/page view").higher_is_better(true),
            PerfValue::new("a b", 1).units("x y").replacement("-"),
            PerfValue::new("raw_graph", 1).graph("my graph/1"),
            PerfValue::new("direction_flip", 1).higher_is_better(true),
            PerfValue::new("direction_flip", 2).higher_is_better(false),
            PerfValue::new("empty_units", 1).units(""),
            PerfValue::new("gone", 1).units("x").replacement(""),
        ]);
        assert_eq!(got["page_load_time_ms"]["summary"]["units"], "ms_page_view");
        assert_eq!(got["a-b"]["summary"]["units"], "x-y");
        assert_eq!(got["my_graph_1"]["raw_graph"]["value"], json!(1.0));
        assert_eq!(got["direction_flip"]["summary"]["improvement_direction"], "down");
        assert_eq!(got["empty_units"]["summary"]["units"], Value::Null);
    }

    #[test]
    fn refused_values_leave_the_chart_alone() {
        let mut chart = PerfChart::new();
        chart.add(&PerfValue::new("kept", 1)).unwrap();
        let before = chart.clone();
        let cases = [
            (PerfValue::new("x".repeat(257), 1), "The description must be at most 256 characters."),
            (PerfValue::new("long_units", 1).units("u".repeat(33)), "The units must be at most 32 characters."),
            (
                PerfValue::new("bad_replacement", 1).replacement("/"),
                "Invalid replacement string to mask illegal characters. May only contain letters, numbers, periods, dashes, and underscores. replacement: /",
            ),
            (PerfValue::new("g", 1).graph("g".repeat(257)), "The graph must be at most 256 characters."),
            (PerfValue::new("", 1), "The description must not be empty."),
            (PerfValue::new("nan", f64::NAN), "The value of `nan` must be a finite number, got NaN."),
            (PerfValue::new("inf", vec![1.0, f64::INFINITY]), "The value of `inf` must be a finite number, got inf."),
            (PerfValue::new("empty", Vec::<f64>::new()), "The value list of `empty` must hold at least one value."),
        ];
        for (value, message) in cases {
            assert_eq!(chart.add(&value).unwrap_err().to_string(), message);
        }
        assert_eq!(chart, before);
        assert!(chart.add(&PerfValue::new("x".repeat(256), 1)).is_ok());
    }

    #[test]
    fn layout_is_two_space_insertion_order() {
        let mut chart = PerfChart::new();
        chart.add(&PerfValue::new("b", 1).units("ms").higher_is_better(true)).unwrap();
        chart.add(&PerfValue::new("a", vec![1.0, 2.5])).unwrap();
        let expected = "{\n  \"b\": {\n    \"summary\": {\n      \"type\": \"scalar\",\n      \"units\": \"ms\",\n      \"value\": 1.0,\n      \"improvement_direction\": \"up\"\n    }\n  },\n  \"a\": {\n    \"summary\": {\n      \"type\": \"list_of_scalar_values\",\n      \"units\": null,\n      \"values\": [\n        1.0,\n        2.5\n      ],\n      \"improvement_direction\": \"down\"\n    }\n  }\n}";
        assert_eq!(chart.to_json(), expected);
    }

    #[test]
    fn write_then_read_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results-chart.json");
        assert!(PerfChart::read(&path).unwrap().is_empty());
        let mut chart = PerfChart::new();
        chart.add(&PerfValue::new("a", 1).units("ms").graph("g")).unwrap();
        chart.add(&PerfValue::new("b", vec![2.0, 3.0]).higher_is_better(true)).unwrap();
        chart.write_atomic(&path).unwrap();
        assert_eq!(PerfChart::read(&path).unwrap(), chart);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left behind");
        fs::write(&path, "{\"x\": {\"summary\": {\"type\": \"scalar\"}}}").unwrap();
        let err = PerfChart::read(&path).unwrap_err().to_string();
        assert!(err.contains("x/summary: entry of type `scalar` without its value(s)"), "{err}");
    }
}
