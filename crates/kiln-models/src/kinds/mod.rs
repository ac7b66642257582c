//! The model kinds. A kind turns the `[model]` section and the data's shape into a layer stack;
//! everything else (training, saving, predicting) is shared. To add a kind, write one file with
//! a type that implements [`ModelKind`] and add one line to [`REGISTRY`].

mod mlp;
mod one_layer;

use crate::{LayerSpec, ModelConfig, ModelError, Task};

/// A family of models.
pub trait ModelKind: Sync {
    /// The name used in `model.kind`.
    fn name(&self) -> &'static str;

    /// The task this kind performs, given the `[model]` section and whether the target column
    /// holds text; `None` when the data must decide (see [`resolve_task`]).
    fn task(&self, config: &ModelConfig) -> Result<Option<Task>, ModelError>;

    /// The layer stack for `d_in` inputs and `d_out` outputs. Reject `[model]` keys this kind
    /// does not use.
    fn layers(
        &self,
        config: &ModelConfig,
        d_in: usize,
        d_out: usize,
    ) -> Result<Vec<LayerSpec>, ModelError>;

    /// Whether `solver = "exact"` (closed-form least squares) can fit this kind.
    fn has_exact_solver(&self) -> bool {
        false
    }
}

/// Every kind kiln knows, by name.
pub static REGISTRY: &[&dyn ModelKind] = &[
    &one_layer::LINEAR,
    &one_layer::LOGISTIC,
    &one_layer::SOFTMAX,
    &mlp::MlpKind,
];

/// The kind named `name`, or an error listing the kinds and suggesting the closest.
pub fn kind(name: &str) -> Result<&'static dyn ModelKind, ModelError> {
    REGISTRY
        .iter()
        .copied()
        .find(|k| k.name() == name)
        .ok_or_else(|| {
            let names = REGISTRY.iter().map(|k| k.name());
            ModelError::UnknownKind {
                kind: name.to_string(),
                suggestion: kiln_data::did_you_mean(name, names.clone()),
                known: names.collect::<Vec<_>>().join(", "),
            }
        })
}

/// Whether the target holds class labels: fixed by the kind or `model.task`, else inferred from
/// the target column (text means classes).
pub fn wants_classes(
    kind: &dyn ModelKind,
    config: &ModelConfig,
    target_is_text: bool,
) -> Result<bool, ModelError> {
    Ok(kind
        .task(config)?
        .map_or(target_is_text, Task::is_classification))
}

/// The task once the class labels are known (none for a numeric target).
pub fn resolve_task(
    kind: &dyn ModelKind,
    config: &ModelConfig,
    labels: &[String],
) -> Result<Task, ModelError> {
    let n_classes = labels.len();
    match kind.task(config)? {
        Some(Task::Binary) if n_classes != 2 => Err(ModelError::TaskMismatch {
            kind: kind.name().into(),
            reason: format!(
                "is a binary classifier, but the target has {n_classes} classes ({}); {}",
                listed(labels),
                // An MLP is binary only by its `task`: that is the key to change.
                if config.task.is_some() {
                    "set model.task = \"multiclass\" (or remove it: the target decides)"
                } else {
                    "use kind = \"softmax\" (or \"mlp\") for more than two"
                }
            ),
        }),
        Some(task) => Ok(task),
        None if n_classes == 0 => Ok(Task::Regression),
        None if n_classes == 2 => Ok(Task::Binary),
        None => Ok(Task::Multiclass),
    }
}

/// Class labels as a message lists them: the first ten, each in backticks.
fn listed(labels: &[String]) -> String {
    const MOST: usize = 10;
    let shown: Vec<String> = labels.iter().take(MOST).map(|l| format!("`{l}`")).collect();
    match labels.len().saturating_sub(MOST) {
        0 => shown.join(", "),
        more => format!("{}, and {more} more", shown.join(", ")),
    }
}

/// Rejects `[model]` keys a kind does not use.
pub(crate) fn reject_mlp_keys(kind: &str, config: &ModelConfig) -> Result<(), ModelError> {
    let unused = [
        ("hidden", config.hidden.is_some()),
        ("activation", config.activation.is_some()),
        ("dropout", config.dropout.is_some()),
    ];
    match unused.iter().find(|(_, set)| *set) {
        Some((key, _)) => Err(ModelError::InvalidConfig {
            key: (*key).into(),
            reason: format!("applies to kind = \"mlp\" only, not to \"{kind}\""),
        }),
        None => Ok(()),
    }
}

/// Rejects a `task` that contradicts a kind's fixed task.
pub(crate) fn fixed_task(
    kind: &str,
    config: &ModelConfig,
    task: Task,
) -> Result<Option<Task>, ModelError> {
    match config.task {
        Some(t) if t != task => Err(ModelError::InvalidConfig {
            key: "task".into(),
            reason: format!("kind = \"{kind}\" always does {task:?}, not {t:?}; remove model.task"),
        }),
        _ => Ok(Some(task)),
    }
}

impl ModelConfig {
    /// A `[model]` section with only `kind` set.
    pub fn of(kind: &str) -> Self {
        Self {
            kind: kind.to_string(),
            task: None,
            hidden: None,
            activation: None,
            dropout: None,
            threshold: None,
        }
    }
}
