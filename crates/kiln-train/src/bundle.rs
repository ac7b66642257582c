//! The model bundle: a run's `model/` directory. `weights.bpk` holds the network's weights
//! (burnpack); `bundle.json` holds everything else needed to predict from raw CSV rows: the
//! architecture, the fitted preprocessing and the target encoding (class labels).

use std::path::Path;

use burn::prelude::*;
use kiln_data::{Matrix, Preprocessor, TargetEncoding};
use kiln_models::{LayerSpec, Network, Task};
use serde::{Deserialize, Serialize};

use crate::task::{Predictions, outputs_to_predictions, row_chunks};
use crate::{TrainError, files};

/// Rows per forward pass over a split during training: it bounds the memory of the hidden
/// activations (one 256-wide layer over a million rows would take a gigabyte), at no cost in
/// speed.
pub const FORWARD_ROWS: usize = 16_384;

/// Rows in every forward pass that predicts, the last one padded with rows of zeros. A matrix
/// product may sum a row's terms in another order for another number of rows (the CPU backend
/// does from about 300 rows), which moves a prediction in its last digit: with every pass the
/// same size, a row predicts the same alone or among a million others.
pub const PREDICT_ROWS: usize = 1024;

/// Predicts encoded input rows with `network`, [`PREDICT_ROWS`] at a time.
pub fn predict_rows(
    network: &Network,
    task: Task,
    x: &Matrix,
    device: &Device,
) -> Result<Predictions, TrainError> {
    let mut predictions = Predictions::empty(task);
    for chunk in row_chunks(x.rows, PREDICT_ROWS) {
        let mut rows = x.data[chunk.start * x.cols..chunk.end * x.cols].to_vec();
        rows.resize(PREDICT_ROWS * x.cols, 0.0);
        let input = Tensor::from_data(TensorData::new(rows, [PREDICT_ROWS, x.cols]), device);
        let mut predicted = outputs_to_predictions(task, network.forward(input))?;
        predicted.truncate(chunk.len());
        predictions.append(predicted);
    }
    Ok(predictions)
}

/// The newest bundle format, the one this version of kiln reads up to. A bundle is written in
/// the oldest format that holds it, so that older kilns still read what they can: 3 when the
/// training files had no header line (`data.columns`: a kiln of format 2 or older would take
/// the first row to predict for a header), 2 when they name a CSV format other than commas and
/// decimal points (a kiln of format 1 would ignore it, reading rows wrong), else 1.
pub const BUNDLE_FORMAT: u32 = 3;

/// The format of a bundle whose preprocessing is `preprocessor`: see [`BUNDLE_FORMAT`].
pub fn bundle_format(preprocessor: &Preprocessor) -> u32 {
    if preprocessor.columns.is_some() {
        3
    } else if !preprocessor.format.is_default() {
        2
    } else {
        1
    }
}
const INFO_FILE: &str = "bundle.json";
const WEIGHTS_FILE: &str = "weights.bpk";

/// `bundle.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleInfo {
    /// Format version; a newer one than this kiln knows is refused.
    pub format: u32,
    /// The kiln version that wrote it.
    pub kiln_version: String,
    /// The model kind.
    pub kind: String,
    /// What the model predicts.
    pub task: Task,
    /// The architecture.
    pub layers: Vec<LayerSpec>,
    /// Model input names (after encoding), in order.
    pub inputs: Vec<String>,
    /// How raw feature columns become inputs.
    pub preprocessor: Preprocessor,
    /// How the target is encoded.
    pub target: TargetEncoding,
    /// A binary classifier's decision threshold (`model.threshold`), when not the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// The length and CRC-32 of `weights.bpk` as saved (see [`kiln_data::fingerprint`]): a
    /// damaged or swapped weights file is refused rather than predicted with. Written by
    /// [`Bundle::save`]; bundles from before it lack it and are not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<String>,
}

impl BundleInfo {
    /// Whether the parts agree: the preprocessing makes as many inputs as the first layer takes
    /// (with the names listed), the layers chain, and the last one gives the task's outputs for
    /// the target's classes. A hand-edited or damaged file that breaks one of these would
    /// otherwise fail deep inside the network, or worse, predict.
    fn check(&self) -> Result<(), String> {
        let linear: Vec<(usize, usize)> = self
            .layers
            .iter()
            .filter_map(|l| match l {
                LayerSpec::Linear { d_in, d_out } => Some((*d_in, *d_out)),
                _ => None,
            })
            .collect();
        let (Some(&(first_in, _)), Some(&(_, last_out))) = (linear.first(), linear.last()) else {
            return Err("no linear layer".into());
        };
        if let Some(pair) = linear.windows(2).find(|w| w[0].1 != w[1].0) {
            return Err(format!(
                "a layer of {} outputs feeds one of {} inputs",
                pair[0].1, pair[1].0
            ));
        }
        let names = self.preprocessor.input_names();
        if names.len() == self.inputs.len() && names != self.inputs {
            return Err("`inputs` does not list the names the preprocessing makes".into());
        }
        if names != self.inputs || first_in != names.len() {
            return Err(format!(
                "the preprocessing makes {} inputs, `inputs` lists {} and the first layer takes {}",
                names.len(),
                self.inputs.len(),
                first_in
            ));
        }
        let bad_scaling = self.preprocessor.features.iter().find(|f| {
            matches!(f, kiln_data::FeatureEncoding::Numeric { fill, shift, scale, .. }
                if !(fill.is_finite() && shift.is_finite() && scale.is_finite() && *scale > 0.0))
        });
        if let Some(feature) = bad_scaling {
            return Err(format!(
                "column `{}` has a fill, shift or scale that is not a finite number (or a scale \
                 that is not positive)",
                feature.column()
            ));
        }
        if let Some(t) = self.threshold {
            kiln_models::check_threshold_for(self.task, t)
                .map_err(|e| format!("threshold: {e}"))?;
        }
        let mut unique = self.target.labels().to_vec();
        unique.sort();
        unique.dedup();
        let labels = self.target.labels().len();
        if unique.len() != labels {
            return Err("a class label is listed twice".into());
        }
        let classes_ok = match (self.task, &self.target) {
            (Task::Regression, TargetEncoding::Numeric { .. }) => true,
            (Task::Binary, TargetEncoding::Classes { .. }) => labels == 2,
            (Task::Multiclass, TargetEncoding::Classes { .. }) => labels >= 2,
            _ => false,
        };
        if !classes_ok || last_out != self.task.outputs(labels) {
            return Err(format!(
                "task {:?} with {labels} class labels and {last_out} outputs",
                self.task
            ));
        }
        Ok(())
    }
}

/// A trained model with everything needed to predict from raw rows.
#[derive(Debug)]
pub struct Bundle {
    /// Everything but the weights.
    pub info: BundleInfo,
    /// The network, on the device it was loaded to.
    pub network: Network,
}

impl Bundle {
    /// Writes `dir/bundle.json` (with the weights' fingerprint) and `dir/weights.bpk`, both the
    /// same bytes whenever the model is (the parameters numbered, see [`Network::numbered`]).
    pub fn save(&self, dir: &Path) -> Result<(), TrainError> {
        std::fs::create_dir_all(dir).map_err(|e| TrainError::io(dir, e))?;
        let weights = self.network.numbered().to_bytes()?;
        let info = BundleInfo {
            weights: Some(kiln_data::fingerprint(&weights)),
            ..self.info.clone()
        };
        let info =
            serde_json::to_vec_pretty(&info).map_err(|e| TrainError::io(dir.join(INFO_FILE), e))?;
        files::write_atomic(&dir.join(INFO_FILE), &info)?;
        files::write_atomic(&dir.join(WEIGHTS_FILE), &weights)
    }

    /// The folder holding a run's bundle: `run_dir/model`, or `run_dir` itself when it is one.
    pub fn folder(run_dir: &Path) -> std::path::PathBuf {
        if run_dir.join(INFO_FILE).exists() {
            run_dir.to_path_buf()
        } else {
            run_dir.join("model")
        }
    }

    /// Loads a bundle from a run directory (or its `model/` directory) onto `device`.
    pub fn load(run_dir: &Path, device: &Device) -> Result<Self, TrainError> {
        let dir = Self::folder(run_dir);
        let info_path = dir.join(INFO_FILE);
        let text = std::fs::read_to_string(&info_path).map_err(|e| {
            // A run stopped (Ctrl-C, SIGTERM) or diverged keeps its checkpoints and nothing else
            // (a finished one keeps its metrics too: its model is missing for another reason).
            if e.kind() == std::io::ErrorKind::NotFound
                && run_dir.join("checkpoints").is_dir()
                && !run_dir.join("metrics.json").exists()
            {
                return TrainError::Files {
                    path: run_dir.to_path_buf(),
                    reason: format!(
                        "the run did not finish (it was stopped or diverged), so it has no model \
                         yet, only checkpoints: finish it with `kiln train --resume {}` (after a \
                         divergence, at a lower rate: add --set train.optimizer.lr=<lower>)",
                        run_dir.display()
                    ),
                };
            }
            TrainError::Files {
                path: info_path.clone(),
                reason: format!("{e}; expected a run directory written by `kiln train`"),
            }
        })?;
        let version: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| TrainError::io(&info_path, format!("not a kiln model bundle ({e})")))?;
        let format = version
            .get("format")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        if format > u64::from(BUNDLE_FORMAT) {
            return Err(TrainError::io(
                &info_path,
                format!(
                    "bundle format {format} is newer than this kiln reads ({BUNDLE_FORMAT}); upgrade kiln"
                ),
            ));
        }
        let info: BundleInfo = serde_json::from_value(version)
            .map_err(|e| TrainError::io(&info_path, format!("not a kiln model bundle ({e})")))?;
        info.check().map_err(|reason| {
            TrainError::io(
                &info_path,
                format!(
                    "the model bundle contradicts itself ({reason}): it was edited or damaged \
                     since `kiln train` wrote it; train again"
                ),
            )
        })?;
        let weights_path = dir.join(WEIGHTS_FILE);
        let bytes = std::fs::read(&weights_path).map_err(|e| TrainError::io(&weights_path, e))?;
        if let Some(saved) = &info.weights {
            let found = kiln_data::fingerprint(&bytes);
            if found != *saved {
                return Err(TrainError::io(
                    &weights_path,
                    format!(
                        "not the weights this model was saved with ({found}; {INFO_FILE} \
                         expects {saved}): the file was damaged or replaced since `kiln train` \
                         wrote it; restore it from the run it came from, or train again"
                    ),
                ));
            }
        }
        let network = Network::from_bytes(&info.layers, bytes, device)
            .map_err(|e| TrainError::io(&weights_path, e))?;
        Ok(Self { info, network })
    }

    /// The bundle with its decision threshold replaced by `threshold` (`--threshold`), when
    /// given: a binary classifier's labels at another operating point, without training again.
    pub fn at_threshold(mut self, threshold: Option<f64>) -> Result<Self, TrainError> {
        if let Some(t) = threshold {
            kiln_models::check_threshold_for(self.info.task, t).map_err(|reason| {
                TrainError::Invalid {
                    key: "--threshold".into(),
                    reason,
                }
            })?;
            self.info.threshold = Some(t);
        }
        Ok(self)
    }

    /// Predicts encoded input rows, a bounded number at a time (as `predict_rows`).
    pub fn predict(&self, x: &Matrix, device: &Device) -> Result<Predictions, TrainError> {
        predict_rows(&self.network, self.info.task, x, device)
    }
}
