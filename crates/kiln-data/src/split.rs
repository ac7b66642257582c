//! Train / valid / test splits: random or stratified, seeded, or the test rows read from a file.

use crate::{DataError, SeededRng};

/// Row positions of each split.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SplitRows {
    /// Training rows.
    pub train: Vec<usize>,
    /// Validation rows (may be empty when no validation split was asked for).
    pub valid: Vec<usize>,
    /// Test rows (may be empty when no test split was asked for).
    pub test: Vec<usize>,
}

/// Splits `rows` (the usable data rows) by the shares `valid` and `test`. With `classes`
/// (one class index per data row) each class is split on its own, so every split keeps the
/// class proportions. `fixed_test`, when given, is the test split and `test` is ignored.
pub fn split_rows(
    rows: &[usize],
    valid: f64,
    test: f64,
    classes: Option<&[u32]>,
    fixed_test: Option<&[usize]>,
    seed: u64,
) -> Result<SplitRows, DataError> {
    let mut rng = SeededRng::new(seed);
    let mut out = SplitRows::default();
    let (pool, test_share): (Vec<usize>, f64) = match fixed_test {
        Some(fixed) => {
            let fixed_set: std::collections::HashSet<usize> = fixed.iter().copied().collect();
            out.test = rows
                .iter()
                .copied()
                .filter(|r| fixed_set.contains(r))
                .collect();
            (
                rows.iter()
                    .copied()
                    .filter(|r| !fixed_set.contains(r))
                    .collect(),
                0.0,
            )
        }
        None => (rows.to_vec(), test),
    };
    // With a fixed test set, `valid` is a share of all rows, taken from what remains.
    let valid_share = if fixed_test.is_some() && !pool.is_empty() {
        (valid * rows.len() as f64 / pool.len() as f64).min(0.99)
    } else {
        valid
    };
    let groups: Vec<Vec<usize>> = match classes {
        Some(classes) => {
            let n_classes = pool
                .iter()
                .map(|&r| classes[r] as usize + 1)
                .max()
                .unwrap_or(0);
            // Sized first: on a large file, vectors grown by doubling leave freed copies that
            // the allocator keeps, and memory peaks soon after.
            let mut sizes = vec![0usize; n_classes];
            pool.iter().for_each(|&r| sizes[classes[r] as usize] += 1);
            let mut groups: Vec<Vec<usize>> = sizes.into_iter().map(Vec::with_capacity).collect();
            for &r in &pool {
                groups[classes[r] as usize].push(r);
            }
            drop(pool);
            groups
        }
        None => vec![pool],
    };
    // The whole split's sizes are the shares of all rows; each class gets its part of them
    // (rounding each class on its own made 0.25 of ten 2-row classes half the rows).
    let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
    let pooled: usize = sizes.iter().sum();
    let test_parts = apportion(&sizes, (pooled as f64 * test_share).round() as usize);
    let left: Vec<usize> = sizes.iter().zip(&test_parts).map(|(n, t)| n - t).collect();
    let valid_total = ((pooled as f64 * valid_share).round() as usize).min(left.iter().sum());
    let valid_parts = apportion(&left, valid_total);
    let (n_test, n_valid) = (test_parts.iter().sum::<usize>(), valid_total);
    out.test.reserve_exact(n_test);
    out.valid.reserve_exact(n_valid);
    out.train
        .reserve_exact(rows.len().saturating_sub(out.test.len() + n_test + n_valid));
    for ((mut group, n_test), n_valid) in groups.into_iter().zip(test_parts).zip(valid_parts) {
        rng.shuffle(&mut group);
        out.test.extend_from_slice(&group[..n_test]);
        out.valid
            .extend_from_slice(&group[n_test..n_test + n_valid]);
        out.train.extend_from_slice(&group[n_test + n_valid..]);
    }
    for split in [&mut out.train, &mut out.valid, &mut out.test] {
        split.sort_unstable();
    }
    let empty = |split: &str, share: f64| DataError::EmptySplit {
        split: split.to_string(),
        reason: format!(
            "a share of {} of {} usable rows rounds to none; raise the share or use more data",
            (share * 1e6).round() / 1e6,
            rows.len()
        ),
    };
    if out.train.is_empty() {
        return Err(DataError::EmptySplit {
            split: "train".into(),
            reason: format!(
                "the validation and test rows take all {} usable rows; lower split.valid or \
                 split.test, or list fewer test_rows",
                rows.len()
            ),
        });
    }
    if valid > 0.0 && out.valid.is_empty() {
        return Err(empty("valid", valid));
    }
    if let (Some(fixed), true) = (fixed_test, out.test.is_empty()) {
        return Err(DataError::EmptySplit {
            split: "test".into(),
            reason: format!(
                "none of the {} rows listed in split.test_rows is usable (each has a missing \
                 cell that missing = \"drop\" skips, or a missing target)",
                fixed.len()
            ),
        });
    }
    if test > 0.0 && out.test.is_empty() {
        return Err(empty("test", test));
    }
    Ok(out)
}

/// Splits `total` into parts proportional to `sizes` (each part at most its size), by largest
/// remainders: every part gets the whole units of its share, and the units left over go to the
/// largest fractions (the first of equal ones), so the parts sum to exactly `total`.
fn apportion(sizes: &[usize], total: usize) -> Vec<usize> {
    let all: usize = sizes.iter().sum();
    if all == 0 {
        return vec![0; sizes.len()];
    }
    let total = total.min(all);
    let exact: Vec<f64> = sizes
        .iter()
        .map(|&n| n as f64 * total as f64 / all as f64)
        .collect();
    let mut parts: Vec<usize> = exact.iter().map(|&e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    let mut left = total - parts.iter().sum::<usize>();
    for &i in order.iter().cycle().take(sizes.len() * 2) {
        if left == 0 {
            break;
        }
        if parts[i] < sizes[i] {
            parts[i] += 1;
            left -= 1;
        }
    }
    parts
}

/// Deals `rows` into `k` folds of near-equal size, each class spread evenly over the folds when
/// `classes` is given. Every fold must end up with at least one row.
pub fn kfold_rows(
    rows: &[usize],
    k: usize,
    classes: Option<&[u32]>,
    seed: u64,
) -> Result<Vec<Vec<usize>>, DataError> {
    if rows.len() < k {
        return Err(DataError::InvalidConfig {
            key: "kfold".into(),
            reason: format!(
                "{k} folds need at least {k} training rows, found {}",
                rows.len()
            ),
        });
    }
    let mut rng = SeededRng::new(seed ^ 0x006B_666F_6C64);
    let mut ordered: Vec<usize> = rows.to_vec();
    rng.shuffle(&mut ordered);
    if let Some(classes) = classes {
        // Grouped by class, shuffled within: dealing round-robin spreads each class evenly.
        ordered.sort_by_key(|&r| classes[r]);
    }
    let mut folds = vec![Vec::new(); k];
    for (i, row) in ordered.into_iter().enumerate() {
        folds[i % k].push(row);
    }
    folds.iter_mut().for_each(|f| f.sort_unstable());
    Ok(folds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratified_split_keeps_proportions_and_partitions_rows() {
        // 80 rows of class 0, 20 of class 1.
        let classes: Vec<u32> = (0..100).map(|i| u32::from(i >= 80)).collect();
        let rows: Vec<usize> = (0..100).collect();
        let s = split_rows(&rows, 0.1, 0.2, Some(&classes), None, 42).expect("splits");
        assert_eq!((s.train.len(), s.valid.len(), s.test.len()), (70, 10, 20));
        assert_eq!(s.test.iter().filter(|&&r| classes[r] == 1).count(), 4);
        let mut all: Vec<usize> = [s.train, s.valid, s.test].concat();
        all.sort_unstable();
        assert_eq!(all, rows);
    }

    #[test]
    fn kfold_partitions_rows_and_spreads_each_class() {
        let classes: Vec<u32> = (0..50).map(|i| u32::from(i < 10)).collect();
        let rows: Vec<usize> = (0..50).collect();
        let folds = kfold_rows(&rows, 5, Some(&classes), 3).expect("folds");
        assert!(
            folds
                .iter()
                .all(|f| f.len() == 10 && f.iter().filter(|&&r| classes[r] == 1).count() == 2)
        );
        let mut all: Vec<usize> = folds.concat();
        all.sort_unstable();
        assert_eq!(all, rows);
        assert!(kfold_rows(&rows[..3], 5, None, 3).is_err());
    }

    #[test]
    fn an_empty_split_is_an_error() {
        let rows: Vec<usize> = (0..3).collect();
        let err = split_rows(&rows, 0.0, 0.1, None, None, 1).unwrap_err();
        assert!(matches!(err, DataError::EmptySplit { .. }), "{err}");
    }

    #[test]
    fn fixed_test_rows_are_the_test_split() {
        let rows: Vec<usize> = (0..10).collect();
        let s = split_rows(&rows, 0.0, 0.5, None, Some(&[2, 5]), 1).expect("splits");
        assert_eq!(s.test, [2, 5]);
        assert_eq!(s.train.len(), 8);
    }

    #[test]
    fn stratified_shares_are_shares_of_all_rows() {
        // Ten classes of two rows: rounding each class on its own gave 10 test rows for 0.25
        // and none (an error) for 0.2.
        let rows: Vec<usize> = (0..20).collect();
        let classes: Vec<u32> = (0..20).map(|r| r / 2).collect();
        for (share, expected) in [(0.25, 5), (0.2, 4), (0.5, 10)] {
            let s = split_rows(&rows, 0.0, share, Some(&classes), None, 7).expect("splits");
            assert_eq!(s.test.len(), expected, "test = {share}");
            assert_eq!(s.train.len(), 20 - expected);
        }
        // Proportions are kept where they can be: 0.5 of 6 + 2 rows is 3 + 1.
        let classes: Vec<u32> = (0..8).map(|r| u32::from(r >= 6)).collect();
        let rows: Vec<usize> = (0..8).collect();
        let s = split_rows(&rows, 0.0, 0.5, Some(&classes), None, 7).expect("splits");
        let of = |c: u32| s.test.iter().filter(|&&r| classes[r] == c).count();
        assert_eq!((of(0), of(1)), (3, 1));
    }

    #[test]
    fn apportioned_parts_sum_to_the_total_and_fit_their_sizes() {
        assert_eq!(apportion(&[6, 1], 4), [3, 1]);
        assert_eq!(apportion(&[2, 2, 2], 2), [1, 1, 0]);
        assert_eq!(apportion(&[1, 0, 3], 9), [1, 0, 3]);
        assert_eq!(apportion(&[], 3), Vec::<usize>::new());
    }
}
