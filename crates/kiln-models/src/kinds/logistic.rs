//! Logistic regression: a linear score whose sigmoid is the probability of the positive class.
//! The network outputs the score (the logit); the loss and the prediction apply the sigmoid, which
//! is exact and numerically stable.

use super::{ModelKind, fixed_task, reject_mlp_keys};
use crate::{LayerSpec, ModelConfig, ModelError, Task};

/// `P(y = 1 | x) = σ(x·w + b)`.
pub struct LogisticKind;

impl ModelKind for LogisticKind {
    fn name(&self) -> &'static str {
        "logistic"
    }

    fn task(&self, config: &ModelConfig) -> Result<Option<Task>, ModelError> {
        fixed_task(self.name(), config, Task::Binary)
    }

    fn layers(
        &self,
        config: &ModelConfig,
        d_in: usize,
        d_out: usize,
    ) -> Result<Vec<LayerSpec>, ModelError> {
        reject_mlp_keys(self.name(), config)?;
        Ok(vec![LayerSpec::Linear { d_in, d_out }])
    }
}
