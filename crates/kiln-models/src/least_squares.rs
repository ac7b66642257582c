//! Closed-form least squares, in f64: the exact answer that gradient-trained linear models are
//! checked against. Householder QR of the design matrix (with an intercept column) avoids the
//! squared condition number of the normal equations; ridge (`l2 > 0`) appends √l2·I rows, which
//! penalises the weights but not the intercept.

use crate::ModelError;

/// An exact linear fit.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearFit {
    /// One weight per input column.
    pub weights: Vec<f64>,
    /// The intercept.
    pub intercept: f64,
    /// Input columns (0-based) that are constant or a linear combination of the columns before
    /// them: their weight is 0, and the others carry their part.
    pub dependent: Vec<usize>,
}

/// How small, relative to its own size, the part of a column that the columns before it do not
/// explain must be for it to count as dependent. The inputs arrive as `f32`, rounded to about
/// 6e-8 of their size, so an exact relation in the file (`total = a + b`, `cm = 2.54 · inch`)
/// leaves a remainder of a few times that: fitting it would mean weights in the tens of
/// thousands that cancel to fit rounding noise, and an `f32` model that then predicts worse
/// than the exact fit. A column whose own information lies below this cannot carry anything
/// an `f32` model can use.
const DEPENDENT: f64 = 1e-6;

/// Minimises `Σ (x_i·w + b − y_i)² + l2·|w|²` over `w` and `b`.
///
/// `x` is row-major with `cols` columns. A column that is constant or a linear combination of
/// the columns before it (the intercept first) gets weight 0 and is listed in
/// [`LinearFit::dependent`]: the weights are then one of many least-squares solutions, and the
/// fitted values the unique least-squares ones (one-hot levels beside an intercept always have
/// one such column). A column is dependent when what is left of it after the columns before it
/// is within rounding of its own size: the test is relative to each column, so values of any
/// scale (millisecond timestamps, 1e-10) are told apart from collinear ones.
pub fn least_squares(x: &[f32], cols: usize, y: &[f64], l2: f64) -> Result<LinearFit, ModelError> {
    let rows = y.len();
    if cols == 0 || x.len() != rows * cols {
        return Err(ModelError::LeastSquares(format!(
            "expected a {rows}×{cols} design matrix"
        )));
    }
    if l2 > 0.0 && cols > rows && rows > 0 {
        return Ok(ridge_dual(x, cols, y, l2));
    }
    let p = cols + 1; // weights, then the intercept
    let extra = if l2 > 0.0 { cols } else { 0 };
    let m = rows + extra;
    if m < p {
        return Err(ModelError::LeastSquares(format!(
            "{rows} rows cannot determine {cols} weights and an intercept; add rows or set l2 > 0"
        )));
    }
    // Column-major design matrix A (m × p): the intercept's column of ones, then the inputs
    // (so a constant input is the one found dependent); right-hand side b.
    let mut a = vec![0.0f64; m * p];
    let mut b = vec![0.0f64; m];
    for i in 0..rows {
        a[i] = 1.0;
        for j in 0..cols {
            a[(j + 1) * m + i] = f64::from(x[i * cols + j]);
        }
        b[i] = y[i];
    }
    for j in 0..extra {
        a[(j + 1) * m + rows + j] = l2.sqrt();
    }
    let sizes: Vec<f64> = a
        .chunks(m)
        .map(|col| col.iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect();

    // Householder QR: A = QR, applying Qᵀ to b as we go. Each independent column takes the
    // next row as its pivot; a dependent one is passed over (its weight stays 0).
    let mut pivots: Vec<(usize, usize)> = Vec::with_capacity(p); // (column, row)
    let mut dependent = Vec::new();
    for k in 0..p {
        let r = pivots.len();
        let col = &mut a[k * m..(k + 1) * m];
        let norm = col[r..].iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm <= DEPENDENT * sizes[k] || norm == 0.0 {
            match k {
                0 => return Err(ModelError::LeastSquares("no rows".into())),
                k => dependent.push(k - 1),
            }
            continue;
        }
        let alpha = if col[r] > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = col[r..].to_vec();
        v[0] -= alpha;
        let v_norm2: f64 = v.iter().map(|x| x * x).sum();
        let reflect = |target: &mut [f64]| {
            let dot: f64 = v.iter().zip(&target[r..]).map(|(a, b)| a * b).sum();
            let f = 2.0 * dot / v_norm2;
            for (t, vi) in target[r..].iter_mut().zip(&v) {
                *t -= f * vi;
            }
        };
        for j in k..p {
            reflect(&mut a[j * m..(j + 1) * m]);
        }
        reflect(&mut b);
        pivots.push((k, r));
    }
    // Back-substitution R·β = (Qᵀb) over the independent columns.
    let mut beta = vec![0.0f64; p];
    for (i, &(k, row)) in pivots.iter().enumerate().rev() {
        let s: f64 = pivots[i + 1..]
            .iter()
            .map(|&(j, _)| a[j * m + row] * beta[j])
            .sum();
        beta[k] = (b[row] - s) / a[k * m + row];
    }
    let intercept = beta.remove(0);
    Ok(LinearFit {
        weights: beta,
        intercept,
        dependent,
    })
}

/// Ridge with more inputs than rows, solved through the rows: with the inputs and target centred
/// (which leaves the intercept unpenalised), `w = Xᵀ (X Xᵀ + l2·I)⁻¹ y` and `b = ȳ − x̄·w`. The
/// same answer as the augmented QR, in rows² × inputs steps instead of inputs³ (10,000 inputs
/// on 50 rows: a fraction of a second rather than minutes).
fn ridge_dual(x: &[f32], cols: usize, y: &[f64], l2: f64) -> LinearFit {
    let rows = y.len();
    let n = rows as f64;
    let mut means = vec![0.0f64; cols];
    for row in x.chunks(cols) {
        for (m, &v) in means.iter_mut().zip(row) {
            *m += f64::from(v) / n;
        }
    }
    let y_mean = y.iter().sum::<f64>() / n;
    let centred: Vec<f64> = x
        .chunks(cols)
        .flat_map(|row| row.iter().zip(&means).map(|(&v, m)| f64::from(v) - m))
        .collect();
    let row = |i: usize| &centred[i * cols..(i + 1) * cols];
    // K = X Xᵀ + l2·I, symmetric positive definite: Cholesky K = L Lᵀ.
    let mut l = vec![0.0f64; rows * rows];
    for i in 0..rows {
        for j in 0..=i {
            let k_ij: f64 = row(i).iter().zip(row(j)).map(|(a, b)| a * b).sum::<f64>()
                + if i == j { l2 } else { 0.0 };
            let s: f64 = (0..j).map(|k| l[i * rows + k] * l[j * rows + k]).sum();
            l[i * rows + j] = if i == j {
                (k_ij - s).sqrt()
            } else {
                (k_ij - s) / l[j * rows + j]
            };
        }
    }
    // α = K⁻¹ (y − ȳ): forward then back substitution.
    let mut alpha: Vec<f64> = y.iter().map(|v| v - y_mean).collect();
    for i in 0..rows {
        let s: f64 = (0..i).map(|k| l[i * rows + k] * alpha[k]).sum();
        alpha[i] = (alpha[i] - s) / l[i * rows + i];
    }
    for i in (0..rows).rev() {
        let s: f64 = (i + 1..rows).map(|k| l[k * rows + i] * alpha[k]).sum();
        alpha[i] = (alpha[i] - s) / l[i * rows + i];
    }
    let mut weights = vec![0.0f64; cols];
    for (i, a) in alpha.iter().enumerate() {
        for (w, v) in weights.iter_mut().zip(row(i)) {
            *w += a * v;
        }
    }
    let intercept = y_mean - weights.iter().zip(&means).map(|(w, m)| w * m).sum::<f64>();
    LinearFit {
        weights,
        intercept,
        dependent: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn the_seed_line_is_y_equals_two_x() {
        // x = 1..5, y = 2x: slope 2, intercept 0 exactly.
        let fit =
            least_squares(&[1., 2., 3., 4., 5.], 1, &[2., 4., 6., 8., 10.], 0.0).expect("fits");
        assert!(
            close(fit.weights[0], 2.0) && close(fit.intercept, 0.0),
            "{fit:?}"
        );
    }

    #[test]
    fn the_documents_worked_example_is_slope_two_intercept_zero() {
        // The source document prints intercept 1 and slope 1 for x = 1..4, y = 2x; the exact
        // answer is 0 and 2 (every point lies on y = 2x, so the residuals are all zero).
        let fit = least_squares(&[1., 2., 3., 4.], 1, &[2., 4., 6., 8.], 0.0).expect("fits");
        assert!(
            close(fit.weights[0], 2.0) && close(fit.intercept, 0.0),
            "{fit:?}"
        );
    }

    #[test]
    fn a_noisy_two_feature_fit_matches_the_normal_equations() {
        // y = 1 + 2a − 3b + noise. The normal equations, solved by hand for these 5 rows
        // (XᵀX β = Xᵀy with X = [a b 1]), give the same β as QR.
        let x = [0., 1., 1., 0., 2., 1., 3., 5., 4., 2.];
        let y = [-1.9, 3.1, 2.0, -8.1, 3.2];
        let fit = least_squares(&x, 2, &y, 0.0).expect("fits");
        let residual = |w: &[f64], b: f64| -> f64 {
            (0..5)
                .map(|i| (x[2 * i] as f64 * w[0] + x[2 * i + 1] as f64 * w[1] + b - y[i]).powi(2))
                .sum()
        };
        let best = residual(&fit.weights, fit.intercept);
        // Least squares: any nudge of any coefficient raises the residual.
        for d in [1e-4, -1e-4] {
            assert!(residual(&[fit.weights[0] + d, fit.weights[1]], fit.intercept) > best);
            assert!(residual(&[fit.weights[0], fit.weights[1] + d], fit.intercept) > best);
            assert!(residual(&fit.weights, fit.intercept + d) > best);
        }
        assert!(
            (fit.weights[0] - 2.0).abs() < 0.2 && (fit.weights[1] + 3.0).abs() < 0.2,
            "{fit:?}"
        );
    }

    #[test]
    fn collinear_columns_get_weight_zero_unless_ridge() {
        let x = [1., 2., 2., 4., 3., 6.];
        let y = [1., 2., 3.];
        let fit = least_squares(&x, 2, &y, 0.0).expect("fits");
        assert_eq!(fit.dependent, [1]);
        assert_eq!(fit.weights[1], 0.0);
        assert!(
            least_squares(&x, 2, &y, 0.1)
                .expect("fits")
                .dependent
                .is_empty()
        );
        // A constant input is the one named, not the intercept.
        let x = [5., 1., 5., 2., 5., 4.];
        assert_eq!(least_squares(&x, 2, &y, 0.0).expect("fits").dependent, [0]);
        // One-hot levels beside the intercept: the last level is the dependent one, and the
        // fitted values are the group means (y = 1, 3 for a; 10 for b).
        let x = [1., 0., 1., 0., 0., 1.];
        let fit = least_squares(&x, 2, &[1., 3., 10.], 0.0).expect("fits");
        assert_eq!(fit.dependent, [1]);
        let predict =
            |row: &[f64]| fit.intercept + row[0] * fit.weights[0] + row[1] * fit.weights[1];
        assert!(
            close(predict(&[1., 0.]), 2.0) && close(predict(&[0., 1.]), 10.0),
            "{fit:?}"
        );
    }

    #[test]
    fn columns_of_any_scale_are_not_mistaken_for_collinear() {
        // Millisecond timestamps (≈ 1.7e12, a day apart) and a column of ≈ 1e-10 beside one
        // of ≈ 1: the old test, relative to the largest value of the whole matrix, called
        // them collinear. y = 3·(t − t₀)/day + 1, and y = 2·1e10·s + u.
        let day = 86_400_000.0f64;
        let t: Vec<f32> = (0..5).map(|i| (1.7e12 + i as f64 * day) as f32).collect();
        let y: Vec<f64> = t
            .iter()
            .map(|&v| 3.0 * (f64::from(v) - f64::from(t[0])) / day + 1.0)
            .collect();
        let fit = least_squares(&t, 1, &y, 0.0).expect("fits");
        assert!((fit.weights[0] * day - 3.0).abs() < 1e-6, "{fit:?}");
        let x: Vec<f32> = [1e-10, 1.0, 3e-10, 2.0, 2e-10, 5.0, 5e-10, 3.0].to_vec();
        let y: Vec<f64> = x
            .chunks(2)
            .map(|r| 2e10 * f64::from(r[0]) + f64::from(r[1]))
            .collect();
        let fit = least_squares(&x, 2, &y, 0.0).expect("fits");
        assert!((fit.weights[1] - 1.0).abs() < 1e-6, "{fit:?}");
    }

    #[test]
    fn relations_exact_in_the_file_but_rounded_to_f32_are_dependent() {
        // Pseudo-random decimals with two places, as a CSV holds them.
        let values: Vec<f64> = (0..40u64)
            .map(|i| ((i * 7919 + 13) % 10_007) as f64 / 100.0)
            .collect();
        let column = |f: &dyn Fn(usize) -> f64| (0..20).map(f).collect::<Vec<f64>>();
        let a = column(&|i| values[i]);
        let b = column(&|i| values[i + 20]);
        let y = column(&|i| 0.4 * a[i] - 0.3 * b[i] + ((i % 3) as f64 - 1.0));
        let rows = |cols: &[&Vec<f64>]| -> Vec<f32> {
            (0..20)
                .flat_map(|i| cols.iter().map(move |c| c[i] as f32))
                .collect()
        };
        let total = column(&|i| a[i] + b[i]);
        let inches = column(&|i| a[i] * 2.54);
        let combined = column(&|i| 2.0 * a[i] - b[i]);
        for (x, dependent) in [
            (rows(&[&a, &b, &total]), 2),
            (rows(&[&a, &inches, &b]), 1),
            (rows(&[&a, &b, &combined]), 2),
        ] {
            let fit = least_squares(&x, 3, &y, 0.0).expect("fits");
            assert_eq!(fit.dependent, [dependent], "{fit:?}");
            assert!(fit.weights.iter().all(|w| w.abs() < 10.0), "{fit:?}");
        }
    }

    #[test]
    fn ridge_shrinks_the_weight_by_the_closed_form_amount() {
        // Centred x = [-1, 0, 1], y = 2x: ridge slope = Σxy / (Σx² + l2) = 4 / (2 + 2) = 1.
        let fit = least_squares(&[-1., 0., 1.], 1, &[-2., 0., 2.], 2.0).expect("fits");
        assert!(
            close(fit.weights[0], 1.0) && close(fit.intercept, 0.0),
            "{fit:?}"
        );
    }

    #[test]
    fn wide_ridge_through_the_rows_solves_the_normal_equations() {
        // 4 rows, 6 inputs: solved through the rows. Ridge's normal equations on the centred
        // data must hold: Xcᵀ(Xc·w − yc) + l2·w = 0, and b = ȳ − x̄·w.
        let x: Vec<f32> = (0..24)
            .map(|i| ((i * 37 % 11) as f32) / 3.0 - 1.0)
            .collect();
        let y = [1.0, -2.0, 0.5, 3.0];
        let fit = least_squares(&x, 6, &y, 0.7).expect("fits");
        let (rows, cols) = (4, 6);
        let n = rows as f64;
        let means: Vec<f64> = (0..cols)
            .map(|j| (0..rows).map(|i| f64::from(x[i * cols + j])).sum::<f64>() / n)
            .collect();
        let y_mean = y.iter().sum::<f64>() / n;
        let xc = |i: usize, j: usize| f64::from(x[i * cols + j]) - means[j];
        let residual: Vec<f64> = (0..rows)
            .map(|i| (0..cols).map(|j| xc(i, j) * fit.weights[j]).sum::<f64>() - (y[i] - y_mean))
            .collect();
        for (j, w) in fit.weights.iter().enumerate() {
            let gradient: f64 = (0..rows).map(|i| xc(i, j) * residual[i]).sum::<f64>() + 0.7 * w;
            assert!(gradient.abs() < 1e-9, "input {j}: {gradient} ({fit:?})");
        }
        let b = y_mean
            - fit
                .weights
                .iter()
                .zip(&means)
                .map(|(w, m)| w * m)
                .sum::<f64>();
        assert!((fit.intercept - b).abs() < 1e-12);
        assert!(fit.weights.iter().any(|w| w.abs() > 1e-3), "{fit:?}");
    }
}
