//! Linear regression: one linear layer, squared-error loss; fitted by gradient descent or in
//! closed form.

use super::{ModelKind, fixed_task, reject_mlp_keys};
use crate::{LayerSpec, ModelConfig, ModelError, Task};

/// `y = x·w + b`.
pub struct LinearKind;

impl ModelKind for LinearKind {
    fn name(&self) -> &'static str {
        "linear"
    }

    fn task(&self, config: &ModelConfig) -> Result<Option<Task>, ModelError> {
        fixed_task(self.name(), config, Task::Regression)
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

    fn has_exact_solver(&self) -> bool {
        true
    }
}
