//! The one error type of `kiln-train`. The CLI maps [`TrainError::Diverged`],
//! [`TrainError::Device`] and [`TrainError::NoSpace`] to exit status 1 (the run failed),
//! [`TrainError::Interrupted`] to 130, and every other variant to 2 (the input was wrong).

use std::path::PathBuf;

/// What went wrong in an experiment.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// The experiment file could not be read.
    #[error("cannot read the experiment file {path}: {source}")]
    ReadConfig {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The experiment file is not valid TOML or does not fit the schema.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line, column and a hint.
        message: String,
    },
    /// A `--set` override is malformed or names an unknown key.
    #[error("--set {assignment}: {reason}")]
    Override {
        /// The override as given.
        assignment: String,
        /// What is wrong.
        reason: String,
    },
    /// A value is out of range.
    #[error("{key}: {reason}")]
    Invalid {
        /// The dotted key.
        key: String,
        /// What was expected.
        reason: String,
    },
    /// The data could not be read or prepared.
    #[error(transparent)]
    Data(Box<kiln_data::DataError>),
    /// The model could not be built, fitted or loaded.
    #[error(transparent)]
    Model(#[from] kiln_models::ModelError),
    /// Training diverged: the loss became non-finite or exploded.
    #[error(
        "training diverged{} at epoch {epoch}: loss = {} (first epoch: {}). {}",
        match fold {
            Some((i, k)) => format!(" in cross-validation fold {i} of {k}"),
            None => String::new(),
        },
        crate::report::readable(*loss),
        crate::report::readable(*first),
        match kept {
            Some(dir) => format!(
                "The checkpoints before it are kept in {dir}: go on from the last with a lower \
                 rate, `kiln train --resume {dir} --set train.optimizer.lr={}`{scale_hint}",
                tenth(*lr),
                dir = dir.display()
            ),
            None => format!(
                "Nothing was saved. Lower the learning rate (train.optimizer.lr = {lr} \
                 now){scale_hint}"
            ),
        }
    )]
    Diverged {
        /// The epoch (1-based) whose loss gave it away.
        epoch: usize,
        /// That epoch's loss.
        loss: f64,
        /// The first epoch's loss.
        first: f64,
        /// The learning rate in use.
        lr: f64,
        /// `, or set data.scale = "standard"` when the features are unscaled.
        scale_hint: String,
        /// The run directory holding the checkpoints before the divergence, when there are any.
        kept: Option<PathBuf>,
        /// The cross-validation fold (1-based) and the number of folds, when one diverged.
        fold: Option<(usize, usize)>,
    },
    /// The user asked training to stop (Ctrl-C); it stopped after a whole epoch.
    #[error("interrupted after epoch {epoch}{}", match resume_from {
        Some(dir) => format!(
            "; the checkpoints are kept in {dir}: continue with `kiln train --resume {dir}`",
            dir = dir.display()
        ),
        None => "; nothing was written (a run can be resumed from the checkpoints that \
                 train.checkpoint_every = N writes, none of which existed yet; cross-validation \
                 writes none)".to_string(),
    })]
    Interrupted {
        /// The last whole epoch.
        epoch: usize,
        /// The run directory holding the checkpoints, when checkpointing was on.
        resume_from: Option<PathBuf>,
    },
    /// The compute device failed while running the model (on a GPU: out of memory, a buffer
    /// larger than the adapter allows, a lost device). Detected when results are read back.
    #[error(
        "the compute device failed: {reason}. On a GPU this is most often memory: the \
         training inputs (held twice when batches are shuffled), one batch's activations and \
         the weights must fit, and no one tensor may exceed the adapter's largest buffer \
         (`kiln devices` lists it). Lower train.batch_size, train on fewer rows or features, \
         or use --device cpu"
    )]
    Device {
        /// The device's own account of the failure.
        reason: String,
    },
    /// The disk (or the user's quota) filled while kiln wrote `path`: the input was not wrong,
    /// so it is told apart from [`TrainError::Files`]. The file itself was not replaced.
    #[error("{path}: {reason}; free some space there and run again")]
    NoSpace {
        /// The file being written.
        path: PathBuf,
        /// The system's words.
        reason: String,
    },
    /// A run directory or model bundle could not be written or read.
    #[error("{path}: {reason}")]
    Files {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// Boxed: a data error names its file, line, column and cell, which would make every result of
/// the crate that large.
impl From<kiln_data::DataError> for TrainError {
    fn from(error: kiln_data::DataError) -> Self {
        Self::Data(Box::new(error))
    }
}

impl TrainError {
    /// `Files` from an I/O error.
    pub(crate) fn io(path: impl Into<PathBuf>, error: impl std::fmt::Display) -> Self {
        Self::Files {
            path: path.into(),
            reason: error.to_string(),
        }
    }

    /// A failure to write `path`: [`TrainError::NoSpace`] when the disk or quota is full,
    /// otherwise [`TrainError::Files`]. A full disk is named by the folder the user chose, not
    /// by a hidden staging name that is gone by the time they read the message.
    pub(crate) fn write(path: impl Into<PathBuf>, error: &std::io::Error) -> Self {
        use std::io::ErrorKind::{QuotaExceeded, StorageFull};
        let path = path.into();
        match error.kind() {
            kind @ (StorageFull | QuotaExceeded) => match crate::files::outside_staging(&path) {
                Some((folder, file)) => Self::NoSpace {
                    path: folder.to_path_buf(),
                    reason: format!("{kind} (writing the run's {})", file.display()),
                },
                None => Self::NoSpace {
                    reason: kind.to_string(),
                    path,
                },
            },
            _ => Self::Files {
                path,
                reason: error.to_string(),
            },
        }
    }
}
/// A tenth of the rate, as a user would type it: `0.07` for 0.7, not `0.06999999999999999`.
fn tenth(lr: f64) -> f64 {
    let tenth = lr / 10.0;
    format!("{tenth:.12e}").parse().unwrap_or(tenth)
}

#[cfg(test)]
mod tests {
    use super::tenth;
    use crate::report::readable;

    #[test]
    fn numbers_in_messages_read_as_a_person_writes_them() {
        assert_eq!(
            [
                8.130482177734375e1,
                1.1174601e6,
                1e30,
                0.001,
                0.0,
                -2.5e-7,
                f64::INFINITY
            ]
            .map(readable),
            [
                "81.3048",
                "1.11746e6",
                "1e30",
                "0.001",
                "0",
                "-2.5e-7",
                "inf"
            ]
        );
    }

    #[test]
    fn the_suggested_rate_is_written_as_typed() {
        assert_eq!(
            [0.7, 0.1, 0.03, 1e-5].map(|lr| tenth(lr).to_string()),
            ["0.07", "0.01", "0.003", "0.000001"]
        );
    }
}
