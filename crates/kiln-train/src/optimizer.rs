//! The validated `[train.optimizer]` section → Burn's optimizer configs.

use burn::grad_clipping::GradientClippingConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, AdamWConfig, ModuleOptimizer, SgdConfig};

use crate::{OptimizerConfig, OptimizerKind};

/// Builds the optimizer. Values were range-checked by [`crate::Experiment::validate`].
pub fn build(config: &OptimizerConfig) -> ModuleOptimizer {
    let clip = config
        .clip_norm
        .map(|c| GradientClippingConfig::Norm(c as f32));
    let decay =
        (config.weight_decay > 0.0).then(|| WeightDecayConfig::new(config.weight_decay as f32));
    match config.kind {
        OptimizerKind::Sgd => SgdConfig::new()
            .with_momentum((config.momentum > 0.0).then_some(MomentumConfig {
                momentum: config.momentum,
                // PyTorch's default: no dampening.
                dampening: 0.0,
                nesterov: config.nesterov,
            }))
            .with_weight_decay(decay)
            .with_gradient_clipping(clip)
            .init(),
        OptimizerKind::Adam => AdamConfig::new()
            .with_beta_1(config.beta1 as f32)
            .with_beta_2(config.beta2 as f32)
            .with_epsilon(config.epsilon as f32)
            .with_weight_decay(decay)
            .with_grad_clipping(clip)
            .init(),
        OptimizerKind::Adamw => AdamWConfig::new()
            .with_beta_1(config.beta1 as f32)
            .with_beta_2(config.beta2 as f32)
            .with_epsilon(config.epsilon as f32)
            .with_weight_decay(config.weight_decay as f32)
            .with_grad_clipping(clip)
            .init(),
    }
}
