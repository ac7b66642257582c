//! What depends on the task: the target tensor, the loss, and how network outputs become
//! predictions. Networks output raw scores; the sigmoid and softmax live here, inside the loss
//! (numerically stable) and in [`outputs_to_predictions`].

use burn::prelude::*;
use burn::tensor::activation::{log_softmax, softplus};
use kiln_models::{Summation, Task};

use crate::TrainError;

/// Host-side predictions for a batch of rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Predictions {
    /// Regression values.
    Values(Vec<f64>),
    /// Class probabilities, one row of `k` per example.
    Probabilities(Vec<Vec<f64>>),
}

impl Predictions {
    /// No predictions yet, of the kind `task` makes.
    pub fn empty(task: Task) -> Self {
        match task {
            Task::Regression => Self::Values(Vec::new()),
            Task::Binary | Task::Multiclass => Self::Probabilities(Vec::new()),
        }
    }

    /// A warning for the rows of `input` whose prediction is not a finite number (inputs so
    /// far outside the training data that the model's 32-bit arithmetic overflowed), or `None`
    /// when every prediction is a number.
    pub fn warning(&self, input: &kiln_data::Table) -> Option<String> {
        let finite: Vec<bool> = match self {
            Self::Values(v) => v.iter().map(|x| x.is_finite()).collect(),
            Self::Probabilities(p) => p.iter().map(|r| r.iter().all(|x| x.is_finite())).collect(),
        };
        let rows: Vec<usize> = (0..finite.len()).filter(|&r| !finite[r]).collect();
        let lines: Vec<String> = rows
            .iter()
            .take(5)
            .map(|&r| input.line(r).to_string())
            .collect();
        (!rows.is_empty()).then(|| {
            format!(
                "warning: {} prediction{} not a finite number ({}, line {}{}): the inputs lie so \
                 far outside the training data that the model's 32-bit arithmetic overflowed",
                rows.len(),
                if rows.len() == 1 { " is" } else { "s are" },
                input.path().display(),
                lines.join(", "),
                if rows.len() > lines.len() {
                    ", …"
                } else {
                    ""
                }
            )
        })
    }

    /// Keeps the first `rows` predictions.
    pub fn truncate(&mut self, rows: usize) {
        match self {
            Self::Values(v) => v.truncate(rows),
            Self::Probabilities(p) => p.truncate(rows),
        }
    }

    /// Appends the predictions of later rows (of the same kind).
    pub fn append(&mut self, more: Self) {
        match (self, more) {
            (Self::Values(all), Self::Values(more)) => all.extend(more),
            (Self::Probabilities(all), Self::Probabilities(more)) => all.extend(more),
            (all, more) => unreachable!("mixed prediction kinds: {all:?} and {more:?}"),
        }
    }
}

/// The row ranges `start..end` that cut `n` rows into pieces of `size` (the last one shorter).
pub(crate) fn row_chunks(n: usize, size: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    (0..n)
        .step_by(size)
        .map(move |start| start..(start + size).min(n))
}

/// The target tensor: `[n, 1]` values (regression), `[n, 1]` 0/1 (binary) or `[n, k]` one-hot.
pub fn target_tensor(task: Task, y: &[f64], k: usize, device: &Device) -> Tensor<2> {
    let n = y.len();
    match task {
        Task::Regression | Task::Binary => {
            let values: Vec<f32> = y.iter().map(|&v| v as f32).collect();
            Tensor::from_data(TensorData::new(values, [n, 1]), device)
        }
        Task::Multiclass => {
            let mut one_hot = vec![0.0f32; n * k];
            for (i, &c) in y.iter().enumerate() {
                one_hot[i * k + c as usize] = 1.0;
            }
            Tensor::from_data(TensorData::new(one_hot, [n, k]), device)
        }
    }
}

/// How the loss is computed, beyond the task.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LossOptions {
    /// Regression: Huber with this threshold instead of squared error.
    pub huber_delta: Option<f64>,
    /// How the mean over the batch's rows is summed: staged for large batches.
    pub summation: Summation,
}

/// The mean loss: squared error (or Huber) for regression, binary cross-entropy or cross-entropy
/// on logits for classification. With `weights` (`[n, 1]`, one per row), the weighted mean.
pub fn loss(
    task: Task,
    output: Tensor<2>,
    target: Tensor<2>,
    weights: Option<Tensor<2>>,
    options: LossOptions,
) -> Tensor<1> {
    let per_row: Tensor<2> = match task {
        Task::Regression => {
            let r = output - target;
            match options.huber_delta {
                None => r.square(),
                Some(delta) => {
                    // 0.5 q² + δ (|r| − q) with q = min(|r|, δ): the two Huber branches at once.
                    let a = r.abs();
                    let q = a.clone().clamp_max(delta);
                    q.clone().square().mul_scalar(0.5) + (a - q).mul_scalar(delta)
                }
            }
        }
        // softplus(z) − y·z = −[y log σ(z) + (1−y) log(1−σ(z))], stable for large |z|.
        Task::Binary => softplus(output.clone(), 1.0) - output * target,
        Task::Multiclass => (log_softmax(output, 1) * target).sum_dim(1).neg(),
    };
    match weights {
        None => options.summation.mean(per_row),
        Some(w) => options.summation.sum(per_row * w.clone()) / options.summation.sum(w),
    }
}

/// Row weights `[n, 1]` from per-class weights and class indices `y`.
pub fn row_weights(class_weights: &[f32], y: &[f64], device: &Device) -> Tensor<2> {
    let w: Vec<f32> = y.iter().map(|&c| class_weights[c as usize]).collect();
    Tensor::from_data(TensorData::new(w, [y.len(), 1]), device)
}

/// A float tensor's values, read back from its device: the point where a device failure since
/// the last read (a GPU out of memory, a lost device) surfaces, as [`TrainError::Device`].
pub fn read_back<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, TrainError> {
    let data = tensor.try_into_data().map_err(|e| TrainError::Device {
        reason: failure_reason(e.reason()),
    })?;
    data.try_into_vec::<f32>().map_err(|e| TrainError::Device {
        reason: format!("the values are not f32 ({e:?})"),
    })
}

/// The innermost cause in a device error's text (where the failure began), without the
/// wrappers ("An error happened during execution", "Caused by:"), the backtraces and the
/// bookkeeping that Burn and CubeCL nest around it.
fn failure_reason(text: &str) -> String {
    let noise = [
        "Caused by:",
        "Asked at:",
        "No backtrace available",
        "error happened during execution",
    ];
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !noise.iter().any(|n| line.ends_with(n)))
        .take_while(|line| !line.starts_with("Backtrace:"))
        .last()
        .unwrap_or("no reason given")
        .to_string()
}

/// Turns network outputs into host predictions.
pub fn outputs_to_predictions(task: Task, output: Tensor<2>) -> Result<Predictions, TrainError> {
    let [n, k] = output.dims();
    let probabilities = |t: Tensor<2>| -> Result<Vec<f64>, TrainError> {
        Ok(read_back(t)?.into_iter().map(f64::from).collect())
    };
    Ok(match task {
        Task::Regression => Predictions::Values(probabilities(output)?),
        Task::Binary => {
            let p = probabilities(burn::tensor::activation::sigmoid(output))?;
            Predictions::Probabilities(p.into_iter().map(|p1| vec![1.0 - p1, p1]).collect())
        }
        Task::Multiclass => {
            let p = probabilities(burn::tensor::activation::softmax(output, 1))?;
            Predictions::Probabilities((0..n).map(|i| p[i * k..(i + 1) * k].to_vec()).collect())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_failure_is_told_by_its_causes() {
        let nested = "An error happened during execution\nCaused by:\n  \
                      A validation error happened during execution\nCaused by:\n  \
                      Buffer size 2304000000 is greater than the maximum 2147483647\n\
                      Backtrace:\n   0: cubecl_wgpu::stream::flush\n";
        assert_eq!(
            failure_reason(nested),
            "Buffer size 2304000000 is greater than the maximum 2147483647"
        );
        assert_eq!(failure_reason("out of memory"), "out of memory");
        let flattened = "Several failures at once: skipped `ElemwiseFuse`\n\
                         An IO error happened: can't allocate buffer of size: 2304000000\n\
                         No backtrace available\nAsked at:\nNo backtrace available";
        assert_eq!(
            failure_reason(flattened),
            "An IO error happened: can't allocate buffer of size: 2304000000"
        );
        assert_eq!(failure_reason("Caused by:\n"), "no reason given");
    }

    fn value(t: Tensor<1>) -> f64 {
        f64::from(t.into_scalar::<f32>())
    }

    fn column(values: &[f32]) -> Tensor<2> {
        Tensor::from_data(
            TensorData::new(values.to_vec(), [values.len(), 1]),
            &Device::flex(),
        )
    }

    #[test]
    fn huber_is_squared_near_zero_and_linear_beyond_delta() {
        // Residuals 0.5 and 3 with δ = 1: 0.5·0.25 = 0.125 and 1·(3 − 0.5) = 2.5; mean 1.3125.
        let options = LossOptions {
            huber_delta: Some(1.0),
            ..LossOptions::default()
        };
        let l = loss(
            Task::Regression,
            column(&[0.5, 3.0]),
            column(&[0.0, 0.0]),
            None,
            options,
        );
        assert!((value(l) - 1.3125).abs() < 1e-6);
    }

    #[test]
    fn binary_cross_entropy_and_its_weighted_mean_by_hand() {
        // Logits 0 and 2, targets 1 and 0: ln 2 and ln(1 + e²).
        let (a, b) = (2f64.ln(), (1.0 + 2f64.exp()).ln());
        let plain = loss(
            Task::Binary,
            column(&[0.0, 2.0]),
            column(&[1.0, 0.0]),
            None,
            LossOptions::default(),
        );
        assert!((value(plain) - (a + b) / 2.0).abs() < 1e-6);
        let weighted = loss(
            Task::Binary,
            column(&[0.0, 2.0]),
            column(&[1.0, 0.0]),
            Some(column(&[3.0, 1.0])),
            LossOptions::default(),
        );
        assert!((value(weighted) - (3.0 * a + b) / 4.0).abs() < 1e-6);
    }

    #[test]
    fn cross_entropy_of_uniform_logits_is_ln_k() {
        let device = Device::flex();
        let logits = Tensor::<2>::zeros([2, 3], &device);
        let target = target_tensor(Task::Multiclass, &[0.0, 2.0], 3, &device);
        let l = loss(
            Task::Multiclass,
            logits,
            target,
            None,
            LossOptions::default(),
        );
        assert!((value(l) - 3f64.ln()).abs() < 1e-6);
    }
}
