//! The training loop, written for small tabular models: the whole training set lives in device
//! tensors, each epoch uploads one shuffled index vector and gathers its batches from it, and
//! the loss is read back once per epoch (not per step), so the loop costs a few tensor ops per
//! step and one device sync per epoch.

use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use kiln_data::{Matrix, SeededRng, Split};
use kiln_models::{Network, Task};
use serde::{Deserialize, Serialize};

use crate::bundle::PREDICT_ROWS;
use crate::schedule::{LrSchedule, Monitored};
use crate::task::{LossOptions, loss, row_chunks, row_weights, target_tensor};
use crate::{TrainConfig, TrainError};

/// One epoch's record, as written to `history.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches.
    pub train_loss: f64,
    /// Loss on the validation split after the epoch, if there is one.
    pub valid_loss: Option<f64>,
    /// The learning rate used in the epoch.
    pub lr: f64,
}

/// Everything the loop carries from one epoch to the next besides the weights and the
/// optimizer's state: with those two, what a checkpoint holds to resume exactly.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoopState {
    /// Epochs completed.
    pub epoch: usize,
    /// The batch-order generator's state.
    pub rng: u64,
    /// The learning-rate schedule, with a plateau schedule's memory.
    pub schedule: LrSchedule,
    /// The first epoch's loss (the divergence yardstick).
    pub first_loss: Option<f64>,
    /// Early stopping: the best monitored loss and its epoch.
    pub best: Option<(f64, usize)>,
    /// Early stopping: epochs since the best.
    pub stalled: usize,
    /// Every epoch so far.
    pub history: Vec<EpochRecord>,
}

/// Which checkpoint the loop asks to be written (only with `checkpoint_every > 0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointKind {
    /// The regular one, every `checkpoint_every` epochs and at the end: resumable.
    Every,
    /// The best epoch's weights so far by the monitored loss, written at the same times when
    /// they changed.
    Best,
}

/// Writes a checkpoint: the loop state, the weights and the optimizer.
pub type CheckpointSink<'a> = dyn FnMut(CheckpointKind, &LoopState, &Network, &ModuleOptimizer) -> Result<(), TrainError>
    + 'a;

/// Where a resumed run starts from.
pub struct Resume {
    /// The loop state of the checkpoint.
    pub state: LoopState,
    /// The checkpoint's weights.
    pub network: Network,
    /// The checkpoint's optimizer state (burnpack bytes).
    pub optimizer: Vec<u8>,
    /// The best epoch's weights, for early stopping with `restore_best`.
    pub best: Option<Network>,
}

/// A split as device tensors.
struct DeviceSplit {
    x: Tensor<2>,
    y: Tensor<2>,
    /// Per-row loss weights, with class weights.
    w: Option<Tensor<2>>,
    rows: usize,
}

/// The mean loss of `network` over `split`, at most [`PREDICT_ROWS`] rows per forward pass so
/// that a large validation split's activations stay bounded; read back once. (Each chunk's mean
/// is weighted by its share of the rows: by exactly 1 when there is one chunk.)
fn validation_loss(
    network: &Network,
    split: &DeviceSplit,
    task: Task,
    options: LossOptions,
) -> f64 {
    let n = split.rows;
    let total = row_chunks(n, PREDICT_ROWS)
        .map(|chunk| {
            let share = chunk.len() as f64 / n as f64;
            let output = network.forward(split.x.clone().slice(chunk.clone()));
            let target = split.y.clone().slice(chunk);
            loss(task, output, target, None, options).mul_scalar(share)
        })
        .reduce(|a, b| a + b)
        .unwrap_or_else(|| Tensor::zeros([1], &split.x.device()));
    f64::from(total.into_scalar::<f32>())
}

impl DeviceSplit {
    /// The inputs `x` (moved in: on the CPU the tensor takes the matrix's memory, no copy) and
    /// targets `y` as tensors on `device`.
    fn new(
        x: Matrix,
        y: &[f32],
        task: Task,
        k: usize,
        class_weights: Option<&[f32]>,
        device: &Device,
    ) -> Self {
        let rows = x.rows;
        let x = Tensor::from_data(TensorData::new(x.data, [x.rows, x.cols]), device);
        let w = class_weights.map(|cw| row_weights(cw, y, device));
        Self {
            x,
            y: target_tensor(task, y, k, device),
            w,
            rows,
        }
    }

    /// The inputs back as a matrix (on the CPU, the same memory when nothing else holds it).
    fn into_matrix(self) -> Matrix {
        let [rows, cols] = self.x.dims();
        let data = self.x.into_data().try_into_vec::<f32>().unwrap_or_default();
        Matrix { data, rows, cols }
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
    /// Seeds the batch order and dropout.
    pub seed: u64,
    /// Whether the features were scaled (for the divergence hint).
    pub scaled: bool,
    /// Per-class loss weights (classification), in label order.
    pub class_weights: Option<Vec<f32>>,
    /// Run each batch through the network as slices of this many rows
    /// ([`Network::forward_split`]), when the batch has at least two whole slices: an
    /// experiment for large GPU batches, set by `kiln bench --split-rows`; `None` elsewhere.
    pub split_rows: Option<usize>,
}

/// What the caller hears of the loop: every epoch's record (for logging) and, when given, the
/// requests to save a checkpoint.
pub struct FitHooks<'a> {
    /// Sees each epoch's record as it is made, and answers whether to go on: `false` (Ctrl-C)
    /// stops training after this epoch with [`TrainError::Interrupted`], after a checkpoint of
    /// the epoch when checkpoints are on.
    pub on_epoch: &'a mut dyn FnMut(&EpochRecord) -> bool,
    /// Writes checkpoints (with `checkpoint_every > 0`).
    pub checkpoint: Option<&'a mut CheckpointSink<'a>>,
}

/// The trained network (on the device it was trained on, without autodiff) and every epoch's
/// record. With early stopping, training may end before `epochs`, and the best epoch's weights
/// may be the ones returned.
pub struct Fitted {
    /// The trained network.
    pub network: Network,
    /// One record per epoch, resumed epochs included.
    pub history: Vec<EpochRecord>,
    /// The training split, handed back.
    pub train: Split,
}

/// Trains `network` (built on `device`), or continues from `resume`. `on_epoch` sees each
/// record as it is made (for logging); `checkpoints`, when given, is asked to save. The training
/// split is taken, not borrowed, so that its matrix becomes the training tensor rather than
/// being copied into one, and is handed back in [`Fitted::train`].
pub fn fit(
    network: Network,
    train: Split,
    valid: Option<&Split>,
    settings: &FitSettings<'_>,
    device: &Device,
    hooks: FitHooks<'_>,
    resume: Option<Resume>,
) -> Result<Fitted, TrainError> {
    let FitHooks {
        on_epoch,
        checkpoint: mut checkpoints,
    } = hooks;
    let config = settings.config;
    let task = settings.task;
    let autodiff = device.clone().autodiff();
    let Split {
        x: train_x,
        y: train_y,
        rows: train_rows,
    } = train;
    let train_data = DeviceSplit::new(
        train_x,
        &train_y,
        task,
        settings.classes,
        settings.class_weights.as_deref(),
        &autodiff,
    );
    // Validation loss is the plain loss: comparable across weightings.
    let valid_data =
        valid.map(|v| DeviceSplit::new(v.x.clone(), &v.y, task, settings.classes, None, device));
    let options = LossOptions {
        huber_delta: (config.loss == crate::LossKind::Huber).then_some(config.huber_delta),
    };
    let mut optimizer = crate::optimizer::build(&config.optimizer);
    let (mut model, mut state, mut best_model) = match resume {
        None => {
            let state = LoopState {
                epoch: 0,
                // Its own stream: changing the split seed must not change the batch order.
                rng: settings.seed ^ 0x6B69_6C6E_5F62_6174,
                schedule: LrSchedule::new(&config.schedule, config.optimizer.lr, config.epochs),
                first_loss: None,
                best: None,
                stalled: 0,
                history: Vec::with_capacity(config.epochs),
            };
            (network, state, None)
        }
        Some(resume) => {
            optimizer = optimizer
                .from_bytes(burn::tensor::Bytes::from_bytes_vec(resume.optimizer))
                .map_err(|e| TrainError::Files {
                    path: "optimizer.bpk".into(),
                    reason: format!("cannot restore the optimizer ({e})"),
                })?;
            let mut state = resume.state;
            state.schedule.extend_to(config.epochs);
            (
                resume.network,
                state,
                resume.best.map(|b| b.to_device(&autodiff)),
            )
        }
    };
    model = model.to_device(&autodiff).train();
    let mut rng = SeededRng::new(state.rng);
    let n = train_data.rows;
    let batch = config.batch_size.min(n);
    let mut order: Vec<usize> = (0..n).collect();
    let mut saved_best = state.best.map_or(0, |(_, e)| e);

    for epoch in state.epoch + 1..=config.epochs {
        // Seeding per epoch makes dropout masks a function of (seed, epoch): resumed runs match.
        autodiff.seed(
            settings
                .seed
                .wrapping_mul(0x9E37_79B9)
                .wrapping_add(epoch as u64),
        );
        let lr = state.schedule.lr(epoch);
        let mut total: Option<Tensor<1>> = None;
        let mut step =
            |model: Network, x: Tensor<2>, y: Tensor<2>, w: Option<Tensor<2>>, rows: usize| {
                let output = match settings.split_rows {
                    Some(part) if part > 0 && rows.is_multiple_of(part) && rows / part >= 2 => {
                        model.forward_split(x, rows / part)
                    }
                    _ => model.forward(x),
                };
                let l = loss(task, output, y, w, options);
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
            model = step(
                model,
                train_data.x.clone(),
                train_data.y.clone(),
                train_data.w.clone(),
                n,
            );
        } else if !config.shuffle {
            // Rows in file order: batches are contiguous slices, no gather at all.
            for chunk in row_chunks(n, batch) {
                let rows = chunk.len();
                let x = train_data.x.clone().slice(chunk.clone());
                let y = train_data.y.clone().slice(chunk.clone());
                let w = train_data.w.clone().map(|w| w.slice(chunk));
                model = step(model, x, y, w, rows);
            }
        } else {
            // Each epoch shuffles the identity afresh, so the order depends on the generator's
            // state alone and a resumed run repeats it.
            order.iter_mut().enumerate().for_each(|(i, o)| *o = i);
            rng.shuffle(&mut order);
            let ids: Vec<i64> = order.iter().map(|&i| i as i64).collect();
            let ids = Tensor::<1, Int>::from_data(TensorData::new(ids, [n]), &autodiff);
            for chunk in row_chunks(n, batch) {
                let rows = chunk.len();
                let batch_ids = ids.clone().slice(chunk);
                let x = train_data.x.clone().select(0, batch_ids.clone());
                let y = train_data.y.clone().select(0, batch_ids.clone());
                let w = train_data.w.clone().map(|w| w.select(0, batch_ids));
                model = step(model, x, y, w, rows);
            }
        }
        let train_loss = total.map_or(f64::NAN, |t| f64::from(t.into_scalar::<f32>()) / n as f64);
        let valid_loss = valid_data
            .as_ref()
            .map(|v| validation_loss(&model.valid(), v, task, options));
        let first = *state.first_loss.get_or_insert(train_loss);
        let exploded = first > 0.0 && train_loss > first * config.divergence_factor;
        if !train_loss.is_finite() || exploded {
            // Returned before any checkpoint of this epoch: a good checkpoint is never replaced.
            return Err(TrainError::Diverged {
                epoch,
                loss: train_loss,
                first,
                lr: config.optimizer.lr,
                scale_hint: if settings.scaled {
                    String::new()
                } else {
                    ", or set data.scale = \"standard\"".into()
                },
            });
        }
        let record = EpochRecord {
            epoch,
            train_loss,
            valid_loss,
            lr,
        };
        let go_on = on_epoch(&record);
        state.history.push(record);
        state.epoch = epoch;
        state.rng = rng.state();
        let watched = match config.early_stopping.as_ref().map(|s| s.metric) {
            Some(Monitored::TrainLoss) => train_loss,
            _ => valid_loss.unwrap_or(train_loss),
        };
        state.schedule.observe(watched);
        let min_delta = config.early_stopping.as_ref().map_or(0.0, |s| s.min_delta);
        if state.best.is_none_or(|(b, _)| watched < b - min_delta) {
            state.best = Some((watched, epoch));
            state.stalled = 0;
            if config.early_stopping.is_some() || checkpoints.is_some() {
                // A clone shares the weight tensors: it costs no copy.
                best_model = Some(model.clone());
            }
        } else {
            state.stalled += 1;
        }
        let stop = config
            .early_stopping
            .as_ref()
            .is_some_and(|s| state.stalled >= s.patience);
        let due = config.checkpoint_every > 0
            && (epoch.is_multiple_of(config.checkpoint_every) || epoch == config.epochs || stop);
        if let Some(save) = checkpoints.as_mut().filter(|_| due) {
            save(CheckpointKind::Every, &state, &model, &optimizer)?;
            if let (Some(best), Some((_, best_epoch))) = (&best_model, state.best)
                && best_epoch > saved_best
            {
                save(CheckpointKind::Best, &state, best, &optimizer)?;
                saved_best = best_epoch;
            }
        }
        if stop {
            break;
        }
        if !go_on && epoch < config.epochs {
            if let Some(save) = checkpoints.as_mut().filter(|_| !due) {
                save(CheckpointKind::Every, &state, &model, &optimizer)?;
            }
            return Err(TrainError::Interrupted {
                epoch,
                resume_from: None,
            });
        }
    }
    let restore = config
        .early_stopping
        .as_ref()
        .is_some_and(|s| s.restore_best);
    let model = match best_model {
        Some(best) if restore => best,
        _ => model,
    };
    Ok(Fitted {
        network: model.valid(),
        history: state.history,
        train: Split {
            x: train_data.into_matrix(),
            y: train_y,
            rows: train_rows,
        },
    })
}
