//! The rules of the readers harness exports to, written from their sources
//! (no code of theirs is here): each function reads a file as its reader
//! would and returns what the reader would take, or the reader's refusal.
//!
//! - Bencher (`bencherdev/bencher` v0.6.12, `lib/bencher_valid`,
//!   `lib/bencher_json`): benchmark names 1..=1024 bytes, taken for a UUID or
//!   a slug when they parse as one, ignored with `_bencher_ignore`,
//!   `BencherIgnore` or `-bencher-ignore` at the end; measures are slugs of
//!   at most 64 bytes; metrics `{value, lower_value?, upper_value?}`.
//! - github-action-benchmark (v1.22.0, `src/extract.ts`): a non-empty array
//!   of `{name: string, value: number, unit: string, range?: string, extra?:
//!   string}`.
//! - The Chrome perf dashboard (catapult `tracing/value/histogram.py`,
//!   `histogram_set.py`, `dashboard/add_histograms.py`, `add_point.py`,
//!   `common/histogram_helpers.py`): shared `GenericSet`s by guid; units from
//!   `UNIT_NAMES` with their direction; exactly one master, bot and
//!   benchmark, no `/`; an integer point id; test paths unique, at most 500
//!   characters, no `*`, no part `__x__`; running statistics of 7 numbers.
//! - LAVA (lava-dispatcher `actions/test/shell.py`, `connection.py`): lines
//!   matching `<LAVA_SIGNAL_(\S+) ([^>]+)>`, parameters `KEY=VALUE` split at
//!   whitespace, RESULT in pass/fail/skip/unknown, MEASUREMENT a float, test
//!   case ids unique; the results database keeps 100 characters.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// A metric as Bencher takes it: value and bounds.
pub type BmfMetric = (f64, Option<f64>, Option<f64>);

fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
        && !text.contains("--")
}

fn is_uuid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A BMF file as `bencher run --adapter json` takes it: benchmark, measure,
/// metric.
///
/// # Errors
///
/// What Bencher would refuse, or take for something else.
pub fn bmf(text: &str) -> Result<BTreeMap<String, BTreeMap<String, BmfMetric>>, String> {
    let json: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let map = json.as_object().ok_or("not an object")?;
    let mut out = BTreeMap::new();
    for (name, measures) in map {
        if name.is_empty() || name.len() > 1024 {
            return Err(format!("benchmark name of {} bytes", name.len()));
        }
        if is_uuid(name) || is_slug(name) {
            return Err(format!("`{name}` would be taken for a benchmark's UUID or slug"));
        }
        if ["_bencher_ignore", "BencherIgnore", "-bencher-ignore"].iter().any(|s| name.ends_with(s)) {
            return Err(format!("`{name}` would be ignored"));
        }
        let measures = measures.as_object().ok_or_else(|| format!("{name}: not an object"))?;
        let mut metrics = BTreeMap::new();
        for (measure, metric) in measures {
            if !is_slug(measure) {
                return Err(format!("{name}: measure `{measure}` is not a slug"));
            }
            let number = |key: &str| -> Result<Option<f64>, String> {
                match metric.get(key) {
                    None | Some(Value::Null) => Ok(None),
                    Some(v) => v.as_f64().map(Some).ok_or_else(|| format!("{name}/{measure}: {key} is not a number")),
                }
            };
            let value = number("value")?.ok_or_else(|| format!("{name}/{measure}: no value"))?;
            let (lower, upper) = (number("lower_value")?, number("upper_value")?);
            if lower.is_some_and(|l| l > value) || upper.is_some_and(|u| u < value) {
                return Err(format!("{name}/{measure}: bounds {lower:?}..{upper:?} do not hold {value}"));
            }
            metrics.insert(measure.clone(), (value, lower, upper));
        }
        out.insert(name.clone(), metrics);
    }
    Ok(out)
}

/// An entry of github-action-benchmark's custom JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionEntry {
    /// The benchmark's name.
    pub name: String,
    /// Its unit.
    pub unit: String,
    /// Its value.
    pub value: f64,
    /// The range shown beside it.
    pub range: Option<String>,
    /// The extra text.
    pub extra: Option<String>,
}

/// A `customSmallerIsBetter` / `customBiggerIsBetter` file as the action
/// reads it.
///
/// # Errors
///
/// The action's refusal.
pub fn github_action_benchmark(text: &str) -> Result<Vec<ActionEntry>, String> {
    let json: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let list = json.as_array().ok_or("not an array")?;
    if list.is_empty() {
        return Err("No benchmark result was found".into());
    }
    let mut names = BTreeSet::new();
    let mut out = Vec::new();
    for entry in list {
        let string = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_owned);
        let name = string("name").ok_or("an entry without a string name")?;
        let unit = string("unit").ok_or_else(|| format!("{name}: no string unit"))?;
        let value = entry.get("value").and_then(Value::as_f64).filter(|v| v.is_finite());
        let value = value.ok_or_else(|| format!("{name}: value is not a number"))?;
        for key in ["range", "extra"] {
            if entry.get(key).is_some_and(|v| !v.is_string()) {
                return Err(format!("{name}: {key} is not a string"));
            }
        }
        if !names.insert(name.clone()) {
            return Err(format!("{name}: twice in one file"));
        }
        out.push(ActionEntry { name, unit, value, range: string("range"), extra: string("extra") });
    }
    Ok(out)
}

/// A histogram as the dashboard stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Its test path: `master/bot/benchmark/name/story`.
    pub test_path: String,
    /// The unit, with the direction (`ms_smallerIsBetter`).
    pub unit: String,
    /// Every sample.
    pub samples: Vec<f64>,
    /// The point id.
    pub point_id: i64,
}

const UNITS: [&str; 15] = [
    "ms",
    "msBestFitFormat",
    "tsMs",
    "n%",
    "sizeInBytes",
    "bytesPerSecond",
    "J",
    "W",
    "A",
    "Ah",
    "V",
    "Hz",
    "unitless",
    "count",
    "sigma",
];

fn known_unit(unit: &str) -> bool {
    UNITS.iter().any(|u| {
        unit == *u
            || [("_biggerIsBetter"), ("_smallerIsBetter"), ("-"), ("+")].iter().any(|s| unit == format!("{u}{s}"))
    })
}

/// A HistogramSet as the dashboard's `/add_histograms` takes it.
///
/// # Errors
///
/// The dashboard's refusal.
pub fn histogram_set(text: &str) -> Result<Vec<Histogram>, String> {
    let json: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let list = json.as_array().ok_or("HistogramSet JSON must be a list of dicts")?;
    let mut shared: BTreeMap<String, Value> = BTreeMap::new();
    let mut histograms = Vec::new();
    for item in list {
        if let Some(kind) = item.get("type").and_then(Value::as_str) {
            if kind != "GenericSet" {
                return Err(format!("unexpected shared diagnostic type {kind}"));
            }
            let guid = item.get("guid").and_then(Value::as_str).ok_or("a shared diagnostic without guid")?;
            shared.insert(guid.to_owned(), item.clone());
        } else {
            histograms.push(item);
        }
    }
    if histograms.is_empty() {
        return Err("HistogramSet JSON must contain at least one histogram.".into());
    }
    let resolve = |hist: &Value, name: &str| -> Result<Option<Vec<Value>>, String> {
        let Some(diag) = hist.get("diagnostics").and_then(|d| d.get(name)) else { return Ok(None) };
        let diag = match diag {
            Value::String(guid) => {
                shared.get(guid).ok_or_else(|| format!("Unable to find shared Diagnostic {guid}"))?
            }
            other => other,
        };
        if diag.get("type").and_then(Value::as_str) != Some("GenericSet") {
            return Err(format!("{name} is not a GenericSet"));
        }
        Ok(Some(diag.get("values").and_then(Value::as_array).cloned().ok_or(format!("{name}: no values"))?))
    };
    let only = |hist: &Value, name: &str| -> Result<Value, String> {
        let values = resolve(hist, name)?.ok_or_else(|| format!("Histogram missing \"{name}\" diagnostic"))?;
        if values.len() != 1 {
            return Err(format!("Histograms must have exactly 1 \"{name}\""));
        }
        Ok(values[0].clone())
    };
    let first = histograms[0];
    let mut suite = Vec::new();
    for name in ["masters", "bots", "benchmarks"] {
        let value = only(first, name)?;
        let text = value.as_str().ok_or_else(|| format!("{name} is not a string"))?.to_owned();
        if text.contains('/') {
            return Err(format!("Illegal slash in {text}"));
        }
        suite.push(text);
    }
    let point_id = only(first, "pointId")?.as_i64().ok_or("Point ID must be an integer.")?;
    let mut paths = BTreeSet::new();
    let mut out = Vec::new();
    for hist in histograms {
        let name = hist.get("name").and_then(Value::as_str).ok_or("a histogram without name")?;
        let unit = hist.get("unit").and_then(Value::as_str).ok_or("a histogram without unit")?;
        if !known_unit(unit) {
            return Err(format!("Unrecognized unit \"{unit}\""));
        }
        for (at, name) in ["masters", "bots", "benchmarks"].iter().enumerate() {
            if only(hist, name)?.as_str() != Some(&suite[at]) {
                return Err(format!("{name} diagnostics must be the same for all histograms"));
            }
        }
        let story = match resolve(hist, "stories")? {
            Some(values) if values.len() == 1 => {
                let story = values[0].as_str().ok_or("a story that is not a string")?;
                Some(story.chars().map(|c| if ":|=/#&,".contains(c) { '_' } else { c }).collect::<String>())
            }
            _ => None,
        };
        let mut test_path = format!("{}/{}/{}/{name}", suite[0], suite[1], suite[2]);
        if let Some(story) = story {
            test_path.push('/');
            test_path.push_str(&story);
        }
        if test_path.len() > 500 {
            return Err(format!("Test path too long: {test_path}"));
        }
        if test_path.contains('*') {
            return Err("Illegal asterisk in test name.".into());
        }
        if let Some(part) = test_path.split('/').find(|p| p.starts_with("__") && p.ends_with("__")) {
            return Err(format!("Invalid name: \"{part}\". Names cannot start and end with \"__\"."));
        }
        if !paths.insert(test_path.clone()) {
            return Err(format!("Duplicate histogram detected: {test_path}"));
        }
        let samples: Vec<f64> = hist
            .get("sampleValues")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{name}: no sampleValues"))?
            .iter()
            .map(|v| v.as_f64().ok_or_else(|| format!("{name}: a sample that is not a number")))
            .collect::<Result<_, _>>()?;
        if let Some(max) = hist.get("maxNumSampleValues").and_then(Value::as_u64)
            && samples.len() as u64 > max
        {
            return Err(format!("{name}: {} samples, at most {max}", samples.len()));
        }
        check_running(name, hist.get("running"), &samples)?;
        out.push(Histogram { test_path, unit: unit.to_owned(), samples, point_id });
    }
    Ok(out)
}

/// The running statistics are catapult's of the samples.
fn check_running(name: &str, running: Option<&Value>, samples: &[f64]) -> Result<(), String> {
    let running = running.and_then(Value::as_array).ok_or_else(|| format!("{name}: no running statistics"))?;
    if running.len() != 7 {
        return Err(format!("{name}: running statistics of {} numbers", running.len()));
    }
    #[allow(clippy::cast_precision_loss, reason = "small counts")]
    let n = samples.len() as f64;
    let mean = samples.iter().sum::<f64>() / n;
    let m2: f64 = samples.iter().map(|x| (x - mean).powi(2)).sum();
    let expected = [
        Some(n),
        samples.iter().copied().reduce(f64::max),
        samples.iter().all(|x| *x > 0.0).then(|| samples.iter().map(|x| x.ln()).sum::<f64>() / n),
        Some(mean),
        samples.iter().copied().reduce(f64::min),
        Some(samples.iter().sum()),
        Some(m2),
    ];
    for (at, (got, want)) in running.iter().zip(expected).enumerate() {
        let close = match (got.as_f64(), want) {
            (Some(g), Some(w)) => (g - w).abs() <= 1e-9 * w.abs().max(1.0),
            (None, None) => got.is_null(),
            _ => false,
        };
        if !close {
            return Err(format!("{name}: running[{at}] is {got}, the samples give {want:?}"));
        }
    }
    Ok(())
}

/// A LAVA test case as the dispatcher records it.
#[derive(Debug, Clone, PartialEq)]
pub struct LavaCase {
    /// Its id.
    pub id: String,
    /// pass, fail, skip or unknown.
    pub result: String,
    /// The measurement.
    pub measurement: Option<f64>,
    /// Its units.
    pub units: Option<String>,
}

/// Every TESTCASE signal in `console` as LAVA records it.
///
/// # Errors
///
/// What LAVA would refuse or store cut.
pub fn lava(console: &str) -> Result<Vec<LavaCase>, String> {
    let mut out: Vec<LavaCase> = Vec::new();
    for line in console.lines().filter(|l| l.contains("<LAVA_SIGNAL_")) {
        let inner = line
            .trim()
            .strip_prefix("<LAVA_SIGNAL_")
            .and_then(|l| l.strip_suffix('>'))
            .ok_or_else(|| format!("not a whole signal: {line}"))?;
        if inner.contains('>') || inner.contains('<') {
            return Err(format!("`>` inside a signal: {line}"));
        }
        let (name, params) = inner.split_once(' ').ok_or_else(|| format!("no parameters: {line}"))?;
        if name != "TESTCASE" {
            continue;
        }
        let mut data = BTreeMap::new();
        for param in params.split_whitespace() {
            // Older dispatchers split at every `=` and want two parts.
            let parts: Vec<&str> = param.split('=').collect();
            if parts.len() != 2 {
                return Err(format!("Ignoring malformed parameter for signal: \"{param}\""));
            }
            data.insert(parts[0].to_lowercase(), parts[1].to_owned());
        }
        let id = data.get("test_case_id").cloned().ok_or_else(|| format!("no test_case_id: {line}"))?;
        let result = data.get("result").cloned().ok_or_else(|| format!("no result: {line}"))?;
        if !["pass", "fail", "skip", "unknown"].contains(&result.as_str()) {
            return Err(format!("Bad test result: {result}"));
        }
        let measurement = match data.get("measurement") {
            Some(m) => Some(m.parse::<f64>().map_err(|_| format!("Invalid measurement {m}"))?),
            None => None,
        };
        let units = data.get("units").cloned();
        if id.chars().count() > 100 || units.as_ref().is_some_and(|u| u.chars().count() > 100) {
            return Err(format!("longer than LAVA keeps: {line}"));
        }
        if id.chars().any(|c| c.is_control() || c == '/') {
            return Err(format!("a test case id LAVA cannot name a file by: {id}"));
        }
        if out.iter().any(|c| c.id == id) {
            return Err(format!("Duplicate test_case_id in results: {id}"));
        }
        out.push(LavaCase { id, result, measurement, units });
    }
    Ok(out)
}

/// The stream a bot reads: every line of an `events.jsonl` checked against
/// `docs/events.schema.json` by a JSON Schema validator, each line's `seq`
/// one more than the last's. The parsed lines, or what is wrong, by line.
///
/// # Errors
///
/// Each line that is not JSON, breaks the schema or the count, and bytes
/// after the last newline.
pub fn events(text: &str) -> Result<Vec<Value>, String> {
    static SCHEMA: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let validator = SCHEMA.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/events.schema.json");
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("the schema")).expect("JSON");
        jsonschema::validator_for(&schema).expect("a valid schema")
    });
    if !text.is_empty() && !text.ends_with('\n') {
        return Err(format!("the last line is not complete: {:?}", text.rsplit('\n').next().unwrap_or("")));
    }
    let mut lines = Vec::new();
    for (at, line) in text.lines().enumerate() {
        let number = at + 1;
        let value: Value = serde_json::from_str(line).map_err(|e| format!("line {number}: {e}: {line}"))?;
        let errors: Vec<String> =
            validator.iter_errors(&value).map(|e| format!("{e} at {}", e.instance_path())).collect();
        if !errors.is_empty() {
            return Err(format!("line {number}: {}: {line}", errors.join("; ")));
        }
        if value["seq"] != number {
            return Err(format!("line {number} has seq {}", value["seq"]));
        }
        lines.push(value);
    }
    Ok(lines)
}
