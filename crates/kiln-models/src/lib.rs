//! `kiln-models`: the models kiln trains, with no backend type parameter (Burn 0.22 picks the
//! backend through a runtime [`burn::prelude::Device`]).
//!
//! Every model is a [`Network`] built from a list of [`LayerSpec`]s by a [`ModelKind`]:
//! `linear`, `logistic`, `softmax` and `mlp` ship with kiln; [`kinds::REGISTRY`] lists them.
//! [`least_squares`] is the closed-form fit that checks gradient-trained linear models.

pub mod kinds;

mod config;
mod error;
mod least_squares;
mod network;
mod summation;

pub use config::{Activation, ModelConfig, Task, check_threshold, check_threshold_for};
pub use error::ModelError;
pub use kinds::{ModelKind, kind};
pub use least_squares::{LinearFit, least_squares};
pub use network::{Layer, LayerSpec, Network, decimal};
pub use summation::{STAGED_MIN_ROWS, Summation};
