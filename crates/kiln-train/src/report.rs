//! `report.md`: the run told for a reader, not a program. `metrics.json`, `history.csv` and
//! `model/bundle.json` hold the same facts for tools; this page puts them in one place, in
//! words and tables, with the plots: the data and how each column was prepared, the model,
//! how training went and why it stopped, every split's metrics, the confusion matrix, a linear
//! model's coefficients, and the notes the run logged.
//!
//! Names, levels and labels are the data's own text: they go into code spans, and every table
//! cell has its `|` escaped, so that no value can break the page.

use std::fmt::Write;
use std::path::PathBuf;

use kiln_data::{FeatureEncoding, MissingPolicy, Prepared, Scale};
use kiln_models::{LayerSpec, Task};
use serde_json::Value;

use crate::bundle::Bundle;
use crate::fit::EpochRecord;
use crate::{ClassWeights, Experiment, LossKind, Monitored, OptimizerKind, Solver, metrics};

/// Where a resumed run came from.
pub(crate) struct Resumed {
    /// The run directory resumed.
    pub from: PathBuf,
    /// The epoch of its checkpoint: this run trained the epochs after it.
    pub after: usize,
    /// Whether its epochs ran at other rates than this run's config says.
    pub other_rates: bool,
}

/// Everything the report is made from.
pub(crate) struct RunFacts<'a> {
    pub experiment: &'a Experiment,
    /// When the run started, as in its directory's name (`20261129-105437`, UTC).
    pub started: &'a str,
    /// The device trained on, as the log described it (`cpu (Burn flex backend)`).
    pub device: &'a str,
    pub data: &'a Prepared,
    pub bundle: &'a Bundle,
    pub history: &'a [EpochRecord],
    /// The epoch whose weights early stopping's `restore_best` kept.
    pub restored_epoch: Option<usize>,
    pub resumed: Option<&'a Resumed>,
    /// Seconds fitting the model, and cross-validating it.
    pub fit_seconds: f64,
    pub cv_seconds: Option<f64>,
    /// `metrics.json`'s content.
    pub metrics: &'a Value,
    /// The run's log lines other than the per-epoch ones: notes and warnings.
    pub notes: &'a [String],
    /// The files written under `plots/`.
    pub plots: &'a [&'a str],
    /// The split the plots show, the one a reader trusts most (test, else valid, else train):
    /// the confusion matrix is of the same rows.
    pub shown: Option<&'a str>,
    /// Rows written to `predictions.csv`.
    pub predicted_rows: Option<usize>,
}

/// Why training ended before its last epoch; `None` when every planned epoch ran.
pub(crate) fn early_stop(experiment: &Experiment, history: &[EpochRecord]) -> Option<String> {
    let stop = experiment.train.early_stopping.as_ref()?;
    let last = history.last()?.epoch;
    let by = if stop.min_delta > 0.0 {
        format!(" by more than min_delta = {}", readable(stop.min_delta))
    } else {
        String::new()
    };
    (last < experiment.train.epochs).then(|| {
        format!(
            "early stopping after epoch {last} of {}: {} had not improved{by} for {}",
            experiment.train.epochs,
            monitored_name(stop.metric),
            count(stop.patience, "epoch")
        )
    })
}

/// Which epoch's weights `restore_best` kept, when not the last epoch's.
pub(crate) fn restored(
    experiment: &Experiment,
    history: &[EpochRecord],
    restored_epoch: Option<usize>,
) -> Option<String> {
    let stop = experiment.train.early_stopping.as_ref()?;
    let epoch = restored_epoch.filter(|&e| history.last().is_some_and(|r| e < r.epoch))?;
    let metric = monitored_name(stop.metric);
    Some(if stop.min_delta > 0.0 {
        format!(
            "the weights kept are epoch {epoch}'s (restore_best): the last epoch to improve \
             {metric} by more than min_delta = {}",
            readable(stop.min_delta)
        )
    } else {
        format!("the weights kept are epoch {epoch}'s (restore_best), the lowest {metric}")
    })
}

fn monitored_name(metric: Monitored) -> &'static str {
    match metric {
        Monitored::ValidLoss => "valid_loss",
        Monitored::TrainLoss => "train_loss",
    }
}

/// The report as Markdown.
pub(crate) fn markdown(facts: &RunFacts<'_>) -> String {
    let mut page = String::new();
    let e = facts.experiment;
    let _ = writeln!(page, "# {}\n", prose(&e.name));
    let _ = writeln!(
        page,
        "Trained {} UTC with kiln {} on {}, seed {}. `config.toml` holds the experiment with \
         every setting; `kiln predict <this run> --input <csv>` predicts raw rows.\n",
        when(facts.started),
        env!("CARGO_PKG_VERSION"),
        message(facts.device),
        e.seed
    );
    data_section(&mut page, facts);
    model_section(&mut page, facts);
    training_section(&mut page, facts);
    metrics_section(&mut page, facts);
    coefficients_section(&mut page, facts);
    importance_section(&mut page, facts);
    if !facts.notes.is_empty() {
        let _ = writeln!(page, "## Notes\n");
        for note in facts.notes {
            let _ = writeln!(page, "- {}", message(note));
        }
        page.push('\n');
    }
    if let Some(rows) = facts.predicted_rows {
        let input = e.predict.as_ref().map(|p| p.input.display().to_string());
        let _ = writeln!(
            page,
            "## Predictions\n\n{} of {} predicted: `predictions.csv`.",
            count(rows, "row"),
            code(&input.unwrap_or_default())
        );
    }
    page
}

/// `20261129-105437` as `2026-11-29 10:54:37`.
fn when(stamp: &str) -> String {
    match (
        stamp.get(0..4),
        stamp.get(4..6),
        stamp.get(6..8),
        stamp.get(9..11),
    ) {
        (Some(y), Some(mo), Some(d), Some(h)) if stamp.len() == 15 => {
            format!("{y}-{mo}-{d} {h}:{}:{}", &stamp[11..13], &stamp[13..15])
        }
        _ => stamp.to_string(),
    }
}

fn data_section(page: &mut String, facts: &RunFacts<'_>) {
    let (e, data) = (facts.experiment, facts.data);
    let _ = writeln!(page, "## Data\n");
    let format = e.data.format();
    let mut how = Vec::new();
    if !format.is_default() {
        how.push(format!(
            "cells separated by {}, numbers with a decimal {}",
            format.separator.name(),
            match format.decimal {
                kiln_data::Decimal::Point => "point",
                kiln_data::Decimal::Comma => "comma",
            }
        ));
    }
    if e.data.columns.is_some() {
        how.push("columns named by data.columns".to_string());
    }
    let written = match how.is_empty() {
        true => String::new(),
        false => format!(" ({})", how.join("; ")),
    };
    let mut files = vec![format!(
        "{}{written}",
        code(&e.data.path.display().to_string())
    )];
    for (what, path) in [
        ("validation rows", &e.data.valid_path),
        ("test rows", &e.data.test_path),
        ("test row numbers", &e.data.split.test_rows),
    ] {
        if let Some(path) = path {
            files.push(format!("{what} from {}", code(&path.display().to_string())));
        }
    }
    let _ = writeln!(
        page,
        "{}; target {}.",
        files.join(", "),
        code(&e.data.target)
    );
    let task = facts.bundle.info.task;
    let labels = data.target.labels();
    if task.is_classification() {
        let counts = metrics::class_counts(&data.train.y, labels.len());
        let classes: Vec<String> = labels
            .iter()
            .zip(&counts)
            .map(|(label, n)| format!("{} ({n})", code(label)))
            .collect();
        let _ = writeln!(
            page,
            "{} classification; the classes, with their training rows: {}.",
            if task == Task::Binary {
                "Binary"
            } else {
                "Multiclass"
            },
            classes.join(", ")
        );
    } else {
        let _ = writeln!(page, "Regression.");
    }
    page.push('\n');
    let rows = data
        .splits()
        .map(|(name, split)| vec![name.to_string(), split.y.len().to_string()]);
    table(page, &["split", "rows"], rows.collect());
    if data.dropped_rows > 0 {
        let why = match facts.bundle.info.preprocessor.missing {
            MissingPolicy::Drop => "`data.missing = \"drop\"`",
            // Under impute only a missing target skips a row.
            _ => "a row without its target has nothing to learn from; `impute` fills features only",
        };
        let columns: Vec<String> = data
            .missing_by_column
            .iter()
            .map(|(column, cells)| format!("{} {cells}", code(column)))
            .collect();
        let _ = writeln!(
            page,
            "{} with missing cells skipped ({why}); missing cells by column: {}.\n",
            count(data.dropped_rows, "row"),
            columns.join(", ")
        );
    }
    if let Some(folds) = &data.folds {
        let _ = writeln!(
            page,
            "{}-fold cross-validation on the training rows (each fold's preprocessing fitted on \
             its own training rows).\n",
            folds.len()
        );
    }
    let features = &facts.bundle.info.preprocessor.features;
    let inputs: usize = features.iter().map(FeatureEncoding::width).sum();
    let _ = writeln!(
        page,
        "{} → {}, fitted on the training rows only:\n",
        count(features.len(), "feature column"),
        count(inputs, "model input")
    );
    let impute = facts.bundle.info.preprocessor.missing == MissingPolicy::Impute;
    let rows = features
        .iter()
        .map(|feature| {
            let (encoding, missing) = describe(feature, e.data.scale);
            let mut row = vec![code(feature.column()), encoding];
            if impute {
                row.push(missing);
            }
            row
        })
        .collect();
    let header: &[&str] = if impute {
        &["column", "encoding", "a missing cell becomes"]
    } else {
        &["column", "encoding"]
    };
    table(page, header, rows);
    match e.data.missing {
        MissingPolicy::Impute => {}
        MissingPolicy::Error => page.push_str("A missing cell is an error.\n\n"),
        MissingPolicy::Drop => page.push_str(
            "A row with a missing cell is skipped in training, and an error in `kiln predict`.\n\n",
        ),
    }
}

/// A feature's encoding, and what a missing cell of it becomes under `impute`.
fn describe(feature: &FeatureEncoding, scale_kind: Scale) -> (String, String) {
    match feature {
        FeatureEncoding::Numeric {
            fill,
            indicator,
            shift,
            scale,
            ..
        } => {
            let encoding = match scale_kind {
                Scale::None => "number, as is".to_string(),
                Scale::Standard => {
                    format!(
                        "number, standardised (mean {}, sd {})",
                        num(*shift),
                        num(*scale)
                    )
                }
                Scale::Minmax => format!(
                    "number, min–max scaled (min {}, range {})",
                    num(*shift),
                    num(*scale)
                ),
            };
            let indicator = if *indicator {
                ", and a was-missing input"
            } else {
                ""
            };
            (encoding, format!("median {}{indicator}", num(*fill)))
        }
        FeatureEncoding::Categorical {
            levels,
            pooled,
            fill,
            ..
        } => {
            const SHOWN: usize = 12;
            let mut shown: Vec<String> = levels.iter().take(SHOWN).map(|l| code(l)).collect();
            if levels.len() > SHOWN {
                shown.push(format!("… ({} in all)", levels.len()));
            }
            let pooled = match pooled {
                Some(p) if !p.is_empty() => format!("; {} pooled", count(p.len(), "rare level")),
                _ => String::new(),
            };
            let encoding = format!(
                "category, one-hot over {}: {}{pooled}",
                count(levels.len(), "level"),
                shown.join(", ")
            );
            (encoding, format!("most frequent, {}", code(fill)))
        }
    }
}

fn model_section(page: &mut String, facts: &RunFacts<'_>) {
    let info = &facts.bundle.info;
    let mut parts = Vec::new();
    let mut parameters = 0;
    for layer in &info.layers {
        parts.push(match layer {
            LayerSpec::Linear { d_in, d_out } => {
                parameters += d_in * d_out + d_out;
                format!("linear {d_in} → {d_out}")
            }
            LayerSpec::Relu => "ReLU".into(),
            LayerSpec::Sigmoid => "sigmoid".into(),
            LayerSpec::Tanh => "tanh".into(),
            LayerSpec::Gelu => "GELU".into(),
            LayerSpec::LeakyRelu { slope } => format!("leaky ReLU ({slope})"),
            LayerSpec::Dropout { prob } => format!("dropout {prob}"),
        });
    }
    let output = match (info.task, facts.data.target.labels()) {
        (Task::Binary, [_, positive]) => {
            let decided = match info.threshold {
                Some(t) => format!("at least {t} (`model.threshold`)"),
                None => "above 0.5".into(),
            };
            format!(
                "a logit, whose sigmoid is the probability of {}; a row is predicted {} when \
                 that probability is {decided}",
                code(positive),
                code(positive)
            )
        }
        (Task::Regression, _) => "the predicted value".into(),
        _ => "one logit per class, whose softmax is the class probabilities".into(),
    };
    let _ = writeln!(
        page,
        "## Model\n\n`{}`: {}; {}. The output is {output}.\n",
        info.kind,
        parts.join(", "),
        count(parameters, "parameter")
    );
}

fn training_section(page: &mut String, facts: &RunFacts<'_>) {
    let t = &facts.experiment.train;
    let _ = writeln!(page, "## Training\n");
    if t.solver == Solver::Exact {
        let ridge = if t.l2 > 0.0 {
            format!(" with ridge penalty l2 = {}", t.l2)
        } else {
            String::new()
        };
        let _ = write!(
            page,
            "Least squares in closed form{ridge}, in f64, {:.3} s.",
            facts.fit_seconds
        );
    } else {
        let o = &t.optimizer;
        let mut optimizer = format!("`{}` at lr {}", lowercase(o.kind), o.lr);
        if o.kind == OptimizerKind::Sgd && o.momentum > 0.0 {
            let nesterov = if o.nesterov { " (Nesterov)" } else { "" };
            let _ = write!(optimizer, ", momentum {}{nesterov}", o.momentum);
        }
        if o.weight_decay > 0.0 {
            let _ = write!(optimizer, ", weight decay {}", o.weight_decay);
        }
        if let Some(clip) = o.clip_norm {
            let _ = write!(optimizer, ", gradients clipped to norm {clip}");
        }
        let last = facts.history.last();
        let epochs = last.map_or(0, |r| r.epoch);
        let _ = write!(
            page,
            "{} of {}, mini-batches of {}, {optimizer}",
            count(epochs, "epoch"),
            t.epochs,
            t.batch_size
        );
        let schedule = lowercase(t.schedule.kind);
        if schedule != "constant" || t.schedule.warmup_epochs > 0 {
            let warm_up = match t.schedule.warmup_epochs {
                0 => String::new(),
                n => format!(" after {} of warm-up", count(n, "epoch")),
            };
            let _ = write!(
                page,
                ", schedule `{schedule}`{warm_up} (last epoch's rate {})",
                last.map_or(String::from("n/a"), |r| num(r.lr))
            );
        }
        let loss = match (t.loss, facts.bundle.info.task) {
            (LossKind::Huber, _) => format!("Huber (delta {})", t.huber_delta),
            (_, Task::Regression) => "mean squared error".into(),
            (_, Task::Binary) => "binary cross-entropy".into(),
            (_, Task::Multiclass) => "cross-entropy".into(),
        };
        let _ = write!(page, "; loss: {loss}");
        match &t.class_weights {
            Some(ClassWeights::Named(name)) => {
                let _ = write!(page, ", class weights `{name}`");
            }
            Some(ClassWeights::List(w)) => {
                let labels = facts.data.target.labels();
                let each: Vec<String> = labels
                    .iter()
                    .zip(w)
                    .map(|(label, w)| format!("{} {w}", code(label)))
                    .collect();
                let _ = write!(page, ", class weights {}", each.join(", "));
            }
            None => {}
        }
        let _ = write!(page, ". Fitted in {:.3} s", facts.fit_seconds);
        if let Some(r) = facts.resumed {
            let _ = write!(
                page,
                " (this run's own epochs: it resumed {} after epoch {}",
                code(&r.from.display().to_string()),
                r.after
            );
            if r.other_rates {
                page.push_str(
                    ", whose epochs ran at other rates than config.toml says: history.csv has \
                     each epoch's",
                );
            }
            page.push(')');
        }
        page.push('.');
        if let Some(last) = last {
            let valid = last
                .valid_loss
                .map(|v| format!(", valid loss {}", num(v)))
                .unwrap_or_default();
            let _ = write!(
                page,
                " Last epoch: train loss {}{valid}.",
                num(last.train_loss)
            );
        }
        for sentence in [
            early_stop(facts.experiment, facts.history),
            restored(facts.experiment, facts.history, facts.restored_epoch),
        ]
        .into_iter()
        .flatten()
        {
            let _ = write!(page, " {}.", capitalised(&sentence));
        }
    }
    if let Some(cv) = facts.cv_seconds {
        let _ = write!(page, " Cross-validation took {cv:.3} s more.");
    }
    page.push_str("\n\n");
    for plot in facts.plots {
        let _ = writeln!(page, "![{plot}](plots/{plot})\n");
    }
}

fn metrics_section(page: &mut String, facts: &RunFacts<'_>) {
    let metrics = facts.metrics;
    let mut columns: Vec<(&str, &serde_json::Map<String, Value>)> = Vec::new();
    for split in ["train", "valid", "test"] {
        if let Some(m) = metrics.get(split).and_then(Value::as_object) {
            columns.push((split, m));
        }
    }
    let cv = metrics.get("cv");
    let cv_mean = cv.and_then(|c| c.get("mean")).and_then(Value::as_object);
    let cv_std = cv.and_then(|c| c.get("std")).and_then(Value::as_object);
    let mut names: Vec<&String> = Vec::new();
    for (_, m) in &columns {
        for (key, value) in m.iter() {
            if (value.is_number() || value.is_null()) && !names.contains(&key) {
                names.push(key);
            }
        }
    }
    let _ = writeln!(page, "## Metrics\n");
    let cv_header = cv.map(|cv| {
        format!(
            "{}-fold mean ± sd (population)",
            cv.get("folds").and_then(Value::as_u64).unwrap_or(0)
        )
    });
    let mut header: Vec<&str> = vec!["metric"];
    header.extend(columns.iter().map(|(s, _)| *s));
    header.extend(cv_header.as_deref());
    let rows = names
        .iter()
        .map(|name| {
            let mut row = vec![name.to_string()];
            row.extend(
                columns
                    .iter()
                    .map(|(_, m)| metric_cell(m.get(name.as_str()))),
            );
            if cv.is_some() {
                let mean = metric_cell(cv_mean.and_then(|m| m.get(name.as_str())));
                let sd = metric_cell(cv_std.and_then(|m| m.get(name.as_str())));
                row.push(format!("{mean} ± {sd}"));
            }
            row
        })
        .collect();
    table(page, &header, rows);
    // Why each n/a is undefined, as the log says it.
    let mut undefined: Vec<String> = Vec::new();
    for (split, m) in &columns {
        undefined.extend(
            metrics::undefined(m)
                .into_iter()
                .map(|why| format!("{split} {why}")),
        );
    }
    if let Some(mean) = cv_mean {
        undefined.extend(
            metrics::undefined(mean)
                .into_iter()
                .map(|why| format!("the k-fold mean: in some fold, {why}")),
        );
    }
    for why in &undefined {
        let _ = writeln!(page, "- {why}");
    }
    if !undefined.is_empty() {
        page.push('\n');
    }
    // The confusion matrix of the rows the plots show.
    let labels = facts.data.target.labels();
    if let Some((split, matrix)) = columns
        .iter()
        .filter(|(s, _)| Some(*s) == facts.shown)
        .find_map(|(s, m)| Some((s, m.get("confusion_matrix")?.as_array()?)))
    {
        let _ = writeln!(
            page,
            "Confusion matrix, {split} rows (rows: true class, columns: predicted):\n"
        );
        let names: Vec<String> = labels.iter().map(|l| code(l)).collect();
        let mut header = vec!["true \\ predicted"];
        header.extend(names.iter().map(String::as_str));
        let rows = names
            .iter()
            .zip(matrix)
            .map(|(label, row)| {
                let mut cells = vec![label.clone()];
                cells.extend(row.as_array().into_iter().flatten().map(Value::to_string));
                cells
            })
            .collect();
        table(page, &header, rows);
    }
}

fn coefficients_section(page: &mut String, facts: &RunFacts<'_>) {
    let Some(c) = facts.metrics.get("coefficients") else {
        return;
    };
    if let Some(classes) = c.get("classes") {
        class_coefficients(page, classes, facts);
        return;
    }
    let unscaled = c.get("unscaled");
    let positive = match facts.data.target.labels() {
        [_, positive] => Some(positive),
        _ => None,
    };
    let units = if unscaled.is_some() {
        "; on the scaled inputs, and in the raw columns' units"
    } else {
        ""
    };
    let _ = match positive {
        Some(positive) => writeln!(
            page,
            "## Coefficients\n\nThe log-odds of {} = intercept + Σ weight × input{units}. The \
             odds ratio is e^weight: how many times the odds grow for one more unit of the raw \
             column.\n",
            code(positive)
        ),
        None => writeln!(
            page,
            "## Coefficients\n\nThe fitted line: prediction = intercept + Σ weight × \
             input{units}.\n"
        ),
    };
    fn get<'v>(root: &'v Value, path: &[&str]) -> Option<&'v Value> {
        path.iter().try_fold(root, |v, key| v.get(*key))
    }
    let value = |v: Option<&Value>| v.and_then(Value::as_f64).map_or("n/a".into(), num);
    let row = |name: String, path: &[&str], weight: bool| {
        let mut cells = vec![name, value(get(c, path))];
        if let Some(u) = unscaled {
            cells.push(value(get(u, path)));
        }
        if positive.is_some() {
            let raw = get(unscaled.unwrap_or(c), path).and_then(Value::as_f64);
            cells.push(match raw {
                Some(w) if weight => num(w.exp()),
                _ => String::new(),
            });
        }
        cells
    };
    let mut rows = vec![row("(intercept)".into(), &["intercept"], false)];
    // In input order (the JSON object's keys are sorted).
    rows.extend(
        facts
            .bundle
            .info
            .inputs
            .iter()
            .map(|name| row(code(name), &["weights", name.as_str()], true)),
    );
    let mut header = vec!["input", "weight"];
    if unscaled.is_some() {
        header.push("raw units");
    }
    if positive.is_some() {
        header.push("odds ratio");
    }
    table(page, &header, rows);
}

/// A softmax model's coefficients: one column of weights per class, in the raw columns' units
/// when scaling was applied.
fn class_coefficients(page: &mut String, classes: &Value, facts: &RunFacts<'_>) {
    let labels = facts.data.target.labels();
    let units = |class: &Value| class.get("unscaled").unwrap_or(class).clone();
    let per_class: Vec<Value> = labels.iter().map(|l| units(&classes[l.as_str()])).collect();
    let raw = classes
        .as_object()
        .and_then(|m| m.values().next())
        .is_some_and(|c| c.get("unscaled").is_some());
    let _ = writeln!(
        page,
        "## Coefficients\n\nEach class's score = intercept + Σ weight × input{}; the class \
         probabilities are the softmax of the scores. Only differences between classes matter: \
         the same amount added to an input's weight in every class changes no prediction.\n",
        if raw {
            ", in the raw columns' units"
        } else {
            ""
        }
    );
    let value = |v: &Value| v.as_f64().map_or("n/a".into(), num);
    let names: Vec<String> = labels.iter().map(|l| code(l)).collect();
    let mut header = vec!["input"];
    header.extend(names.iter().map(String::as_str));
    let mut rows = vec![{
        let mut row = vec!["(intercept)".to_string()];
        row.extend(per_class.iter().map(|c| value(&c["intercept"])));
        row
    }];
    for input in &facts.bundle.info.inputs {
        let mut row = vec![code(input)];
        row.extend(
            per_class
                .iter()
                .map(|c| value(&c["weights"][input.as_str()])),
        );
        rows.push(row);
    }
    table(page, &header, rows);
}

/// `train.importance`: each column's permutation importance, most important first.
fn importance_section(page: &mut String, facts: &RunFacts<'_>) {
    let Some(importance) = facts.metrics.get("importance") else {
        return;
    };
    let metric = importance["metric"].as_str().unwrap_or("the metric");
    let _ = writeln!(
        page,
        "## Importance\n\nHow much the {metric} of the {} rows ({}) {}s when one column's \
         values are shuffled among the rows: the mean and spread over {} shuffles, each \
         column's inputs shuffled together. Near zero: the model does without the column.\n",
        metrics::split_words(importance["split"].as_str().unwrap_or("scored")),
        metric_cell(importance.get("baseline")),
        metrics::worsening(metric),
        importance["repeats"]
    );
    let rows = importance["columns"]
        .as_array()
        .map(|columns| {
            columns
                .iter()
                .map(|c| {
                    vec![
                        code(c["column"].as_str().unwrap_or_default()),
                        importance_cell(c.get("mean")),
                        importance_cell(c.get("std")),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    table(page, &["column", "mean", "std"], rows);
}

/// A Markdown table: the first column left-aligned, the others (numbers) right-aligned. Every
/// cell's `|` is escaped, code spans included, as GitHub's tables require.
fn table(page: &mut String, header: &[&str], rows: Vec<Vec<String>>) {
    let line = |cells: &mut dyn Iterator<Item = String>| {
        let cells: Vec<String> = cells.map(|c| c.replace('|', "\\|")).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    page.push_str(&line(&mut header.iter().map(|h| h.to_string())));
    page.push_str("|---|");
    page.push_str(&"---:|".repeat(header.len().saturating_sub(1)));
    page.push('\n');
    for row in rows {
        page.push_str(&line(&mut row.into_iter()));
    }
    page.push('\n');
}

/// A metric's value for a table cell, to four decimals (`n/a` when undefined).
fn metric_cell(value: Option<&Value>) -> String {
    match value.and_then(Value::as_f64) {
        Some(v) if (1e-3..1e6).contains(&v.abs()) || v == 0.0 => unsigned_zero(format!("{v:.4}")),
        Some(v) => format!("{v:.4e}"),
        None => "n/a".into(),
    }
}

/// An importance for a table cell: four decimals, as the column's other values, unless that
/// rounds a value that is not zero to zero (then in scientific notation, `2.1e-5`).
fn importance_cell(value: Option<&Value>) -> String {
    match value.and_then(Value::as_f64) {
        Some(v) if v != 0.0 && v.abs() < 5e-5 => format!("{v:.1e}"),
        Some(v) => unsigned_zero(format!("{v:.4}")),
        None => "n/a".into(),
    }
}

/// A number's text without the sign of a negative value that rounds to zero: `0`, not `-0`.
fn unsigned_zero(text: String) -> String {
    match text.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => text,
    }
}

/// A number to read: at most four decimals, very small or very large ones in scientific
/// notation.
fn num(v: f64) -> String {
    let a = v.abs();
    let text = if v.fract() == 0.0 && a < 1e15 {
        format!("{v:.0}")
    } else if (1e-3..1e6).contains(&a) {
        let text = format!("{v:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.4e}")
    };
    unsigned_zero(text)
}

/// `n thing` or `n things`.
fn count(n: usize, thing: &str) -> String {
    format!("{n} {thing}{}", if n == 1 { "" } else { "s" })
}

fn lowercase(value: impl std::fmt::Debug) -> String {
    format!("{value:?}").to_lowercase()
}

/// A number as a person reads it: six significant digits, and an exponent only beyond
/// 1e-4..1e6 (`81.3048`, `1.11746e6`, `1e30`), not every digit of a widened `f32`
/// (`8.130482177734375e1`) or thirty zeros.
pub(crate) fn readable(v: f64) -> String {
    let rounded: f64 = format!("{v:.5e}").parse().unwrap_or(v);
    if rounded == 0.0 || (1e-4..1e6).contains(&rounded.abs()) {
        rounded.to_string()
    } else {
        format!("{rounded:e}")
    }
}

/// The data's own text (a column name, a level, a label) as a code span: shown as it is,
/// whatever Markdown would make of it. The fence is one backtick longer than the longest run
/// of backticks in the text.
fn code(text: &str) -> String {
    let text = one_line(text);
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest > 0 {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// Text in running prose or a heading (the experiment's name), with the characters Markdown
/// would act on escaped; an underscore inside a word is left alone, as Markdown does.
fn prose(text: &str) -> String {
    let chars: Vec<char> = one_line(text).chars().collect();
    let mut out = String::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        let inside_word = i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        let special = matches!(
            c,
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '~' | '#' | '!' | '&'
        ) || (c == '_' && !inside_word);
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One of kiln's own messages, whose backticks quote the data's names: each quoted name as a
/// code span, the rest as prose. A message whose backticks do not pair (a name holding one) is
/// prose throughout: shown as it is, it cannot break the page either way.
fn message(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return prose(text);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { code(part) } else { prose(part) })
        .collect()
}

/// `text` on one line: a line break in a name or a message would end a table row or a list
/// item.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(
            [1.0, 0.25, 12_345.678_9, 2e-5, 3e9 + 0.5, -0.0, -0.00004].map(num),
            [
                "1",
                "0.25",
                "12345.6789",
                "2.0000e-5",
                "3.0000e9",
                "0",
                "-4.0000e-5"
            ]
        );
        let cells =
            [Some(0.5), Some(0.0), Some(-0.0), Some(2e-5), None].map(|v| v.map(Value::from));
        assert_eq!(
            cells.each_ref().map(|v| metric_cell(v.as_ref())),
            ["0.5000", "0.0000", "0.0000", "2.0000e-5", "n/a"]
        );
        // Importances keep four decimals beside each other, scientific only where those
        // would show a value as 0.
        let importances = [Some(-0.000_999_999), Some(0.1234), Some(2.06e-5), Some(0.0)]
            .map(|v| v.map(Value::from));
        assert_eq!(
            importances.each_ref().map(|v| importance_cell(v.as_ref())),
            ["-0.0010", "0.1234", "2.1e-5", "0.0000"]
        );
        // Rounded to four decimals, a small negative intercept is 0, not -0.
        assert_eq!(num(-0.00001 + 0.0), "-1.0000e-5");
        assert_eq!(unsigned_zero("-0.0000".into()), "0.0000");
        assert_eq!(unsigned_zero("-0.5".into()), "-0.5");
        assert_eq!(when("20261129-105437"), "2026-11-29 10:54:37");
        assert_eq!(count(1, "epoch"), "1 epoch");
    }

    #[test]
    fn the_datas_text_cannot_break_the_markdown() {
        assert_eq!(code("a_b|c"), "`a_b|c`");
        assert_eq!(code("x`y"), "`` x`y ``");
        assert_eq!(code("a``b"), "``` a``b ```");
        assert_eq!(code("two\nlines"), "`two lines`");
        assert_eq!(
            prose("*risk* <b>_x_ credit_risk"),
            "\\*risk\\* \\<b\\>\\_x\\_ credit_risk"
        );
        assert_eq!(
            message("column `a_b` is <odd>"),
            "column `a_b` is \\<odd\\>"
        );
        assert_eq!(message("column `a`b` is"), "column \\`a\\`b\\` is");
        let mut page = String::new();
        table(&mut page, &["a", "b"], vec![vec![code("x|y"), "1".into()]]);
        assert_eq!(page, "| a | b |\n|---|---:|\n| `x\\|y` | 1 |\n\n");
    }
}
