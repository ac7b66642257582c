//! The experiment file: one TOML document with `[data]`, `[model]`, `[train]` and `[predict]`.
//!
//! It is read in three steps: strict serde structs (`deny_unknown_fields`, defaults for optional
//! keys), then [`Experiment::validate`] (ranges and cross-key rules, each error naming its key),
//! then the validated values are turned into Burn's own configs where training starts. The
//! resolved experiment (defaults filled in, overrides applied) is saved with every run.

use std::path::{Path, PathBuf};

use kiln_data::DataConfig;
use kiln_models::ModelConfig;
use serde::{Deserialize, Serialize};

use crate::TrainError;
use crate::schedule::{EarlyStoppingConfig, Monitored, ScheduleConfig};

/// A whole experiment file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// Names the run directory.
    pub name: String,
    /// Seeds weight initialisation, shuffling and splitting.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// The compute device: `cpu` by default (`kiln devices` lists the others).
    #[serde(default = "default_device")]
    pub device: String,
    /// What data to read and how to prepare it.
    pub data: DataConfig,
    /// Which model.
    pub model: ModelConfig,
    /// How to train it.
    #[serde(default)]
    pub train: TrainConfig,
    /// Rows to predict once training is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predict: Option<PredictConfig>,
}

fn default_seed() -> u64 {
    42
}

fn default_device() -> String {
    "cpu".into()
}

/// The `[train]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Gradient descent, or the closed-form least-squares solution (`linear` only).
    #[serde(default)]
    pub solver: Solver,
    /// Passes over the training rows.
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    /// Rows per gradient step; a batch larger than the data is the whole data.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// Shuffle the training rows every epoch (seeded); `false` keeps file order, e.g. for
    /// time-ordered data.
    #[serde(default = "default_true")]
    pub shuffle: bool,
    /// Print `Epoch N: loss = …` every this many epochs.
    #[serde(default = "default_log_every")]
    pub log_every: usize,
    /// Ridge penalty of the exact solver (as scikit-learn's `Ridge(alpha)`).
    #[serde(default)]
    pub l2: f64,
    /// Training stops as diverged when an epoch's loss exceeds the first epoch's loss times this.
    #[serde(default = "default_divergence_factor")]
    pub divergence_factor: f64,
    /// The loss; `auto` is MSE for regression and cross-entropy for classification.
    #[serde(default)]
    pub loss: LossKind,
    /// Huber's threshold between the squared and the linear part.
    #[serde(default = "default_huber_delta")]
    pub huber_delta: f64,
    /// Per-class loss weights for imbalanced data: `"balanced"` (n / (k · n_class), as
    /// scikit-learn) or one weight per class in label order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_weights: Option<ClassWeights>,
    /// Save a checkpoint every this many epochs (and at the last); 0 saves none.
    #[serde(default)]
    pub checkpoint_every: usize,
    /// The optimizer.
    #[serde(default)]
    pub optimizer: OptimizerConfig,
    /// The learning-rate schedule.
    #[serde(default)]
    pub schedule: ScheduleConfig,
    /// Stop when the monitored loss stops improving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_stopping: Option<EarlyStoppingConfig>,
    /// After training, measure each column's permutation importance on the rows a reader
    /// trusts most (test, else validation, else training), into `metrics.json` and
    /// `report.md`, seeded by the experiment's seed.
    #[serde(default)]
    pub importance: ImportanceSetting,
}

fn default_true() -> bool {
    true
}
fn default_epochs() -> usize {
    100
}
fn default_batch_size() -> usize {
    32
}
fn default_log_every() -> usize {
    10
}
fn default_divergence_factor() -> f64 {
    1e4
}
fn default_huber_delta() -> f64 {
    1.0
}

/// The training loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LossKind {
    /// MSE for regression, (binary) cross-entropy for classification.
    #[default]
    Auto,
    /// Mean squared error (regression).
    Mse,
    /// Huber loss (regression): squared near zero, linear beyond `huber_delta`.
    Huber,
}

/// `train.importance`: off, on with scikit-learn's defaults, or on with a metric and a number of
/// shuffles.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ImportanceSetting {
    /// `true` or `false`.
    Switch(bool),
    /// On, as the table says.
    With(ImportanceConfig),
}

impl Default for ImportanceSetting {
    fn default() -> Self {
        Self::Switch(false)
    }
}

/// Read by hand rather than untagged, so that a misspelt key of the table is named (and gets a
/// "did you mean") instead of one message for every mistake.
impl<'de> Deserialize<'de> for ImportanceSetting {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match toml::Value::deserialize(deserializer)? {
            toml::Value::Boolean(on) => Ok(Self::Switch(on)),
            table @ toml::Value::Table(_) => ImportanceConfig::deserialize(table)
                .map(Self::With)
                .map_err(D::Error::custom),
            other => Err(D::Error::custom(format!(
                "expected true, false or a table such as {{ metric = \"roc_auc\", repeats = 10 \
                 }}, found {} {other}",
                other.type_str()
            ))),
        }
    }
}

impl ImportanceSetting {
    /// How to measure importance, when it is on.
    pub fn config(&self) -> Option<ImportanceConfig> {
        match self {
            Self::Switch(false) => None,
            Self::Switch(true) => Some(ImportanceConfig::default()),
            Self::With(config) => Some(config.clone()),
        }
    }
}

/// How `train.importance` measures, when given as a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportanceConfig {
    /// The metric; unset: scikit-learn's default score (r2, or accuracy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// Shuffles per column.
    #[serde(default = "default_repeats")]
    pub repeats: usize,
}

impl Default for ImportanceConfig {
    fn default() -> Self {
        Self {
            metric: None,
            repeats: default_repeats(),
        }
    }
}

fn default_repeats() -> usize {
    5
}

/// Per-class loss weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "expected \"balanced\" or a list of one weight per class in label order, e.g. [1.0, 3.0]"
)]
pub enum ClassWeights {
    /// `"balanced"`.
    Named(String),
    /// One weight per class, in label order.
    List(Vec<f64>),
}

impl ClassWeights {
    /// The weight of each class, given the training rows' class counts and the class labels
    /// (in class order: sorted, the positive class last when `data.positive` chose one).
    pub fn resolve(&self, counts: &[usize], labels: &[String]) -> Result<Vec<f32>, TrainError> {
        let invalid = |reason: String| TrainError::Invalid {
            key: "train.class_weights".into(),
            reason,
        };
        match self {
            Self::Named(name) if name == "balanced" => {
                let n: usize = counts.iter().sum();
                let k = counts.len() as f64;
                Ok(counts
                    .iter()
                    .map(|&c| {
                        if c == 0 {
                            0.0
                        } else {
                            (n as f64 / (k * c as f64)) as f32
                        }
                    })
                    .collect())
            }
            Self::Named(other) => Err(invalid(format!(
                "expected \"balanced\" or a list of weights, found \"{other}\""
            ))),
            Self::List(w) if w.len() != counts.len() => Err(invalid(format!(
                "{} weights for {} classes; give one per class, in the class order {}",
                w.len(),
                counts.len(),
                labels
                    .iter()
                    .map(|l| format!("`{l}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
            // A weight of 0 would leave a mini-batch of that class alone with a loss of 0 / 0.
            Self::List(w) if w.iter().any(|v| !(v.is_finite() && *v > 0.0)) => {
                Err(invalid(format!(
                    "expected finite weights > 0, found {w:?} (to leave a class out, remove its \
                     rows from the data)"
                )))
            }
            Self::List(w) => Ok(w.iter().map(|&v| v as f32).collect()),
        }
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            solver: Solver::default(),
            epochs: default_epochs(),
            batch_size: default_batch_size(),
            log_every: default_log_every(),
            shuffle: true,
            l2: 0.0,
            divergence_factor: default_divergence_factor(),
            checkpoint_every: 0,
            loss: LossKind::default(),
            huber_delta: default_huber_delta(),
            class_weights: None,
            optimizer: OptimizerConfig::default(),
            schedule: ScheduleConfig::default(),
            early_stopping: None,
            importance: ImportanceSetting::default(),
        }
    }
}

/// How a model is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Solver {
    /// Mini-batch gradient descent with the configured optimizer.
    #[default]
    Gradient,
    /// Least squares in closed form (Householder QR, in f64).
    Exact,
}

/// The `[train.optimizer]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimizerConfig {
    /// `sgd`, `adam` or `adamw`.
    #[serde(default)]
    pub kind: OptimizerKind,
    /// Learning rate.
    #[serde(default = "default_lr")]
    pub lr: f64,
    /// SGD momentum, in [0, 1).
    #[serde(default)]
    pub momentum: f64,
    /// Nesterov momentum (SGD, needs `momentum > 0`).
    #[serde(default)]
    pub nesterov: bool,
    /// L2 weight decay (SGD and Adam: added to the gradient; AdamW: decoupled).
    #[serde(default)]
    pub weight_decay: f64,
    /// Adam's first-moment decay.
    #[serde(default = "default_beta1")]
    pub beta1: f64,
    /// Adam's second-moment decay.
    #[serde(default = "default_beta2")]
    pub beta2: f64,
    /// Adam's epsilon (PyTorch's default; Burn's own is 1e-5).
    #[serde(default = "default_epsilon")]
    pub epsilon: f64,
    /// Scales each parameter tensor's gradient (a layer's weights, its bias) down to at most
    /// this L2 norm, each on its own: Keras's `clipnorm`, not PyTorch's global
    /// `clip_grad_norm_`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_norm: Option<f64>,
}

fn default_lr() -> f64 {
    0.01
}
fn default_beta1() -> f64 {
    0.9
}
fn default_beta2() -> f64 {
    0.999
}
fn default_epsilon() -> f64 {
    1e-8
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        Self {
            kind: OptimizerKind::default(),
            lr: default_lr(),
            momentum: 0.0,
            nesterov: false,
            weight_decay: 0.0,
            beta1: default_beta1(),
            beta2: default_beta2(),
            epsilon: default_epsilon(),
            clip_norm: None,
        }
    }
}

/// The optimizer algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Stochastic gradient descent.
    #[default]
    Sgd,
    /// Adam.
    Adam,
    /// Adam with decoupled weight decay.
    Adamw,
}

/// The `[predict]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredictConfig {
    /// Raw rows (same columns as the training data, target optional) to predict.
    pub input: PathBuf,
}

impl Experiment {
    /// Reads an experiment file and applies `--set KEY=VALUE` overrides.
    pub fn load(path: &Path, overrides: &[String]) -> Result<Self, TrainError> {
        let text = std::fs::read_to_string(path).map_err(|source| TrainError::ReadConfig {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text, overrides)
    }

    /// Parses experiment text; `path` is used in messages only.
    pub fn parse(path: &Path, text: &str, overrides: &[String]) -> Result<Self, TrainError> {
        let parse_error = |message: String| TrainError::Config {
            path: path.to_path_buf(),
            message: crate::overrides::with_suggestion(&message),
        };
        if text.trim().is_empty() {
            return Err(parse_error(
                "the file is empty; an experiment needs at least `name`, [data] and [model]".into(),
            ));
        }
        // Parse the file alone first: its errors then point at a line and column.
        let experiment: Self = toml::from_str(text).map_err(|e| parse_error(e.to_string()))?;
        let experiment = if overrides.is_empty() {
            experiment
        } else {
            let mut document: toml::Table =
                toml::from_str(text).map_err(|e| parse_error(e.to_string()))?;
            for assignment in overrides {
                crate::overrides::apply(&mut document, assignment)?;
            }
            Self::deserialize(toml::Value::Table(document)).map_err(|e| TrainError::Override {
                assignment: overrides.join(" "),
                reason: crate::overrides::with_suggestion(&e.to_string()),
            })?
        };
        // Values checked after parsing have no line to point at: the file and key say where.
        experiment.validate().map_err(|e| match e {
            TrainError::Invalid { key, reason } => TrainError::Invalid {
                key: if overrides.is_empty() {
                    format!("{}: {key}", path.display())
                } else {
                    format!("{} with --set: {key}", path.display())
                },
                reason,
            },
            other => other,
        })?;
        Ok(experiment)
    }

    /// Checks ranges and cross-key rules.
    pub fn validate(&self) -> Result<(), TrainError> {
        // Every problem at once: one run of kiln should show all that needs fixing.
        let mut problems: Vec<(String, String)> = Vec::new();
        let mut invalid = |key: &str, reason: String| problems.push((key.into(), reason));
        // [data]'s own checks come first, and stop here: its type names its keys itself.
        self.data.validate()?;
        if let Some(t) = self.model.threshold
            && let Err(reason) = kiln_models::check_threshold(t)
        {
            invalid("model.threshold", reason);
        }
        // The run directory is named `<name>-<timestamp>` (a name's limit is 255 bytes).
        if self.name.trim().is_empty()
            || self.name.contains(['/', '\\'])
            || self.name.chars().any(char::is_control)
            || self.name.len() > 200
        {
            invalid(
                "name",
                format!(
                    "expected a name for the run directory: not empty, at most 200 bytes, \
                     without slashes or control characters; found {:?}",
                    self.name
                ),
            );
        }
        let t = &self.train;
        let o = &t.optimizer;
        for (key, value) in [
            ("train.epochs", t.epochs),
            ("train.batch_size", t.batch_size),
            ("train.log_every", t.log_every),
        ] {
            if value == 0 {
                invalid(key, "expected at least 1, found 0".into());
            }
        }
        if !(o.lr.is_finite() && o.lr > 0.0) {
            invalid(
                "train.optimizer.lr",
                format!("expected a finite number > 0, found {}", o.lr),
            );
        }
        if !(t.divergence_factor.is_finite() && t.divergence_factor > 1.0) {
            invalid(
                "train.divergence_factor",
                format!(
                    "expected a finite number > 1, found {}",
                    t.divergence_factor
                ),
            );
        }
        for (key, value) in [
            ("train.l2", t.l2),
            ("train.optimizer.weight_decay", o.weight_decay),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                invalid(key, format!("expected a finite number ≥ 0, found {value}"));
            }
        }
        for (key, value) in [
            ("train.optimizer.momentum", o.momentum),
            ("train.optimizer.beta1", o.beta1),
            ("train.optimizer.beta2", o.beta2),
        ] {
            if !(0.0..1.0).contains(&value) {
                invalid(key, format!("expected a value in [0, 1), found {value}"));
            }
        }
        if !(o.epsilon.is_finite() && o.epsilon > 0.0) {
            invalid(
                "train.optimizer.epsilon",
                format!("expected a finite number > 0, found {}", o.epsilon),
            );
        }
        if let Some(clip) = o.clip_norm
            && !(clip.is_finite() && clip > 0.0)
        {
            invalid(
                "train.optimizer.clip_norm",
                format!("expected a finite number > 0, found {clip}"),
            );
        }
        if o.nesterov && o.momentum == 0.0 {
            invalid(
                "train.optimizer.nesterov",
                "needs train.optimizer.momentum > 0".into(),
            );
        }
        if o.kind != OptimizerKind::Sgd && (o.momentum != 0.0 || o.nesterov) {
            invalid(
                "train.optimizer.momentum",
                "applies to kind = \"sgd\" only (Adam has beta1)".into(),
            );
        }
        // Checked against a valid rate only: a bad lr is already reported.
        if o.lr > 0.0
            && let Err((key, reason)) = t.schedule.check(o.lr)
        {
            invalid(&format!("train.schedule.{key}"), reason);
        }
        if t.schedule.warmup_epochs >= t.epochs && t.epochs > 0 {
            invalid(
                "train.schedule.warmup_epochs",
                format!(
                    "{} warm-up epochs leave none of the {} epochs to the schedule; use fewer",
                    t.schedule.warmup_epochs, t.epochs
                ),
            );
        }
        if let Some(stop) = &t.early_stopping {
            if stop.patience == 0 {
                invalid(
                    "train.early_stopping.patience",
                    "expected at least 1, found 0".into(),
                );
            }
            if !(stop.min_delta.is_finite() && stop.min_delta >= 0.0) {
                invalid(
                    "train.early_stopping.min_delta",
                    format!("expected a finite number ≥ 0, found {}", stop.min_delta),
                );
            }
            if stop.metric == Monitored::ValidLoss
                && self.data.split.valid == 0.0
                && self.data.valid_path.is_none()
            {
                let fix = if self.data.kfold >= 2 {
                    "k-fold cross-validation has none: use metric = \"train_loss\""
                } else {
                    "set data.split.valid (e.g. 0.1) or data.valid_path, or metric = \"train_loss\""
                };
                invalid(
                    "train.early_stopping.metric",
                    format!("\"valid_loss\" needs validation rows; {fix}"),
                );
            }
        }
        if !(t.huber_delta.is_finite() && t.huber_delta > 0.0) {
            invalid(
                "train.huber_delta",
                format!("expected a finite number > 0, found {}", t.huber_delta),
            );
        }
        if t.solver == Solver::Exact {
            // The closed-form solve has no epochs, steps or rate: these would be recorded in the
            // run's config.toml and do nothing.
            let gradient_only = [
                ("train.checkpoint_every", t.checkpoint_every > 0),
                ("train.early_stopping", t.early_stopping.is_some()),
                ("train.optimizer.clip_norm", o.clip_norm.is_some()),
                ("train.class_weights", t.class_weights.is_some()),
            ];
            for (key, set) in gradient_only {
                if set {
                    invalid(
                        key,
                        "applies to solver = \"gradient\"; the exact solver has no epochs or steps"
                            .into(),
                    );
                }
            }
        }
        if t.solver == Solver::Exact && t.loss == LossKind::Huber {
            invalid(
                "train.loss",
                "\"huber\" needs solver = \"gradient\": the exact solver minimises squared error"
                    .into(),
            );
        }
        if t.l2 > 0.0 && t.solver != Solver::Exact {
            invalid("train.l2", "applies to solver = \"exact\" only; for gradient training use train.optimizer.weight_decay".into());
        }
        if let Some(importance) = t.importance.config()
            && let Err(reason) = crate::importance::check_repeats(importance.repeats)
        {
            invalid("train.importance.repeats", reason);
        }
        let mut problems = problems.into_iter();
        match problems.next() {
            None => Ok(()),
            Some((key, reason)) => Err(TrainError::Invalid {
                key,
                reason: problems.fold(reason, |all, (k, r)| format!("{all}; {k}: {r}")),
            }),
        }
    }

    /// Refuses to resume `original`'s run with this experiment if anything but the epoch
    /// count, the logging or the device changed, and names what did.
    pub fn check_resumable(&self, original: &Self) -> Result<(), TrainError> {
        let comparable = |e: &Self| {
            let mut e = e.clone();
            e.train.epochs = 0;
            e.train.log_every = 1;
            // What is measured after training, not how it trains.
            e.train.importance = ImportanceSetting::default();
            // A lower rate is how a diverged run goes on from its last good checkpoint.
            e.train.optimizer.lr = 0.0;
            e.device = String::new();
            toml::Value::try_from(&e).unwrap_or(toml::Value::Boolean(false))
        };
        let mut changed = Vec::new();
        differences("", &comparable(original), &comparable(self), &mut changed);
        if changed.is_empty() {
            Ok(())
        } else {
            Err(TrainError::Invalid {
                key: changed.join(", "),
                reason: "differs from the run being resumed; only train.epochs, train.log_every, \
                         train.importance, train.optimizer.lr and device may change (start a new \
                         run instead)"
                    .into(),
            })
        }
    }

    /// The resolved experiment as TOML, every default written out.
    pub fn to_toml(&self) -> String {
        toml::to_string(self)
            .unwrap_or_else(|e| format!("# could not serialise the experiment: {e}\n"))
    }
}

/// Collects the dotted keys whose values differ between `a` and `b`.
fn differences(prefix: &str, a: &toml::Value, b: &toml::Value, out: &mut Vec<String>) {
    match (a, b) {
        (toml::Value::Table(ta), toml::Value::Table(tb)) => {
            let keys: std::collections::BTreeSet<&String> = ta.keys().chain(tb.keys()).collect();
            for key in keys {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                match (ta.get(key), tb.get(key)) {
                    (Some(x), Some(y)) => differences(&path, x, y, out),
                    _ => out.push(path),
                }
            }
        }
        _ if a != b => out.push(prefix.to_string()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `train.importance`: `true`, `false` or a table, whose misspelt key is named.
    #[test]
    fn importance_is_a_switch_or_a_table_whose_keys_are_checked() {
        let read = |text: &str| toml::from_str::<TrainConfig>(text).map(|t| t.importance.config());
        assert_eq!(read("").expect("default"), None);
        assert_eq!(read("importance = false").expect("off"), None);
        assert_eq!(
            read("importance = true").expect("on"),
            Some(ImportanceConfig::default())
        );
        let table = read("importance = { metric = \"roc_auc\" }").expect("a table");
        assert_eq!(
            table.map(|c| (c.metric, c.repeats)),
            Some((Some("roc_auc".into()), 5))
        );
        let typo = read("importance = { repeat = 3 }").unwrap_err().to_string();
        assert!(
            typo.contains("unknown field `repeat`, expected `metric` or `repeats`"),
            "{typo}"
        );
        let word = read("importance = \"yes\"").unwrap_err().to_string();
        assert!(word.contains("expected true, false or a table"), "{word}");
    }

    /// The README's annotated experiment file names every key as kiln reads it (an unknown key
    /// is an error) with values of the right types, and each default its comments give is the
    /// code's (asserted one by one here: a changed default fails until the README says it).
    #[test]
    fn the_readmes_annotated_experiment_file_parses_and_its_defaults_hold() {
        let readme = include_str!("../../../README.md");
        let section = &readme[readme.find("## The experiment file").expect("section")..];
        let start = section.find("```toml\n").expect("a toml block") + "```toml\n".len();
        let end = start + section[start..].find("```").expect("its end");
        let example: Experiment = toml::from_str(&section[start..end]).expect("the example");
        assert_eq!(example.train.optimizer.kind, OptimizerKind::Adam);
        assert!(example.train.early_stopping.is_some() && example.predict.is_some());
        let defaults = TrainConfig::default();
        assert_eq!((defaults.epochs, defaults.log_every), (100, 10));
        assert_eq!(defaults.batch_size, 32);
        assert!(defaults.shuffle && defaults.checkpoint_every == 0);
        assert_eq!(defaults.optimizer.kind, OptimizerKind::Sgd);
        assert_eq!(defaults.optimizer.weight_decay, 0.0);
        assert_eq!(defaults.schedule.kind, crate::ScheduleKind::Constant);
        assert_eq!(defaults.schedule.warmup_epochs, 0);
        assert_eq!(kiln_data::Scale::default(), kiln_data::Scale::None);
        assert_eq!(
            kiln_data::MissingPolicy::default(),
            kiln_data::MissingPolicy::Error
        );
        let data: kiln_data::DataConfig =
            toml::from_str("path = \"d.csv\"\ntarget = \"y\"").expect("data defaults");
        assert!(data.drop.is_empty() && data.categorical.is_empty() && data.na_values.is_empty());
        assert!(data.kfold == 0 && data.max_categories.is_none() && !data.missing_indicator);
        assert_eq!(data.unknown, kiln_data::UnknownPolicy::Error);
        assert!(data.format().is_default() && data.columns.is_none());
        assert_eq!(example.data.separator, kiln_data::Separator::Comma);
        let split = kiln_data::SplitConfig::default();
        assert!(split.valid == 0.0 && split.test == 0.0 && split.stratify && split.seed.is_none());
        let o = &defaults.optimizer;
        assert_eq!((o.lr, o.momentum, o.nesterov), (0.01, 0.0, false));
        assert_eq!((o.beta1, o.beta2, o.epsilon), (0.9, 0.999, 1e-8));
        assert_eq!((defaults.loss, defaults.huber_delta), (LossKind::Auto, 1.0));
        assert_eq!((defaults.l2, defaults.divergence_factor), (0.0, 1e4));
        let s = &defaults.schedule;
        assert_eq!(
            (s.step_size, s.factor, s.patience, s.min_lr),
            (10, 0.1, 10, 0.0)
        );
        // gamma: 0.1 for step, 0.95 for exponential (over one step).
        let rate = |kind, epoch| {
            let config = crate::ScheduleConfig {
                kind,
                ..crate::ScheduleConfig::default()
            };
            crate::LrSchedule::new(&config, 1.0, 100).lr(epoch)
        };
        assert!((rate(crate::ScheduleKind::Step, 11) - 0.1).abs() < 1e-12);
        assert!((rate(crate::ScheduleKind::Exponential, 2) - 0.95).abs() < 1e-12);
        let stop: crate::EarlyStoppingConfig = toml::from_str("").expect("defaults");
        assert_eq!(
            (stop.patience, stop.min_delta, stop.restore_best),
            (10, 0.0, true)
        );
        assert_eq!(stop.metric, crate::Monitored::ValidLoss);
    }
}
