//! The training loop, written for small tabular models: the whole training set lives in device
//! tensors, each epoch uploads one shuffled index vector, and the losses are read back once per
//! epoch (not per step), so the loop costs a few tensor ops per step and one device sync per
//! epoch. The next epoch's order is drawn and uploaded before that sync, so the CPU shuffles
//! while the device is still working through the epoch.

use std::ops::Range;
use std::time::{Duration, Instant};

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
    /// Where the epoch's wall-clock time went (not saved: it differs from run to run).
    #[serde(skip)]
    pub timing: EpochTiming,
}

/// Wall-clock time of an epoch's phases, for `kiln bench`: on a GPU, issuing the steps is the
/// CPU's share and the read-back waits for the device to finish what was issued.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EpochTiming {
    /// Issuing the epoch's steps (forward, backward, optimizer) from the CPU.
    pub steps: Duration,
    /// Drawing and uploading the next epoch's order, and issuing the validation loss.
    pub next: Duration,
    /// Reading the losses back: waiting for everything issued to finish.
    pub read_back: Duration,
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

/// The mean loss of `network` over `split` (a one-element tensor, not yet read back), at most
/// [`PREDICT_ROWS`] rows per forward pass so that a large validation split's activations stay
/// bounded. (Each chunk's mean is weighted by its share of the rows: by exactly 1 when there is
/// one chunk.)
fn validation_loss(
    network: &Network,
    split: &DeviceSplit,
    task: Task,
    options: LossOptions,
) -> Tensor<1> {
    let n = split.rows;
    row_chunks(n, PREDICT_ROWS)
        .map(|chunk| {
            let share = chunk.len() as f64 / n as f64;
            let output = network.forward(split.x.clone().slice(chunk.clone()));
            let target = split.y.clone().slice(chunk);
            loss(task, output, target, None, options).mul_scalar(share)
        })
        .reduce(|a, b| a + b)
        .unwrap_or_else(|| Tensor::zeros([1], &split.x.device()))
}

/// Where one epoch's batches come from.
#[allow(clippy::large_enum_variant, reason = "at most two exist at a time")]
enum EpochRows {
    /// Consecutive row slices of these tensors: the training data itself (in file order, or
    /// one full batch, where order does not matter), or a copy of it permuted for the epoch.
    Slices {
        x: Tensor<2>,
        y: Tensor<2>,
        w: Option<Tensor<2>>,
    },
    /// Rows gathered from the training data batch by batch, in this order.
    Gathered(Tensor<1, Int>),
}

impl EpochRows {
    /// The training data as it lies.
    fn in_order(data: &DeviceSplit) -> Self {
        Self::Slices {
            x: data.x.clone(),
            y: data.y.clone(),
            w: data.w.clone(),
        }
    }

    /// A fresh order: the identity shuffled by `rng`, so that the order depends on the
    /// generator's state alone and a resumed run repeats it. `permute` gathers the whole epoch
    /// in one op (on backends that launch a kernel per op, one gather instead of one per batch
    /// per tensor); otherwise each batch is gathered as it is taken, which holds no second copy
    /// of the data.
    fn shuffled(rng: &mut SeededRng, data: &DeviceSplit, permute: bool) -> Self {
        let n = data.rows;
        let mut order: Vec<i64> = (0..n as i64).collect();
        rng.shuffle(&mut order);
        let ids = Tensor::<1, Int>::from_data(TensorData::new(order, [n]), &data.x.device());
        if permute {
            Self::Slices {
                x: data.x.clone().select(0, ids.clone()),
                y: data.y.clone().select(0, ids.clone()),
                w: data.w.clone().map(|w| w.select(0, ids)),
            }
        } else {
            Self::Gathered(ids)
        }
    }

    /// The inputs, targets and row weights of the batch of rows `chunk` of the epoch.
    fn batch(
        &self,
        data: &DeviceSplit,
        chunk: Range<usize>,
    ) -> (Tensor<2>, Tensor<2>, Option<Tensor<2>>) {
        match self {
            Self::Slices { x, y, w } if chunk.len() == data.rows => {
                (x.clone(), y.clone(), w.clone())
            }
            Self::Slices { x, y, w } => (
                x.clone().slice(chunk.clone()),
                y.clone().slice(chunk.clone()),
                w.clone().map(|w| w.slice(chunk)),
            ),
            Self::Gathered(ids) => {
                let ids = ids.clone().slice(chunk);
                (
                    data.x.clone().select(0, ids.clone()),
                    data.y.clone().select(0, ids.clone()),
                    data.w.clone().map(|w| w.select(0, ids)),
                )
            }
        }
    }
}

/// The epoch's mean training loss (from the row-weighted sum `total` over `rows` rows) and
/// the validation loss, read back from the device in one transfer: the epoch's one sync.
fn read_losses(total: Tensor<1>, valid: Option<Tensor<1>>, rows: usize) -> (f64, Option<f64>) {
    let has_valid = valid.is_some();
    // The training sum lives on the autodiff device, the validation loss beside it.
    let parts = std::iter::once(total).chain(valid);
    let both = Tensor::cat(parts.map(Tensor::without_autodiff).collect(), 0);
    let values: Vec<f32> = both.into_data().try_into_vec().unwrap_or_default();
    let value = |i: usize| values.get(i).map_or(f64::NAN, |&v| f64::from(v));
    (value(0) / rows as f64, has_valid.then(|| value(1)))
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
    // One full batch needs no order: its rows are summed whatever the order.
    let shuffled = config.shuffle && batch < n;
    // Flex runs each op in place on the CPU: gathering batch by batch costs nothing there and
    // holds no second copy of the data. Every other backend launches a kernel per op.
    let permute = *device != Device::flex();
    let stochastic = model.is_stochastic();
    let mut next: Option<EpochRows> = None;
    let mut saved_best = state.best.map_or(0, |(_, e)| e);

    for epoch in state.epoch + 1..=config.epochs {
        // Seeding per epoch makes dropout masks a function of (seed, epoch): resumed runs match.
        // Only networks with dropout draw on the device: on a GPU the seed is a blocking round
        // trip to the device's thread, paid every epoch.
        if stochastic {
            autodiff.seed(
                settings
                    .seed
                    .wrapping_mul(0x9E37_79B9)
                    .wrapping_add(epoch as u64),
            );
        }
        let lr = state.schedule.lr(epoch);
        let started = Instant::now();
        let mut total = Tensor::<1>::zeros([1], &autodiff);
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
                total = total.clone() + weighted;
                let grads = GradientsParams::from_grads(l.backward(), &model);
                optimizer.step(lr, model, grads)
            };
        let epoch_rows = match next.take() {
            Some(drawn) => drawn,
            None if shuffled => EpochRows::shuffled(&mut rng, &train_data, permute),
            None => EpochRows::in_order(&train_data),
        };
        for chunk in row_chunks(n, batch) {
            let (x, y, w) = epoch_rows.batch(&train_data, chunk.clone());
            model = step(model, x, y, w, chunk.len());
        }
        // Frees this epoch's permuted copy for the next one's.
        drop(epoch_rows);
        let steps_issued = Instant::now();
        // What a checkpoint of this epoch must hold: the state before the next epoch's draw.
        let rng_after_epoch = rng.state();
        if shuffled && epoch < config.epochs {
            next = Some(EpochRows::shuffled(&mut rng, &train_data, permute));
        }
        let valid_total = valid_data
            .as_ref()
            .map(|v| validation_loss(&model.valid(), v, task, options));
        let next_issued = Instant::now();
        let (train_loss, valid_loss) = read_losses(total, valid_total, n);
        let timing = EpochTiming {
            steps: steps_issued - started,
            next: next_issued - steps_issued,
            read_back: next_issued.elapsed(),
        };
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
            timing,
        };
        let go_on = on_epoch(&record);
        state.history.push(record);
        state.epoch = epoch;
        state.rng = rng_after_epoch;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn values(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_to_vec().expect("f32")
    }

    #[test]
    fn a_permuted_epoch_gives_the_batches_gathered_one_by_one() {
        let device = Device::flex();
        let rows = 11;
        let x = Matrix {
            data: (0..rows * 3).map(|v| v as f32).collect(),
            rows,
            cols: 3,
        };
        let y: Vec<f32> = (0..rows).map(|v| (v % 2) as f32).collect();
        let data = DeviceSplit::new(x, &y, Task::Binary, 0, Some(&[1.0, 2.0]), &device);
        let (mut a, mut b) = (SeededRng::new(9), SeededRng::new(9));
        let permuted = EpochRows::shuffled(&mut a, &data, true);
        let gathered = EpochRows::shuffled(&mut b, &data, false);
        assert!(matches!(permuted, EpochRows::Slices { .. }));
        assert!(matches!(gathered, EpochRows::Gathered(_)));
        assert_eq!(a.state(), b.state(), "both draw the same order");
        let mut seen = Vec::new();
        for chunk in row_chunks(rows, 4) {
            let (px, py, pw) = permuted.batch(&data, chunk.clone());
            let (gx, gy, gw) = gathered.batch(&data, chunk);
            let px = values(px);
            assert_eq!(px, values(gx));
            assert_eq!(values(py), values(gy));
            assert_eq!(values(pw.expect("weights")), values(gw.expect("weights")));
            seen.extend(px.chunks(3).map(|row| row[0] as usize / 3));
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..rows).collect::<Vec<_>>(), "every row once");
    }
}
