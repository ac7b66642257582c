//! Checkpoints in a run directory: `checkpoints/epoch-N/` (resumable: weights, optimizer state
//! and loop state) and `checkpoints/best-N/` (the best epoch's weights). Each is written under a
//! hidden name and renamed into place, so a checkpoint directory is always complete; the two
//! newest of each are kept, and a `best-N` is written before the `epoch-M` that names it, so
//! every kept `epoch-M` finds its best (checkpoints are due at the same epochs: between two
//! kept `epoch-M`, at most one new best was saved). The training loop writes an epoch's best
//! and epoch checkpoints in one [`files::writing`] stretch, which a signal never cuts.

use std::path::{Path, PathBuf};

use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use kiln_models::{LayerSpec, Network};

use crate::fit::{CheckpointKind, LoopState, Resume};
use crate::{Experiment, TrainError, files};

const MODEL: &str = "model.bpk";
const OPTIMIZER: &str = "optimizer.bpk";
/// TOML, not JSON: the toml crate reads floats back exactly (serde_json's default parser can be
/// off in the last digit), and a resumed run must repeat the straight one bit for bit.
const STATE: &str = "state.toml";
/// The run's experiment as it was when the checkpoint was written: a resume checks against it,
/// so that an edit to the run directory's own `config.toml` cannot slip through.
const CONFIG: &str = "config.toml";
/// The data files' lengths and checksums when the checkpoint was written, and the model inputs
/// and classes made of them: a resume on other data, or on the same data read into inputs of
/// another order, would quietly continue a different run.
const DATA: &str = "data.txt";
const KEEP: usize = 2;

/// Writes one checkpoint under `run_dir/checkpoints/`.
pub fn save(
    run_dir: &Path,
    kind: CheckpointKind,
    state: &LoopState,
    model: &Network,
    optimizer: &ModuleOptimizer,
    data: &str,
) -> Result<(), TrainError> {
    let root = run_dir.join("checkpoints");
    let (prefix, epoch) = match kind {
        CheckpointKind::Every => ("epoch", state.epoch),
        CheckpointKind::Best => ("best", state.best.map_or(state.epoch, |(_, e)| e)),
    };
    let name = format!("{prefix}-{epoch}");
    let staging = files::StagedDir::create(&root, &name)?;
    let dir = staging.path();
    files::write_atomic(&dir.join(MODEL), &model.to_bytes()?)?;
    if kind == CheckpointKind::Every {
        let bytes = optimizer
            .into_bytes()
            .map_err(|e| TrainError::io(dir.join(OPTIMIZER), e))?;
        files::write_atomic(&dir.join(OPTIMIZER), &bytes)?;
        let text = toml::to_string(state).map_err(|e| TrainError::io(dir.join(STATE), e))?;
        files::write_atomic(&dir.join(STATE), text.as_bytes())?;
        let config = run_dir.join(CONFIG);
        let text = std::fs::read(&config).map_err(|e| TrainError::io(&config, e))?;
        files::write_atomic(&dir.join(CONFIG), &text)?;
        files::write_atomic(&dir.join(DATA), data.as_bytes())?;
    }
    let target = root.join(&name);
    if target.exists() {
        std::fs::remove_dir_all(&target).map_err(|e| TrainError::io(&target, e))?;
    }
    staging.commit()?;
    for old in epochs(&root, prefix).into_iter().rev().skip(KEEP) {
        let _ = std::fs::remove_dir_all(root.join(format!("{prefix}-{old}")));
    }
    Ok(())
}

/// Removes the resumable checkpoint of `epoch` from `run_dir`, if there is one.
pub fn discard(run_dir: &Path, epoch: usize) {
    let _ = std::fs::remove_dir_all(run_dir.join("checkpoints").join(format!("epoch-{epoch}")));
}

/// Whether `run_dir` holds a checkpoint to resume from.
pub fn resumable(run_dir: &Path) -> bool {
    !epochs(&run_dir.join("checkpoints"), "epoch").is_empty()
}

/// The epochs of the complete checkpoints named `<prefix>-N`, ascending.
fn epochs(root: &Path, prefix: &str) -> Vec<usize> {
    let mut found: Vec<usize> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_prefix(&format!("{prefix}-"))?
                .parse()
                .ok()
        })
        .collect();
    found.sort_unstable();
    found
}

/// Loads the newest resumable checkpoint of `run_dir` onto `device`, for `experiment`: which
/// must be the checkpointed one but for the keys a resume may change, and must train past the
/// checkpoint's epoch.
pub fn load_latest(
    run_dir: &Path,
    layers: &[LayerSpec],
    device: &Device,
    experiment: &Experiment,
    data: &str,
) -> Result<Resume, TrainError> {
    let root = run_dir.join("checkpoints");
    let available = epochs(&root, "epoch");
    let Some(&epoch) = available.last() else {
        return Err(TrainError::Files {
            path: root,
            reason: "no complete checkpoint to resume from; train with train.checkpoint_every = N to write them".into(),
        });
    };
    let dir = root.join(format!("epoch-{epoch}"));
    let read = |name: &str| -> Result<Vec<u8>, TrainError> {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| TrainError::Files {
            path: path.clone(),
            reason: format!("{e}; the checkpoint is incomplete (available epochs: {available:?})"),
        })
    };
    let state: LoopState = std::str::from_utf8(&read(STATE)?)
        .map_err(|e| e.to_string())
        .and_then(|text| toml::from_str(text).map_err(|e| e.to_string()))
        .map_err(|e| {
            TrainError::io(
                dir.join(STATE),
                format!("not a kiln checkpoint state ({e})"),
            )
        })?;
    // Checkpoints written before kiln kept the config in them have only the run's own copy.
    let saved = dir.join(CONFIG);
    if saved.exists() {
        experiment.check_resumable(&Experiment::load(&saved, &[])?)?;
    }
    // Checkpoints from before the data was fingerprinted have no such file.
    if let Ok(trained_on) = std::fs::read_to_string(dir.join(DATA))
        && trained_on != data
    {
        return Err(TrainError::Invalid {
            key: "data.path".into(),
            reason: format!(
                "the data files, or the inputs and classes kiln makes of them, are not those the \
                 run being resumed trained on (then: {trained_on}; now: {data}); a resumed run \
                 continues on the same rows and inputs: restore the files, or start a new run \
                 (a checkpoint written before kiln recorded its inputs, 2026-11-29, lists none)"
            )
            .replace('\n', "; "),
        });
    }
    // As many epochs as were trained only finishes the run (evaluation, predictions, files):
    // what a signal between the last checkpoint and the run's commit left undone.
    if experiment.train.epochs < state.epoch {
        return Err(TrainError::Invalid {
            key: "train.epochs".into(),
            reason: format!(
                "is {}, but the run being resumed has already trained {} epochs: set it at least \
                 that high (e.g. --set train.epochs={})",
                experiment.train.epochs,
                state.epoch,
                state.epoch * 2
            ),
        });
    }
    // A finished run with no epoch left to train would only be copied, under a config that
    // may claim more. (An unfinished one, stopped by a signal after its last checkpoint, is
    // finished by a resume.)
    let finished = run_dir.join("metrics.json").exists();
    // Early stopping first: more epochs would not help such a run.
    if let Some(stop) = &experiment.train.early_stopping
        && state.stalled >= stop.patience
        && finished
    {
        return Err(TrainError::Invalid {
            key: "train.early_stopping".into(),
            reason: format!(
                "the run being resumed ended by early stopping after epoch {} (no improvement \
                 for {} epochs), so a resume would train nothing: a resumed run keeps its \
                 early-stopping settings; to train further, start a new run",
                state.epoch, stop.patience
            ),
        });
    }
    if finished && state.epoch == experiment.train.epochs {
        return Err(TrainError::Invalid {
            key: "train.epochs".into(),
            reason: format!(
                "the run being resumed has trained all its {} epochs: resume it for more (e.g. \
                 --set train.epochs={})",
                state.epoch,
                state.epoch * 2
            ),
        });
    }
    let network = Network::from_bytes(layers, read(MODEL)?, device)
        .map_err(|e| TrainError::io(dir.join(MODEL), e))?;
    let optimizer = read(OPTIMIZER)?;
    let best = match state.best {
        Some((_, best_epoch)) => {
            let path: PathBuf = root.join(format!("best-{best_epoch}")).join(MODEL);
            // Without it, `restore_best` would end on other weights than the straight run.
            let bytes = std::fs::read(&path).map_err(|e| TrainError::Files {
                path: path.clone(),
                reason: format!(
                    "{e}; checkpoint epoch-{epoch} names this best checkpoint: the run cannot \
                     be resumed as it was"
                ),
            })?;
            Some(Network::from_bytes(layers, bytes, device).map_err(|e| TrainError::io(&path, e))?)
        }
        None => None,
    };
    Ok(Resume {
        state,
        network,
        optimizer,
        optimizer_path: dir.join(OPTIMIZER),
        best,
    })
}
