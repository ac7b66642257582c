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
use kiln_models::{Network, Summation, Task};
use serde::{Deserialize, Serialize};

use crate::bundle::FORWARD_ROWS;
use crate::schedule::{LrSchedule, Monitored};
use crate::task::{LossOptions, loss, read_back, row_chunks, row_weights, target_tensor};
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
    /// Reading the losses back: waiting for the device to finish the epoch (with read-ahead,
    /// while the next epoch is already queued behind it).
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
    /// The file they came from, for messages.
    pub optimizer_path: std::path::PathBuf,
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
/// [`FORWARD_ROWS`] rows per forward pass so that a large validation split's activations stay
/// bounded. (Each chunk's mean is weighted by its share of the rows: by exactly 1 when there is
/// one chunk.)
fn validation_loss(
    network: &Network,
    split: &DeviceSplit,
    task: Task,
    options: LossOptions,
) -> Tensor<1> {
    let n = split.rows;
    row_chunks(n, FORWARD_ROWS)
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
fn read_losses(
    total: Tensor<1>,
    valid: Option<Tensor<1>>,
    rows: usize,
) -> Result<(f64, Option<f64>), TrainError> {
    let has_valid = valid.is_some();
    // The training sum lives on the autodiff device, the validation loss beside it.
    let parts = std::iter::once(total).chain(valid);
    let values = read_back(Tensor::cat(
        parts.map(Tensor::without_autodiff).collect(),
        0,
    ))?;
    let value = |i: usize| values.get(i).map_or(f64::NAN, |&v| f64::from(v));
    Ok((value(0) / rows as f64, has_valid.then(|| value(1))))
}

impl DeviceSplit {
    /// The inputs `x` (moved in: on the CPU the tensor takes the matrix's memory, no copy) and
    /// targets `y` as tensors on `device`.
    fn new(
        x: Matrix,
        y: &[f64],
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
    fn into_matrix(self) -> Result<Matrix, TrainError> {
        let [rows, cols] = self.x.dims();
        let data = read_back(self.x)?;
        Ok(Matrix { data, rows, cols })
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
    /// Whether batches run through the network whole or as slices of rows
    /// ([`Network::forward_split`]).
    pub slicing: Slicing,
    /// Whether to issue each epoch before reading back the previous one's losses (the same
    /// results either way). Off: on the H200 it was slower (2026-11-29, `kiln bench`, same
    /// call: 0.76× the samples per second at batch 1024, 0.60× at 8192, 0.97× at 65,536), and
    /// on flex, which computes as the ops are issued, there is nothing to overlap. `kiln bench
    /// --read-ahead` and the tests turn it on.
    pub read_ahead: bool,
    /// How sums over a batch's rows (bias gradients, the mean loss) are laid out for the
    /// device; `kiln bench --one-pass-sums` sets [`Summation::OnePass`] to measure the default
    /// against.
    pub summation: Summation,
}

/// Whether a batch runs through the network whole or as slices of its rows, stacked
/// ([`Network::forward_split`]): the same outputs, but each layer's weight gradient becomes a
/// sum of products over a slice's rows (split-K) instead of one product whose inner dimension
/// is the whole batch, which a GPU's matrix kernels, tiling only the small output, run on a
/// handful of its cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Slicing {
    /// Slices of [`GPU_SLICE_ROWS`] rows on a kernel-launching device (a GPU) when a batch
    /// holds at least [`GPU_SLICES_FROM`] of them; whole batches elsewhere.
    #[default]
    Auto,
    /// Whole batches (`kiln bench --whole-batch`).
    Whole,
    /// Slices of this many rows when a batch holds at least two (`kiln bench --split-rows`).
    Rows(usize),
}

/// Rows per slice of a large batch on a GPU. On the H200 (2026-11-29, one call), the 256 × 256
/// weight gradient over 65,536 rows took 3.29 ms as one product and 0.52 ms as 16 products of
/// 4096 rows summed (`kiln bench --products`), and training at batch 65,536 ran at 16.3 M
/// samples/s in 4096-row slices, 12.2 M in 8192-row ones and 10.4 M whole.
pub const GPU_SLICE_ROWS: usize = 4096;

/// The fewest [`GPU_SLICE_ROWS`]-row slices a batch is cut into on a GPU: the size measured.
/// Smaller batches are not cut: split in slices, a batch of 8192 rows trained at 0.93× the
/// whole batch's speed (1024-row slices, the H200, 2026-11-29, before the staged sums).
pub const GPU_SLICES_FROM: usize = 16;

impl Slicing {
    /// The slices a batch of `rows` rows runs as (`None`: whole), on a device that launches
    /// kernels (a GPU) or not.
    pub fn slices(self, rows: usize, launches_kernels: bool) -> Option<usize> {
        let part = match self {
            Self::Whole => return None,
            Self::Rows(part) => part,
            Self::Auto if launches_kernels && rows >= GPU_SLICE_ROWS * GPU_SLICES_FROM => {
                GPU_SLICE_ROWS
            }
            Self::Auto => return None,
        };
        (part > 0 && rows.is_multiple_of(part) && rows / part >= 2).then(|| rows / part)
    }
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
    /// The epoch whose weights `network` holds, when early stopping restored the best epoch's
    /// rather than keeping the last.
    pub restored_epoch: Option<usize>,
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
        checkpoint: checkpoints,
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
        summation: settings.summation,
    };
    let mut optimizer = crate::optimizer::build(&config.optimizer);
    let (mut model, state, best_model) = match resume {
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
                    path: resume.optimizer_path.clone(),
                    reason: format!("cannot restore the optimizer ({e})"),
                })?;
            let mut state = resume.state;
            state.schedule.extend_to(config.epochs);
            state.schedule.rebase(config.optimizer.lr);
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
    // Flex runs each op in place on the CPU. Every other backend launches a kernel per op:
    // there a shuffled epoch is gathered in one op (on flex, batch by batch costs nothing and
    // holds no second copy of the data), and large batches may run in slices.
    let launches_kernels = *device != Device::flex();
    // With read-ahead, each epoch's losses are read back only once the next epoch is issued.
    // Never with a plateau schedule, whose next rate needs the losses first.
    let lag = settings.read_ahead && !state.schedule.follows_losses();
    let stochastic = model.is_stochastic();
    let first_epoch = state.epoch + 1;
    // A checkpoint written as early stopping fired ends the training: a resume from it (after a
    // signal cut the run short) only finishes the run, as one from the last epoch's does.
    let last_epoch = match &config.early_stopping {
        Some(stop) if state.stalled >= stop.patience => state.epoch,
        _ => config.epochs,
    };
    let mut conclusions = Conclusions {
        config,
        scaled: settings.scaled,
        rows: n,
        // None in this run's own checkpoints yet: a resumed run writes the best it was given
        // at its first checkpoint, which names it.
        saved_best: 0,
        state,
        best_model,
        on_epoch,
        checkpoints,
    };
    let mut next: Option<EpochRows> = None;
    let mut pending: Option<IssuedEpoch> = None;
    let mut stopped: Option<Network> = None;

    for epoch in first_epoch..=last_epoch {
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
        let lr = conclusions.state.schedule.lr(epoch);
        let started = Instant::now();
        let mut total = Tensor::<1>::zeros([1], &autodiff);
        let mut step =
            |model: Network, x: Tensor<2>, y: Tensor<2>, w: Option<Tensor<2>>, rows: usize| {
                let output = match settings.slicing.slices(rows, launches_kernels) {
                    Some(slices) => model.forward_split(x, slices, settings.summation),
                    None => model.forward_summing(x, settings.summation),
                };
                let l = loss(task, output, y, w, options);
                let weighted = l.clone().detach().mul_scalar(rows as f64);
                total = total.clone() + weighted;
                let grads = GradientsParams::from_grads(l.backward(), &model);
                optimizer.step(lr, model, grads)
            };
        let epoch_rows = match next.take() {
            Some(drawn) => drawn,
            None if shuffled => EpochRows::shuffled(&mut rng, &train_data, launches_kernels),
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
            next = Some(EpochRows::shuffled(&mut rng, &train_data, launches_kernels));
        }
        let valid = valid_data
            .as_ref()
            .map(|v| validation_loss(&model.valid(), v, task, options));
        // The first epoch is read at once: it sets the divergence yardstick and ends the
        // warm-up (`kiln bench` times from there).
        let read_later = lag && epoch > first_epoch;
        let issued = IssuedEpoch {
            epoch,
            lr,
            total,
            valid,
            rng: rng_after_epoch,
            model: model.clone(),
            // The live optimizer moves on before a later-read epoch is concluded.
            optimizer: (read_later && conclusions.checkpoints.is_some()).then(|| optimizer.clone()),
            steps: steps_issued - started,
            next: steps_issued.elapsed(),
        };
        let ready = if read_later {
            pending.replace(issued)
        } else {
            Some(issued)
        };
        if let Some(ready) = ready
            && let Flow::Stop(last) = conclusions.conclude(ready, &optimizer)?
        {
            // Early stopping: an epoch issued after it is dropped unread.
            stopped = Some(last);
            break;
        }
    }
    if let Some(last) = pending.take().filter(|_| stopped.is_none())
        && let Flow::Stop(model) = conclusions.conclude(last, &optimizer)?
    {
        stopped = Some(model);
    }
    let model = stopped.unwrap_or(model);
    let restore = config
        .early_stopping
        .as_ref()
        .is_some_and(|s| s.restore_best);
    let (model, restored_epoch) = match (conclusions.best_model, conclusions.state.best) {
        (Some(best), Some((_, epoch))) if restore => (best, Some(epoch)),
        _ => (model, None),
    };
    Ok(Fitted {
        network: model.valid(),
        restored_epoch,
        history: conclusions.state.history,
        train: Split {
            x: train_data.into_matrix()?,
            y: train_y,
            rows: train_rows,
        },
    })
}

/// An epoch whose steps are issued but whose losses are not yet read back.
struct IssuedEpoch {
    epoch: usize,
    lr: f64,
    /// The row-weighted sum of the epoch's training losses, on the device.
    total: Tensor<1>,
    /// The validation loss after the epoch, on the device.
    valid: Option<Tensor<1>>,
    /// The batch-order generator's state after the epoch's order: what its checkpoint holds.
    rng: u64,
    /// The weights after the epoch (a clone shares the tensors: no copy).
    model: Network,
    /// The optimizer after the epoch, when a later epoch is issued before this one is read and
    /// a checkpoint may need it; otherwise the live optimizer is this epoch's.
    optimizer: Option<ModuleOptimizer>,
    /// Issuing the steps.
    steps: Duration,
    /// Drawing the next order and issuing the validation loss.
    next: Duration,
}

/// Whether training goes on after an epoch is concluded.
enum Flow {
    Go,
    /// Early stopping, after the epoch with these weights.
    Stop(Network),
}

/// What happens once an epoch's losses are read back: the divergence check, the record, the
/// plateau schedule, early stopping, checkpoints and interruption.
struct Conclusions<'a, 'h> {
    config: &'a TrainConfig,
    /// Whether the features were scaled (for the divergence hint).
    scaled: bool,
    /// Training rows (the losses are summed over them).
    rows: usize,
    state: LoopState,
    /// The best epoch's weights, kept for early stopping and best checkpoints.
    best_model: Option<Network>,
    /// The epoch of the best checkpoint written so far.
    saved_best: usize,
    on_epoch: &'h mut dyn FnMut(&EpochRecord) -> bool,
    checkpoints: Option<&'h mut CheckpointSink<'h>>,
}

impl Conclusions<'_, '_> {
    /// Reads back `issued`'s losses and acts on them. `live` is the optimizer, for an epoch
    /// that carries no copy of its own.
    fn conclude(
        &mut self,
        issued: IssuedEpoch,
        live: &ModuleOptimizer,
    ) -> Result<Flow, TrainError> {
        let config = self.config;
        let waiting = Instant::now();
        let (train_loss, valid_loss) = read_losses(issued.total, issued.valid, self.rows)?;
        let timing = EpochTiming {
            steps: issued.steps,
            next: issued.next,
            read_back: waiting.elapsed(),
        };
        let epoch = issued.epoch;
        let state = &mut self.state;
        let first = *state.first_loss.get_or_insert(train_loss);
        let exploded = first > 0.0 && train_loss > first * config.divergence_factor;
        if !train_loss.is_finite() || exploded {
            // Returned before any checkpoint of this epoch: a good checkpoint is never replaced.
            return Err(TrainError::Diverged {
                epoch,
                loss: train_loss,
                first,
                lr: config.optimizer.lr,
                scale_hint: match (first.is_finite(), self.scaled) {
                    // Either the steps of the first epoch blew up, or the values never fit.
                    (false, scaled) => format!(
                        "; the first epoch's loss was already not a finite number: either the rate \
                         is far too high (lower it by powers of ten), or the values are too large \
                         for 32-bit floats (rescale the target, e.g. divide it by a power of \
                         ten{})",
                        if scaled {
                            ""
                        } else {
                            ", and set data.scale = \"standard\""
                        }
                    ),
                    (true, true) => String::new(),
                    (true, false) => ", or set data.scale = \"standard\"".into(),
                },
                kept: None,
                fold: None,
            });
        }
        let record = EpochRecord {
            epoch,
            train_loss,
            valid_loss,
            lr: issued.lr,
            timing,
        };
        let go_on = (self.on_epoch)(&record);
        state.history.push(record);
        state.epoch = epoch;
        state.rng = issued.rng;
        let watched = match config.early_stopping.as_ref().map(|s| s.metric) {
            Some(Monitored::TrainLoss) => train_loss,
            _ => valid_loss.unwrap_or(train_loss),
        };
        state.schedule.observe(epoch, watched);
        let min_delta = config.early_stopping.as_ref().map_or(0.0, |s| s.min_delta);
        if state.best.is_none_or(|(b, _)| watched < b - min_delta) {
            state.best = Some((watched, epoch));
            state.stalled = 0;
            if config.early_stopping.is_some() || self.checkpoints.is_some() {
                // A clone shares the weight tensors: it costs no copy.
                self.best_model = Some(issued.model.clone());
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
        // An interrupted run is checkpointed whether due or not: it is kept for --resume.
        let interrupted = !go_on && epoch < config.epochs;
        let optimizer = issued.optimizer.as_ref().unwrap_or(live);
        if let Some(save) = self.checkpoints.as_mut().filter(|_| due || interrupted) {
            // One stretch of writes that a signal never cuts (see `files::writing`), the best
            // first: the epoch's checkpoint names it, and must never exist without it.
            let _writing = crate::files::writing();
            if let (Some(best), Some((_, best_epoch))) = (&self.best_model, state.best)
                && best_epoch > self.saved_best
            {
                save(CheckpointKind::Best, state, best, optimizer)?;
                self.saved_best = best_epoch;
            }
            save(CheckpointKind::Every, state, &issued.model, optimizer)?;
        }
        if stop {
            return Ok(Flow::Stop(issued.model));
        }
        if interrupted {
            return Err(TrainError::Interrupted {
                epoch,
                resume_from: None,
            });
        }
        Ok(Flow::Go)
    }
}

#[cfg(test)]
mod tests {
    use kiln_models::LayerSpec;

    use super::*;

    fn values(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_to_vec().expect("f32")
    }

    /// A noisy regression set: y = x₀ − 2·x₁ + noise, inputs uniform in ±½.
    fn regression(rows: usize, seed: u64) -> Split {
        let mut rng = SeededRng::new(seed);
        let mut uniform = || (rng.next_u64() >> 11) as f32 / (1u64 << 53) as f32 - 0.5;
        let data: Vec<f32> = (0..rows * 2).map(|_| uniform()).collect();
        let y = data
            .chunks(2)
            .map(|x| f64::from(x[0] - 2.0 * x[1] + 0.1 * uniform()))
            .collect();
        Split {
            x: Matrix {
                data,
                rows,
                cols: 2,
            },
            y,
            rows: (0..rows).collect(),
        }
    }

    /// One checkpoint as written: its kind, loop state, weights and optimizer.
    type Saved = (CheckpointKind, LoopState, Vec<u8>, ModuleOptimizer);

    /// All that a run shows: every record, every checkpoint, and the trained network's outputs
    /// on the validation inputs (or the error).
    struct Outcome {
        history: Vec<(usize, f64, Option<f64>, f64)>,
        checkpoints: Vec<Saved>,
        result: Result<Vec<f32>, String>,
    }

    /// The network of the tests below: an MLP with dropout, so that seeding counts.
    const SPECS: [LayerSpec; 4] = [
        LayerSpec::Linear { d_in: 2, d_out: 8 },
        LayerSpec::Relu,
        LayerSpec::Dropout { prob: 0.2 },
        LayerSpec::Linear { d_in: 8, d_out: 1 },
    ];

    /// Trains `network` on shuffled batches with a validation split; `interrupt_at` answers
    /// "stop" after that epoch.
    fn outcome(
        config: &TrainConfig,
        network: Network,
        read_ahead: bool,
        interrupt_at: Option<usize>,
    ) -> Outcome {
        let device = Device::flex();
        let valid = regression(40, 2);
        let settings = FitSettings {
            config,
            task: Task::Regression,
            classes: 0,
            seed: 5,
            scaled: true,
            class_weights: None,
            slicing: Slicing::Auto,
            read_ahead,
            summation: Summation::default(),
        };
        let mut history = Vec::new();
        let mut on_epoch = |r: &EpochRecord| {
            history.push((r.epoch, r.train_loss, r.valid_loss, r.lr));
            interrupt_at != Some(r.epoch)
        };
        let mut checkpoints = Vec::new();
        let mut save = |kind: CheckpointKind,
                        state: &LoopState,
                        model: &Network,
                        optimizer: &ModuleOptimizer| {
            let weights = model.to_bytes().expect("weights");
            checkpoints.push((kind, state.clone(), weights, optimizer.clone()));
            Ok(())
        };
        let fitted = fit(
            network,
            regression(100, 1),
            Some(&valid),
            &settings,
            &device,
            FitHooks {
                on_epoch: &mut on_epoch,
                checkpoint: Some(&mut save),
            },
            None,
        );
        let probe = Tensor::<2>::from_data(TensorData::new(valid.x.data, [40, 2]), &device);
        let result = fitted
            .map(|f| values(f.network.forward(probe)))
            .map_err(|e| e.to_string());
        Outcome {
            history,
            checkpoints,
            result,
        }
    }

    /// What a checkpoint's optimizer does from its weights: one step on a fixed batch (with a
    /// fixed dropout mask). Equal states take equal steps; the bytes of two equal states can
    /// differ, as they list the parameters in hash order.
    fn one_step(saved: &Saved) -> Vec<u8> {
        let device = Device::flex().autodiff();
        let weights = Network::from_bytes(&SPECS, saved.2.clone(), &Device::flex());
        let model = weights.expect("weights").to_device(&device).train();
        device.seed(1);
        let x =
            Tensor::<2>::from_data(TensorData::new(vec![0.5, -0.25, 0.1, 0.3], [2, 2]), &device);
        let grads = GradientsParams::from_grads(model.forward(x).sum().backward(), &model);
        let mut optimizer = saved.3.clone();
        let model = optimizer.step(1e-2, model, grads);
        model.valid().to_bytes().expect("weights")
    }

    /// Runs `config` both ways, from the same weights and parameter ids, and checks that
    /// reading each epoch's losses one epoch late changes nothing: records, trained outputs,
    /// errors, and every checkpoint's loop state, weights and optimizer.
    fn same_both_ways(config: &TrainConfig, interrupt_at: Option<usize>) -> Outcome {
        // The device's generator is one per process: tests that seed it and draw from it
        // (dropout) take turns.
        static GENERATOR: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _turn = GENERATOR
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let cpu = Device::flex();
        cpu.seed(11);
        let network = Network::init(&SPECS, &cpu);
        let at_once = outcome(config, network.clone(), false, interrupt_at);
        let late = outcome(config, network, true, interrupt_at);
        assert_eq!(at_once.history, late.history, "records");
        assert_eq!(at_once.result, late.result, "trained outputs");
        let written = |o: &Outcome| -> Vec<(CheckpointKind, usize, u64)> {
            o.checkpoints
                .iter()
                .map(|c| (c.0, c.1.epoch, c.1.rng))
                .collect()
        };
        assert_eq!(written(&at_once), written(&late), "checkpoints written");
        for (a, b) in at_once.checkpoints.iter().zip(&late.checkpoints) {
            let which = format!("checkpoint {:?} {}", a.0, a.1.epoch);
            assert!(a.2 == b.2, "weights of {which}");
            assert!(one_step(a) == one_step(b), "optimizer of {which}");
        }
        at_once
    }

    /// Adam, so that checkpoints hold optimizer state (plain SGD has none).
    fn config(epochs: usize) -> TrainConfig {
        let mut config = TrainConfig {
            epochs,
            batch_size: 16,
            checkpoint_every: 3,
            ..TrainConfig::default()
        };
        config.optimizer.kind = crate::OptimizerKind::Adam;
        config
    }

    fn epochs_of(outcome: &Outcome) -> Vec<usize> {
        outcome.history.iter().map(|r| r.0).collect()
    }

    #[test]
    fn reading_each_epoch_late_changes_nothing() {
        let full = same_both_ways(&config(8), None);
        assert_eq!(epochs_of(&full), (1..=8).collect::<Vec<_>>());
        let every: Vec<usize> = full
            .checkpoints
            .iter()
            .filter(|c| c.0 == CheckpointKind::Every)
            .map(|c| c.1.epoch)
            .collect();
        assert_eq!(every, [3, 6, 8]);
        assert!(full.result.is_ok());
    }

    #[test]
    fn early_stopping_drops_the_epoch_issued_after_it() {
        for restore_best in [false, true] {
            // No epoch ever improves on the first by 1e9: training stops after epoch 1 + 3.
            let mut stopping = config(10);
            stopping.early_stopping = Some(crate::EarlyStoppingConfig {
                metric: Monitored::ValidLoss,
                patience: 3,
                min_delta: 1e9,
                restore_best,
            });
            let stopped = same_both_ways(&stopping, None);
            assert_eq!(epochs_of(&stopped), [1, 2, 3, 4]);
            assert_eq!(stopped.checkpoints.last().map(|c| c.1.epoch), Some(4));
        }
    }

    #[test]
    fn an_interrupt_or_a_divergence_ends_at_the_same_epoch() {
        let interrupted = same_both_ways(&config(8), Some(5));
        assert_eq!(epochs_of(&interrupted), (1..=5).collect::<Vec<_>>());
        assert_eq!(interrupted.checkpoints.last().map(|c| c.1.epoch), Some(5));
        assert!(interrupted.result.is_err());
        let mut exploding = config(8);
        exploding.optimizer.kind = crate::OptimizerKind::Sgd;
        exploding.optimizer.lr = 50.0;
        let diverged = same_both_ways(&exploding, None);
        let error = diverged.result.expect_err("diverges");
        assert!(error.contains("diverged"), "{error}");
        // Past the first epoch (read at once): the divergence is found by a late read.
        assert!(!diverged.history.is_empty(), "{error}");
    }

    #[test]
    fn a_plateau_schedule_reads_every_epoch_before_the_next() {
        // Each epoch's rate depends on the losses before it: forcing read-ahead must not let
        // an epoch start before the previous one's loss has lowered the rate.
        let mut plateau = config(40);
        plateau.optimizer.lr = 0.05;
        plateau.schedule.kind = crate::ScheduleKind::Plateau;
        plateau.schedule.patience = 0;
        plateau.schedule.factor = 0.5;
        // The training loss (noisy with dropout) drives the schedule; stopping never comes.
        plateau.early_stopping = Some(crate::EarlyStoppingConfig {
            metric: Monitored::TrainLoss,
            patience: 100,
            min_delta: 0.0,
            restore_best: false,
        });
        let run = same_both_ways(&plateau, None);
        let rates: Vec<f64> = run.history.iter().map(|r| r.3).collect();
        assert!(
            rates.windows(2).any(|w| w[1] < w[0]),
            "the rate falls: {rates:?}"
        );
    }

    #[test]
    fn large_gpu_batches_run_in_slices_and_everything_else_whole() {
        let big = GPU_SLICE_ROWS * GPU_SLICES_FROM;
        assert_eq!(Slicing::Auto.slices(big, true), Some(GPU_SLICES_FROM));
        assert_eq!(
            Slicing::Auto.slices(4 * big, true),
            Some(4 * GPU_SLICES_FROM)
        );
        // On the CPU, below the measured size, or not a whole number of slices: whole.
        assert_eq!(Slicing::Auto.slices(big, false), None);
        assert_eq!(Slicing::Auto.slices(big - GPU_SLICE_ROWS, true), None);
        assert_eq!(Slicing::Auto.slices(big + 1, true), None);
        assert_eq!(Slicing::Whole.slices(big, true), None);
        // Asked for: any device, at least two slices.
        assert_eq!(Slicing::Rows(8).slices(32, false), Some(4));
        assert_eq!(Slicing::Rows(32).slices(32, true), None);
        assert_eq!(Slicing::Rows(0).slices(32, true), None);
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
        let y: Vec<f64> = (0..rows).map(|v| (v % 2) as f64).collect();
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
