//! Bencher Metric Format: `{"<benchmark>": {"<measure>": {"value",
//! "lower_value", "upper_value"}}}`, as `bencher run --adapter json` reads
//! it. Bencher's rules (its `bencher_valid` crate): a benchmark name is 1 to
//! 1024 bytes, and is taken for a slug or a UUID when it parses as one; one
//! ending in `_bencher_ignore`, `BencherIgnore` or `-bencher-ignore` is
//! ignored; a measure is a slug of at most 64 bytes (lower-case ASCII
//! letters and digits between single dashes), created with generic units
//! when the project has none of that slug, except its built-in ones
//! (`latency`, in nanoseconds).

use serde_json::{Map, Value};

use super::common::{Metric, Part, number, shortened};
use crate::units::scale;

/// Bencher's longest benchmark name, in bytes.
pub(super) const MAX_NAME: usize = 1024;
/// Bencher's longest slug, in bytes.
pub(super) const MAX_SLUG: usize = 64;
/// The suffixes that make Bencher ignore a benchmark.
pub(super) const IGNORED: [&str; 3] = ["_bencher_ignore", "BencherIgnore", "-bencher-ignore"];

pub(super) fn render(metrics: &[Metric<'_>], warnings: &mut Vec<String>) -> Part {
    let mut out = Map::new();
    for metric in metrics {
        let full = metric.name();
        let mut name = shortened(&full, MAX_NAME);
        if name != full {
            warnings.push(format!("bmf: `{full}` is longer than Bencher's {MAX_NAME} bytes; named `{name}`"));
        }
        if IGNORED.iter().any(|suffix| name.ends_with(suffix)) {
            let renamed = format!("{}.", shortened(&name, MAX_NAME - 1));
            warnings.push(format!("bmf: Bencher ignores a benchmark named `{name}`; named `{renamed}`"));
            name = renamed;
        }
        let (measure, factor) = measure(metric.perf.units.as_deref());
        let s = &metric.summary;
        let mut value = Map::new();
        value.insert("value".into(), number(s.median * factor));
        value.insert("lower_value".into(), number(s.q1 * factor));
        value.insert("upper_value".into(), number(s.q3 * factor));
        let entry = out.entry(name).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(measures) = entry {
            measures.insert(measure, Value::Object(value));
        }
    }
    Part { suffix: None, text: serde_json::to_string_pretty(&Value::Object(out)).unwrap_or_default() + "\n" }
}

/// The measure of `units`, and the factor into its units: times are
/// Bencher's `latency`, in nanoseconds; any other unit is the slug of its
/// name (`MB/s`: `mb-s`), its values as they are; none is `unitless`.
pub(super) fn measure(units: Option<&str>) -> (String, f64) {
    let units = units.unwrap_or("");
    if let Some(("time", size, false)) = scale(units) {
        return ("latency".to_owned(), size * 1e9);
    }
    let slug = slug(units);
    (if slug.is_empty() { "unitless".to_owned() } else { slug }, 1.0)
}

/// Lower-case ASCII letters and digits, every other run of characters one
/// dash, none at either end, at most 64 bytes (`µs` is `us`, `%` is `percent`).
pub(super) fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let c = if c == 'µ' || c == 'μ' { 'u' } else { c };
        if c == '%' {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            out.push_str("percent-");
        } else if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(MAX_SLUG);
    out.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_longer_than_bencher_takes_are_cut_with_a_hash_and_said() {
        let long = "é".repeat(600);
        let cut = shortened(&long, MAX_NAME);
        assert!(cut.len() <= MAX_NAME && cut.ends_with(&cut[cut.len() - 9..]) && cut.contains('~'), "{cut}");
        assert_ne!(shortened(&format!("{long}a"), MAX_NAME), shortened(&format!("{long}b"), MAX_NAME));
    }

    #[test]
    fn measures_are_latency_for_times_and_slugs_of_other_units() {
        assert_eq!(measure(Some("ms")), ("latency".to_owned(), 1e6));
        assert_eq!(measure(Some("s")), ("latency".to_owned(), 1e9));
        assert_eq!(measure(Some("MB/s")), ("mb-s".to_owned(), 1.0));
        assert_eq!(measure(Some("MiB_per_sec")), ("mib-per-sec".to_owned(), 1.0));
        assert_eq!(measure(Some("µs/op")), ("us-op".to_owned(), 1.0));
        assert_eq!(measure(None), ("unitless".to_owned(), 1.0));
        assert_eq!(measure(Some("%")), ("percent".to_owned(), 1.0));
        assert_eq!(measure(Some("% CPU")), ("percent-cpu".to_owned(), 1.0));
        assert_eq!(slug(&"x".repeat(100)).len(), 64);
        assert_eq!(slug("--A  b--"), "a-b");
    }
}
