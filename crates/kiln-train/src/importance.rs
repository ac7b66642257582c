//! Permutation importance: how much worse a trained model scores on labelled rows when the
//! values of one raw column are shuffled among the rows, which cuts the column's link to the
//! target and keeps its distribution (Breiman 2001; scikit-learn's `permutation_importance`).
//! One number per raw column, in the metric's own units, for every model kind alike: a linear
//! model's coefficients say the same only when its inputs are independent and on one scale, and
//! an MLP has no coefficients to read.

use burn::prelude::*;
use kiln_data::{Matrix, SeededRng};
use kiln_models::Task;
use serde::Serialize;

use crate::metrics::{self, score, smaller_is_better};
use crate::{Bundle, TrainError};

/// What to measure: see [`permutation_importance`].
#[derive(Debug, Clone)]
pub struct ImportanceOptions {
    /// The metric whose worsening is measured; `None`: scikit-learn's default score, `r2` for a
    /// regression and `accuracy` for a classifier.
    pub metric: Option<String>,
    /// Shuffles per column (scikit-learn's `n_repeats`, 5 by default).
    pub repeats: usize,
    /// Seeds the shuffles: the same seed gives the same importances.
    pub seed: u64,
}

/// The importance of each raw column, most important first.
#[derive(Debug, Clone, Serialize)]
pub struct Importance {
    /// The metric measured.
    pub metric: String,
    /// Its value on the rows as given.
    pub baseline: f64,
    /// Shuffles per column.
    pub repeats: usize,
    /// The seed of the shuffles.
    pub seed: u64,
    /// One entry per raw column the model reads.
    pub columns: Vec<ColumnImportance>,
}

/// How much worse the metric gets when one column is shuffled.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnImportance {
    /// The raw column.
    pub column: String,
    /// The mean worsening over the shuffles, in the metric's units: positive when the model
    /// relies on the column, about zero when it ignores it, negative (by chance, on few rows)
    /// when shuffling happened to help.
    pub mean: f64,
    /// The spread of the worsening over the shuffles (standard deviation, as scikit-learn's
    /// `importances_std`).
    pub std: f64,
}

/// The most shuffles a column: beyond, the run takes long and tells little more.
const MOST_REPEATS: usize = 10_000;

/// `value`, or 0 when it is within the rounding of sums of metric values the size of
/// `baseline`: an accuracy that no shuffle changed averages to -2.2e-17, not 0.
fn rounding_as_zero(value: f64, baseline: f64) -> f64 {
    match value.abs() <= 1e-12 * baseline.abs().max(1.0) {
        true => 0.0,
        false => value,
    }
}

/// A classifier's metrics importance can be measured by; `pr_auc`, last, is a binary one's.
const CLASSIFICATION: [&str; 7] = [
    "accuracy",
    "roc_auc",
    "log_loss",
    "f1",
    "precision",
    "recall",
    "pr_auc",
];

/// The metric importance is measured by for a model of `task`: `asked`, if it is one of the
/// task's, else scikit-learn's default score; or why `asked` is not.
pub fn metric_for(task: Task, asked: Option<&str>) -> Result<String, String> {
    let allowed = metrics_for(task);
    match asked {
        Some(metric) if allowed.contains(&metric) => Ok(metric.to_string()),
        Some(metric) => Err(format!(
            "`{metric}` is not a metric of this model (task {}); expected one of {}",
            task.name(),
            allowed.join(", ")
        )),
        None => Ok(allowed[0].to_string()),
    }
}

/// Refuses a number of shuffles that measures nothing, or that would run for hours.
pub fn check_repeats(repeats: usize) -> Result<(), String> {
    match (1..=MOST_REPEATS).contains(&repeats) {
        true => Ok(()),
        false => Err(format!(
            "{repeats} shuffles: use 1 to {MOST_REPEATS} (5 is scikit-learn's default; the \
             spread of the mean shrinks with the square root of the shuffles)"
        )),
    }
}

/// The metrics importance can be measured by, for a model of `task`.
fn metrics_for(task: Task) -> &'static [&'static str] {
    match task {
        Task::Regression => &["r2", "mse", "rmse", "mae"],
        Task::Binary => &CLASSIFICATION,
        Task::Multiclass => &CLASSIFICATION[..CLASSIFICATION.len() - 1],
    }
}

/// Permutation importance of every raw column `bundle`'s model reads, on encoded rows `x` with
/// targets `y` (as [`score`] takes them). Shuffling a raw column shuffles every input made of it
/// together (a one-hot group, a missing-value indicator), rows kept whole otherwise.
pub fn permutation_importance(
    bundle: &Bundle,
    x: &Matrix,
    y: &[f64],
    options: &ImportanceOptions,
    device: &Device,
) -> Result<Importance, TrainError> {
    let task = bundle.info.task;
    let metric =
        metric_for(task, options.metric.as_deref()).map_err(|reason| TrainError::Invalid {
            key: "--metric".into(),
            reason,
        })?;
    check_repeats(options.repeats).map_err(|reason| TrainError::Invalid {
        key: "--repeats".into(),
        reason,
    })?;
    // The metric on `x`, or why it is undefined there.
    let measure = |x: &Matrix| -> Result<Result<f64, &'static str>, TrainError> {
        let predictions = bundle.predict(x, device)?;
        let metrics = score(task, y, &predictions, bundle.info.threshold);
        Ok(
            match metrics.get(&metric).and_then(serde_json::Value::as_f64) {
                Some(value) => Ok(value),
                None => Err(metrics::undefined_because(&metrics)
                    .into_iter()
                    .find(|(name, _)| *name == metric)
                    .map_or("no reason found", |(_, why)| why)),
            },
        )
    };
    let undefined = |shuffled: Option<&str>, why: &str| TrainError::Invalid {
        key: "importance".into(),
        reason: format!(
            "{metric} is undefined on these rows{}: {why}; measure importance on other rows, \
             or by another metric (kiln eval --importance --metric)",
            shuffled.map_or(String::new(), |c| format!(" with `{c}` shuffled"))
        ),
    };
    let baseline = measure(x)?.map_err(|why| undefined(None, why))?;
    let worse = |value: f64| match smaller_is_better(&metric) {
        true => value - baseline,
        false => baseline - value,
    };
    let mut rng = SeededRng::new(options.seed);
    let mut shuffled = x.clone();
    let mut order: Vec<usize> = (0..x.rows).collect();
    let mut first = 0;
    let mut columns = Vec::new();
    for feature in &bundle.info.preprocessor.features {
        let inputs = first..first + feature.width();
        first = inputs.end;
        let mut drops = Vec::with_capacity(options.repeats);
        for _ in 0..options.repeats {
            order.iter_mut().enumerate().for_each(|(i, o)| *o = i);
            rng.shuffle(&mut order);
            for (row, &from) in order.iter().enumerate() {
                for col in inputs.clone() {
                    shuffled.data[row * x.cols + col] = x.data[from * x.cols + col];
                }
            }
            let value =
                measure(&shuffled)?.map_err(|why| undefined(Some(feature.column()), why))?;
            drops.push(worse(value));
        }
        for row in 0..x.rows {
            for col in inputs.clone() {
                shuffled.data[row * x.cols + col] = x.data[row * x.cols + col];
            }
        }
        let mean = drops.iter().sum::<f64>() / drops.len() as f64;
        let variance = drops.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / drops.len() as f64;
        columns.push(ColumnImportance {
            column: feature.column().to_string(),
            mean: rounding_as_zero(mean, baseline),
            std: rounding_as_zero(variance.sqrt(), baseline),
        });
    }
    columns.sort_by(|a, b| {
        b.mean
            .total_cmp(&a.mean)
            .then_with(|| a.column.cmp(&b.column))
    });
    Ok(Importance {
        metric,
        baseline,
        repeats: options.repeats,
        seed: options.seed,
        columns,
    })
}
