//! `report.md`: the run told for a reader, not a program. `metrics.json`, `history.csv` and
//! `model/bundle.json` hold the same facts for tools; this page puts them in one place, in
//! words and tables, with the plots: the data and how each column was prepared, the model,
//! how training went and why it stopped, every split's metrics, the confusion matrix, a linear
//! model's coefficients, and the notes the run logged.

use std::fmt::Write;

use kiln_data::{FeatureEncoding, Prepared, Scale};
use kiln_models::{LayerSpec, Task};
use serde_json::Value;

use crate::bundle::Bundle;
use crate::fit::EpochRecord;
use crate::{Experiment, Monitored, Solver};

/// Everything the report is made from.
pub(crate) struct RunFacts<'a> {
    pub experiment: &'a Experiment,
    /// The run directory's name.
    pub run_name: &'a str,
    pub data: &'a Prepared,
    pub bundle: &'a Bundle,
    pub history: &'a [EpochRecord],
    /// The epoch whose weights early stopping restored.
    pub restored_epoch: Option<usize>,
    pub fit_seconds: f64,
    /// `metrics.json`'s content.
    pub metrics: &'a Value,
    /// The run's log lines other than the per-epoch ones: notes and warnings.
    pub notes: &'a [String],
    /// The files written under `plots/`.
    pub plots: &'a [&'a str],
    /// Rows written to `predictions.csv`.
    pub predicted_rows: Option<usize>,
}

/// Why training ended before its last epoch, with the epoch whose weights were kept; `None`
/// when every planned epoch ran.
pub(crate) fn early_stop(
    experiment: &Experiment,
    history: &[EpochRecord],
    restored_epoch: Option<usize>,
) -> Option<String> {
    let stop = experiment.train.early_stopping.as_ref()?;
    let last = history.last()?.epoch;
    let restored = match restored_epoch {
        Some(epoch) if epoch < last => format!(
            "; the weights are epoch {epoch}'s, the best{}",
            if stop.min_delta > 0.0 {
                " (the last to improve by more than min_delta)"
            } else {
                ""
            }
        ),
        _ => String::new(),
    };
    (last < experiment.train.epochs).then(|| {
        format!(
            "early stopping after epoch {last} of {}: {} had not improved for {} epochs{restored}",
            experiment.train.epochs,
            monitored_name(stop.metric),
            stop.patience
        )
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
    let _ = writeln!(page, "# {}\n", one_line(&e.name));
    let _ = writeln!(
        page,
        "Run `{}`, kiln {}, device `{}`, seed {}. `config.toml` is the experiment with every \
         default written out; `kiln predict <this run> --input <csv>` predicts raw rows.\n",
        facts.run_name,
        env!("CARGO_PKG_VERSION"),
        e.device,
        e.seed
    );
    data_section(&mut page, facts);
    model_section(&mut page, facts);
    training_section(&mut page, facts);
    metrics_section(&mut page, facts);
    coefficients_section(&mut page, facts.metrics, &facts.bundle.info.inputs);
    if !facts.notes.is_empty() {
        let _ = writeln!(page, "## Notes\n");
        for note in facts.notes {
            let _ = writeln!(page, "- {}", one_line(note));
        }
        page.push('\n');
    }
    if let Some(rows) = facts.predicted_rows {
        let _ = writeln!(
            page,
            "## Predictions\n\n{rows} row{} of `{}` predicted: `predictions.csv`.",
            plural(rows),
            e.predict
                .as_ref()
                .map_or(String::new(), |p| p.input.display().to_string())
        );
    }
    page
}

fn data_section(page: &mut String, facts: &RunFacts<'_>) {
    let (e, data) = (facts.experiment, facts.data);
    let _ = writeln!(page, "## Data\n");
    let _ = writeln!(
        page,
        "{}, target {}.",
        code(&e.data.path.display().to_string()),
        code(&e.data.target)
    );
    let task = facts.bundle.info.task;
    let labels = data.target.labels();
    if task.is_classification() {
        let mut counts = vec![0usize; labels.len()];
        for &c in &data.train.y {
            counts[c as usize] += 1;
        }
        let classes: Vec<String> = labels
            .iter()
            .zip(&counts)
            .map(|(label, n)| format!("{} ({n})", code(label)))
            .collect();
        let _ = writeln!(
            page,
            "{} classification; classes, with their training rows: {}.",
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
    let _ = writeln!(page, "\n| split | rows |\n|---|---:|");
    let splits = [
        ("train", Some(&data.train)),
        ("valid", data.valid.as_ref()),
        ("test", data.test.as_ref()),
    ];
    for (name, split) in splits {
        if let Some(split) = split {
            let _ = writeln!(page, "| {name} | {} |", split.y.len());
        }
    }
    page.push('\n');
    if data.dropped_rows > 0 {
        let _ = writeln!(
            page,
            "{} row{} with missing cells skipped (`data.missing = \"drop\"`).\n",
            data.dropped_rows,
            plural(data.dropped_rows)
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
        "{} feature column{} → {inputs} model input{}, fitted on the training rows only:\n",
        features.len(),
        plural(features.len()),
        plural(inputs)
    );
    let impute = facts.bundle.info.preprocessor.missing == kiln_data::MissingPolicy::Impute;
    if impute {
        let _ = writeln!(
            page,
            "| column | encoding | a missing cell becomes |\n|---|---|---|"
        );
    } else {
        let _ = writeln!(page, "| column | encoding |\n|---|---|");
    }
    for feature in features {
        let (encoding, missing) = match feature {
            FeatureEncoding::Numeric {
                fill,
                indicator,
                shift,
                scale,
                ..
            } => {
                let encoding = match e.data.scale {
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
                let missing = match (impute, indicator) {
                    (false, _) => String::new(),
                    (true, false) => format!("median {}", num(*fill)),
                    (true, true) => format!("median {}, and a was-missing input", num(*fill)),
                };
                (encoding, missing)
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
                    Some(p) if !p.is_empty() => {
                        format!("; {} rare level{} pooled", p.len(), plural(p.len()))
                    }
                    _ => String::new(),
                };
                let encoding = format!(
                    "category, one-hot over {} level{}: {}{pooled}",
                    levels.len(),
                    plural(levels.len()),
                    shown.join(", ")
                );
                let missing = if impute {
                    format!("most frequent, {}", code(fill))
                } else {
                    String::new()
                };
                (encoding, missing)
            }
        };
        let missing = if impute {
            format!(" {missing} |")
        } else {
            String::new()
        };
        let _ = writeln!(page, "| {} | {encoding} |{missing}", code(feature.column()));
    }
    page.push('\n');
    let missing = match e.data.missing {
        kiln_data::MissingPolicy::Impute => None,
        kiln_data::MissingPolicy::Error => Some("stop with an error"),
        kiln_data::MissingPolicy::Drop => {
            Some("skip the row in training, and stop with an error in `kiln predict`")
        }
    };
    if let Some(missing) = missing {
        let _ = writeln!(page, "Missing cells {missing}.\n");
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
            format!(
                "a logit, whose sigmoid is the probability of {}",
                code(positive)
            )
        }
        (Task::Regression, _) => "the predicted value".into(),
        _ => "one logit per class, whose softmax is the class probabilities".into(),
    };
    let _ = writeln!(
        page,
        "## Model\n\n`{}`: {}; {parameters} parameters. The output is {output}.\n",
        info.kind,
        parts.join(", ")
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
        let _ = writeln!(
            page,
            "Least squares in closed form{ridge} (Householder QR in f64), {:.3} s.\n",
            facts.fit_seconds
        );
    } else {
        let o = &t.optimizer;
        let _ = writeln!(
            page,
            "{} epochs of {}, mini-batches of {}, optimizer `{}` at lr {} (schedule `{}`), \
             {:.3} s.",
            facts.history.last().map_or(0, |r| r.epoch),
            t.epochs,
            t.batch_size,
            format!("{:?}", o.kind).to_lowercase(),
            o.lr,
            format!("{:?}", t.schedule.kind).to_lowercase(),
            facts.fit_seconds
        );
        if let Some(last) = facts.history.last() {
            let valid = last
                .valid_loss
                .map(|v| format!(", valid loss {}", num(v)))
                .unwrap_or_default();
            let _ = writeln!(
                page,
                "Last epoch: train loss {}{valid}.",
                num(last.train_loss)
            );
        }
        if let Some(stop) = early_stop(facts.experiment, facts.history, facts.restored_epoch) {
            let _ = writeln!(page, "{}.", capitalised(&stop));
        } else if let Some(epoch) = facts.restored_epoch {
            let _ = writeln!(
                page,
                "Early stopping's `restore_best`: the weights are epoch {epoch}'s, the best."
            );
        }
        page.push('\n');
    }
    for plot in facts.plots {
        let _ = writeln!(page, "![{plot}](plots/{plot})\n");
    }
}

fn metrics_section(page: &mut String, facts: &RunFacts<'_>) {
    let metrics = facts.metrics;
    let mut columns: Vec<(String, &serde_json::Map<String, Value>)> = Vec::new();
    for split in ["train", "valid", "test"] {
        if let Some(m) = metrics.get(split).and_then(Value::as_object) {
            columns.push((split.to_string(), m));
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
    let mut header: Vec<String> = columns.iter().map(|(s, _)| s.clone()).collect();
    if let Some(cv) = cv {
        header.push(format!(
            "{}-fold mean ± sd",
            cv.get("folds").and_then(Value::as_u64).unwrap_or(0)
        ));
    }
    let _ = writeln!(page, "| metric | {} |", header.join(" | "));
    let _ = writeln!(page, "|---|{}", "---:|".repeat(header.len()));
    for name in names {
        let mut row: Vec<String> = columns
            .iter()
            .map(|(_, m)| metric_cell(m.get(name.as_str())))
            .collect();
        if cv.is_some() {
            let mean = metric_cell(cv_mean.and_then(|m| m.get(name.as_str())));
            let sd = metric_cell(cv_std.and_then(|m| m.get(name.as_str())));
            row.push(format!("{mean} ± {sd}"));
        }
        let _ = writeln!(page, "| {name} | {} |", row.join(" | "));
    }
    page.push('\n');
    // The confusion matrix of the split a reader trusts most: test, else valid, else train.
    let labels = facts.data.target.labels();
    if let Some((split, matrix)) = columns
        .iter()
        .rev()
        .find_map(|(s, m)| Some((s, m.get("confusion_matrix")?.as_array()?)))
    {
        let _ = writeln!(
            page,
            "Confusion matrix, {split} rows (rows: true class, columns: predicted):\n"
        );
        let names: Vec<String> = labels.iter().map(|l| code(l)).collect();
        let _ = writeln!(page, "| true \\ predicted | {} |", names.join(" | "));
        let _ = writeln!(page, "|---|{}", "---:|".repeat(names.len()));
        for (label, row) in names.iter().zip(matrix) {
            let counts: Vec<String> = row
                .as_array()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .unwrap_or_default();
            let _ = writeln!(page, "| {label} | {} |", counts.join(" | "));
        }
        page.push('\n');
    }
}

fn coefficients_section(page: &mut String, metrics: &Value, inputs: &[String]) {
    let Some(c) = metrics.get("coefficients") else {
        return;
    };
    let unscaled = c.get("unscaled");
    let _ = writeln!(
        page,
        "## Coefficients\n\nThe fitted line: prediction = intercept + Σ weight × input{}.\n",
        if unscaled.is_some() {
            "; on the scaled inputs, and in the raw columns' units"
        } else {
            ""
        }
    );
    let value = |v: Option<&Value>| v.and_then(Value::as_f64).map_or("n/a".into(), num);
    let raw = |path: &[&str]| {
        unscaled.map(|u| {
            let mut v = Some(u);
            for key in path {
                v = v.and_then(|v| v.get(*key));
            }
            value(v)
        })
    };
    let _ = writeln!(
        page,
        "| input | weight |{}\n|---|---:|{}",
        if unscaled.is_some() {
            " raw units |"
        } else {
            ""
        },
        if unscaled.is_some() { "---:|" } else { "" }
    );
    let row = |page: &mut String, name: &str, w: String, r: Option<String>| {
        let r = r.map(|r| format!(" {r} |")).unwrap_or_default();
        let _ = writeln!(page, "| {name} | {w} |{r}");
    };
    row(
        page,
        "(intercept)",
        value(c.get("intercept")),
        raw(&["intercept"]),
    );
    // In input order (the JSON object's keys are sorted).
    for name in inputs {
        let w = c.get("weights").and_then(|w| w.get(name));
        row(page, &code(name), value(w), raw(&["weights", name]));
    }
    page.push('\n');
}

/// A metric's value for a table cell, to four decimals (`n/a` when undefined).
fn metric_cell(value: Option<&Value>) -> String {
    match value.and_then(Value::as_f64) {
        Some(v) if (1e-3..1e6).contains(&v.abs()) || v == 0.0 => format!("{v:.4}"),
        Some(v) => format!("{v:.4e}"),
        None => "n/a".into(),
    }
}

/// A number to read: at most four decimals, very small or very large ones in scientific
/// notation.
fn num(v: f64) -> String {
    let a = v.abs();
    if v.fract() == 0.0 && a < 1e15 {
        format!("{v:.0}")
    } else if (1e-3..1e6).contains(&a) {
        let text = format!("{v:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.4e}")
    }
}

/// The data's own text (a column name, a level, a label) as a code span: shown as it is,
/// whatever Markdown would make of it, and safe inside a table cell.
fn code(text: &str) -> String {
    let text = one_line(text).replace('|', "\\|");
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

/// `text` on one line: a line break in a name or a message would end a table row or a list
/// item.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
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
    fn numbers_read_well_and_data_text_cannot_break_the_markdown() {
        assert_eq!(
            [1.0, 0.25, 12_345.678_9, 2e-5, 3e9 + 0.5].map(num),
            ["1", "0.25", "12345.6789", "2.0000e-5", "3.0000e9"]
        );
        let cells = [Some(0.5), Some(0.0), Some(2e-5), None].map(|v| v.map(Value::from));
        assert_eq!(
            cells.each_ref().map(|v| metric_cell(v.as_ref())),
            ["0.5000", "0.0000", "2.0000e-5", "n/a"]
        );
        assert_eq!(code("a|b_c"), "`a\\|b_c`");
        assert_eq!(code("x`y"), "`` x`y ``");
        assert_eq!(code("two\nlines"), "`two lines`");
    }
}
