//! The `[model]` section: which kind of model, and its shape. Keys that only some kinds use
//! (`hidden`, `activation`, `dropout`) are rejected for the others, so that a setting never
//! silently does nothing.

use serde::{Deserialize, Serialize};

/// The `[model]` section as written in the experiment file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// The model kind: `linear`, `logistic`, `softmax` or `mlp` (or one a user registered).
    pub kind: String,
    /// What the model predicts; by default it follows from the kind and the target column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<Task>,
    /// Hidden layer widths (`mlp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Vec<usize>>,
    /// Hidden activation (`mlp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<Activation>,
    /// Dropout probability after each hidden activation (`mlp`), in [0, 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropout: Option<f64>,
    /// Binary classification: the probability of the second class from which a row is
    /// predicted as that class (by default, the more probable class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

/// Checks a decision threshold for a model of `task`: binary classification only, and a
/// probability strictly between 0 and 1.
pub fn check_threshold_for(task: Task, threshold: f64) -> Result<(), String> {
    if task != Task::Binary {
        return Err(format!(
            "applies to binary classification; this model's task is {}",
            task.name()
        ));
    }
    check_threshold(threshold)
}

/// Checks a decision threshold: a probability strictly between 0 and 1.
pub fn check_threshold(threshold: f64) -> Result<(), String> {
    if threshold.is_finite() && threshold > 0.0 && threshold < 1.0 {
        Ok(())
    } else {
        Err(format!(
            "expected a probability between 0 and 1 (exclusive), found {threshold}"
        ))
    }
}

/// What a model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// A number.
    Regression,
    /// One of two classes.
    Binary,
    /// One of several classes.
    Multiclass,
}

impl Task {
    /// The task's name, as configs write it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Regression => "regression",
            Self::Binary => "binary",
            Self::Multiclass => "multiclass",
        }
    }

    /// Whether the target is a class label.
    pub fn is_classification(self) -> bool {
        self != Self::Regression
    }

    /// How many outputs the network needs for `n_classes` classes.
    pub fn outputs(self, n_classes: usize) -> usize {
        match self {
            Self::Regression | Self::Binary => 1,
            Self::Multiclass => n_classes,
        }
    }
}

/// A hidden-layer activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// max(0, x).
    Relu,
    /// 1 / (1 + e^-x).
    Sigmoid,
    /// tanh(x).
    Tanh,
    /// Gaussian error linear unit.
    Gelu,
    /// max(0.01 x, x).
    LeakyRelu,
}
