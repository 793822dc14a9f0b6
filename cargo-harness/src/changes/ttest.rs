//! Student's two-sample t-test as Otava uses it to judge a split: the two
//! sides' means and (population) standard deviations, pooled variance, and
//! the two-sided p-value from the t distribution.

/// The two-sided p-value of Student's t-test with a pooled variance, given
/// each side's mean, standard deviation and size (scipy's
/// `ttest_ind_from_stats(mean1, std1, n1, mean2, std2, n2)`); 1 for fewer
/// than three values in all.
pub(super) fn p_value(mean1: f64, std1: f64, n1: usize, mean2: f64, std2: f64, n2: usize) -> f64 {
    if n1 + n2 <= 2 {
        return 1.0;
    }
    #[allow(clippy::cast_precision_loss, reason = "series lengths")]
    let (a, b) = (n1 as f64, n2 as f64);
    let df = a + b - 2.0;
    let pooled = ((a - 1.0) * std1 * std1 + (b - 1.0) * std2 * std2) / df;
    let t = (mean1 - mean2) / (pooled * (1.0 / a + 1.0 / b)).sqrt();
    if t.is_nan() {
        return f64::NAN;
    }
    if t.is_infinite() {
        return 0.0;
    }
    // P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2).
    regularized_beta(df / (df + t * t), df / 2.0, 0.5)
}

/// The regularized incomplete beta function I_x(a, b), by its continued
/// fraction (modified Lentz), on the side where it converges fast.
fn regularized_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * continued_fraction(x, a, b) / a
    } else {
        1.0 - front * continued_fraction(1.0 - x, b, a) / b
    }
}

fn continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=500 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scipy.stats.ttest_ind_from_stats, for these numbers.
    #[test]
    fn p_values_agree_with_scipy() {
        let cases = [
            ((1.0, 0.05, 5, 0.806, 0.03, 5), 7.337_090_476_535_611e-5),
            ((10.0, 1.0, 10, 10.0, 1.0, 10), 1.0),
            ((0.0, 1.0, 30, 0.5, 1.0, 30), 0.057_684_764_260_475_425),
        ];
        for ((m1, s1, n1, m2, s2, n2), p) in cases {
            let ours = p_value(m1, s1, n1, m2, s2, n2);
            assert!((ours - p).abs() <= 1e-12 * p.max(1e-300), "{ours} against {p}");
        }
        assert_eq!(p_value(1.0, 0.0, 1, 2.0, 0.0, 1), 1.0);
    }
}
