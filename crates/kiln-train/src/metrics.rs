//! Evaluation metrics, computed in f64 on the host from predictions, as scikit-learn (1.9)
//! defines them. Regression: `mse`, `rmse`, `mae`, `r2`. Classification: `accuracy`,
//! `precision`, `recall`, `f1` (of class 1 for binary; for multiclass the macro average over the
//! classes present in the truth or the predictions), `roc_auc` (one-vs-rest macro for
//! multiclass), `pr_auc` (binary: average precision), `log_loss` (probabilities clipped to
//! [ε, 1 − ε] with f64's ε) and `confusion_matrix` (rows: true class, columns: predicted). A metric that is undefined on the rows given is `null` (where
//! scikit-learn returns NaN or raises), and [`undefined`] says why.

use kiln_models::Task;
use serde_json::{Map, Value, json};

use crate::task::Predictions;

/// Metric name → value, as written to `metrics.json`.
pub type Metrics = Map<String, Value>;

/// How prose names a split: `training`, `validation`, `test` (metrics.json keys them `train`,
/// `valid`, `test`).
pub fn split_words(split: &str) -> &str {
    match split {
        "train" => "training",
        "valid" => "validation",
        other => other,
    }
}

/// Whether a smaller value of `metric` is the better one (an error or a loss); other metrics
/// are better larger.
pub fn smaller_is_better(metric: &str) -> bool {
    ["mse", "rmse", "mae", "log_loss"].contains(&metric)
}

/// How `metric` worsens: a `rise` for an error or a loss, a `fall` for the others.
pub fn worsening(metric: &str) -> &'static str {
    match smaller_is_better(metric) {
        true => "rise",
        false => "fall",
    }
}

/// Regression metrics of predictions `pred` against targets `y`.
pub fn regression(y: &[f64], pred: &[f64]) -> Metrics {
    let n = y.len().max(1) as f64;
    let mse = y
        .iter()
        .zip(pred)
        .map(|(t, p)| (t - p).powi(2))
        .sum::<f64>()
        / n;
    let mae = y.iter().zip(pred).map(|(t, p)| (t - p).abs()).sum::<f64>() / n;
    let mean = y.iter().sum::<f64>() / n;
    let total = y.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / n;
    // scikit-learn's conventions: undefined under two rows; for a constant target, a perfect
    // fit scores 1 and any other 0.
    let r2 = if y.len() < 2 {
        None
    } else if total > 0.0 {
        Some(1.0 - mse / total)
    } else if mse == 0.0 {
        Some(1.0)
    } else {
        Some(0.0)
    };
    let mut m = Metrics::new();
    m.insert("mse".into(), json!(mse));
    m.insert("rmse".into(), json!(mse.sqrt()));
    m.insert("mae".into(), json!(mae));
    m.insert("r2".into(), json!(r2));
    m
}

/// The class a row is predicted as: the most probable one, or, for a binary classifier with a
/// decision `threshold`, the second class when its probability is at least the threshold. A
/// row whose probabilities are not numbers is the first class.
pub fn predicted_class(probs: &[f64], threshold: Option<f64>) -> usize {
    match (threshold, probs) {
        (Some(t), [_, p1]) => usize::from(*p1 >= t),
        _ => argmax(probs),
    }
}

/// Classification metrics. `y` holds class indices, `probs` one row of `k` class probabilities
/// per example (for binary, `k = 2`: P(class 0), P(class 1)); the predicted labels follow
/// [`predicted_class`] with `threshold`.
pub fn classification(
    y: &[usize],
    probs: &[Vec<f64>],
    k: usize,
    threshold: Option<f64>,
) -> Metrics {
    let n = y.len();
    let predicted: Vec<usize> = probs
        .iter()
        .map(|p| predicted_class(p, threshold))
        .collect();
    let mut confusion = vec![vec![0u64; k]; k];
    for (&t, &p) in y.iter().zip(&predicted) {
        confusion[t][p] += 1;
    }
    let correct: u64 = (0..k).map(|c| confusion[c][c]).sum();
    let per_class = |c: usize| {
        let tp = confusion[c][c] as f64;
        let predicted_c: f64 = (0..k).map(|t| confusion[t][c] as f64).sum();
        let actual_c: f64 = confusion[c].iter().map(|&v| v as f64).sum();
        // scikit-learn's convention: a ratio with a zero denominator counts as 0.
        let precision = if predicted_c > 0.0 {
            tp / predicted_c
        } else {
            0.0
        };
        let recall = if actual_c > 0.0 { tp / actual_c } else { 0.0 };
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        (precision, recall, f1)
    };
    let (precision, recall, f1) = if k == 2 {
        per_class(1)
    } else {
        // A class absent from both the truth and the predictions has no precision or recall
        // to speak of: averaging its zeros in would score perfect predictions below 1.
        let seen: Vec<usize> = (0..k)
            .filter(|&c| (0..k).any(|o| confusion[c][o] + confusion[o][c] > 0))
            .collect();
        let sums = seen
            .iter()
            .map(|&c| per_class(c))
            .fold((0.0, 0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
        let count = seen.len().max(1) as f64;
        (sums.0 / count, sums.1 / count, sums.2 / count)
    };
    // A prediction that overflowed (inputs far outside the training data) has no rank and no
    // likelihood: the metrics of scores are undefined, those of the predicted labels are not.
    let finite = probs.iter().flatten().all(|p| p.is_finite());
    let score = |c: usize| probs.iter().map(|p| p[c]).collect::<Vec<f64>>();
    let is = |c: usize| y.iter().map(|&t| t == c).collect::<Vec<bool>>();
    let roc_auc = if !finite {
        None
    } else if k == 2 {
        auc(&score(1), &is(1))
    } else {
        // Every class's curve needs it among the true labels: without one, the average would be
        // over fewer classes than the model has (scikit-learn refuses).
        (0..k)
            .map(|c| auc(&score(c), &is(c)))
            .sum::<Option<f64>>()
            .map(|sum| sum / k as f64)
    };
    let log_loss = finite.then(|| {
        -y.iter()
            .zip(probs)
            .map(|(&t, p)| p[t].clamp(f64::EPSILON, 1.0 - f64::EPSILON).ln())
            .sum::<f64>()
            / n.max(1) as f64
    });

    let mut m = Metrics::new();
    m.insert("accuracy".into(), json!(correct as f64 / n.max(1) as f64));
    m.insert("precision".into(), json!(precision));
    m.insert("recall".into(), json!(recall));
    m.insert("f1".into(), json!(f1));
    // A single-class set has no ROC curve: null, as scikit-learn refuses to compute it.
    m.insert("roc_auc".into(), json!(roc_auc));
    if k == 2 {
        let pr_auc = finite
            .then(|| average_precision(&score(1), &is(1)))
            .flatten();
        m.insert("pr_auc".into(), json!(pr_auc));
    }
    m.insert("log_loss".into(), json!(log_loss));
    m.insert("confusion_matrix".into(), json!(confusion));
    m
}

/// `name value, …` for a log line: every scalar metric to four decimals, `n/a` where undefined.
pub fn brief(m: &Metrics) -> String {
    m.iter()
        .filter_map(|(k, v)| match v {
            Value::Null => Some(format!("{k} n/a")),
            v => v.as_f64().map(|v| format!("{k} {v:.4}")),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why each `null` metric of `m` is undefined, one line per metric (empty when none is).
pub fn undefined(m: &Metrics) -> Vec<String> {
    undefined_because(m)
        .into_iter()
        .map(|(name, why)| format!("{name} is undefined here (null in the JSON): {why}"))
        .collect()
}

/// The metrics of `m` that are undefined (null), each with why.
pub fn undefined_because(m: &Metrics) -> Vec<(&str, &'static str)> {
    // Predictions that are not numbers leave these null whatever the rows are.
    let not_numbers = ["log_loss", "mse"]
        .iter()
        .any(|k| m.get(*k).is_some_and(Value::is_null));
    m.iter()
        .filter(|(_, v)| v.is_null())
        .map(|(name, _)| {
            let why = match name.as_str() {
                _ if not_numbers => "a prediction is not a number (it overflowed f32: inputs far outside the training data?)",
                "r2" => "it needs at least two rows",
                "roc_auc" => "it needs rows of every class among the true labels",
                "pr_auc" => "it needs a row of the positive class among the true labels",
                _ => "it is not defined on these rows",
            };
            (name.as_str(), why)
        })
        .collect()
}

/// How many of the class indices `y` fall in each of `classes` classes.
pub fn class_counts(y: &[f64], classes: usize) -> Vec<usize> {
    let mut counts = vec![0usize; classes];
    for &c in y {
        counts[c as usize] += 1;
    }
    counts
}

/// The loss of the best constant prediction on targets `y`: the mean squared error of their
/// mean (regression, `classes` = 0), or the log-loss of the class frequencies (their entropy).
/// A trained model that does worse on its own training rows has learnt nothing.
pub fn constant_loss(y: &[f64], classes: usize) -> f64 {
    let n = y.len() as f64;
    if classes == 0 {
        let mean = y.iter().sum::<f64>() / n;
        return y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    }
    class_counts(y, classes)
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.ln()
        })
        .sum()
}

/// Index of the largest value (the first on ties).
pub fn argmax(values: &[f64]) -> usize {
    values
        .iter()
        .enumerate()
        .fold(0, |best, (i, v)| if *v > values[best] { i } else { best })
}

/// Area under the ROC curve (the Mann–Whitney statistic, ties counting one half); `None` when
/// only one class is present.
pub fn auc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    let n_pos = positive.iter().filter(|&&p| p).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Average ranks over ties, then U = Σ ranks of positives − n_pos (n_pos + 1) / 2.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += order[i..=j].iter().filter(|&&r| positive[r]).count() as f64 * average_rank;
        i = j + 1;
    }
    let u = rank_sum - (n_pos * (n_pos + 1)) as f64 / 2.0;
    Some(u / (n_pos * n_neg) as f64)
}

/// The cumulative true and false positives `(tp, fp)` at each distinct score, from the
/// highest down: every point where a threshold between scores changes the counts.
fn by_threshold(scores: &[f64], positive: &[bool]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut fp) = (0, 0);
    let mut counts = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        for &r in &order[i..=j] {
            if positive[r] { tp += 1 } else { fp += 1 }
        }
        counts.push((tp, fp));
        i = j + 1;
    }
    counts
}

/// Average precision (area under the precision–recall curve, as scikit-learn computes it:
/// Σ (Rₙ − Rₙ₋₁) Pₙ over distinct thresholds); `None` without positives.
pub fn average_precision(scores: &[f64], positive: &[bool]) -> Option<f64> {
    let n_pos = positive.iter().filter(|&&p| p).count();
    if n_pos == 0 {
        return None;
    }
    let (mut ap, mut last_recall) = (0.0, 0.0);
    for (tp, fp) in by_threshold(scores, positive) {
        let recall = tp as f64 / n_pos as f64;
        ap += (recall - last_recall) * tp as f64 / (tp + fp) as f64;
        last_recall = recall;
    }
    Some(ap)
}

/// The ROC curve as `(false positive rate, true positive rate)` points from (0, 0) to (1, 1),
/// one per distinct score (scikit-learn's `roc_curve` with `drop_intermediate=False`); `None`
/// unless both classes are present.
pub fn roc_curve(scores: &[f64], positive: &[bool]) -> Option<Vec<(f64, f64)>> {
    let n_pos = positive.iter().filter(|&&p| p).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let rates = by_threshold(scores, positive)
        .into_iter()
        .map(|(tp, fp)| (fp as f64 / n_neg as f64, tp as f64 / n_pos as f64));
    Some(std::iter::once((0.0, 0.0)).chain(rates).collect())
}

/// Metrics for targets `y` (values or class indices) and `predictions`, a binary classifier's
/// labels decided at `threshold` (see [`predicted_class`]).
pub fn score(task: Task, y: &[f64], predictions: &Predictions, threshold: Option<f64>) -> Metrics {
    match predictions {
        Predictions::Values(p) => regression(y, p),
        Predictions::Probabilities(p) => {
            let k = p.first().map_or(task.outputs(2).max(2), Vec::len);
            let y: Vec<usize> = y.iter().map(|&v| v as usize).collect();
            classification(&y, p, k, threshold)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(m: &Metrics, key: &str) -> f64 {
        m[key].as_f64().unwrap_or(f64::NAN)
    }

    #[test]
    fn regression_metrics_by_hand() {
        // Errors 1, -1, 0, 2: MSE 6/4, MAE 4/4; y mean 2.5, total variance (2.25+0.25+0.25+2.25)/4 = 1.25.
        let m = regression(&[1.0, 2.0, 3.0, 4.0], &[2.0, 1.0, 3.0, 6.0]);
        assert!((get(&m, "mse") - 1.5).abs() < 1e-12);
        assert!((get(&m, "rmse") - 1.5f64.sqrt()).abs() < 1e-12);
        assert!((get(&m, "mae") - 1.0).abs() < 1e-12);
        assert!((get(&m, "r2") - (1.0 - 1.5 / 1.25)).abs() < 1e-12);
    }

    #[test]
    fn binary_metrics_by_hand() {
        // y = 1 1 0 0 1, P(1) = .9 .4 .6 .2 .8 → predicted 1 0 1 0 1: TP 2, FN 1, FP 1, TN 1.
        let p1 = [0.9, 0.4, 0.6, 0.2, 0.8];
        let probs: Vec<Vec<f64>> = p1.iter().map(|&p| vec![1.0 - p, p]).collect();
        let m = classification(&[1, 1, 0, 0, 1], &probs, 2, None);
        assert!((get(&m, "accuracy") - 0.6).abs() < 1e-12);
        assert!((get(&m, "precision") - 2.0 / 3.0).abs() < 1e-12);
        assert!((get(&m, "recall") - 2.0 / 3.0).abs() < 1e-12);
        assert!((get(&m, "f1") - 2.0 / 3.0).abs() < 1e-12);
        // Positive/negative pairs ranked right: (.9>.6 .9>.2 .4>.2 .8>.6 .8>.2) = 5 of 6.
        assert!((get(&m, "roc_auc") - 5.0 / 6.0).abs() < 1e-12);
        let ll =
            -((0.9f64).ln() + (0.4f64).ln() + (0.4f64).ln() + (0.8f64).ln() + (0.8f64).ln()) / 5.0;
        assert!((get(&m, "log_loss") - ll).abs() < 1e-12);
        assert_eq!(m["confusion_matrix"], json!([[1, 1], [1, 2]]));
        // AP: thresholds .9 (P 1, R 1/3), .8 (1, 2/3), .6 (2/3, 2/3), .4 (3/4, 1), .2 → 1/3 + 1/3 + 1/4.
        assert!((get(&m, "pr_auc") - (1.0 / 3.0 + 1.0 / 3.0 + 0.25)).abs() < 1e-12);
    }

    #[test]
    fn tied_scores_count_one_half() {
        assert_eq!(auc(&[0.5, 0.5], &[true, false]), Some(0.5));
        assert_eq!(
            auc(&[0.3, 0.5, 0.5, 0.9], &[false, true, false, true]),
            Some(0.875)
        );
    }

    #[test]
    fn a_single_class_set_has_no_auc_but_other_metrics_are_defined() {
        let probs = vec![vec![0.2, 0.8], vec![0.6, 0.4]];
        let m = classification(&[1, 1], &probs, 2, None);
        assert!(m["roc_auc"].is_null());
        assert!((get(&m, "accuracy") - 0.5).abs() < 1e-12);
        assert!((get(&m, "recall") - 0.5).abs() < 1e-12);
    }

    #[test]
    fn multiclass_metrics_are_macro_averaged() {
        // Three classes, one mistake: class 2 predicted as 1.
        let probs = vec![
            vec![0.8, 0.1, 0.1],
            vec![0.1, 0.8, 0.1],
            vec![0.1, 0.6, 0.3],
            vec![0.1, 0.2, 0.7],
        ];
        let m = classification(&[0, 1, 2, 2], &probs, 3, None);
        assert!((get(&m, "accuracy") - 0.75).abs() < 1e-12);
        // precision: 1, 1/2, 1 → 5/6; recall: 1, 1, 1/2 → 5/6; f1: 1, 2/3, 2/3 → 7/9.
        assert!((get(&m, "precision") - 5.0 / 6.0).abs() < 1e-12);
        assert!((get(&m, "recall") - 5.0 / 6.0).abs() < 1e-12);
        assert!((get(&m, "f1") - 7.0 / 9.0).abs() < 1e-12);
        assert_eq!(
            m["confusion_matrix"],
            json!([[1, 0, 0], [0, 1, 0], [0, 1, 1]])
        );
    }

    #[test]
    fn a_class_in_neither_truth_nor_predictions_leaves_the_macro_average() {
        // Classes 0 and 1 predicted perfectly; class 2 (known to the model) absent.
        let probs = vec![vec![0.8, 0.1, 0.1], vec![0.1, 0.8, 0.1]];
        let m = classification(&[0, 1], &probs, 3, None);
        for key in ["precision", "recall", "f1"] {
            assert!((get(&m, key) - 1.0).abs() < 1e-12, "{key}: {}", m[key]);
        }
        // One-vs-rest needs every class among the true labels (scikit-learn refuses).
        assert!(m["roc_auc"].is_null());
        assert!(undefined(&m).iter().any(|n| n.starts_with("roc_auc")));
        // A class that is predicted but absent from the truth still counts (precision 0).
        let probs = vec![vec![0.8, 0.1, 0.1], vec![0.1, 0.1, 0.8]];
        let m = classification(&[0, 1], &probs, 3, None);
        assert!((get(&m, "precision") - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn log_loss_clips_at_f64_epsilon_as_scikit_learn_does() {
        let probs = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        let m = classification(&[1, 1], &probs, 2, None);
        let expected = -(f64::EPSILON.ln() + (1.0 - f64::EPSILON).ln()) / 2.0;
        assert!((get(&m, "log_loss") - expected).abs() < 1e-12);
    }

    #[test]
    fn r2_needs_two_rows() {
        let m = regression(&[3.0], &[3.0]);
        assert!(m["r2"].is_null());
        assert!((get(&m, "mse")).abs() < 1e-12);
        assert_eq!(brief(&m), "mae 0.0000, mse 0.0000, r2 n/a, rmse 0.0000");
    }

    #[test]
    fn predictions_that_are_not_numbers_leave_the_score_metrics_undefined() {
        let probs = vec![vec![f64::NAN, f64::NAN], vec![0.2, 0.8], vec![0.9, 0.1]];
        let m = classification(&[1, 1, 0], &probs, 2, None);
        for key in ["roc_auc", "pr_auc", "log_loss"] {
            assert!(m[key].is_null(), "{key}: {}", m[key]);
        }
        assert!(m["accuracy"].is_f64());
        assert!(
            undefined(&m)
                .iter()
                .all(|n| n.ends_with("a prediction is not a number (it overflowed f32: inputs far outside the training data?)"))
        );
        let m = regression(&[1.0, 2.0, 3.0], &[f64::NAN, 2.0, 3.0]);
        assert!(
            undefined(&m)
                .iter()
                .any(|n| n.starts_with("r2") && n.contains("not a number"))
        );
    }

    #[test]
    fn the_roc_curve_encloses_the_auc() {
        let scores = [0.1, 0.4, 0.35, 0.8, 0.35, 0.9, 0.2, 0.6];
        let positive = [false, false, true, true, false, true, false, true];
        let curve = roc_curve(&scores, &positive).expect("both classes");
        assert_eq!(curve.first(), Some(&(0.0, 0.0)));
        assert_eq!(curve.last(), Some(&(1.0, 1.0)));
        // Ties make one point: seven distinct scores, plus the origin.
        assert_eq!(curve.len(), 8);
        let area: f64 = curve
            .windows(2)
            .map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0)
            .sum();
        let auc = auc(&scores, &positive).expect("auc");
        assert!((area - auc).abs() < 1e-12, "{area} vs {auc}");
        assert!(roc_curve(&[0.5, 0.7], &[true, true]).is_none());
    }

    #[test]
    fn the_constant_predictions_loss_by_hand() {
        // Mean 2.5; squared deviations 2.25, 0.25, 0.25, 2.25.
        assert!((constant_loss(&[1.0, 2.0, 3.0, 4.0], 0) - 1.25).abs() < 1e-12);
        // Frequencies ¼ and ¾: the log-loss of predicting them for every row.
        let expected = -(0.25f64 * 0.25f64.ln() + 0.75 * 0.75f64.ln());
        let m = classification(&[0, 1, 1, 1], &vec![vec![0.25, 0.75]; 4], 2, None);
        assert!((get(&m, "log_loss") - expected).abs() < 1e-12);
        assert!((constant_loss(&[0.0, 1.0, 1.0, 1.0], 2) - expected).abs() < 1e-12);
    }

    #[test]
    fn a_threshold_moves_the_labels_and_leaves_the_scores() {
        let probs = vec![
            vec![0.8, 0.2],
            vec![0.6, 0.4],
            vec![0.3, 0.7],
            vec![0.9, 0.1],
        ];
        let y = [1, 1, 1, 0];
        let plain = classification(&y, &probs, 2, None);
        let low = classification(&y, &probs, 2, Some(0.1));
        // At 0.5 one positive is found; at 0.1 all three, and the negative too (at exactly
        // the threshold).
        assert_eq!(get(&plain, "recall"), 1.0 / 3.0);
        assert_eq!(get(&low, "recall"), 1.0);
        assert_eq!(get(&low, "precision"), 0.75);
        assert_eq!(low["confusion_matrix"], json!([[0, 1], [0, 3]]));
        for key in ["roc_auc", "pr_auc", "log_loss"] {
            assert_eq!(plain[key], low[key], "{key}");
        }
        // At exactly the threshold, the second class.
        assert_eq!(predicted_class(&[0.7, 0.3], Some(0.3)), 1);
        assert_eq!(predicted_class(&[0.5, 0.5], None), 0);
    }
}
