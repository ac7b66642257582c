//! Sums over a batch's rows in two passes. A sum down a long column (a bias gradient, the
//! batch's mean loss) is one reduction with few outputs, each running the length of the batch,
//! which leaves most of a GPU idle: on the H200 (2026-11-29), a training step of the benchmark
//! MLP at batch 65,536 took 7.6 ms with one-pass sums and 6.3 ms with these (`kiln bench
//! --one-pass-sums`, same call; 1.25× the samples per second at batch 8192). Cut into about √rows
//! groups, the same sum is two short passes: the first over the groups for every row of a group
//! (tens of thousands of outputs, a few hundred rows each), the second over one group's rows.

use burn::prelude::*;

/// How a sum over a batch's rows is laid out for the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Summation {
    /// In two passes over groups of rows ([`Summation::row_groups`]) once a batch has
    /// [`STAGED_MIN_ROWS`] rows; in one below that, where a pass is short anyway.
    #[default]
    Staged,
    /// In one pass over every row, as Burn lays it out: kept to measure the staged sums
    /// against (`kiln bench --one-pass-sums`).
    OnePass,
}

/// The fewest rows whose sums are staged. Below it every batch sums as before (and gives the
/// same numbers, bit for bit), which covers every shipped experiment.
pub const STAGED_MIN_ROWS: usize = 4096;

impl Summation {
    /// `(groups, rows per group)` for a staged sum over `rows`: as many groups as the largest
    /// divisor of `rows` not above √rows, when there are at least 16 groups of at least 16
    /// rows (7000 rows: 70 groups of 100); `None` sums in one pass (a prime number of rows).
    pub fn row_groups(self, rows: usize) -> Option<(usize, usize)> {
        if self == Self::OnePass || rows < STAGED_MIN_ROWS {
            return None;
        }
        let mut groups = rows.isqrt();
        while groups >= 16 && !rows.is_multiple_of(groups) {
            groups -= 1;
        }
        (groups >= 16 && rows / groups >= 16).then_some((groups, rows / groups))
    }

    /// The mean of every element of `values` (`[rows, k]`).
    pub fn mean(self, values: Tensor<2>) -> Tensor<1> {
        let [rows, k] = values.dims();
        match self.row_groups(rows) {
            // Equal groups: the mean of the groups' means is the mean.
            Some((groups, per_group)) => values.reshape([groups, per_group * k]).mean_dim(0).mean(),
            None => values.mean(),
        }
    }

    /// The sum of every element of `values` (`[rows, k]`).
    pub fn sum(self, values: Tensor<2>) -> Tensor<1> {
        let [rows, k] = values.dims();
        match self.row_groups(rows) {
            Some((groups, per_group)) => values.reshape([groups, per_group * k]).sum_dim(0).sum(),
            None => values.sum(),
        }
    }
}

/// The rows of a batch `[.., rows, d]`: every dimension but the last.
pub(crate) fn rows_of<const D: usize>(x: &Tensor<D>) -> usize {
    x.dims()[..D - 1].iter().product()
}

/// `product + bias` for a layer's output `product` (`[.., rows, d_out]`) cut into
/// `(groups, per_group)` rows ([`Summation::row_groups`]), with the bias broadcast so that its
/// gradient is a staged sum: over the groups through the addition's broadcast, then over a
/// group's rows through the expansion's.
pub(crate) fn add_bias_in_groups<const D: usize>(
    product: Tensor<D>,
    bias: Tensor<1>,
    (groups, per_group): (usize, usize),
) -> Tensor<D> {
    let dims = product.dims();
    let width = dims[D - 1];
    let grouped = product.reshape([groups, per_group, width])
        + bias.reshape([1, 1, width]).expand([1, per_group, width]);
    grouped.reshape(dims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_near_the_square_root_and_divide_the_rows() {
        let s = Summation::Staged;
        assert_eq!(s.row_groups(65536), Some((256, 256)));
        assert_eq!(s.row_groups(8192), Some((64, 128)));
        assert_eq!(s.row_groups(4096), Some((64, 64)));
        assert_eq!(s.row_groups(4095), None, "below the threshold");
        // √7000 ≈ 83.7: 83 to 71 do not divide 7000, 70 does.
        assert_eq!(s.row_groups(7000), Some((70, 100)));
        // 10,001 = 73 · 137; 10,007 is prime: one pass.
        assert_eq!(s.row_groups(10_001), Some((73, 137)));
        assert_eq!(s.row_groups(10_007), None);
        // 2 · 4099 (a prime): the only divisor under √8198 is 2, too few groups.
        assert_eq!(s.row_groups(8198), None);
        assert_eq!(Summation::OnePass.row_groups(65536), None);
    }

    #[test]
    fn staged_means_and_sums_equal_one_pass_ones() {
        let device = Device::flex();
        let rows = 8192;
        let values: Vec<f32> = (0..rows * 2)
            .map(|i| ((i * 37) % 101) as f32 / 7.0)
            .collect();
        let t = Tensor::<2>::from_data(TensorData::new(values.clone(), [rows, 2]), &device);
        let exact_sum: f64 = values.iter().map(|&v| f64::from(v)).sum();
        let exact_mean = exact_sum / (rows * 2) as f64;
        for s in [Summation::Staged, Summation::OnePass] {
            let sum = f64::from(s.sum(t.clone()).into_scalar::<f32>());
            let mean = f64::from(s.mean(t.clone()).into_scalar::<f32>());
            assert!(
                (sum - exact_sum).abs() / exact_sum < 1e-6,
                "{s:?}: {sum} vs {exact_sum}"
            );
            assert!(
                (mean - exact_mean).abs() / exact_mean < 1e-6,
                "{s:?}: {mean}"
            );
        }
    }
}
