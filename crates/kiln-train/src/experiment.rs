//! One experiment, start to finish: prepare the data, build the model, fit it, evaluate every
//! split, predict the `[predict]` rows, and write the run directory. (What a saved run is used
//! for afterwards is in `predict.rs`.)

use std::path::{Path, PathBuf};

use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use kiln_data::{
    Cell, FeatureEncoding, Matrix, Prepared, Split, Table, TargetEncoding, TargetKind,
};
use kiln_models::{ModelError, Network, Summation, Task, kinds};
use serde_json::{Value, json};

use crate::bundle::{Bundle, BundleInfo, bundle_format};
use crate::checkpoint;
use crate::files::{self, StagedDir, timestamp, write_atomic, write_atomic_with};
use crate::fit::{
    CheckpointKind, CheckpointSink, EpochRecord, FitHooks, FitSettings, LoopState, fit,
};
use crate::importance::{self, ImportanceOptions, permutation_importance};
use crate::metrics::{self, Metrics, score};
use crate::predict::{model_input, predictions_csv};
use crate::task::Predictions;
use crate::{Experiment, ImportanceConfig, Solver, TrainError, plot, report};

/// What a finished training run reports.
#[derive(Debug)]
pub struct RunReport {
    /// The run directory.
    pub run_dir: PathBuf,
    /// `metrics.json`'s content.
    pub metrics: Value,
    /// Epochs trained (0 for the exact solver), a resumed run's earlier epochs included.
    pub epochs: usize,
    /// For a resumed run, the epoch it resumed after: it trained the epochs after that one.
    pub resumed_after: Option<usize>,
    /// Seconds spent fitting.
    pub fit_seconds: f64,
}

/// What a running experiment tells its user: log lines, and every epoch for a progress display.
pub trait Reporter {
    /// A line of the log (`Epoch N: loss = …`).
    fn line(&mut self, text: &str);
    /// An epoch finished, of `total`.
    fn epoch(&mut self, _record: &EpochRecord, _total: usize) {}
    /// Whether the user asked training to stop (Ctrl-C): asked after every epoch.
    fn interrupted(&self) -> bool {
        false
    }
}

/// How a resumed run's `config.toml` starts when the file alone does not repeat the run.
const RESUMED: &str = "# Resumed from";

/// A run's log, kept for its report as well as passed on: every line but the per-epoch ones
/// (notes, warnings, the cross-validation summary).
struct Logged<'a> {
    to: &'a mut dyn Reporter,
    kept: Vec<String>,
}

impl Logged<'_> {
    /// A line shown but not kept: a per-epoch one, or one the report says in its own place.
    fn show(&mut self, text: &str) {
        self.to.line(text);
    }
}

impl Reporter for Logged<'_> {
    fn line(&mut self, text: &str) {
        self.to.line(text);
        self.kept.push(text.to_string());
    }
    fn epoch(&mut self, record: &EpochRecord, total: usize) {
        self.to.epoch(record, total);
    }
    fn interrupted(&self) -> bool {
        self.to.interrupted()
    }
}

/// Reads and prepares the experiment's data: the table is read, the target kind decided from
/// the model and the target column, every split encoded, and the table dropped before the
/// matrices are returned (so that it never sits in memory next to the tensors).
pub fn prepare_data(experiment: &Experiment) -> Result<Prepared, TrainError> {
    let kind = kinds::kind(&experiment.model.kind)?;
    let config = &experiment.data;
    let table = Table::read_for(&config.path, config)?;
    let target_index = table.index_of(&experiment.data.target, "data.target")?;
    let text = kiln_data::first_text(&table, target_index, &config.na_values);
    // A model whose task follows the target (an mlp without model.task) would read one stray
    // marker among numbers, or numbers written as `1,200`, as "these are class labels": a
    // classifier over every value.
    let task_follows_target = kind.task(&experiment.model)?.is_none();
    if let Some((row, value)) = &text
        && task_follows_target
        && kiln_data::holds_numbers(&table, target_index, &config.na_values)
    {
        return Err(TrainError::Invalid {
            key: "data.target".into(),
            reason: format!(
                "`{}` holds numbers and text ({}, line {}: `{value}`), so whether to regress or \
                 classify is not clear: if `{value}` marks a missing value, add it to \
                 data.na_values; to read every value as a class label, set model.task = \
                 \"multiclass\" (or \"binary\")",
                experiment.data.target,
                config.path.display(),
                table.line(*row)
            ),
        });
    }
    if text.is_some() && task_follows_target {
        kiln_data::check_not_disguised(
            &table,
            target_index,
            &config.na_values,
            kiln_data::Remedy::ClassLabels,
        )?;
    }
    let target_is_text = text.is_some();
    let classes = kinds::wants_classes(kind, &experiment.model, target_is_text)?;
    let target_kind = if classes {
        TargetKind::Classes
    } else {
        TargetKind::Numeric
    };
    Ok(kiln_data::prepare_table(
        &table,
        &experiment.data,
        target_kind,
        experiment.seed,
    )?)
}

/// Trains `experiment` on `device` (which `device_name` describes for the report: `auto` names
/// no backend) and writes its run directory under `out`. `log` receives the
/// progress lines (`Epoch N: loss = …`). With `resume`, training continues from the newest
/// checkpoint of that run directory (whose config must match `experiment` but for the epochs).
pub fn train(
    experiment: &Experiment,
    (device, device_name): (&Device, &str),
    out: &Path,
    log: &mut dyn Reporter,
    resume: Option<&Path>,
) -> Result<RunReport, TrainError> {
    let log = &mut Logged {
        to: log,
        kept: Vec::new(),
    };
    let kind = kinds::kind(&experiment.model.kind)?;
    if resume.is_some() && experiment.train.solver == Solver::Exact {
        return Err(TrainError::Invalid {
            key: "train.solver".into(),
            reason: "an exact solve has nothing to resume".into(),
        });
    }
    if experiment.train.solver == Solver::Exact && !kind.has_exact_solver() {
        return Err(TrainError::Invalid {
            key: "train.solver".into(),
            reason: format!(
                "\"exact\" fits kind = \"linear\" only, not \"{}\"",
                kind.name()
            ),
        });
    }
    let mut data = prepare_data(experiment)?;
    // The rows to predict are read and checked (columns, cells, categories) before training:
    // a wrong file must not cost a whole training run.
    let predict_rows = match &experiment.predict {
        Some(p) => {
            let named = |e: TrainError| TrainError::Invalid {
                key: "predict.input".into(),
                reason: e.to_string(),
            };
            let rows = model_input(
                &data.preprocessor,
                &data.target,
                &p.input,
                data.preprocessor.format,
                kiln_data::FileRole::WithTraining,
                false,
            )
            .map_err(named)?;
            data.preprocessor
                .transform_table(&rows)
                .map_err(|e| named(e.into()))?;
            Some(rows)
        }
        None => None,
    };
    let n_classes = data.target.labels().len();
    let task =
        kinds::resolve_task(kind, &experiment.model, data.target.labels()).map_err(
            |e| match e {
                ModelError::TaskMismatch { kind, reason } => ModelError::TaskMismatch {
                    reason: reason + &kiln_data::label_advice(data.target.labels()),
                    kind,
                },
                other => other,
            },
        )?;
    if let Some(t) = experiment.model.threshold {
        kiln_models::check_threshold_for(task, t).map_err(|reason| TrainError::Invalid {
            key: "model.threshold".into(),
            reason,
        })?;
    }
    if let Some(importance) = experiment.train.importance.config() {
        importance::metric_for(task, importance.metric.as_deref()).map_err(|reason| {
            TrainError::Invalid {
                key: "train.importance.metric".into(),
                reason,
            }
        })?;
    }
    // How a prediction becomes a label, for every score of the run.
    let decision = (task, experiment.model.threshold);
    if let Some(note) = few_valued_regression(experiment, kind, task, &data.train.y) {
        log.line(&note);
    }
    if experiment.data.positive.is_some() && task != Task::Binary {
        return Err(TrainError::Invalid {
            key: "data.positive".into(),
            reason: format!(
                "names the positive class of a binary classifier; this model's task is {}",
                task.name()
            ),
        });
    }
    if let Some(note) = majority_positive(experiment, task, &data) {
        log.line(&note);
    }
    // Metrics of the training rows alone say how well the model fits, not how well it predicts.
    if data.valid.is_none() && data.test.is_none() && data.folds.is_none() {
        log.line(
            "note: no rows are held out, so every metric is of the training rows: to see how the \
             model does on rows it has not seen, set data.split.test (e.g. 0.2) or data.kfold",
        );
    }
    // A fold's inputs can be fewer than the whole training set's: a category level or a
    // missing-value indicator that only the fold's held-out rows have is not a column of its own.
    let layers_for =
        |inputs: usize| kind.layers(&experiment.model, inputs, task.outputs(n_classes));
    let layers = layers_for(data.train.x.cols)?;
    // What a checkpoint was trained on: the files, and the inputs and classes kiln made of them
    // (the same files read by another kiln version may make them in another order).
    let trained_on = format!(
        "{}\ninputs: {}\nclasses: {}",
        data.fingerprint,
        data.preprocessor.input_names().join(", "),
        data.target.labels().join(", ")
    );

    // Stage the run directory before training: an unwritable output is reported up front.
    let started_at = timestamp();
    let run_name = format!("{}-{}", experiment.name, started_at);
    // A resume that changed how the rate runs cannot be repeated from this file alone: it
    // says so, and so does every later resume of it.
    let (mut config_text, other_rates) = match resume {
        Some(dir) => resumed_header(dir, experiment)?,
        None => (String::new(), false),
    };
    config_text.push_str(&experiment.to_toml());
    let staged = {
        let _writing = files::writing();
        let staged = StagedDir::create_run(out, &run_name)?;
        // Written first, so that even a partial run directory says how it was made.
        write_atomic(&staged.path().join("config.toml"), config_text.as_bytes())?;
        staged
    };
    for note in &data.notes {
        log.line(note);
    }
    if let Some(line) = skipped_rows(&data) {
        log.line(&line);
    }

    let started = std::time::Instant::now();
    // With data.kfold: the folds' scores, made before the model of all the training rows.
    let mut folded: Option<CrossValidated> = None;
    let mut resumed_from = None;
    // Whether class weights weigh the classes unevenly.
    let mut weighted = false;
    let (network, history, restored_epoch) = match experiment.train.solver {
        Solver::Exact => {
            if let Some(folds) = &data.folds {
                let mut fit_fold = |_: usize, split: Split, _: &dyn Fn() -> bool| {
                    Ok(exact_fit(&split, experiment.train.l2, device)?.0)
                };
                folded = Some(cross_validated(
                    log,
                    folds,
                    decision,
                    device,
                    &mut fit_fold,
                )?);
            }
            let (network, dependent) = exact_fit(&data.train, experiment.train.l2, device)?;
            if !dependent.is_empty() {
                let names = data.preprocessor.input_names();
                let listed: Vec<&str> = dependent.iter().map(|&i| names[i].as_str()).collect();
                log.line(&format!(
                    "note: {} constant or a linear combination of the inputs before it in the \
                     training rows (one-hot levels beside the intercept always have one): weight \
                     0, the others carry its part; the fitted values are the exact least-squares \
                     ones",
                    match listed.as_slice() {
                        [one] => format!("input `{one}` is"),
                        many => format!("inputs `{}` are each", many.join("`, `")),
                    }
                ));
            }
            (network, Vec::new(), None)
        }
        Solver::Gradient => {
            let class_weights = match &experiment.train.class_weights {
                Some(_) if !task.is_classification() => {
                    return Err(TrainError::Invalid {
                        key: "train.class_weights".into(),
                        reason: format!(
                            "applies to classification only; this model regresses `{}`{}",
                            experiment.data.target,
                            if experiment.model.kind == "mlp" {
                                " (an mlp regresses a numeric target: set model.task = \
                                 \"binary\" or \"multiclass\" to classify it)"
                            } else {
                                ""
                            }
                        ),
                    });
                }
                Some(weights) => {
                    let counts = metrics::class_counts(&data.train.y, n_classes);
                    let resolved = weights.resolve(&counts, data.target.labels())?;
                    weighted = uneven(&resolved);
                    if weighted {
                        log.line(
                            "note: class weights move the predicted probabilities towards the \
                             weighted classes: they are no longer estimates of how often each \
                             class occurs (log_loss, and a decision threshold, read them as such)",
                        );
                    }
                    Some(resolved)
                }
                None => None,
            };
            if experiment.train.loss != crate::LossKind::Auto && task.is_classification() {
                return Err(TrainError::Invalid {
                    key: "train.loss".into(),
                    reason: "mse and huber are regression losses; classification uses cross-entropy (leave loss = \"auto\")".into(),
                });
            }
            let settings = FitSettings {
                config: &experiment.train,
                task,
                classes: n_classes,
                seed: experiment.seed,
                scaled: experiment.data.scale != kiln_data::Scale::None,
                class_weights,
                slicing: crate::fit::Slicing::Auto,
                read_ahead: false,
                summation: Summation::default(),
            };
            if let Some(folds) = &data.folds {
                let mut fit_fold = |i: usize, split: Split, go_on: &dyn Fn() -> bool| {
                    let network =
                        Network::seeded(&layers_for(split.x.cols)?, experiment.seed, device);
                    let hooks = FitHooks {
                        on_epoch: &mut |_| go_on(),
                        checkpoint: None,
                    };
                    let fitted = fit(network, split, None, &settings, device, hooks, None)
                        .map_err(|mut e| {
                            if let TrainError::Diverged { fold, .. } = &mut e {
                                *fold = Some((i + 1, folds.len()));
                            }
                            e
                        })?;
                    Ok(fitted.network)
                };
                folded = Some(cross_validated(
                    log,
                    folds,
                    decision,
                    device,
                    &mut fit_fold,
                )?);
            }
            let resumed = match resume {
                Some(dir) => {
                    let r = checkpoint::load_latest(dir, &layers, device, experiment, &trained_on)?;
                    log.line(&format!(
                        "resuming {} after epoch {}",
                        dir.display(),
                        r.state.epoch
                    ));
                    resumed_from = Some(report::Resumed {
                        from: dir.to_path_buf(),
                        after: r.state.epoch,
                        other_rates,
                    });
                    Some(r)
                }
                None => None,
            };
            let every = experiment.train.log_every;
            let last = experiment.train.epochs;
            let mut on_epoch = |r: &EpochRecord| {
                log.epoch(r, last);
                if r.epoch.is_multiple_of(every) || r.epoch == last {
                    let valid = r
                        .valid_loss
                        .map(|v| format!(", valid loss = {}", loss_text(v)))
                        .unwrap_or_default();
                    log.show(&format!(
                        "Epoch {}: loss = {}{valid}",
                        r.epoch,
                        loss_text(r.train_loss)
                    ));
                }
                // Ctrl-C asks to stop after this epoch.
                !log.interrupted()
            };
            let network = Network::seeded(&layers, experiment.seed, device);
            let staging = staged.path().to_path_buf();
            let mut save = |kind: CheckpointKind,
                            state: &LoopState,
                            model: &Network,
                            optim: &ModuleOptimizer| {
                checkpoint::save(&staging, kind, state, model, optim, &trained_on)
            };
            let sink: Option<&mut CheckpointSink<'_>> = if experiment.train.checkpoint_every > 0 {
                Some(&mut save)
            } else {
                None
            };
            // The training split moves into the loop (its matrix becomes the training tensor)
            // and comes back with the fitted network.
            let fitted = fit(
                network,
                data.train,
                data.valid.as_ref(),
                &settings,
                device,
                FitHooks {
                    on_epoch: &mut on_epoch,
                    checkpoint: sink,
                },
                resumed,
            );
            let fitted = match fitted {
                // The checkpoints written so far are a resumable run: keep them.
                Err(TrainError::Interrupted { epoch, .. })
                    if experiment.train.checkpoint_every > 0 =>
                {
                    let dir = {
                        let _writing = files::writing();
                        staged.commit()?
                    };
                    return Err(TrainError::Interrupted {
                        epoch,
                        resume_from: Some(dir),
                    });
                }
                // A diverged run can go on from its last good checkpoint, at a lower rate. The
                // one of the epoch just before holds the weights whose loss exploded: not good.
                Err(mut diverged @ TrainError::Diverged { .. }) => {
                    if let TrainError::Diverged { epoch, kept, .. } = &mut diverged {
                        let _writing = files::writing();
                        checkpoint::discard(staged.path(), *epoch - 1);
                        if checkpoint::resumable(staged.path()) {
                            *kept = Some(staged.commit()?);
                        }
                    }
                    return Err(diverged);
                }
                other => other?,
            };
            data.train = fitted.train;
            (fitted.network, fitted.history, fitted.restored_epoch)
        }
    };
    let cv_seconds = folded.as_ref().map(|cv| cv.seconds);
    let fit_seconds = started.elapsed().as_secs_f64() - cv_seconds.unwrap_or(0.0);
    for said in [
        report::early_stop(experiment, &history),
        report::restored(experiment, &history, restored_epoch),
    ]
    .into_iter()
    .flatten()
    {
        log.show(&said);
    }

    let bundle = Bundle {
        info: BundleInfo {
            format: bundle_format(&data.preprocessor),
            kiln_version: env!("CARGO_PKG_VERSION").into(),
            kind: kind.name().into(),
            task,
            layers,
            inputs: data.preprocessor.input_names(),
            preprocessor: data.preprocessor.clone(),
            target: data.target.clone(),
            threshold: experiment.model.threshold,
            // Set as the bundle is saved, from the bytes written.
            weights: None,
        },
        network,
    };
    let (mut metrics, shown) = evaluate_splits(&bundle, &data, device)?;
    if let Some(importance) = experiment.train.importance.config()
        && let Some((split, rows, _)) = &shown
    {
        match importance_of(experiment, importance, &bundle, split, rows, device)? {
            Ok(importance) => metrics["importance"] = importance,
            Err(note) => log.line(&note),
        }
        if *split == "train" {
            log.line(
                "note: importance was measured on the training rows, the only ones there are: \
                 it also measures what the model memorised (hold rows out with data.split.test)",
            );
        }
    }
    if let Some(cv) = folded {
        metrics["cv"] = cv.metrics;
    }
    if let Some(warning) = not_learnt(experiment, weighted, task, &data.train, n_classes, &metrics)
    {
        log.line(&warning);
    }
    // From the first file of the finished run to its commit, a signal waits.
    let _writing = files::writing();
    let dir = staged.path();
    write_atomic(&dir.join("metrics.json"), json_bytes(&metrics).as_slice())?;
    write_atomic(&dir.join("history.csv"), history_csv(&history).as_bytes())?;
    write_atomic(
        &dir.join("splits.csv"),
        splits_csv(experiment, &data).as_bytes(),
    )?;
    bundle.save(&dir.join("model"))?;
    let plots = dir.join("plots");
    std::fs::create_dir_all(&plots).map_err(|e| TrainError::io(&plots, e))?;
    let mut plotted = Vec::new();
    if !history.is_empty() {
        plot::loss_curve(&plots.join("loss.png"), &history, restored_epoch)?;
        plotted.push("loss.png");
    }
    if let Some(shown) = &shown {
        plotted.extend(prediction_plots(&plots, &bundle, shown, &metrics)?);
    }
    let predicted = match predict_rows {
        Some(input) => {
            let mut predictions = None;
            write_atomic_with(&dir.join("predictions.csv"), &mut |out| {
                predictions = Some(predictions_csv(&bundle, &input, device, out)?);
                Ok(())
            })?;
            if let Some(warning) = predictions.as_ref().and_then(|p| p.warning(&input)) {
                log.line(&warning);
            }
            predictions.map(|p| (input, p))
        }
        None => None,
    };
    if let Some(fit_plot) = one_feature_fit(&bundle, &data.train, predicted.as_ref(), device) {
        plot::fit_line(&plots.join("fit.png"), &fit_plot)?;
        plotted.push("fit.png");
    }
    let facts = report::RunFacts {
        experiment,
        started: &started_at,
        device: device_name,
        data: &data,
        bundle: &bundle,
        history: &history,
        restored_epoch,
        resumed: resumed_from.as_ref(),
        fit_seconds,
        cv_seconds,
        metrics: &metrics,
        notes: &log.kept,
        plots: &plotted,
        shown: shown.as_ref().map(|(name, ..)| *name),
        predicted_rows: predicted.as_ref().map(|(input, _)| input.len()),
    };
    write_atomic(&dir.join("report.md"), report::markdown(&facts).as_bytes())?;
    let run_dir = staged.commit()?;
    Ok(RunReport {
        run_dir,
        metrics,
        epochs: history.len(),
        resumed_after: resumed_from.as_ref().map(|r| r.after),
        fit_seconds,
    })
}

/// The header of a resumed run's `config.toml`, and whether it has one: a resume that changed
/// how the rate runs (another `train.optimizer.lr`, other epochs under a cosine schedule), or
/// that resumed a resume, cannot be repeated from the file alone.
fn resumed_header(dir: &Path, experiment: &Experiment) -> Result<(String, bool), TrainError> {
    let path = dir.join("config.toml");
    let before = Experiment::load(&path, &[])?;
    let text = std::fs::read_to_string(&path).map_err(|e| TrainError::io(&path, e))?;
    let mut reasons = Vec::new();
    if before.train.optimizer.lr != experiment.train.optimizer.lr {
        reasons.push(format!(
            "trained at train.optimizer.lr = {}",
            before.train.optimizer.lr
        ));
    }
    if before.train.epochs != experiment.train.epochs
        && experiment.train.schedule.kind == crate::ScheduleKind::Cosine
    {
        reasons.push(format!(
            "ran its cosine schedule over train.epochs = {}",
            before.train.epochs
        ));
    }
    if text.starts_with(RESUMED) {
        reasons.push("was itself a resume that its own config.toml does not repeat".into());
    }
    if reasons.is_empty() {
        return Ok((String::new(), false));
    }
    let header = format!(
        "{RESUMED} {} after its newest checkpoint, which {}:\n# this file alone does not \
         repeat this run (history.csv has every epoch's rate).\n",
        dir.display(),
        reasons.join(", and ")
    );
    Ok((header, true))
}

/// The log line for rows skipped for missing cells, with the columns that cost them.
fn skipped_rows(data: &Prepared) -> Option<String> {
    if data.dropped_rows == 0 {
        return None;
    }
    let listed = match data.dropped_test_rows {
        0 => String::new(),
        n => format!(", {n} of them listed in split.test_rows (the test split lacks those rows)"),
    };
    Some(format!(
        "skipped {} row{} with missing cells (missing cells by column: {}){listed}",
        data.dropped_rows,
        if data.dropped_rows == 1 { "" } else { "s" },
        kiln_data::by_column(&data.missing_by_column)
    ))
}

/// A linear network solved in closed form on `split` (ridge with `l2`), and the inputs the solve
/// found dependent (weight 0).
fn exact_fit(split: &Split, l2: f64, device: &Device) -> Result<(Network, Vec<usize>), TrainError> {
    let fit = kiln_models::least_squares(&split.x.data, split.x.cols, &split.y, l2)?;
    let weights: Vec<Vec<f64>> = fit.weights.iter().map(|&w| vec![w]).collect();
    Ok((
        Network::linear_from(&weights, &[fit.intercept], device),
        fit.dependent,
    ))
}

/// A cross-validation's `metrics.json` part, and the seconds it took.
struct CrossValidated {
    metrics: Value,
    seconds: f64,
}

/// [`cross_validate`], timed, with its summary in the log.
fn cross_validated(
    log: &mut Logged<'_>,
    folds: &kiln_data::CrossValidation,
    decision: (Task, Option<f64>),
    device: &Device,
    fit_fold: &mut FitFold<'_>,
) -> Result<CrossValidated, TrainError> {
    let started = std::time::Instant::now();
    let (cv, notes) = cross_validate(folds, decision, device, fit_fold, &|| !log.interrupted())?;
    let seconds = started.elapsed().as_secs_f64();
    for note in notes {
        log.line(&note);
    }
    // The report has the whole table: this summary is for the terminal.
    log.show(&format!(
        "{}-fold cross-validation, mean ± sd: {}",
        folds.len(),
        spread(&cv["mean"], &cv["std"])
    ));
    Ok(CrossValidated {
        metrics: cv,
        seconds,
    })
}

/// Fits a fold's model: given the fold's index, its training rows, and whether to go on (false
/// once the user asked to stop).
type FitFold<'a> = dyn FnMut(usize, Split, &dyn Fn() -> bool) -> Result<Network, TrainError> + 'a;

/// Fits one model per fold with `fit_fold` and scores it on the fold's held-out rows:
/// `{"folds": k, "mean": {...}, "std": {...}, "per_fold": [{...}, …]}`, the mean and the
/// population standard deviation (ddof 0) over every numeric metric, and each fold's metrics.
fn cross_validate(
    folds: &kiln_data::CrossValidation,
    (task, threshold): (Task, Option<f64>),
    device: &Device,
    fit_fold: &mut FitFold<'_>,
    go_on: &dyn Fn() -> bool,
) -> Result<(Value, Vec<String>), TrainError> {
    let mut scores: Vec<Metrics> = Vec::new();
    let mut notes = Vec::new();
    for i in 0..folds.len() {
        // One fold's matrices at a time.
        let fold = folds.fold(i)?;
        if !fold.unseen.is_empty() {
            notes.push(format!(
                "note: fold {} of {}: held-out rows have category values its training rows lack \
                 ({}), scored as all zeros as data.unknown = \"ignore\" would, not refused as \
                 kiln eval would: cross-validation is not stopped by a rare level",
                i + 1,
                folds.len(),
                fold.unseen.join(", ")
            ));
        }
        let network = fit_fold(i, fold.train, go_on)?;
        let predictions = crate::bundle::predict_rows(&network, task, &fold.held_out.x, device)?;
        scores.push(score(task, &fold.held_out.y, &predictions, threshold));
    }
    // Why a k-fold mean is n/a: the metric, the folds it is undefined in, and why.
    let mut undefined: Vec<(&str, &str, Vec<usize>)> = Vec::new();
    for (i, scored) in scores.iter().enumerate() {
        for (name, why) in crate::metrics::undefined_because(scored) {
            match undefined.iter_mut().find(|(n, ..)| *n == name) {
                Some((.., in_folds)) => in_folds.push(i + 1),
                None => undefined.push((name, why, vec![i + 1])),
            }
        }
    }
    for (name, why, in_folds) in undefined {
        let listed: Vec<String> = in_folds.iter().map(usize::to_string).collect();
        notes.push(format!(
            "note: {name} is undefined in fold{} {} of {} ({why}), so its k-fold mean and spread \
             are n/a",
            if in_folds.len() == 1 { "" } else { "s" },
            listed.join(", "),
            folds.len()
        ));
    }
    // Every scalar metric of any fold. One undefined (null) in some fold leaves the mean and
    // standard deviation undefined too: over the other folds alone they would claim k folds'
    // worth of evidence they do not have.
    let mut keys: Vec<&String> = Vec::new();
    for (key, value) in scores.iter().flatten() {
        if (value.is_f64() || value.is_null()) && !keys.contains(&key) {
            keys.push(key);
        }
    }
    let (mut mean, mut std) = (serde_json::Map::new(), serde_json::Map::new());
    for key in keys {
        let values: Option<Vec<f64>> = scores
            .iter()
            .map(|m| m.get(key).and_then(Value::as_f64))
            .collect();
        let (m, sd) = match values {
            Some(values) => {
                let m = values.iter().sum::<f64>() / values.len() as f64;
                let var = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / values.len() as f64;
                (Some(m), Some(var.sqrt()))
            }
            None => (None, None),
        };
        mean.insert(key.clone(), json!(m));
        std.insert(key.clone(), json!(sd));
    }
    Ok((
        json!({"folds": folds.len(), "mean": mean, "std": std, "per_fold": scores}),
        notes,
    ))
}

/// `key mean ± sd, …` for the k-fold log line (`n/a` where undefined).
fn spread(mean: &Value, sd: &Value) -> String {
    let four = |v: &Value| v.as_f64().map_or("n/a".into(), |v| format!("{v:.4}"));
    mean.as_object()
        .into_iter()
        .flatten()
        .map(|(key, m)| format!("{key} {} ± {}", four(m), four(&sd[key])))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A split's name, its rows, and the model's predictions of them.
type Shown<'d> = (&'static str, &'d Split, Predictions);

/// Metrics of every split, plus a one-layer model's coefficients; and the predictions of the
/// split a reader trusts most (test, else valid, else train), for the plots.
fn evaluate_splits<'d>(
    bundle: &Bundle,
    data: &'d Prepared,
    device: &Device,
) -> Result<(Value, Option<Shown<'d>>), TrainError> {
    let mut all = serde_json::Map::new();
    let mut shown = None;
    for (name, split) in data.splits() {
        let predictions = bundle.predict(&split.x, device)?;
        all.insert(
            name.into(),
            Value::Object(score(
                bundle.info.task,
                &split.y,
                &predictions,
                bundle.info.threshold,
            )),
        );
        shown = Some((name, split, predictions));
    }
    if let Some(coefficients) = coefficients(bundle) {
        all.insert("coefficients".into(), coefficients);
    }
    Ok((Value::Object(all), shown))
}

/// `train.importance`: each column's permutation importance on `split`'s `rows`, as
/// `metrics.json` holds it; or a note when the metric is undefined on those rows.
fn importance_of(
    experiment: &Experiment,
    config: ImportanceConfig,
    bundle: &Bundle,
    split: &str,
    rows: &Split,
    device: &Device,
) -> Result<Result<Value, String>, TrainError> {
    let options = ImportanceOptions {
        metric: config.metric,
        repeats: config.repeats,
        seed: experiment.seed,
    };
    match permutation_importance(bundle, &rows.x, &rows.y, &options, device) {
        Ok(importance) => {
            let mut value = serde_json::to_value(&importance).unwrap_or_default();
            value["split"] = split.into();
            Ok(Ok(value))
        }
        Err(TrainError::Invalid { reason, .. }) => Ok(Err(format!(
            "note: no importance measured on the {} rows: {reason}",
            metrics::split_words(split)
        ))),
        Err(other) => Err(other),
    }
}

/// A note when a binary classifier's positive class (the second label, which precision,
/// recall, f1 and pr_auc score) is the majority of the training rows and the user did not
/// choose it: "fail"/"ok" makes `ok` positive, and a model that finds no failure then scores
/// a high f1.
fn majority_positive(experiment: &Experiment, task: Task, data: &Prepared) -> Option<String> {
    if task != Task::Binary || experiment.data.positive.is_some() {
        return None;
    }
    let counts = metrics::class_counts(&data.train.y, 2);
    let labels = data.target.labels();
    (counts[1] > counts[0]).then(|| {
        format!(
            "note: the positive class, `{}` (the second label in sort order), is the majority \
             ({} of {} training rows): precision, recall, f1 and pr_auc score it; to score \
             `{}` instead, set data.positive = \"{}\"",
            labels[1],
            counts[1],
            data.train.y.len(),
            labels[0],
            labels[0]
        )
    })
}

/// A note when a model that follows the target (an mlp without `model.task`) regresses a
/// target of a few whole numbers, such as 0 and 1 or the grades 0 to 4: most often class labels
/// meant to be classified.
fn few_valued_regression(
    experiment: &Experiment,
    kind: &dyn kinds::ModelKind,
    task: Task,
    y: &[f64],
) -> Option<String> {
    /// More distinct values than this are a scale (a score out of 20), not classes.
    const MOST: usize = 10;
    if task != Task::Regression || kind.task(&experiment.model).ok()?.is_some() {
        return None;
    }
    let mut values: Vec<f64> = Vec::new();
    for &v in y {
        if v.fract() != 0.0 {
            return None;
        }
        if !values.contains(&v) {
            if values.len() == MOST {
                return None;
            }
            values.push(v);
        }
    }
    values.sort_by(f64::total_cmp);
    let target = &experiment.data.target;
    match values.as_slice() {
        [lo, hi] => Some(format!(
            "note: `{target}` holds only the values {lo} and {hi}, and a numeric target is \
             regressed (mse, r2); to classify it, set model.task = \"binary\""
        )),
        [lo, .., hi] => Some(format!(
            "note: `{target}` holds only {} whole numbers, {lo} to {hi}, and a numeric target is \
             regressed (mse, r2); if they are classes, set model.task = \"multiclass\"",
            values.len()
        )),
        _ => None,
    }
}

/// Whether class weights weigh the classes differently (equal weights change nothing).
fn uneven(weights: &[f32]) -> bool {
    weights.windows(2).any(|w| w[0] != w[1])
}

/// A warning when gradient training ended worse on its own training rows than the best
/// constant prediction: a run that learnt nothing (a rate far off, too few epochs, a decay too
/// strong, or unscaled inputs of large values) otherwise ends as quietly as a good one. Huber's
/// loss and uneven class weights aim at another optimum than the squared error and the
/// log-loss compared, so they are let be.
fn not_learnt(
    experiment: &Experiment,
    weighted: bool,
    task: Task,
    train: &Split,
    classes: usize,
    metrics: &Value,
) -> Option<String> {
    let t = &experiment.train;
    if t.solver != Solver::Gradient || t.loss == crate::LossKind::Huber || weighted {
        return None;
    }
    let (key, constant, classes) = if task.is_classification() {
        ("log_loss", "the class frequencies", classes)
    } else {
        ("mse", "the mean", 0)
    };
    let model = metrics["train"][key].as_f64()?;
    let baseline = metrics::constant_loss(&train.y, classes);
    // A model of inputs without signal ends at the constant's loss, give or take rounding and
    // the last steps' jitter: only clearly worse is worth a warning.
    (model > baseline * (1.0 + 1e-3)).then(|| {
        let mut causes = vec![
            format!(
                "train.optimizer.lr = {} (too high, or too low?)",
                t.optimizer.lr
            ),
            format!("train.epochs = {} (too few?)", t.epochs),
        ];
        if t.optimizer.weight_decay > 0.0 {
            causes.push(format!(
                "train.optimizer.weight_decay = {} (too strong?)",
                t.optimizer.weight_decay
            ));
        }
        if experiment.data.scale == kiln_data::Scale::None {
            causes
                .push("data.scale = \"none\" (inputs with large values need \"standard\")".into());
        }
        format!(
            "warning: on its own training rows the model does worse than predicting {constant} \
             for every row ({key} {model:.4e} against {baseline:.4e}): it has not learnt the \
             data. Check {}",
            causes.join(", ")
        )
    })
}

/// Draws the plots of `split`'s predictions into `plots`, and names the files drawn: a
/// regression's predictions against the true values, a binary classifier's ROC curve.
fn prediction_plots(
    plots: &Path,
    bundle: &Bundle,
    (name, split, predictions): &Shown<'_>,
    scored: &Value,
) -> Result<Vec<&'static str>, TrainError> {
    let mut drawn = Vec::new();
    match (predictions, &bundle.info.target) {
        (Predictions::Values(values), TargetEncoding::Numeric { column }) => {
            let points: Vec<(f64, f64)> = split.y.iter().copied().zip(values.clone()).collect();
            plot::predicted_vs_actual(&plots.join("predicted.png"), name, column, &points)?;
            drawn.push("predicted.png");
        }
        // The split's roc_auc is in its metrics already: null unless both classes are present
        // and every score is a number, when there is no curve to draw either.
        (Predictions::Probabilities(p), target) if bundle.info.task == Task::Binary => {
            let scores: Vec<f64> = p.iter().map(|row| row[1]).collect();
            let positive: Vec<bool> = split.y.iter().map(|&c| c == 1.0).collect();
            if let (Some(auc), Some(curve), Some(label)) = (
                scored[*name]["roc_auc"].as_f64(),
                metrics::roc_curve(&scores, &positive),
                target.labels().get(1),
            ) {
                plot::roc_curve(&plots.join("roc.png"), name, label, &curve, auc)?;
                drawn.push("roc.png");
            }
        }
        _ => {}
    }
    Ok(drawn)
}

/// A one-layer model's coefficients, in the model's input units, plus `"unscaled"` in the raw
/// columns' units when scaling was applied: `{"intercept": b, "weights": {input: w}}` for one
/// output (`linear`; `logistic`, whose weights are log-odds), and for `softmax` one such set per
/// class under `"classes"` (each class's score; only differences between classes matter).
fn coefficients(bundle: &Bundle) -> Option<Value> {
    if !matches!(bundle.info.kind.as_str(), "linear" | "logistic" | "softmax") {
        return None;
    }
    let (weights, bias) = bundle.network.linear_coefficients()?;
    // Input j = (raw_j − shift_j) / scale_j, so raw weight = w_j / scale_j and the intercept
    // absorbs −Σ w_j shift_j / scale_j.
    let mut affine = Vec::new();
    for feature in &bundle.info.preprocessor.features {
        match feature {
            FeatureEncoding::Numeric {
                shift,
                scale,
                indicator,
                ..
            } => {
                affine.push((*shift, *scale));
                if *indicator {
                    affine.push((0.0, 1.0));
                }
            }
            FeatureEncoding::Categorical { levels, .. } => {
                affine.extend(levels.iter().map(|_| (0.0, 1.0)))
            }
        }
    }
    let scaled = affine.iter().any(|&(s, c)| s != 0.0 || c != 1.0);
    let names = &bundle.info.inputs;
    let as_json = |w: &[f64], b: f64| {
        let map: serde_json::Map<String, Value> = names
            .iter()
            .cloned()
            .zip(w.iter().map(|v| json!(v)))
            .collect();
        json!({"intercept": b, "weights": map})
    };
    let output = |k: usize| {
        let w: Vec<f64> = weights.iter().map(|row| row[k]).collect();
        let mut value = as_json(&w, bias[k]);
        if scaled {
            let raw: Vec<f64> = w.iter().zip(&affine).map(|(w, (_, c))| w / c).collect();
            let b = bias[k]
                - w.iter()
                    .zip(&affine)
                    .map(|(w, (s, c))| w * s / c)
                    .sum::<f64>();
            value["unscaled"] = as_json(&raw, b);
        }
        value
    };
    if bundle.info.kind == "softmax" {
        let classes: serde_json::Map<String, Value> = bundle
            .info
            .target
            .labels()
            .iter()
            .enumerate()
            .map(|(k, label)| (label.clone(), output(k)))
            .collect();
        Some(json!({ "classes": classes }))
    } else {
        Some(output(0))
    }
}

/// The fit plot's content, when the model is a regression on one numeric feature.
fn one_feature_fit<'a>(
    bundle: &'a Bundle,
    train: &Split,
    predicted: Option<&(Table, Predictions)>,
    device: &Device,
) -> Option<plot::FitPlot<'a>> {
    let [
        FeatureEncoding::Numeric {
            column,
            shift,
            scale,
            indicator: false,
            ..
        },
    ] = bundle.info.preprocessor.features.as_slice()
    else {
        return None;
    };
    if bundle.info.task != Task::Regression {
        return None;
    }
    let TargetEncoding::Numeric { column: target } = &bundle.info.target else {
        return None;
    };
    let raw = |x: f32| f64::from(x) * scale + shift;
    let data: Vec<(f64, f64)> = (0..train.x.rows)
        .map(|r| (raw(train.x.row(r)[0]), train.y[r]))
        .collect();
    let mut predicted_points = Vec::new();
    if let Some((input, Predictions::Values(values))) = predicted {
        let index = input.index_of(column, "the fit plot").ok()?;
        for (row, value) in values.iter().enumerate() {
            let Cell::Number(x) = input.column(index).get(row) else {
                return None;
            };
            predicted_points.push((x, *value));
        }
    }
    let xs = data.iter().chain(&predicted_points).map(|p| p.0);
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let grid: Vec<f64> = (0..=50)
        .map(|i| lo + (hi - lo) * f64::from(i) / 50.0)
        .collect();
    let encoded = Matrix {
        data: grid.iter().map(|x| ((x - shift) / scale) as f32).collect(),
        rows: grid.len(),
        cols: 1,
    };
    let Predictions::Values(line) = bundle.predict(&encoded, device).ok()? else {
        return None;
    };
    Some(plot::FitPlot {
        feature: column,
        target,
        data,
        line: grid.into_iter().zip(line).collect(),
        predicted: predicted_points,
    })
}

/// A loss for the log: six decimals, or scientific notation once those would read as zero.
fn loss_text(loss: f64) -> String {
    if loss == 0.0 || (loss.abs() >= 1e-3 && loss.abs() < 1e6) {
        format!("{loss:.6}")
    } else {
        format!("{loss:.4e}")
    }
}

fn json_bytes(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// `splits.csv`: the split of each row of the training file (`row_index`, 0-based data rows,
/// as `split.test_rows` reads them), so that another tool can score the very same rows, and
/// with k-fold the fold (1-based) that holds each training row out. Rows that validation or
/// test files supplied are not the training file's, and rows skipped for missing cells are in
/// no split.
fn splits_csv(experiment: &Experiment, data: &Prepared) -> String {
    let mut fold_of = std::collections::HashMap::new();
    if let Some(folds) = &data.folds {
        for i in 0..folds.len() {
            fold_of.extend(folds.held_out_rows(i).iter().map(|&row| (row, i + 1)));
        }
    }
    let from_file = |name: &str| match name {
        "valid" => experiment.data.valid_path.is_some(),
        "test" => experiment.data.test_path.is_some(),
        _ => false,
    };
    let mut rows: Vec<(usize, &str)> = data
        .splits()
        .filter(|(name, _)| !from_file(name))
        .flat_map(|(name, split)| split.rows.iter().map(move |&r| (r, name)))
        .collect();
    rows.sort_unstable();
    let mut out = String::from(if fold_of.is_empty() {
        "row_index,split\n"
    } else {
        "row_index,split,fold\n"
    });
    for (row, name) in rows {
        match fold_of.get(&row) {
            Some(fold) => out.push_str(&format!("{row},{name},{fold}\n")),
            None if fold_of.is_empty() => out.push_str(&format!("{row},{name}\n")),
            None => out.push_str(&format!("{row},{name},\n")),
        }
    }
    out
}

fn history_csv(history: &[EpochRecord]) -> String {
    let has_valid = history.iter().any(|r| r.valid_loss.is_some());
    let mut out = String::from(if has_valid {
        "epoch,train_loss,valid_loss,lr\n"
    } else {
        "epoch,train_loss,lr\n"
    });
    for r in history {
        match r.valid_loss {
            Some(v) if has_valid => {
                out.push_str(&format!("{},{},{},{}\n", r.epoch, r.train_loss, v, r.lr))
            }
            _ => out.push_str(&format!("{},{},{}\n", r.epoch, r.train_loss, r.lr)),
        }
    }
    out
}
