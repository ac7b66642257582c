//! What depends on the task: the target tensor, the loss, and how network outputs become
//! predictions. Networks output raw scores; the sigmoid and softmax live here, inside the loss
//! (numerically stable) and in [`outputs_to_predictions`].

use burn::prelude::*;
use burn::tensor::activation::{log_softmax, softplus};
use kiln_models::Task;

/// Host-side predictions for a batch of rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Predictions {
    /// Regression values.
    Values(Vec<f64>),
    /// Class probabilities, one row of `k` per example.
    Probabilities(Vec<Vec<f64>>),
}

/// The target tensor: `[n, 1]` values (regression), `[n, 1]` 0/1 (binary) or `[n, k]` one-hot.
pub fn target_tensor(task: Task, y: &[f32], k: usize, device: &Device) -> Tensor<2> {
    let n = y.len();
    match task {
        Task::Regression | Task::Binary => {
            Tensor::from_data(TensorData::new(y.to_vec(), [n, 1]), device)
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

/// The mean loss: squared error, binary cross-entropy on logits, or cross-entropy on logits.
pub fn loss(task: Task, output: Tensor<2>, target: Tensor<2>) -> Tensor<1> {
    match task {
        Task::Regression => (output - target).square().mean(),
        // softplus(z) − y·z = −[y log σ(z) + (1−y) log(1−σ(z))], stable for large |z|.
        Task::Binary => (softplus(output.clone(), 1.0) - output * target).mean(),
        Task::Multiclass => {
            let n = output.dims()[0] as f64;
            (log_softmax(output, 1) * target).sum().div_scalar(-n)
        }
    }
}

/// Turns network outputs into host predictions.
pub fn outputs_to_predictions(task: Task, output: Tensor<2>) -> Predictions {
    let [n, k] = output.dims();
    let probabilities = |t: Tensor<2>| -> Vec<f64> {
        t.into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default()
            .into_iter()
            .map(f64::from)
            .collect()
    };
    match task {
        Task::Regression => Predictions::Values(probabilities(output)),
        Task::Binary => {
            let p = probabilities(burn::tensor::activation::sigmoid(output));
            Predictions::Probabilities(p.into_iter().map(|p1| vec![1.0 - p1, p1]).collect())
        }
        Task::Multiclass => {
            let p = probabilities(burn::tensor::activation::softmax(output, 1));
            Predictions::Probabilities((0..n).map(|i| p[i * k..(i + 1) * k].to_vec()).collect())
        }
    }
}
