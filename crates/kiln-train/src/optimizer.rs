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

#[cfg(test)]
mod tests {
    use burn::optim::GradientsParams;
    use burn::tensor::{Device, Tensor, TensorData};
    use kiln_models::Network;

    use super::*;

    const STEPS: usize = 5;
    const ROWS: usize = 4;
    const INPUTS: usize = 3;
    const OUTPUTS: usize = 2;

    /// The fixture's k-th number, as `bench/optimizer_reference.py` computes it.
    fn value(k: usize) -> f64 {
        ((k * 37) % 17) as f64 / 8.0 - 1.0
    }

    fn tensor(values: Vec<f64>, shape: [usize; 2], device: &Device) -> Tensor<2> {
        let values: Vec<f32> = values.into_iter().map(|v| v as f32).collect();
        Tensor::from_data(TensorData::new(values, shape), device)
    }

    /// Step `step`'s inputs and targets.
    fn batch(step: usize, device: &Device) -> (Tensor<2>, Tensor<2>) {
        let base = 100 + step * ROWS * (INPUTS + OUTPUTS);
        let x = (0..ROWS * INPUTS).map(|i| value(base + i)).collect();
        let base = base + ROWS * INPUTS;
        let y = (0..ROWS * OUTPUTS).map(|i| 3.0 * value(base + i)).collect();
        (
            tensor(x, [ROWS, INPUTS], device),
            tensor(y, [ROWS, OUTPUTS], device),
        )
    }

    /// Each case's weights (input-major) and bias after five steps, from PyTorch 2.15
    /// (`python3 bench/optimizer_reference.py`).
    #[rustfmt::skip]
    const PYTORCH: [(&str, [f64; INPUTS * OUTPUTS], [f64; OUTPUTS]); 8] = [
        ("sgd", [-6.130190492e-01, -2.276117802e-01, 5.743443221e-02, 3.259651363e-01, 1.704377085e-01, 3.629554808e-01], [6.182549000e-01, -6.648958325e-01]),
        ("sgd_momentum", [1.577554387e-03, 4.011317790e-01, 5.357336402e-01, 1.096230745e+00, -3.183047473e-01, -5.834028721e-01], [2.340475321e-01, -1.365365237e-01]),
        ("sgd_nesterov_decay", [-3.909988403e-01, -2.243571356e-02, 1.962303668e-01, 5.426687598e-01, 1.451187301e-02, 5.661924556e-02], [4.643677473e-01, -4.552935064e-01]),
        ("adam", [-9.506028891e-01, -5.765804648e-01, -2.005000263e-01, 1.658584476e-01, 4.499653578e-01, 8.287329674e-01], [7.191347480e-01, -9.561108947e-01]),
        ("adam_decay", [-9.551639557e-01, -5.807747841e-01, -2.065243125e-01, 1.608999372e-01, 4.555960596e-01, 8.319950104e-01], [7.233514786e-01, -9.590211511e-01]),
        ("adamw", [-9.457137585e-01, -5.735659003e-01, -1.993529350e-01, 1.651313901e-01, 4.475714564e-01, 8.244730830e-01], [7.154918313e-01, -9.512397647e-01]),
        ("sgd_clip", [-9.079077244e-01, -5.262293220e-01, -1.734160930e-01, 1.710065901e-01, 4.178442061e-01, 7.547159791e-01], [7.719458342e-01, -8.726955652e-01]),
        ("adam_clip", [-9.504925013e-01, -5.751699209e-01, -2.014763802e-01, 1.664375514e-01, 4.506131113e-01, 8.264316916e-01], [7.322697639e-01, -9.572478533e-01]),
    ];

    /// The `[train.optimizer]` section of each case of the reference script.
    fn config(case: &str) -> OptimizerConfig {
        let sgd = |lr| OptimizerConfig {
            kind: OptimizerKind::Sgd,
            lr,
            ..OptimizerConfig::default()
        };
        let adam = |kind| OptimizerConfig {
            kind,
            lr: 0.01,
            ..OptimizerConfig::default()
        };
        match case {
            "sgd" => sgd(0.1),
            "sgd_momentum" => OptimizerConfig {
                momentum: 0.9,
                ..sgd(0.1)
            },
            "sgd_nesterov_decay" => OptimizerConfig {
                momentum: 0.8,
                nesterov: true,
                weight_decay: 0.1,
                ..sgd(0.05)
            },
            "adam" => adam(OptimizerKind::Adam),
            "adam_decay" => OptimizerConfig {
                beta1: 0.8,
                beta2: 0.99,
                epsilon: 0.1,
                weight_decay: 0.1,
                ..adam(OptimizerKind::Adam)
            },
            "adamw" => OptimizerConfig {
                weight_decay: 0.1,
                ..adam(OptimizerKind::Adamw)
            },
            "sgd_clip" => OptimizerConfig {
                clip_norm: Some(0.5),
                ..sgd(0.1)
            },
            "adam_clip" => OptimizerConfig {
                clip_norm: Some(0.5),
                ..adam(OptimizerKind::Adam)
            },
            other => unreachable!("no case {other}"),
        }
    }

    /// kiln's optimizers are PyTorch's, step for step: SGD (momentum without dampening,
    /// Nesterov, L2 decay), Adam (its epsilon outside the square root, L2 decay), AdamW
    /// (decoupled decay) and gradient clipping (each parameter tensor to the norm on its own).
    #[test]
    fn each_optimizer_takes_pytorchs_steps() {
        let device = Device::flex().autodiff();
        for (case, weights, bias) in PYTORCH {
            let config = config(case);
            let start: Vec<Vec<f64>> = (0..INPUTS)
                .map(|j| (0..OUTPUTS).map(|k| value(j * OUTPUTS + k)).collect())
                .collect();
            let start_bias: Vec<f64> = (0..OUTPUTS).map(|k| value(50 + k)).collect();
            let mut model = Network::linear_from(&start, &start_bias, &device);
            let mut optimizer = build(&config);
            for step in 0..STEPS {
                let (x, y) = batch(step, &device);
                let loss = (model.forward(x) - y).powi_scalar(2).mean();
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                model = optimizer.step(config.lr, model, grads);
            }
            let (w, b) = model.linear_coefficients().expect("a linear network");
            let got = w.into_iter().flatten().chain(b);
            let expected = weights.into_iter().chain(bias);
            for (i, (got, expected)) in got.zip(expected).enumerate() {
                assert!(
                    (got - expected).abs() <= 2e-6 * expected.abs().max(1.0),
                    "{case}: parameter {i} is {got}, PyTorch's {expected}"
                );
            }
        }
    }
}
