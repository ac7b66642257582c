//! The training loop, written for small tabular models: the whole training set lives in device
//! tensors, each epoch uploads one shuffled index vector and gathers its batches from it, and
//! the loss is read back once per epoch (not per step), so the loop costs a few tensor ops per
//! step and one device sync per epoch.

use burn::optim::GradientsParams;
use burn::prelude::*;
use kiln_data::{SeededRng, Split};
use kiln_models::{Network, Task};

use crate::task::{loss, target_tensor};
use crate::{TrainConfig, TrainError};

/// One epoch's record, as written to `history.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches.
    pub train_loss: f64,
    /// Loss on the validation split after the epoch, if there is one.
    pub valid_loss: Option<f64>,
}

/// A split as device tensors.
struct DeviceSplit {
    x: Tensor<2>,
    y: Tensor<2>,
    rows: usize,
}

impl DeviceSplit {
    fn new(split: &Split, task: Task, k: usize, device: &Device) -> Self {
        let x = Tensor::from_data(TensorData::new(split.x.data.clone(), [split.x.rows, split.x.cols]), device);
        Self { x, y: target_tensor(task, &split.y, k, device), rows: split.x.rows }
    }
}

/// What the loop needs besides the data.
pub struct FitSettings<'a> {
    /// The `[train]` section.
    pub config: &'a TrainConfig,
    /// The task (decides the loss).
    pub task: Task,
    /// Number of classes (0 for regression).
    pub classes: usize,
    /// Seeds the batch order.
    pub seed: u64,
    /// Whether the features were scaled (for the divergence hint).
    pub scaled: bool,
}

/// Trains `network` (built on `device`) and returns the trained network, on `device`, with
/// one record per epoch. `on_epoch` sees each record as it is made (for logging).
pub fn fit(
    network: Network,
    train: &Split,
    valid: Option<&Split>,
    settings: &FitSettings<'_>,
    device: &Device,
    on_epoch: &mut dyn FnMut(&EpochRecord),
) -> Result<(Network, Vec<EpochRecord>), TrainError> {
    let config = settings.config;
    let task = settings.task;
    let autodiff = device.clone().autodiff();
    let train_data = DeviceSplit::new(train, task, settings.classes, &autodiff);
    let valid_data = valid.map(|v| DeviceSplit::new(v, task, settings.classes, device));
    let mut model = network.to_device(&autodiff).train();
    let mut optimizer = crate::optimizer::build(&config.optimizer);
    let lr = config.optimizer.lr;
    // Its own stream: changing the split seed must not change the batch order, and vice versa.
    let mut rng = SeededRng::new(settings.seed ^ 0x6B69_6C6E_5F62_6174);
    let n = train_data.rows;
    let batch = config.batch_size.min(n);
    let mut order: Vec<usize> = (0..n).collect();
    let mut history = Vec::with_capacity(config.epochs);
    let mut first_loss = None;

    for epoch in 1..=config.epochs {
        let mut total: Option<Tensor<1>> = None;
        let mut step = |model: Network, x: Tensor<2>, y: Tensor<2>, rows: usize| {
            let l = loss(task, model.forward(x), y);
            let weighted = l.clone().detach().mul_scalar(rows as f64);
            total = Some(match total.take() {
                Some(t) => t + weighted,
                None => weighted,
            });
            let grads = GradientsParams::from_grads(l.backward(), &model);
            optimizer.step(lr, model, grads)
        };
        if batch == n {
            // One full batch: the row order does not matter, so skip the gather.
            model = step(model, train_data.x.clone(), train_data.y.clone(), n);
        } else {
            rng.shuffle(&mut order);
            let ids: Vec<i64> = order.iter().map(|&i| i as i64).collect();
            let ids = Tensor::<1, Int>::from_data(TensorData::new(ids, [n]), &autodiff);
            for start in (0..n).step_by(batch) {
                let end = (start + batch).min(n);
                let batch_ids = ids.clone().slice(start..end);
                let x = train_data.x.clone().select(0, batch_ids.clone());
                let y = train_data.y.clone().select(0, batch_ids);
                model = step(model, x, y, end - start);
            }
        }
        let train_loss = total.map_or(f64::NAN, |t| f64::from(t.into_scalar::<f32>()) / n as f64);
        let valid_loss = valid_data.as_ref().map(|v| {
            let output = model.valid().forward(v.x.clone());
            f64::from(loss(task, output, v.y.clone()).into_scalar::<f32>())
        });
        let first = *first_loss.get_or_insert(train_loss);
        if !train_loss.is_finite() || train_loss > first * config.divergence_factor {
            return Err(TrainError::Diverged {
                epoch,
                loss: train_loss,
                first,
                lr,
                scale_hint: if settings.scaled { String::new() } else { ", or set data.scale = \"standard\"".into() },
            });
        }
        let record = EpochRecord { epoch, train_loss, valid_loss };
        on_epoch(&record);
        history.push(record);
    }
    Ok((model.valid(), history))
}
