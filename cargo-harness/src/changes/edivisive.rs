//! E-Divisive means (Matteson and James, 2014) on one window: the point that
//! best separates a piece by the energy distance of its two sides, found
//! again in the pieces it leaves, while the t-test between the sides of each
//! new point is significant.

use super::{intervals, judge, significant};

/// The change points of `window` (indexes into it), in order.
pub(super) fn detect(window: &[f64], max_pvalue: f64) -> Vec<usize> {
    let n = window.len();
    // Every distance |x_i - x_j|, and per column the sums of its first rows.
    let distance: Vec<f64> = (0..n * n).map(|k| (window[k / n] - window[k % n]).abs()).collect();
    let mut prefix = vec![0.0; (n + 1) * n];
    for column in 0..n {
        for row in 0..n {
            prefix[(row + 1) * n + column] = prefix[row * n + column] + distance[row * n + column];
        }
    }
    // The sum of distance[i][column] for i in [from, to).
    let column_sum = |from: usize, to: usize, column: usize| prefix[to * n + column] - prefix[from * n + column];
    let mut points: Vec<usize> = Vec::new();
    loop {
        let pieces = intervals(&points, n);
        let candidate = pieces
            .iter()
            .filter(|(start, end)| end - start > 1)
            .map(|&(start, end)| candidate(start, end, &column_sum))
            // The first piece's candidate among equals, as Python's max.
            .fold(None, |best: Option<(usize, f64)>, c| match best {
                Some(b) if b.1 >= c.1 => Some(b),
                _ => Some(c),
            });
        let Some((index, _)) = candidate else { break };
        let point = judge(index, window, &pieces);
        if !significant(point.pvalue, max_pvalue) {
            break;
        }
        points.push(index);
        points.sort_unstable();
    }
    points
}

/// The best split of `[start, end)`: the τ of the pair (τ, κ),
/// `start < τ < κ <= end`, that maximises the divergence Q between
/// `[start, τ)` and `[τ, κ)`, with Q's value. As Otava's matrix of Q (whose
/// cells with κ <= τ hold 0) and numpy's `argmax` over it: the first maximum
/// in row order, a cell of 0 included.
fn candidate(start: usize, end: usize, column_sum: &impl Fn(usize, usize, usize) -> f64) -> (usize, f64) {
    let size = end - 1 - start;
    let mut best = (start + 1, f64::NEG_INFINITY);
    // Σ over i < k < τ of |x_i - x_k|, within the left side.
    let mut within_left = 0.0;
    for row in 0..size {
        let tau = start + 1 + row;
        if tau > start + 1 {
            within_left += column_sum(start, tau - 1, tau - 1);
        }
        let mut cross = 0.0;
        let mut within_right = 0.0;
        for col in 0..size {
            let kappa = start + 2 + col;
            let q = if kappa <= tau {
                0.0
            } else {
                // The new point kappa - 1 joins the right side.
                let added = kappa - 1;
                cross += column_sum(start, tau, added);
                within_right += column_sum(tau, added, added);
                #[allow(clippy::cast_precision_loss, reason = "window sizes")]
                let (left_n, right_n) = ((tau - start) as f64, (kappa - tau) as f64);
                let total = left_n + right_n;
                let a = 2.0 / total * cross;
                let b = if left_n > 1.0 { 2.0 * right_n / total / (left_n - 1.0) * within_left } else { 0.0 };
                let c = if right_n > 1.0 { 2.0 * left_n / total / (right_n - 1.0) * within_right } else { 0.0 };
                a - b - c
            };
            if q > best.1 {
                best = (tau, q);
            }
        }
    }
    best
}
