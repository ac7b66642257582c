//! The one-layer models: a single linear layer whose outputs the task interprets.
//! - `linear`: regression, `y = x·w + b`; also fitted in closed form (`solver = "exact"`).
//! - `logistic`: binary, `P(y = 1 | x) = σ(x·w + b)`. The network outputs the logit; the loss and
//!   the prediction apply the sigmoid, which is exact and numerically stable.
//! - `softmax`: multiclass, `P(y = k | x) = softmax(x·W + b)_k`.

use super::{ModelKind, fixed_task, reject_mlp_keys};
use crate::{LayerSpec, ModelConfig, ModelError, Task};

/// A single linear layer, for one task.
pub struct OneLayerKind {
    name: &'static str,
    task: Task,
}

/// Linear regression.
pub static LINEAR: OneLayerKind = OneLayerKind {
    name: "linear",
    task: Task::Regression,
};
/// Logistic regression.
pub static LOGISTIC: OneLayerKind = OneLayerKind {
    name: "logistic",
    task: Task::Binary,
};
/// Softmax (multinomial logistic) regression.
pub static SOFTMAX: OneLayerKind = OneLayerKind {
    name: "softmax",
    task: Task::Multiclass,
};

impl ModelKind for OneLayerKind {
    fn name(&self) -> &'static str {
        self.name
    }

    fn task(&self, config: &ModelConfig) -> Result<Option<Task>, ModelError> {
        fixed_task(self.name, config, self.task)
    }

    fn layers(
        &self,
        config: &ModelConfig,
        d_in: usize,
        d_out: usize,
    ) -> Result<Vec<LayerSpec>, ModelError> {
        reject_mlp_keys(self.name, config)?;
        Ok(vec![LayerSpec::Linear { d_in, d_out }])
    }

    fn has_exact_solver(&self) -> bool {
        self.task == Task::Regression
    }
}
