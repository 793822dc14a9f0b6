//! Units that measure the same quantity with another prefix: a value in `ms`
//! compared with one in `s` is converted, never read as a 99.9% change; and
//! the base unit of each (seconds, bytes, bytes per second) that exporters
//! convert into what their readers know.

/// The factor that turns a value in `from` into one in `to`, when both
/// measure the same quantity (time, bytes, or either per second) with known
/// prefixes; `Some(1.0)` for equal units (none counts as a unit); `None` when
/// they cannot be compared.
pub(crate) fn factor(from: Option<&str>, to: Option<&str>) -> Option<f64> {
    let (from, to) = (from.unwrap_or(""), to.unwrap_or(""));
    if from == to {
        return Some(1.0);
    }
    let (a, b) = (scale(from)?, scale(to)?);
    (a.0 == b.0 && a.2 == b.2).then(|| a.1 / b.1)
}

/// What a unit measures (`time`, `bytes`), its size in the base unit, and
/// whether it is a rate (per second): `MB_per_sec` is bytes, 10^6, a rate.
pub(crate) fn scale(unit: &str) -> Option<(&'static str, f64, bool)> {
    let (unit, rate) = ["/s", "_per_sec", "_per_second", "_per_s", "ps"]
        .iter()
        .find_map(|suffix| unit.strip_suffix(suffix).filter(|u| !u.is_empty() && (*suffix != "ps" || is_byte_unit(u))))
        .map_or((unit, false), |u| (u, true));
    let (quantity, size) = match unit {
        "ns" => ("time", 1e-9),
        "us" | "µs" | "usec" => ("time", 1e-6),
        "ms" | "msec" => ("time", 1e-3),
        "s" | "sec" | "seconds" => ("time", 1.0),
        "min" | "minutes" => ("time", 60.0),
        "B" | "bytes" => ("bytes", 1.0),
        "kB" | "KB" => ("bytes", 1e3),
        "MB" => ("bytes", 1e6),
        "GB" => ("bytes", 1e9),
        "TB" => ("bytes", 1e12),
        "KiB" => ("bytes", 1024.0),
        "MiB" => ("bytes", 1024.0 * 1024.0),
        "GiB" => ("bytes", 1024.0 * 1024.0 * 1024.0),
        "TiB" => ("bytes", 1024.0 * 1024.0 * 1024.0 * 1024.0),
        _ => return None,
    };
    Some((quantity, size, rate))
}

/// `MBps` is a rate of bytes; `ops` is not a rate of `o`.
fn is_byte_unit(unit: &str) -> bool {
    matches!(unit, "B" | "kB" | "KB" | "MB" | "GB" | "TB" | "KiB" | "MiB" | "GiB" | "TiB")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_of_one_quantity_convert() {
        assert_eq!(factor(Some("ms"), Some("ms")), Some(1.0));
        assert_eq!(factor(None, None), Some(1.0));
        assert_eq!(factor(Some("s"), Some("ms")), Some(1000.0));
        assert_eq!(factor(Some("ns"), Some("us")), Some(1e-3));
        assert_eq!(factor(Some("MiB"), Some("KiB")), Some(1024.0));
        assert_eq!(factor(Some("GB_per_sec"), Some("MB/s")), Some(1000.0));
        assert_eq!(factor(Some("MBps"), Some("MB_per_s")), Some(1.0));
        for (from, to) in [("ms", "MB"), ("ms", "ms_per_sec"), ("ops", "ops_per_sec"), ("count", "ms"), ("ms", "")] {
            assert_eq!(factor(Some(from), Some(to)), None, "{from} -> {to}");
        }
    }
}
