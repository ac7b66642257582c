//! `kiln-train`: experiments from a TOML file to a run directory.
//!
//! - [`Experiment`]: the experiment file, strictly parsed and validated, with `--set` overrides.
//! - [`train`]: prepare the data, fit (gradient descent or exact least squares), evaluate,
//!   predict, and write the run directory atomically.
//! - [`predict_file`] and [`eval_file`]: use a saved run on new rows.
//! - [`metrics`]: regression and classification metrics, checked against hand calculations.

pub mod metrics;

mod bundle;
mod checkpoint;
mod config;
mod error;
mod experiment;
mod files;
mod fit;
mod importance;
mod optimizer;
mod overrides;
mod plot;
mod predict;
mod report;
mod schedule;
mod task;

pub use bundle::{BUNDLE_FORMAT, Bundle, BundleInfo};
pub use config::{
    ClassWeights, Experiment, ImportanceConfig, ImportanceSetting, LossKind, OptimizerConfig,
    OptimizerKind, PredictConfig, Solver, TrainConfig,
};
pub use error::TrainError;
pub use experiment::{Reporter, RunReport, prepare_data, train};
pub use files::{Abandoned, abandon_staged, write_atomic, write_atomic_with};
pub use fit::{
    CheckpointKind, EpochRecord, EpochTiming, FitHooks, FitSettings, Fitted, GPU_SLICE_ROWS,
    GPU_SLICES_FROM, LoopState, Resume, Slicing, fit,
};
pub use importance::{ColumnImportance, Importance, ImportanceOptions, permutation_importance};
pub use metrics::score;
pub use predict::{
    Applied, Evaluation, check_predict_output, eval_file, predict_file, predictions_csv,
};
pub use schedule::{EarlyStoppingConfig, LrSchedule, Monitored, ScheduleConfig, ScheduleKind};
pub use task::{LossOptions, Predictions};
