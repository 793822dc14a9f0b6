//! The Chrome perf dashboard's HistogramSet JSON (catapult's
//! `tracing/value`): a list of shared diagnostics (`GenericSet`s with a
//! guid) and of histograms, one per metric, with every measured iteration as
//! a sample, the running statistics and the unit with its direction
//! (`ms_smallerIsBetter`). The dashboard's rules (`add_histograms.py`,
//! `add_point.py`): the first histogram names exactly one master, bot and
//! benchmark, none with a `/`, and a point id that is an integer; the test
//! path `master/bot/benchmark/name/story` is at most 500 characters, has no
//! `*`, no part that starts and ends with `__`, and is unique; units are the
//! dashboard's own few.

use serde_json::{Map, Value, json};

use super::common::{Metric, Options, Part, number, shortened};
use crate::results::JobResults;
use crate::units::scale;

/// The dashboard's longest test path.
pub(super) const MAX_TEST_PATH: usize = 500;
/// The units the dashboard knows (catapult's `UNIT_NAMES`, before the
/// direction is added).
pub(super) const UNITS: [&str; 15] = [
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

pub(super) fn render(
    results: &JobResults,
    metrics: &[Metric<'_>],
    options: &Options,
    warnings: &mut Vec<String>,
) -> Part {
    let master = path_part("master", options.master.as_deref().unwrap_or("harness"), warnings);
    let bot = path_part(
        "bot",
        &options.bot.clone().unwrap_or_else(|| crate::compare::machine_id(&results.job.sysinfo).0),
        warnings,
    );
    let benchmark = path_part(
        "benchmark",
        options.benchmark.as_deref().or(results.job.tag.as_deref()).unwrap_or("harness"),
        warnings,
    );
    let point_id = options
        .point_id
        .unwrap_or_else(|| chrono::DateTime::parse_from_rfc3339(&results.job.start).map_or(0, |t| t.timestamp()));
    let mut shared: Vec<(&str, Value)> = vec![
        ("masters", Value::from(vec![master.clone()])),
        ("bots", Value::from(vec![bot.clone()])),
        ("benchmarks", Value::from(vec![benchmark.clone()])),
        ("pointId", json!([point_id])),
    ];
    if !options.log_urls.is_empty() {
        shared.push(("logUrls", Value::from(options.log_urls.clone())));
    }
    let mut out: Vec<Value> = Vec::new();
    let mut refs = Map::new();
    for (name, values) in &shared {
        let guid = guid(&format!("{name}\n{values}"));
        out.push(json!({"type": "GenericSet", "guid": guid, "values": values}));
        refs.insert((*name).to_owned(), Value::from(guid));
    }
    let mut paths: Vec<String> = Vec::new();
    for metric in metrics {
        let (name, story) = names(metric, &master, &bot, &benchmark, &paths, warnings);
        paths.push(test_path(&master, &bot, &benchmark, &name, &story));
        let (unit, factor) = unit(metric.perf.units.as_deref(), metric, warnings);
        let direction = if metric.perf.higher_is_better() { "biggerIsBetter" } else { "smallerIsBetter" };
        let samples: Vec<f64> = metric.perf.values.iter().map(|v| v * factor).collect();
        let mut diagnostics = refs.clone();
        diagnostics.insert("stories".into(), json!({"type": "GenericSet", "values": [story]}));
        let mut histogram = Map::new();
        histogram.insert("name".into(), Value::from(name));
        histogram.insert("unit".into(), Value::from(format!("{unit}_{direction}")));
        histogram
            .insert("description".into(), Value::from(format!("{} of {}", metric.perf.name(), metric.test.subdir)));
        histogram.insert("diagnostics".into(), Value::Object(diagnostics));
        // Every sample is kept: the default cap depends on the unit's bins.
        histogram.insert("maxNumSampleValues".into(), Value::from(samples.len()));
        histogram.insert("sampleValues".into(), samples.iter().map(|v| number(*v)).collect());
        histogram.insert("running".into(), running(&samples));
        out.push(Value::Object(histogram));
    }
    Part { suffix: None, text: serde_json::to_string_pretty(&Value::Array(out)).unwrap_or_default() + "\n" }
}

/// The histogram's name (the metric's) and story (the test's directory),
/// changed where the dashboard would refuse them or take two for one.
fn names(
    metric: &Metric<'_>,
    master: &str,
    bot: &str,
    benchmark: &str,
    taken: &[String],
    warnings: &mut Vec<String>,
) -> (String, String) {
    let full = metric.perf.name();
    // A `/` would add a level to the test path; `*` is the dashboard's pattern.
    let mut name: String = full.chars().map(|c| if c == '/' || c == '*' { '_' } else { c }).collect();
    let mut story: String = escape(&metric.test.subdir);
    for part in [&mut name, &mut story] {
        if part.starts_with("__") && part.ends_with("__") {
            part.insert(0, 'x');
        }
    }
    let fixed = test_path(master, bot, benchmark, &name, &story).len();
    if fixed > MAX_TEST_PATH {
        let room = MAX_TEST_PATH.saturating_sub(fixed - name.len() - story.len());
        let (name_room, story_room) = (room / 2, room - room / 2);
        name = shortened(&name, name_room.max(12));
        story = shortened(&story, story_room.max(12));
    }
    let mut n = 2;
    let base = name.clone();
    while taken.contains(&test_path(master, bot, benchmark, &name, &story)) {
        name = format!("{base}_{n}");
        n += 1;
    }
    if name != full || story != metric.test.subdir {
        warnings.push(format!(
            "histogramset: {}/{} is named `{name}`, story `{story}` (the dashboard refuses or merges the original)",
            metric.test.subdir, full
        ));
    }
    (name, story)
}

/// The dashboard's escaping of a story into the test path.
fn escape(text: &str) -> String {
    text.chars().map(|c| if ":|=/#&,".contains(c) { '_' } else { c }).collect()
}

fn test_path(master: &str, bot: &str, benchmark: &str, name: &str, story: &str) -> String {
    format!("{master}/{bot}/{benchmark}/{name}/{story}")
}

/// A master, bot or benchmark as the dashboard takes it: no `/` or `*`, not
/// `__x__`, never empty.
fn path_part(what: &str, text: &str, warnings: &mut Vec<String>) -> String {
    let mut part: String = text.chars().map(|c| if c == '/' || c == '*' || c.is_control() { '_' } else { c }).collect();
    if part.is_empty() {
        part = "harness".to_owned();
    }
    if part.starts_with("__") && part.ends_with("__") {
        part.insert(0, 'x');
    }
    part = shortened(&part, 100);
    if part != text {
        warnings.push(format!("histogramset: the {what} `{}` is `{part}` for the dashboard", crate::text::shown(text)));
    }
    part
}

/// The dashboard's unit for `units`, and the factor into it: times in `ms`,
/// sizes in `sizeInBytes`, byte rates in `bytesPerSecond`, `%` as `n%` (a
/// fraction), the electrical units and `Hz` as they are, counts as `count`;
/// anything else `unitless`, said.
fn unit(units: Option<&str>, metric: &Metric<'_>, warnings: &mut Vec<String>) -> (&'static str, f64) {
    let text = units.unwrap_or("");
    let mapped = match scale(text) {
        Some(("time", size, false)) => Some(("ms", size * 1e3)),
        Some(("bytes", size, false)) => Some(("sizeInBytes", size)),
        Some(("bytes", size, true)) => Some(("bytesPerSecond", size)),
        _ => match text {
            "%" | "percent" => Some(("n%", 0.01)),
            "J" | "W" | "A" | "Ah" | "V" | "Hz" => UNITS.iter().find(|u| **u == text).map(|u| (*u, 1.0)),
            "count" | "ops" | "operations" | "iterations" | "errors" | "items" | "calls" => Some(("count", 1.0)),
            "" => Some(("unitless", 1.0)),
            _ => None,
        },
    };
    match mapped {
        Some((unit, factor)) => {
            if !text.is_empty() && (unit != text || factor != 1.0) {
                warnings.push(format!(
                    "histogramset: {}: `{text}` is `{unit}` for the dashboard{}",
                    metric.name(),
                    if factor == 1.0 { String::new() } else { format!(" (values times {factor})") }
                ));
            }
            (unit, factor)
        }
        None => {
            warnings.push(format!(
                "histogramset: {}: the dashboard knows no unit `{text}`; exported as unitless, values unchanged",
                metric.name()
            ));
            ("unitless", 1.0)
        }
    }
}

/// catapult's running statistics of `samples`: `[count, max, meanlogs,
/// mean, min, sum, variance]`, with Welford's sum of squared deviations as
/// its variance (divided by `count - 1` by the reader) and the mean of the
/// logarithms null when a sample is not above 0.
fn running(samples: &[f64]) -> Value {
    let (mut count, mut mean, mut m2, mut sum) = (0.0_f64, 0.0_f64, 0.0_f64, 0.0_f64);
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut meanlogs: Option<f64> = Some(0.0);
    for &x in samples {
        count += 1.0;
        min = min.min(x);
        max = max.max(x);
        sum += x;
        meanlogs = if x <= 0.0 { None } else { meanlogs.map(|m| m + (x.abs().ln() - m) / count) };
        if count == 1.0 {
            mean = x;
            m2 = 0.0;
        } else {
            let old = mean;
            mean = old + (x - old) / count;
            m2 += (x - old) * (x - mean);
        }
    }
    json!([
        samples.len(),
        number(max),
        meanlogs.map_or(Value::Null, number),
        number(mean),
        number(min),
        number(sum),
        number(m2)
    ])
}

/// A guid as catapult writes one (`8-4-4-4-12` hex digits), made from `text`
/// so that an export is the same every time.
fn guid(text: &str) -> String {
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x8422_2325_cbf2_9ce4;
    for byte in text.bytes() {
        a = (a ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        b = (b ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3 ^ 0x10);
    }
    let hex = format!("{a:016x}{b:016x}");
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_statistics_are_catapults() {
        // catapult's RunningStatistics after adding 1, 2, 4:
        // count 3, max 4, meanlogs mean(ln) = ln(8)/3, mean 7/3, min 1, sum 7,
        // Welford's M2 = sum((x - mean)^2) = 4.6667.
        let value = running(&[1.0, 2.0, 4.0]);
        let v: Vec<f64> = value.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        assert_eq!(v[0], 3.0);
        assert_eq!(v[1], 4.0);
        assert!((v[2] - 8f64.ln() / 3.0).abs() < 1e-12);
        assert!((v[3] - 7.0 / 3.0).abs() < 1e-12);
        assert_eq!((v[4], v[5]), (1.0, 7.0));
        assert!((v[6] - 14.0 / 3.0).abs() < 1e-12);
        assert!(running(&[0.0, 1.0]).as_array().unwrap()[2].is_null(), "no log of 0");
        assert_eq!(guid("a").len(), 36);
        assert_ne!(guid("a"), guid("b"));
    }
}
