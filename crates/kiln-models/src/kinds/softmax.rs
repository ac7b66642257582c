//! Softmax (multinomial logistic) regression: one linear score per class; the softmax of the
//! scores gives the class probabilities.

use super::{ModelKind, fixed_task, reject_mlp_keys};
use crate::{LayerSpec, ModelConfig, ModelError, Task};

/// `P(y = k | x) = softmax(x·W + b)_k`.
pub struct SoftmaxKind;

impl ModelKind for SoftmaxKind {
    fn name(&self) -> &'static str {
        "softmax"
    }

    fn task(&self, config: &ModelConfig) -> Result<Option<Task>, ModelError> {
        fixed_task(self.name(), config, Task::Multiclass)
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
