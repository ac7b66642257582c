//! The multilayer perceptron: hidden linear layers, each followed by an activation and optional
//! dropout, then a linear output layer. It does regression, binary or multiclass classification.

use super::ModelKind;
use crate::{Activation, LayerSpec, ModelConfig, ModelError, Task};

/// Hidden layers `hidden = [64, 32]`, `activation`, `dropout`.
pub struct MlpKind;

/// Hidden widths when `hidden` is not given.
const DEFAULT_HIDDEN: [usize; 2] = [64, 32];

impl ModelKind for MlpKind {
    fn name(&self) -> &'static str {
        "mlp"
    }

    fn task(&self, config: &ModelConfig) -> Result<Option<Task>, ModelError> {
        Ok(config.task)
    }

    fn layers(
        &self,
        config: &ModelConfig,
        d_in: usize,
        d_out: usize,
    ) -> Result<Vec<LayerSpec>, ModelError> {
        let hidden = config
            .hidden
            .clone()
            .unwrap_or_else(|| DEFAULT_HIDDEN.to_vec());
        if hidden.is_empty() || hidden.contains(&0) {
            return Err(ModelError::InvalidConfig {
                key: "hidden".into(),
                reason: format!("expected one or more positive widths, found {hidden:?}"),
            });
        }
        let dropout = config.dropout.unwrap_or(0.0);
        if !(0.0..1.0).contains(&dropout) {
            return Err(ModelError::InvalidConfig {
                key: "dropout".into(),
                reason: format!("expected a probability in [0, 1), found {dropout}"),
            });
        }
        let activation = match config.activation.unwrap_or(Activation::Relu) {
            Activation::Relu => LayerSpec::Relu,
            Activation::Sigmoid => LayerSpec::Sigmoid,
            Activation::Tanh => LayerSpec::Tanh,
            Activation::Gelu => LayerSpec::Gelu,
            Activation::LeakyRelu => LayerSpec::LeakyRelu { slope: 0.01 },
        };
        let mut layers = Vec::new();
        let mut width = d_in;
        for &h in &hidden {
            layers.push(LayerSpec::Linear {
                d_in: width,
                d_out: h,
            });
            layers.push(activation.clone());
            if dropout > 0.0 {
                layers.push(LayerSpec::Dropout { prob: dropout });
            }
            width = h;
        }
        layers.push(LayerSpec::Linear { d_in: width, d_out });
        Ok(layers)
    }
}
