//! The statistics `compare` uses to tell a regression from noise.
//!
//! - The test: the Mann-Whitney U test, two-sided, with the normal
//!   approximation corrected for ties and for continuity (scipy's
//!   `mannwhitneyu(x, y, method="asymptotic")`). Perf samples are skewed and
//!   carry outliers (a page fault, a noisy neighbour); a rank test does not
//!   assume they are normal, and one outlier cannot make a change significant.
//! - The change and its confidence interval: the Hodges-Lehmann estimate of
//!   the shift from `base` to `new` (the median of every pairwise difference)
//!   and its distribution-free interval, the order statistics of those
//!   differences that the same U statistic's critical value picks (Bauer,
//!   1972). Both are given relative to the median of `base`.

/// A summary of one sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// How many values.
    pub n: usize,
    /// The median.
    pub median: f64,
    /// The mean.
    pub mean: f64,
    /// The first quartile (linear interpolation, as numpy's default).
    pub q1: f64,
    /// The third quartile.
    pub q3: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
    /// The coefficient of variation: the sample standard deviation over the
    /// mean, in percent (NaN for fewer than two values or a zero mean).
    pub cv_percent: f64,
}

/// The values sorted (NaN never reaches here: perf values are finite).
fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// The `q` quantile of sorted values, interpolated linearly.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    #[allow(clippy::cast_precision_loss, reason = "sample sizes")]
    let at = q * (sorted.len() - 1) as f64;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0 <= at < len")]
    let (low, frac) = (at.floor() as usize, at.fract());
    match sorted.get(low + 1) {
        Some(next) => sorted[low] + (next - sorted[low]) * frac,
        None => sorted[low],
    }
}

impl Summary {
    /// The summary of `values`.
    #[must_use]
    pub fn of(values: &[f64]) -> Summary {
        let s = sorted(values);
        #[allow(clippy::cast_precision_loss, reason = "sample sizes")]
        let mean = s.iter().sum::<f64>() / s.len().max(1) as f64;
        #[allow(clippy::cast_precision_loss, reason = "sample sizes")]
        let variance = s.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (s.len().max(2) - 1) as f64;
        let cv_percent = if s.len() < 2 || mean == 0.0 { f64::NAN } else { 100.0 * variance.sqrt() / mean.abs() };
        Summary {
            n: s.len(),
            median: quantile(&s, 0.5),
            mean,
            q1: quantile(&s, 0.25),
            q3: quantile(&s, 0.75),
            min: s.first().copied().unwrap_or(f64::NAN),
            max: s.last().copied().unwrap_or(f64::NAN),
            cv_percent,
        }
    }

    /// The summary as every console and page of harness shows it:
    /// `median 7143 MB_per_sec, IQR 6947-7343, CV 5.6%, n=3, higher is better`
    /// (`n=1` shows the value alone).
    #[must_use]
    pub fn describe(&self, units: Option<&str>, higher_is_better: bool) -> String {
        let units = units.map(|u| format!(" {u}")).unwrap_or_default();
        let direction = if higher_is_better { "higher is better" } else { "lower is better" };
        match self.n {
            0 => format!("no values ({direction})"),
            1 => format!("{}{units}, n=1, {direction}", significant(self.median)),
            n => format!(
                "median {}{units}, IQR {}-{}, CV {}, n={n}, {direction}",
                significant(self.median),
                significant(self.q1),
                significant(self.q3),
                if self.cv_percent.is_nan() { "-".to_owned() } else { format!("{}%", significant(self.cv_percent)) },
            ),
        }
    }
}

/// A measured number as harness shows it: four significant digits, trailing
/// zeros dropped (`7143`, `0.4612`, `13`, `-2.5`), and an exponent outside
/// 0.0001 to 999999 (`1.235e9`).
#[must_use]
pub fn significant(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return if value.is_nan() {
            "NaN".to_owned()
        } else if value == 0.0 {
            "0".to_owned()
        } else {
            value.to_string()
        };
    }
    #[allow(clippy::cast_possible_truncation, reason = "the exponent of a finite f64 fits")]
    let magnitude = value.abs().log10().floor() as i32;
    if !(-4..6).contains(&magnitude) {
        let text = format!("{value:.3e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        return format!("{}e{exponent}", trim_zeros(mantissa));
    }
    let decimals = usize::try_from(3 - magnitude).unwrap_or(0);
    let text = format!("{value:.decimals$}");
    // Rounding can carry into a new digit (9999.5 -> 10000): that is fine.
    trim_zeros(&text).to_owned()
}

fn trim_zeros(text: &str) -> &str {
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { text }
}

/// The standard normal CDF.
fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// The standard normal quantile: Acklam's approximation, refined by one
/// Halley step (about 1e-15 relative error).
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// The two-sided p-value of the Mann-Whitney U test of `a` against `b`
/// (normal approximation, tie and continuity corrections); 1 when either
/// sample is empty or every value is the same.
#[must_use]
pub fn mann_whitney_p(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return 1.0;
    }
    let mut all: Vec<(f64, usize)> = a.iter().map(|v| (*v, 0)).chain(b.iter().map(|v| (*v, 1))).collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = all.len();
    let mut rank_sum_a = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        #[allow(clippy::cast_precision_loss, reason = "sample sizes")]
        let (rank, t) = ((i + j) as f64 / 2.0 + 1.0, (j - i + 1) as f64);
        tie_term += t * t * t - t;
        rank_sum_a += rank * all[i..=j].iter().filter(|(_, side)| *side == 0).count() as f64;
        i = j + 1;
    }
    #[allow(clippy::cast_precision_loss, reason = "sample sizes")]
    let (n1, n2, n) = (n1 as f64, n2 as f64, n as f64);
    let u1 = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let u = u1.max(n1 * n2 - u1);
    let mean = n1 * n2 / 2.0;
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if variance <= 0.0 {
        return 1.0;
    }
    let z = (u - mean - 0.5) / variance.sqrt();
    (2.0 * (1.0 - normal_cdf(z))).clamp(0.0, 1.0)
}

/// The Hodges-Lehmann shift from `base` to `new` and its `1 - alpha`
/// confidence interval, as absolute differences (`new - base`): the median of
/// every pairwise difference and two of its order statistics. The n*m
/// differences are never made: each order statistic is found by bisection
/// over the values, counting the differences below a candidate with two
/// pointers in the sorted samples (O((n+m) log) time, O(n+m) memory).
#[must_use]
pub fn shift_interval(base: &[f64], new: &[f64], alpha: f64) -> Option<(f64, f64, f64)> {
    if base.is_empty() || new.is_empty() {
        return None;
    }
    let (base, new) = (sorted(base), sorted(new));
    let count = (base.len() as u64) * (new.len() as u64);
    let kth = |k: u64| pairwise_difference(&base, &new, k);
    // The median of the differences, interpolated between the middle two.
    let half = (count - 1) / 2;
    let estimate = if count % 2 == 1 { kth(half) } else { (kth(half) + kth(half + 1)) / 2.0 };
    #[allow(clippy::cast_precision_loss, reason = "sample sizes")]
    let (m, n, total) = (base.len() as f64, new.len() as f64, count as f64);
    let z = normal_quantile(1.0 - alpha / 2.0);
    let k = (m * n / 2.0 - z * (m * n * (m + n + 1.0) / 12.0).sqrt()).floor();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0 <= k < count")]
    let k = k.clamp(0.0, total - 1.0) as u64;
    Some((estimate, kth(k), kth(count - 1 - k)))
}

/// The `k`-th smallest (from 0) of `y - x` over every `x` of `base` and `y`
/// of `new`, both sorted ascending.
fn pairwise_difference(base: &[f64], new: &[f64], k: u64) -> f64 {
    // How many differences are at most `t`: for each y (ascending) the x with
    // y - x <= t are a suffix of `base` that starts further right as y grows.
    let at_most = |t: f64| -> u64 {
        let (mut first, mut count) = (0usize, 0u64);
        for y in new {
            while first < base.len() && y - base[first] > t {
                first += 1;
            }
            count += (base.len() - first) as u64;
        }
        count
    };
    // Bisection over the floats' total order (a difference's bits, made
    // monotone): the smallest `t` with more than `k` differences at most `t`
    // is itself a difference.
    let key = |v: f64| {
        let bits = v.to_bits().cast_signed();
        bits ^ (((bits >> 63).cast_unsigned() >> 1).cast_signed())
    };
    let value = |key: i64| {
        let bits = key ^ (((key >> 63).cast_unsigned() >> 1).cast_signed());
        f64::from_bits(bits.cast_unsigned())
    };
    let (mut low, mut high) = (key(new[0] - base[base.len() - 1]), key(new[new.len() - 1] - base[0]));
    while low < high {
        // The midpoint without overflow: the keys span most of i64.
        let mid = i64::try_from((i128::from(low) + i128::from(high)).div_euclid(2)).unwrap_or(low);
        if at_most(value(mid)) > k { high = mid } else { low = mid + 1 }
    }
    value(low)
}

/// The two-sample Kolmogorov-Smirnov statistic `D` (the largest distance
/// between the two empirical distributions) and its two-sided p-value from
/// Kolmogorov's asymptotic distribution at `D * sqrt(mn / (m + n))`. It sees a
/// change of spread that the Mann-Whitney U test, which compares locations,
/// misses. `(0, 1)` when either sample is empty.
#[must_use]
pub fn ks_2samp(a: &[f64], b: &[f64]) -> (f64, f64) {
    if a.is_empty() || b.is_empty() {
        return (0.0, 1.0);
    }
    let (a, b) = (sorted(a), sorted(b));
    #[allow(clippy::cast_precision_loss, reason = "sample sizes")]
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        // Step past every value equal to the smaller one, in both samples.
        let v = a[i].min(b[j]);
        while i < a.len() && a[i] <= v {
            i += 1;
        }
        while j < b.len() && b[j] <= v {
            j += 1;
        }
        #[allow(clippy::cast_precision_loss, reason = "sample sizes")]
        let gap = (i as f64 / n - j as f64 / m).abs();
        d = d.max(gap);
    }
    (d, kolmogorov_sf(d * (n * m / (n + m)).sqrt()))
}

/// The survival function of Kolmogorov's distribution (scipy's
/// `kstwobign.sf`): the alternating series for large `x`, the theta-function
/// form of the distribution function for small `x`, where each converges fast.
fn kolmogorov_sf(x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x < 1.0 {
        let pi = std::f64::consts::PI;
        let w = -pi * pi / (8.0 * x * x);
        let mut cdf = 0.0;
        for k in 1..=20_i32 {
            let odd = f64::from(2 * k - 1);
            cdf += (w * odd * odd).exp();
        }
        return (1.0 - (2.0 * pi).sqrt() / x * cdf).clamp(0.0, 1.0);
    }
    let mut sf = 0.0;
    for k in 1..=100_i32 {
        let term = (-2.0 * f64::from(k * k) * x * x).exp();
        sf += if k % 2 == 1 { term } else { -term };
        if term < 1e-18 {
            break;
        }
    }
    (2.0 * sf).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_as_numpy_does() {
        let s = Summary::of(&[4.0, 1.0, 3.0, 2.0]);
        assert_eq!((s.n, s.median, s.mean, s.q1, s.q3), (4, 2.5, 2.5, 1.75, 3.25));
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
        assert!((normal_quantile(0.001) + 3.090_232_306_167_813_5).abs() < 1e-12);
        assert_eq!(mann_whitney_p(&[1.0, 1.0], &[1.0, 1.0]), 1.0);
        assert_eq!(shift_interval(&[], &[1.0], 0.05), None);
        // numpy: np.std([4, 1, 3, 2], ddof=1) / 2.5 * 100 = 51.639777949432225
        assert!((s.cv_percent - 51.639_777_949_432_22).abs() < 1e-9, "{}", s.cv_percent);
        assert_eq!((s.min, s.max), (1.0, 4.0));
        assert!(Summary::of(&[3.0]).cv_percent.is_nan());
    }

    #[test]
    fn numbers_show_four_significant_digits() {
        let cases = [
            (7143.2, "7143"),
            (0.461_23, "0.4612"),
            (13.0, "13"),
            (-2.5, "-2.5"),
            (1_234_567_890.0, "1.235e9"),
            (0.000_012_34, "1.234e-5"),
            (999_999.0, "999999"),
            (9999.5, "10000"),
            (0.0, "0"),
            (100.0, "100"),
        ];
        for (value, shown) in cases {
            assert_eq!(significant(value), shown, "{value}");
        }
    }

    #[test]
    fn a_summary_reads_as_one_line() {
        let s = Summary::of(&[6947.0, 7143.0, 7343.0]);
        assert_eq!(
            s.describe(Some("MB_per_sec"), true),
            "median 7143 MB_per_sec, IQR 7045-7243, CV 2.771%, n=3, higher is better"
        );
        assert_eq!(Summary::of(&[0.25]).describe(Some("s"), false), "0.25 s, n=1, lower is better");
        assert_eq!(Summary::of(&[]).describe(None, false), "no values (lower is better)");
    }
}
