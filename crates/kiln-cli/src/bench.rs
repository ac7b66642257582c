//! `kiln bench`: the training-throughput benchmark of the issues — an MLP 64 → 256 → 256 → 1
//! (ReLU, Adam, MSE) on synthetic data, trained by kiln's real training loop. It prints one JSON
//! line, to be compared with `bench/mlp_torch.py` run on the same machine in the same session.

use std::time::Instant;

use anyhow::Result;
use burn::prelude::{Device, Tensor};
use burn::tensor::Distribution;
use kiln_data::{Matrix, SeededRng, Split};
use kiln_models::{LayerSpec, Network, Summation, Task};
use kiln_train::{FitSettings, OptimizerConfig, OptimizerKind, Slicing, TrainConfig};

/// What to measure.
pub struct BenchOptions {
    /// Rows per step.
    pub batch: usize,
    /// Timed optimizer steps (after one warm-up epoch).
    pub steps: usize,
    /// Rows of synthetic data.
    pub rows: usize,
    /// Shuffle every epoch (batches gathered by index) or take contiguous slices.
    pub shuffle: bool,
    /// Whole batches or slices of rows (split-K weight gradients), as `kiln train` by default.
    pub slicing: Slicing,
    /// The optimizer (Adam in the issues' benchmark; SGD shows what Adam's update costs).
    pub optimizer: OptimizerKind,
    /// Issue each epoch before the previous one's losses are read back (`kiln train` reads
    /// each epoch at once): measures what the overlap buys.
    pub read_ahead: bool,
    /// How sums over the batch's rows are laid out ([`Summation::Staged`], as `kiln train`).
    pub summation: Summation,
}

const D_IN: usize = 64;

/// Synthetic regression data: x ~ N(0, 1), y = x·w + tanh(x₀) with a fixed random w.
fn synthetic(rows: usize, seed: u64) -> Split {
    let mut rng = SeededRng::new(seed);
    let mut normal = || {
        // Box–Muller from two uniforms in (0, 1].
        let u1 = ((rng.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        let u2 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    };
    let w: Vec<f64> = (0..D_IN).map(|_| normal() / (D_IN as f64).sqrt()).collect();
    let mut x = Matrix::zeros(rows, D_IN);
    let mut y = Vec::with_capacity(rows);
    for r in 0..rows {
        let row = x.row_mut(r);
        for v in row.iter_mut() {
            *v = normal() as f32;
        }
        let dot: f64 = row.iter().zip(&w).map(|(a, b)| f64::from(*a) * b).sum();
        y.push(f64::from((dot + f64::from(row[0]).tanh()) as f32));
    }
    Split {
        x,
        y,
        rows: (0..rows).collect(),
    }
}

/// The five large matrix products of one training step of the benchmark's MLP at `rows` rows,
/// each timed alone on `device` (300 runs after 20 of warm-up, which on a GPU compile and
/// autotune its kernel; the device is synchronised before and after the timed runs): how much
/// of a step is the matrix kernel itself. `bench/matmul_torch.py` is its PyTorch peer, with the
/// same lines.
pub fn products(rows: usize, device: &Device, device_name: &str) -> Result<String> {
    type Product<'a> = Box<dyn Fn() -> Tensor<2> + 'a>;
    let random = |r: usize, c: usize| Tensor::<2>::random([r, c], Distribution::Default, device);
    let (x, w1, w2) = (random(rows, D_IN), random(D_IN, 256), random(256, 256));
    let (a1, dz) = (random(rows, 256), random(rows, 256));
    let step: [(String, Product); 5] = [
        (
            format!("forward  x·W1      {rows}×64·64×256"),
            Box::new(|| x.clone().matmul(w1.clone())),
        ),
        (
            format!("forward  a1·W2     {rows}×256·256×256"),
            Box::new(|| a1.clone().matmul(w2.clone())),
        ),
        (
            format!("backward a1ᵀ·dz    256×{rows}·{rows}×256"),
            Box::new(|| a1.clone().transpose().matmul(dz.clone())),
        ),
        (
            format!("backward dz·W2ᵀ    {rows}×256·256×256"),
            Box::new(|| dz.clone().matmul(w2.clone().transpose())),
        ),
        (
            format!("backward xᵀ·dz     64×{rows}·{rows}×256"),
            Box::new(|| x.clone().transpose().matmul(dz.clone())),
        ),
    ];
    // The largest weight gradient again, split-K: `parts` products over `rows / parts` rows,
    // summed (what `--split-rows` does to every layer), for GPU kernels that tile only the
    // 256 × 256 output. Timed apart: not part of the step's total.
    let slices = |t: &Tensor<2>, parts: usize| t.clone().reshape([parts, rows / parts, 256]);
    let split: Vec<(String, Product)> = [16, 64]
        .into_iter()
        .filter(|parts| rows.is_multiple_of(*parts) && rows / parts >= 256)
        .map(|parts| -> (String, Product) {
            let (a1, dz) = (&a1, &dz);
            (
                format!(
                    "  a1ᵀ·dz in {parts} slices of {} rows, summed",
                    rows / parts
                ),
                Box::new(move || {
                    let products = slices(a1, parts).swap_dims(1, 2).matmul(slices(dz, parts));
                    products.sum_dim(0).reshape([256, 256])
                }),
            )
        })
        .collect();
    let sync = || {
        device
            .sync()
            .map_err(|e| anyhow::anyhow!("the device failed: {e:?}"))
    };
    let time = |product: &Product| -> Result<f64> {
        for _ in 0..20 {
            let _ = product();
        }
        sync()?;
        let started = Instant::now();
        for _ in 0..300 {
            let _ = product();
        }
        sync()?;
        Ok(started.elapsed().as_secs_f64() / 300.0 * 1e3)
    };
    let mut lines = Vec::new();
    let mut total = 0.0;
    for (name, product) in &step {
        let ms = time(product)?;
        total += ms;
        lines.push(format!("{name}: {ms:.3} ms"));
    }
    lines.push(format!("all five: {total:.3} ms per step ({device_name})"));
    let whole = step[2].1()
        .into_data()
        .try_to_vec::<f32>()
        .unwrap_or_default();
    let scale = whole.iter().fold(f32::MIN_POSITIVE, |m, v| m.max(v.abs()));
    for (name, product) in &split {
        let ms = time(product)?;
        // The same product, or the timing means nothing.
        let values = product()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        let off = whole
            .iter()
            .zip(&values)
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        anyhow::ensure!(
            values.len() == whole.len() && off <= 1e-4 * scale,
            "{name}: differs from the whole product by {off} (largest value {scale})"
        );
        lines.push(format!("{name}: {ms:.3} ms"));
    }
    Ok(lines.join("\n"))
}

/// Runs the benchmark on `device` and returns its JSON line.
pub fn run(
    options: &BenchOptions,
    device: &burn::prelude::Device,
    device_name: &str,
) -> Result<String> {
    let rows = options.rows;
    let steps_per_epoch = rows.div_ceil(options.batch);
    let timed_epochs = options.steps.div_ceil(steps_per_epoch).max(1);
    let data = synthetic(rows, 7);
    let config = TrainConfig {
        epochs: timed_epochs + 1,
        batch_size: options.batch,
        shuffle: options.shuffle,
        log_every: usize::MAX,
        optimizer: OptimizerConfig {
            kind: options.optimizer,
            lr: 1e-3,
            ..OptimizerConfig::default()
        },
        ..TrainConfig::default()
    };
    let settings = FitSettings {
        config: &config,
        task: Task::Regression,
        classes: 0,
        seed: 42,
        scaled: true,
        class_weights: None,
        slicing: options.slicing,
        read_ahead: options.read_ahead,
        summation: options.summation,
    };
    let layers = vec![
        LayerSpec::Linear {
            d_in: D_IN,
            d_out: 256,
        },
        LayerSpec::Relu,
        LayerSpec::Linear {
            d_in: 256,
            d_out: 256,
        },
        LayerSpec::Relu,
        LayerSpec::Linear {
            d_in: 256,
            d_out: 1,
        },
    ];
    // Seeded on the CPU, as `kiln train` does: every run and device starts from the same
    // weights, so variants' and devices' losses compare.
    let network = Network::seeded(&layers, 42, device);
    let mut marks = Vec::new();
    let started = Instant::now();
    let mut on_epoch = |_: &kiln_train::EpochRecord| {
        marks.push(Instant::now());
        true
    };
    let fitted = kiln_train::fit(
        network,
        data,
        None,
        &settings,
        device,
        kiln_train::FitHooks {
            on_epoch: &mut on_epoch,
            checkpoint: None,
        },
        None,
    )?;
    let total = started.elapsed().as_secs_f64();
    // The first epoch pays for uploads, kernel compilation and autotuning: it is the warm-up.
    let timed = marks
        .last()
        .zip(marks.first())
        .map_or(0.0, |(l, f)| l.duration_since(*f).as_secs_f64());
    let samples = (timed_epochs * rows) as f64;
    let final_loss = fitted.history.last().map_or(f64::NAN, |r| r.train_loss);
    let timed_records = fitted.history.get(1..).unwrap_or_default();
    let median_ms = |phase: fn(&kiln_train::EpochTiming) -> std::time::Duration| {
        let mut ms: Vec<f64> = timed_records
            .iter()
            .map(|r| phase(&r.timing).as_secs_f64() * 1e3)
            .collect();
        ms.sort_by(f64::total_cmp);
        ms.get(ms.len() / 2).copied().unwrap_or(f64::NAN)
    };
    Ok(serde_json::json!({
        "framework": "kiln",
        "device": device_name,
        "batch": options.batch,
        "shuffle": options.shuffle,
        // The rows of each slice a whole batch ran as; null: whole.
        "split_rows": options
            .slicing
            .slices(options.batch, *device != Device::flex())
            .map(|slices| options.batch / slices),
        "read_ahead": options.read_ahead,
        "one_pass_sums": options.summation == Summation::OnePass,
        "optimizer": options.optimizer,
        "rows": rows,
        "timed_steps": timed_epochs * steps_per_epoch,
        "samples_per_sec": samples / timed,
        "warmup_seconds": total - timed,
        "final_loss": final_loss,
        // Every epoch's training loss, the warm-up's first: variants and devices compare by it.
        "epoch_losses": fitted.history.iter().map(|r| r.train_loss).collect::<Vec<_>>(),
        // Medians over the timed epochs: the CPU issuing the steps, drawing the next order,
        // and waiting at the read-back for the device to finish the epoch.
        "epoch_ms": {
            "issue_steps": median_ms(|t| t.steps),
            "next_order": median_ms(|t| t.next),
            "read_back": median_ms(|t| t.read_back),
        },
    })
    .to_string())
}

/// `kiln bench-load`: reads the CSV file of `experiment`, prepares it (types, missing cells,
/// split, scaling and one-hot encoding fitted on the training rows) and moves every split into
/// tensors on `device` — everything `kiln train` does before its first step. Prints one JSON
/// line with rows per second and the peak resident memory against the file's size, to compare
/// with `bench/load_pandas.py` on the same file.
pub fn load(
    experiment: &kiln_train::Experiment,
    device: &burn::prelude::Device,
    device_name: &str,
) -> Result<String> {
    use burn::prelude::{Tensor, TensorData};

    let csv_bytes = std::fs::metadata(&experiment.data.path)
        .map(|m| m.len())
        .unwrap_or(0);
    let started = Instant::now();
    let prepared = kiln_train::prepare_data(experiment)?;
    let prepare_seconds = started.elapsed().as_secs_f64();
    let inputs = prepared.train.x.cols;
    let splits = [Some(prepared.train), prepared.valid, prepared.test];
    let mut rows = 0;
    let mut tensors = Vec::new();
    for split in splits.into_iter().flatten() {
        rows += split.x.rows;
        // The matrix moves into the tensor: no second copy of the data.
        let shape = [split.x.rows, split.x.cols];
        let x = Tensor::<2>::from_data(TensorData::new(split.x.data, shape), device);
        let y: Vec<f32> = split.y.iter().map(|&v| v as f32).collect();
        let y = Tensor::<1>::from_data(TensorData::new(y, [split.x.rows]), device);
        tensors.push((x, y));
    }
    // Wait for the device (a GPU upload is asynchronous) by reading one value back.
    if let Some((x, _)) = tensors.first() {
        let _ = x.clone().slice([0..1, 0..1]).into_data();
    }
    let seconds = started.elapsed().as_secs_f64();
    let peak = peak_rss_bytes();
    Ok(serde_json::json!({
        "framework": "kiln",
        "device": device_name,
        "csv_bytes": csv_bytes,
        "rows": rows,
        "inputs": inputs,
        "seconds": seconds,
        "prepare_seconds": prepare_seconds,
        "rows_per_sec": rows as f64 / seconds,
        "peak_rss_bytes": peak,
        "peak_rss_over_csv": peak.map(|p| p as f64 / csv_bytes.max(1) as f64),
    })
    .to_string())
}

/// The process's peak resident memory (Linux's `VmHWM`); `None` where the system does not say.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
