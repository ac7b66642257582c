//! Every kiln model is a [`Network`]: a stack of layers described by a serialisable list of
//! [`LayerSpec`]s. Kinds differ only in the stack they build, so saving, loading, training and
//! predicting work the same for all of them, including kinds users add.

use burn::module::Param;
use burn::nn::{
    Dropout, DropoutConfig, Gelu, LeakyRelu, LeakyReluConfig, Linear, LinearConfig, Relu, Sigmoid,
    Tanh,
};
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::module::linear;
use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::summation::{Summation, add_bias_in_groups, rows_of};

/// An `f32` weight as the `f64` of its shortest decimal form (`1.9999998`, not the widened
/// `1.999999761581421`), and `-0` as `0`: the weights are `f32`, and the extra digits of
/// widening are noise a reader would take for precision.
pub fn decimal(v: f32) -> f64 {
    if v == 0.0 {
        return 0.0;
    }
    v.to_string().parse().unwrap_or(f64::from(v))
}

/// One layer of a network, as saved in the model bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "layer", rename_all = "snake_case")]
pub enum LayerSpec {
    /// A fully connected layer, `y = x W + b`.
    Linear {
        /// Inputs.
        d_in: usize,
        /// Outputs.
        d_out: usize,
    },
    /// ReLU.
    Relu,
    /// Logistic sigmoid.
    Sigmoid,
    /// Hyperbolic tangent.
    Tanh,
    /// GELU.
    Gelu,
    /// Leaky ReLU with the given negative slope.
    LeakyRelu {
        /// Slope for negative inputs.
        slope: f64,
    },
    /// Dropout with the given probability (active only while training).
    Dropout {
        /// Probability of zeroing an input.
        prob: f64,
    },
}

/// A layer with its parameters.
#[derive(Module, Debug)]
#[allow(missing_docs)]
pub enum Layer {
    Linear(Linear),
    Relu(Relu),
    Sigmoid(Sigmoid),
    Tanh(Tanh),
    Gelu(Gelu),
    LeakyRelu(LeakyRelu),
    Dropout(Dropout),
}

impl Layer {
    fn forward<const D: usize>(&self, x: Tensor<D>, sums: Summation) -> Tensor<D> {
        match self {
            Self::Linear(l) => match (&l.bias, sums.row_groups(rows_of(&x))) {
                (Some(bias), Some(groups)) => {
                    add_bias_in_groups(linear(x, l.weight.val(), None), bias.val(), groups)
                }
                _ => l.forward(x),
            },
            Self::Relu(l) => l.forward(x),
            Self::Sigmoid(l) => l.forward(x),
            Self::Tanh(l) => l.forward(x),
            Self::Gelu(l) => l.forward(x),
            Self::LeakyRelu(l) => l.forward(x),
            Self::Dropout(l) => l.forward(x),
        }
    }

    /// [`Layer::forward`] on a batch cut into slices along the first dimension. A linear layer
    /// multiplies by its weights as an explicit broadcast product: Burn's `linear` op folds the
    /// slices back into one product, and its weight gradient into one sum over every row.
    fn forward_slices(&self, x: Tensor<3>, sums: Summation) -> Tensor<3> {
        match self {
            Self::Linear(l) => {
                let groups = sums.row_groups(rows_of(&x));
                let out = x.matmul(l.weight.val().unsqueeze::<3>());
                match (&l.bias, groups) {
                    (Some(bias), Some(groups)) => add_bias_in_groups(out, bias.val(), groups),
                    (Some(bias), None) => out + bias.val().unsqueeze::<3>(),
                    (None, _) => out,
                }
            }
            other => other.forward(x, sums),
        }
    }
}

/// A stack of layers: the model behind every kind.
#[derive(Module, Debug)]
pub struct Network {
    layers: Vec<Layer>,
}

impl Network {
    /// Builds the layers of `specs` with fresh random weights on `device` (PyTorch's default
    /// initialisation: uniform in ±1/√fan_in), drawn now from `device`'s generator.
    ///
    /// Burn's parameters are lazy: left alone, they are drawn at first use, and moving an
    /// undrawn network to another device moves the *drawing* there (to that device's generator,
    /// unseeded on a GPU). Drawing at once is what makes a network seeded on the CPU start from
    /// the same weights on every device.
    pub fn init(specs: &[LayerSpec], device: &Device) -> Self {
        let layers = specs
            .iter()
            .map(|spec| match *spec {
                LayerSpec::Linear { d_in, d_out } => {
                    let linear = LinearConfig::new(d_in, d_out).init(device);
                    linear.weight.val();
                    if let Some(bias) = &linear.bias {
                        bias.val();
                    }
                    Layer::Linear(linear)
                }
                LayerSpec::Relu => Layer::Relu(Relu::new()),
                LayerSpec::Sigmoid => Layer::Sigmoid(Sigmoid::new()),
                LayerSpec::Tanh => Layer::Tanh(Tanh::new()),
                LayerSpec::Gelu => Layer::Gelu(Gelu::new()),
                LayerSpec::LeakyRelu { slope } => {
                    Layer::LeakyRelu(LeakyReluConfig::new().with_negative_slope(slope).init())
                }
                LayerSpec::Dropout { prob } => Layer::Dropout(DropoutConfig::new(prob).init()),
            })
            .collect();
        Self { layers }
    }

    /// The network of `specs` with weights drawn on the CPU from `seed`, moved to `device`:
    /// the same starting weights whatever the device (a GPU's generator draws other numbers).
    pub fn seeded(specs: &[LayerSpec], seed: u64, device: &Device) -> Self {
        let cpu = Device::flex();
        cpu.seed(seed);
        Self::init(specs, &cpu).to_device(device)
    }

    /// A one-layer linear network with the given weights (`weights[j][k]`: input j, output k).
    pub fn linear_from(weights: &[Vec<f64>], bias: &[f64], device: &Device) -> Self {
        let d_in = weights.len();
        let d_out = bias.len();
        let w: Vec<f32> = weights.iter().flatten().map(|&v| v as f32).collect();
        let b: Vec<f32> = bias.iter().map(|&v| v as f32).collect();
        let linear = Linear {
            weight: Param::from_tensor(Tensor::from_data(
                TensorData::new(w, [d_in, d_out]),
                device,
            )),
            bias: Some(Param::from_tensor(Tensor::from_data(
                TensorData::new(b, [d_out]),
                device,
            ))),
        };
        Self {
            layers: vec![Layer::Linear(linear)],
        }
    }

    /// Whether training draws random numbers on the device (dropout): only then does the
    /// training loop seed the device's generator.
    pub fn is_stochastic(&self) -> bool {
        self.layers
            .iter()
            .any(|layer| matches!(layer, Layer::Dropout(d) if d.prob > 0.0))
    }

    /// The raw scores (regression value, logit or class logits).
    ///
    /// # Shapes
    /// - `x`: `[batch, d_in]`
    /// - output: `[batch, d_out]`
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.forward_summing(x, Summation::default())
    }

    /// [`Network::forward`] with the bias gradients summed as `sums` says: the same outputs,
    /// and gradients equal up to rounding. `kiln bench --one-pass-sums` measures the two.
    pub fn forward_summing(&self, x: Tensor<2>, sums: Summation) -> Tensor<2> {
        self.layers
            .iter()
            .fold(x, |x, layer| layer.forward(x, sums))
    }

    /// The same outputs as [`Network::forward`], with the `rows` of `x` cut into `parts` equal
    /// slices stacked along a new first dimension (`rows` must divide). Each linear layer then
    /// multiplies by its weights as a broadcast batched product, so the weight gradient becomes
    /// `parts` products over `rows / parts` rows, summed, instead of one product whose inner
    /// dimension is the whole batch (split-K). For GPU matrix kernels that tile the output
    /// alone: a 256 × 256 weight gradient is a handful of tiles however large the batch.
    pub fn forward_split(&self, x: Tensor<2>, parts: usize, sums: Summation) -> Tensor<2> {
        let [rows, cols] = x.dims();
        let slices = x.reshape([parts, rows / parts, cols]);
        let out = self
            .layers
            .iter()
            .fold(slices, |x, layer| layer.forward_slices(x, sums));
        let [_, _, width] = out.dims();
        out.reshape([rows, width])
    }

    /// The weights and bias of a one-layer linear network, as `(weights[j][k], bias[k])`;
    /// `None` for deeper networks.
    pub fn linear_coefficients(&self) -> Option<(Vec<Vec<f64>>, Vec<f64>)> {
        let [Layer::Linear(linear)] = self.layers.as_slice() else {
            return None;
        };
        let weight = linear.weight.val();
        let [d_in, d_out] = weight.dims();
        let w: Vec<f32> = weight.into_data().try_to_vec().ok()?;
        let b: Vec<f32> = match &linear.bias {
            Some(bias) => bias.val().into_data().try_to_vec().ok()?,
            None => vec![0.0; d_out],
        };
        let rows = (0..d_in).map(|j| (0..d_out).map(|k| decimal(w[j * d_out + k])).collect());
        Some((rows.collect(), b.into_iter().map(decimal).collect()))
    }

    /// A copy whose parameters are numbered in layer order (each layer's weight, then its
    /// bias) instead of carrying Burn's ids, which differ from run to run: the same weights then
    /// make the same bytes, so a model file can be checksummed. Only for files nothing resumes
    /// from: an optimizer's state is keyed by the live ids.
    pub fn numbered(&self) -> Self {
        let mut copy = self.clone();
        let mut next = 0u64;
        let mut number = || {
            next += 1;
            burn::module::ParamId::from(next)
        };
        for layer in &mut copy.layers {
            if let Layer::Linear(linear) = layer {
                linear.weight.id = number();
                if let Some(bias) = &mut linear.bias {
                    bias.id = number();
                }
            }
        }
        copy
    }

    /// The weights as burnpack bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ModelError> {
        let bytes = self
            .clone()
            .into_record()
            .into_bytes()
            .map_err(|e| ModelError::Weights(e.to_string()))?;
        Ok(bytes.to_vec())
    }

    /// Builds `specs` on `device` and loads burnpack `bytes` into it; a file that is not
    /// burnpack, or whose tensors do not fit `specs`, is an error.
    pub fn from_bytes(
        specs: &[LayerSpec],
        bytes: Vec<u8>,
        device: &Device,
    ) -> Result<Self, ModelError> {
        let record = ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes))
            .map_err(|e| ModelError::Weights(format!("not a readable weights file ({e})")))?;
        Self::init(specs, device)
            .try_load_record(record)
            .map_err(|e| {
                ModelError::Weights(format!("the weights do not fit the architecture ({e})"))
            })
    }
}

#[cfg(test)]
mod tests {
    use burn::module::Param;
    use burn::optim::GradientsParams;
    use burn::tensor::Distribution;

    use super::*;

    /// Every parameter's gradient of `sum(forward(x))`, flattened in layer order.
    fn gradients(network: &Network, output: Tensor<2>) -> Vec<f32> {
        let grads = GradientsParams::from_grads(output.sum().backward(), network);
        let mut all = Vec::new();
        for layer in &network.layers {
            if let Layer::Linear(linear) = layer {
                let mut take = |param: &Param<Tensor<2>>| {
                    let g: Tensor<2> = grads.get(param.id).expect("a gradient");
                    all.extend(g.into_data().try_to_vec::<f32>().expect("f32"));
                };
                take(&linear.weight);
                if let Some(bias) = &linear.bias {
                    let g: Tensor<1> = grads.get(bias.id).expect("a gradient");
                    all.extend(g.into_data().try_to_vec::<f32>().expect("f32"));
                }
            }
        }
        all
    }

    /// The flex device's generator is one for the whole process, and tests run in parallel:
    /// every test that draws on it takes its turn, or another's draws shift its stream.
    fn generator_turn() -> std::sync::MutexGuard<'static, ()> {
        static GENERATOR: std::sync::Mutex<()> = std::sync::Mutex::new(());
        GENERATOR
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every weight, flattened in layer order.
    fn weights(network: &Network) -> Vec<f32> {
        let mut all = Vec::new();
        for layer in &network.layers {
            if let Layer::Linear(linear) = layer {
                all.extend(linear.weight.val().into_data().iter::<f32>());
                if let Some(bias) = &linear.bias {
                    all.extend(bias.val().into_data().iter::<f32>());
                }
            }
        }
        all
    }

    #[test]
    fn weights_are_drawn_when_the_network_is_built() {
        let _turn = generator_turn();
        // Lazily drawn weights would come from whatever the generator holds at first use.
        let specs = [LayerSpec::Linear { d_in: 3, d_out: 4 }];
        let device = Device::flex();
        device.seed(1);
        let first = Network::init(&specs, &device);
        device.seed(2);
        let moved = first.to_device(&device);
        assert_eq!(
            weights(&moved),
            weights(&Network::seeded(&specs, 1, &device))
        );
        assert_ne!(
            weights(&moved),
            weights(&Network::seeded(&specs, 2, &device))
        );
    }

    #[test]
    fn only_dropout_makes_a_network_stochastic() {
        let _turn = generator_turn();
        let device = Device::flex();
        let network = |first: LayerSpec| {
            Network::init(&[first, LayerSpec::Linear { d_in: 2, d_out: 1 }], &device)
        };
        assert!(!network(LayerSpec::Relu).is_stochastic());
        assert!(!network(LayerSpec::Dropout { prob: 0.0 }).is_stochastic());
        assert!(network(LayerSpec::Dropout { prob: 0.2 }).is_stochastic());
    }

    /// Outputs and gradients of `variant` against the one-pass forward of `rows` rows, within a
    /// relative `tolerance` of the largest value.
    fn assert_same_as_one_pass(
        rows: usize,
        variant: impl Fn(&Network, Tensor<2>) -> Tensor<2>,
        tolerance: f32,
    ) {
        let _turn = generator_turn();
        let device = Device::flex().autodiff();
        let specs = [
            LayerSpec::Linear { d_in: 3, d_out: 5 },
            LayerSpec::Relu,
            LayerSpec::Linear { d_in: 5, d_out: 2 },
        ];
        let network = Network::init(&specs, &device);
        let x = Tensor::<2>::random([rows, 3], Distribution::Normal(0.0, 1.0), &device);
        let plain = network.forward_summing(x.clone(), Summation::OnePass);
        let other = variant(&network, x);
        let close = |a: &[f32], b: &[f32]| {
            let scale = a.iter().fold(1.0f32, |m, v| m.max(v.abs()));
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(p, q)| (p - q).abs() <= tolerance * scale)
        };
        let (a, b): (Vec<f32>, Vec<f32>) = (
            plain.clone().into_data().try_to_vec().expect("f32"),
            other.clone().into_data().try_to_vec().expect("f32"),
        );
        assert_eq!(a.len(), rows * 2);
        assert!(close(&a, &b), "outputs differ");
        let (ga, gb) = (gradients(&network, plain), gradients(&network, other));
        assert_eq!(ga.len(), 3 * 5 + 5 + 5 * 2 + 2);
        assert!(close(&ga, &gb), "{ga:?}\n{gb:?}");
    }

    #[test]
    fn a_split_forward_gives_the_same_outputs_and_gradients() {
        assert_same_as_one_pass(12, |n, x| n.forward_split(x, 4, Summation::OnePass), 1e-6);
        // 8192 rows summed in f32 in another order: rounding of about n·ε of the largest sum.
        assert_same_as_one_pass(8192, |n, x| n.forward_split(x, 4, Summation::Staged), 1e-4);
    }

    #[test]
    fn staged_bias_sums_give_the_same_outputs_and_gradients() {
        // 8192 rows: the biases' gradients are summed over 64 groups of 128 rows.
        assert!(Summation::Staged.row_groups(8192).is_some());
        assert_same_as_one_pass(8192, |n, x| n.forward(x), 1e-4);
        // 7000 rows: 70 groups of 100.
        assert_same_as_one_pass(7000, |n, x| n.forward(x), 1e-4);
        // Below the threshold the staged forward is Burn's own, bit for bit.
        assert_same_as_one_pass(100, |n, x| n.forward(x), 0.0);
    }
}
