//! The one error type of `kiln-models`.

/// What went wrong while building, fitting or loading a model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A `[model]` key is out of range or does not apply to this kind.
    #[error("model.{key}: {reason}")]
    InvalidConfig {
        /// The key under `[model]`.
        key: String,
        /// What was expected.
        reason: String,
    },
    /// The model kind is unknown.
    #[error("model.kind: unknown kind `{kind}`{suggestion}; the kinds are: {known}")]
    UnknownKind {
        /// What was asked for.
        kind: String,
        /// ", did you mean …?" or nothing.
        suggestion: String,
        /// The registered kinds.
        known: String,
    },
    /// The model does not fit the target column.
    #[error("model.kind = \"{kind}\" {reason}")]
    TaskMismatch {
        /// The model kind.
        kind: String,
        /// Why it does not fit, and what to use instead.
        reason: String,
    },
    /// The exact least-squares solve cannot proceed.
    #[error("exact least squares: {0}")]
    LeastSquares(String),

    /// Saved weights could not be read or do not fit the architecture.
    #[error("model weights: {0}")]
    Weights(String),
}
