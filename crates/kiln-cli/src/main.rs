//! `kiln`: train, evaluate and use tabular models from a TOML experiment file.
//!
//! Exit status: 0 on success, 1 when the run failed (training diverged, the device failed, the
//! disk filled), 2 for a usage, config or data error.

mod bench;
mod device;
mod devices;
mod interrupt;
mod progress;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use kiln_train::{Experiment, TrainError};

/// mimalloc instead of the system allocator: a training step frees and reallocates the same
/// tensor buffers hundreds of times a second, and glibc's malloc hands them back to the kernel
/// and faults them in again each time (measured: 78k → 125k samples/s on `kiln bench`, batch
/// 1024, two cores).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Train, evaluate and use tabular models from a TOML experiment file.
#[derive(Parser)]
#[command(name = "kiln", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How `kiln predict` and `kiln eval` apply a trained run to rows.
#[derive(Args)]
struct RowFlags {
    /// Compute device: cpu, ndarray, wgpu, wgpu:N or auto [default: the KILN_DEVICE
    /// environment variable, else cpu].
    #[arg(long)]
    device: Option<String>,
    /// A binary classifier's decision threshold: label a row as the second class when its
    /// probability is at least this (default: the run's `model.threshold`, else the more
    /// probable class); `0.3` or `0,3`.
    #[arg(long, value_parser = decimal_number)]
    threshold: Option<f64>,
    /// What separates the rows' cells: "," ";" tab "|" or " " [default: the training files'
    /// data.separator].
    #[arg(long)]
    separator: Option<kiln_data::Separator>,
    /// The decimal mark of the rows' numbers: "." or "," [default: the training files'
    /// data.decimal].
    #[arg(long)]
    decimal: Option<kiln_data::Decimal>,
}

/// A number as typed with a decimal point or a decimal comma (`0.3`, `0,3`).
fn decimal_number(text: &str) -> Result<f64, String> {
    text.trim()
        .replace(',', ".")
        .parse()
        .map_err(|_| format!("expected a number such as 0.3, found {text:?}"))
}

impl RowFlags {
    fn applied(&self) -> kiln_train::Applied {
        kiln_train::Applied {
            threshold: self.threshold,
            separator: self.separator,
            decimal: self.decimal,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Train the model an experiment file describes and write a run directory.
    Train {
        /// The experiment file (TOML).
        #[arg(required_unless_present = "resume", conflicts_with = "resume")]
        config: Option<PathBuf>,
        /// Continue the run in this directory from its newest checkpoint (written with
        /// `train.checkpoint_every`), e.g. with `--set train.epochs=200`. A new run directory is
        /// written; the old one is left as it is.
        #[arg(long, value_name = "RUN_DIR")]
        resume: Option<PathBuf>,
        /// Compute device, overriding the file's `device`: cpu, ndarray, wgpu, wgpu:N or auto
        /// [default: the KILN_DEVICE environment variable, else the file's `device`].
        #[arg(long)]
        device: Option<String>,
        /// Override any key by its dotted path, e.g. `--set train.optimizer.lr=0.01`.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        overrides: Vec<String>,
        /// Where run directories go.
        #[arg(long, default_value = "runs")]
        out: PathBuf,
    },
    /// Predict raw CSV rows with a trained run.
    Predict {
        /// A run directory written by `kiln train`.
        run_dir: PathBuf,
        /// CSV rows with the training columns (the target column may be absent).
        #[arg(long)]
        input: PathBuf,
        /// Write the predictions here instead of to stdout.
        #[arg(long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        rows: RowFlags,
    },
    /// Metrics of a trained run on labelled CSV rows, as JSON on stdout.
    Eval {
        /// A run directory written by `kiln train`.
        run_dir: PathBuf,
        /// CSV rows with the training columns and the target.
        #[arg(long)]
        data: PathBuf,
        #[command(flatten)]
        rows: RowFlags,
        /// Also measure each column's permutation importance: how much worse the metric gets
        /// when the column's values are shuffled among the rows.
        #[arg(long)]
        importance: bool,
        /// The metric importance is measured by [default: r2 for a regression, accuracy for a
        /// classifier].
        #[arg(long, requires = "importance")]
        metric: Option<String>,
        /// Shuffles per column.
        #[arg(long, requires = "importance", default_value_t = 5)]
        repeats: usize,
        /// Seeds the shuffles.
        #[arg(long, requires = "importance", default_value_t = 0)]
        seed: u64,
    },
    /// List the compute backends compiled in and the devices they can reach.
    Devices,
    /// Loading speed and peak memory: read an experiment's CSV into training-ready tensors.
    BenchLoad {
        /// The experiment file (TOML) whose `[data]` is read.
        config: PathBuf,
        /// Compute device the tensors go to, overriding the file's `device` (as for `train`).
        #[arg(long)]
        device: Option<String>,
    },
    /// Training throughput of an MLP 64 → 256 → 256 → 1 (ReLU, Adam, MSE) on synthetic data.
    Bench {
        /// Rows per step.
        #[arg(long, default_value_t = 1024)]
        batch: usize,
        /// Timed optimizer steps, after one warm-up epoch; rounded up to whole epochs of
        /// rows / batch steps (the JSON's `timed_steps` says how many ran).
        #[arg(long, default_value_t = 200)]
        steps: usize,
        /// Rows of synthetic data (at least one batch).
        #[arg(long, default_value_t = 65536)]
        rows: usize,
        /// Take batches as contiguous slices instead of a shuffled gather.
        #[arg(long)]
        no_shuffle: bool,
        /// Run each batch as slices of N rows, so that weight gradients are summed over N-row
        /// products (split-K) rather than one product over the whole batch. N must divide the
        /// batch into at least two slices [default: as `kiln train`: 4096-row slices on a GPU
        /// from batch 65536]
        #[arg(long, value_name = "N", conflicts_with = "whole_batch")]
        split_rows: Option<usize>,
        /// Run every batch whole, never in slices (to measure the slices against).
        #[arg(long)]
        whole_batch: bool,
        /// Optimizer: adam (the benchmark's); sgd shows what Adam's update costs, adamw what
        /// decoupled decay adds.
        #[arg(long, default_value = "adam", value_parser = ["adam", "sgd", "adamw"])]
        optimizer: String,
        /// Experimental: issue each epoch before reading back the previous one's losses
        /// (`kiln train` reads each epoch at once; on the H200 the overlap was slower).
        #[arg(long)]
        read_ahead: bool,
        /// Sum bias gradients and the mean loss over the batch in one pass, as Burn lays them
        /// out, instead of kiln's two (from 4096 rows): shows what the staged sums buy.
        #[arg(long)]
        one_pass_sums: bool,
        /// Instead of training, time the five large matrix products of one step at --batch
        /// rows, each alone (the peer of `bench/matmul_torch.py`).
        #[arg(long)]
        products: bool,
        /// Compute device: cpu, ndarray, wgpu, wgpu:N or auto [default: the KILN_DEVICE
        /// environment variable, else cpu].
        #[arg(long)]
        device: Option<String>,
    },
}

fn main() -> ExitCode {
    pin_library_defaults();
    let cli = Cli::parse();
    match on_the_thread_pool(|| run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // A closed stdout (`kiln … | head`) is not an error worth a message.
            if error
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", message(&error));
            // A full disk under stdout (`kiln predict … > file`) failed the run, as in a file.
            if error
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::StorageFull)
            {
                return ExitCode::from(1);
            }
            ExitCode::from(match error.downcast_ref::<TrainError>() {
                // The run failed; the input was not wrong.
                Some(
                    TrainError::Diverged { .. }
                    | TrainError::Device { .. }
                    | TrainError::NoSpace { .. },
                ) => 1,
                // The shell's code for a process stopped by SIGINT.
                Some(TrainError::Interrupted { .. }) => 130,
                _ => 2,
            })
        }
    }
}

/// The error and its causes, each cause once: kiln's errors already quote their cause (`cannot
/// read data.csv: No such file or directory`), which `{:#}` would print a second time.
fn message(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    text
}

/// Runs `work` on a thread of the pool that Burn's CPU backend splits its matrix products over,
/// with the main thread asleep until it is done. Run from the main thread instead, the training
/// loop would be one thread more than there are cores: between products the pool's threads spin
/// waiting for work while the loop's element-wise kernels want the same cores.
fn on_the_thread_pool<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    // As much stack as the main thread would have had.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(8 << 20)
        .build_global();
    rayon::scope(|_| work())
}

/// Settings that libraries read from the environment, given kiln's values unless the user set
/// them:
/// - `BURN_DEVICE=flex`: kiln always names its device, but Burn's optimizer `load_record` (used
///   on resume) puts state on `Device::default()`, which with wgpu compiled in opens the GPU —
///   and where there is none, panics on a worker thread.
/// - `NODEVICE_SELECT=1`: Mesa's implicit Vulkan layer `VK_LAYER_MESA_device_select` (installed
///   with Mesa's Vulkan drivers, lavapipe among them) connects to the Wayland or X display to
///   put the display's GPU first. On a headless server that prints `error: XDG_RUNTIME_DIR is
///   invalid or not set` once per Vulkan instance, in a run that succeeds, and can hang on a
///   stale forwarded `DISPLAY`. kiln names its adapter itself (`wgpu:N`, as `kiln devices`
///   lists them), so the reordering buys nothing. Left alone when the user steers the layer
///   with `MESA_VK_DEVICE_SELECT`.
///
/// CubeCL's wgpu runtime is left to hand its kernels to the driver every 32 (its default):
/// every 512, kiln's setting until 2026-11-29, ran 1.24× as fast at batch 64 on lavapipe but
/// 0.66× as fast at batch 8192 on the H200 (`bench/gpu.sh tasks`).
#[allow(unsafe_code)]
fn pin_library_defaults() {
    let defaults = [
        ("BURN_DEVICE", "flex", None),
        ("NODEVICE_SELECT", "1", Some("MESA_VK_DEVICE_SELECT")),
    ];
    for (name, value, unless) in defaults {
        let steered = unless.is_some_and(|other| std::env::var_os(other).is_some());
        if std::env::var_os(name).is_none() && !steered {
            // SAFETY: called first thing in `main`, before any other thread exists, so no
            // thread can be reading the environment concurrently.
            unsafe { std::env::set_var(name, value) };
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match cli.command {
        Command::Train {
            config,
            resume,
            device,
            overrides,
            out,
        } => {
            let mut experiment = match (&config, &resume) {
                (Some(config), _) => Experiment::load(config, &overrides)?,
                (None, Some(run)) => {
                    let saved = run.join("config.toml");
                    let experiment = Experiment::load(&saved, &overrides)?;
                    experiment.check_resumable(&Experiment::load(&saved, &[])?)?;
                    experiment
                }
                (None, None) => anyhow::bail!("give an experiment file, or --resume RUN_DIR"),
            };
            // `--set device=…` is on the command line too: it wins over the environment.
            let set_device = overrides.iter().any(|o| {
                o.split_once('=')
                    .is_some_and(|(key, _)| key.trim() == "device")
            });
            let asked = match set_device && device.is_none() {
                true => None,
                false => device::asked(device),
            };
            if let Some(asked) = &asked {
                experiment.device = asked.name.clone();
            }
            let chosen = device::open_asked(asked.as_ref(), &experiment.device)?;
            writeln!(stdout, "device: {}", chosen.description)?;
            let mut terminal = progress::Terminal::new(&mut stdout).stop_on(interrupt::on_ctrl_c());
            let report = kiln_train::train(
                &experiment,
                (&chosen.device, &chosen.description),
                &out,
                &mut terminal,
                resume.as_deref(),
            )?;
            if let Some(e) = terminal.error {
                return Err(e.into());
            }
            print_summary(&mut stdout, &report)?;
            writeln!(stdout, "run: {}", report.run_dir.display())?;
        }
        Command::Predict {
            run_dir,
            input,
            output,
            rows,
        } => {
            if let Some(path) = &output {
                kiln_train::check_predict_output(&run_dir, &input, path)?;
            }
            let applied = rows.applied();
            let chosen = device::open_for_rows(rows.device)?;
            let mut warning = None;
            match output {
                // Streamed into a temporary file that replaces `path` once complete.
                Some(path) => kiln_train::write_atomic_with(&path, &mut |out| {
                    warning =
                        kiln_train::predict_file(&run_dir, &input, &chosen.device, applied, out)?;
                    Ok(())
                })?,
                // Made whole before a byte is written, so that a closed pipe (`| head`) is told
                // apart from a failed prediction.
                None => {
                    let mut bytes = Vec::new();
                    warning = kiln_train::predict_file(
                        &run_dir,
                        &input,
                        &chosen.device,
                        applied,
                        &mut bytes,
                    )?;
                    stdout.write_all(&bytes)?;
                }
            }
            if let Some(warning) = warning {
                eprintln!("{warning}");
            }
        }
        Command::Eval {
            run_dir,
            data,
            rows,
            importance,
            metric,
            repeats,
            seed,
        } => {
            let applied = rows.applied();
            let chosen = device::open_for_rows(rows.device)?;
            let importance = importance.then_some(kiln_train::ImportanceOptions {
                metric,
                repeats,
                seed,
            });
            let evaluation = kiln_train::eval_file(
                &run_dir,
                &data,
                &chosen.device,
                applied,
                importance.as_ref(),
            )?;
            // The metrics, with what it takes to read them: how many rows, and which class is
            // which row and column of the confusion matrix.
            let mut shown = evaluation.metrics.clone();
            shown.insert("rows".into(), evaluation.rows.into());
            if !evaluation.labels.is_empty() {
                shown.insert("labels".into(), evaluation.labels.clone().into());
            }
            if let Some(t) = evaluation.threshold {
                shown.insert("threshold".into(), t.into());
            }
            if let Some(importance) = &evaluation.importance {
                shown.insert("importance".into(), serde_json::to_value(importance)?);
            }
            writeln!(stdout, "{}", serde_json::to_string_pretty(&shown)?)?;
            if let Some(warning) = evaluation.warning {
                eprintln!("{warning}");
            }
            for note in kiln_train::metrics::undefined(&evaluation.metrics) {
                eprintln!("note: {note}");
            }
        }
        Command::Devices => write!(stdout, "{}", devices::report())?,
        Command::BenchLoad { config, device } => {
            let experiment = Experiment::load(&config, &[])?;
            let chosen = device::open_asked(device::asked(device).as_ref(), &experiment.device)?;
            writeln!(
                stdout,
                "{}",
                bench::load(&experiment, &chosen.device, &chosen.description)?
            )?;
        }
        Command::Bench {
            batch,
            steps,
            rows,
            no_shuffle,
            split_rows,
            whole_batch,
            optimizer,
            read_ahead,
            one_pass_sums,
            products,
            device,
        } => {
            anyhow::ensure!(
                batch > 0 && steps > 0 && rows > 0,
                "--batch, --steps and --rows must be at least 1"
            );
            anyhow::ensure!(
                rows >= batch,
                "--rows ({rows}) must be at least --batch ({batch}): each step takes a whole batch"
            );
            if let Some(part) = split_rows {
                anyhow::ensure!(
                    part > 0 && batch.is_multiple_of(part) && batch / part >= 2,
                    "--split-rows {part} must divide --batch ({batch}) into two or more equal slices"
                );
            }
            let chosen = device::open_asked(device::asked(device).as_ref(), "cpu")?;
            if products {
                writeln!(
                    stdout,
                    "{}",
                    bench::products(batch, &chosen.device, &chosen.description)?
                )?;
                stdout.flush()?;
                return Ok(());
            }
            let options = bench::BenchOptions {
                batch,
                steps,
                rows,
                shuffle: !no_shuffle,
                slicing: match (split_rows, whole_batch) {
                    (Some(part), _) => kiln_train::Slicing::Rows(part),
                    (None, true) => kiln_train::Slicing::Whole,
                    (None, false) => kiln_train::Slicing::Auto,
                },
                optimizer: match optimizer.as_str() {
                    "sgd" => kiln_train::OptimizerKind::Sgd,
                    "adamw" => kiln_train::OptimizerKind::Adamw,
                    _ => kiln_train::OptimizerKind::Adam,
                },
                read_ahead,
                summation: if one_pass_sums {
                    kiln_models::Summation::OnePass
                } else {
                    kiln_models::Summation::Staged
                },
            };
            writeln!(
                stdout,
                "{}",
                bench::run(&options, &chosen.device, &chosen.description)?
            )?;
        }
    }
    stdout.flush()?;
    Ok(())
}

fn print_summary(out: &mut impl Write, report: &kiln_train::RunReport) -> Result<()> {
    let trained = match (report.epochs, report.resumed_after) {
        (0, _) => "exact solve".into(),
        (epochs, Some(after)) if epochs > after => {
            format!("epochs {}–{epochs}, resumed after epoch {after}", after + 1)
        }
        (_, Some(after)) => format!("epoch {after} was the last: nothing left to train"),
        (1, None) => "1 epoch".into(),
        (epochs, None) => format!("{epochs} epochs"),
    };
    writeln!(out, "fitted in {:.3} s ({trained})", report.fit_seconds)?;
    let mut undefined = Vec::new();
    for split in ["train", "valid", "test"] {
        let Some(metrics) = report.metrics.get(split).and_then(|m| m.as_object()) else {
            continue;
        };
        writeln!(out, "{split:>5}: {}", kiln_train::metrics::brief(metrics))?;
        undefined.extend(
            kiln_train::metrics::undefined(metrics)
                .into_iter()
                .map(|note| format!("{split} {note}")),
        );
    }
    for note in undefined {
        writeln!(out, "note: {note}")?;
    }
    // A few coefficients on one line; more are a table in report.md.
    if let Some(c) = report.metrics.get("coefficients") {
        let weights = c["weights"].as_object().map_or(0, serde_json::Map::len);
        if c.get("classes").is_some() {
            writeln!(
                out,
                "coefficients: one set per class, in report.md and metrics.json"
            )?;
        } else if weights <= 4 {
            writeln!(out, "coefficients: {c}")?;
        } else {
            writeln!(
                out,
                "coefficients: {weights} weights, in report.md and metrics.json"
            )?;
        }
    }
    // The three most important columns; all of them are a table in report.md.
    if let Some(importance) = report.metrics.get("importance") {
        let columns = importance["columns"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        let top: Vec<String> = columns
            .iter()
            .take(3)
            .map(|c| {
                let mean = c["mean"].as_f64().unwrap_or(f64::NAN);
                format!("{} {mean:.4}", c["column"].as_str().unwrap_or_default())
            })
            .collect();
        let metric = importance["metric"].as_str().unwrap_or_default();
        let change = kiln_train::metrics::worsening(metric);
        writeln!(
            out,
            "importance ({change} of {metric} on the {} rows, column shuffled): {}{}, in \
             report.md and metrics.json",
            kiln_train::metrics::split_words(importance["split"].as_str().unwrap_or_default()),
            top.join(", "),
            if columns.len() > 3 { ", …" } else { "" }
        )?;
    }
    // Show a short prediction file in full; point at a long one.
    let path = report.run_dir.join("predictions.csv");
    if let Ok(text) = std::fs::read_to_string(&path) {
        if text.lines().count() <= 21 {
            writeln!(out, "predictions:")?;
            for line in text.lines() {
                writeln!(out, "  {line}")?;
            }
        } else {
            writeln!(out, "predictions: {}", Path::new(&path).display())?;
        }
    }
    Ok(())
}
