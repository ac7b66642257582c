//! Ctrl-C during training: a clean stop after the epoch in progress, exit status 130, and with
//! checkpoints on, a run directory that `--resume` continues.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::common::*;

/// Starts `kiln train` on the seed experiment for far more epochs than it will get, waits for
/// its first log line, sends SIGINT and returns (exit status, stdout, stderr).
fn interrupted_training(out: &std::path::Path, extra: &[&str]) -> (i32, String, String) {
    signalled_training(out, extra, "-INT")
}

/// [`interrupted_training`] with another signal (`-TERM`).
fn signalled_training(
    out: &std::path::Path,
    extra: &[&str],
    signal: &str,
) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["train", "configs/seed_linear.toml", "--out"])
        .arg(out)
        .args([
            "--set",
            "train.epochs=100000000",
            "--set",
            "train.log_every=1000",
        ])
        .args(extra)
        .current_dir(root())
        .env_remove("KILN_DEVICE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kiln starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut seen = String::new();
    while !seen.contains("Epoch 1000:") {
        let mut line = String::new();
        if stdout.read_line(&mut line).expect("reads") == 0 {
            break;
        }
        seen.push_str(&line);
    }
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("`kill` runs (procps)");
    assert!(sent.success());
    let output = child.wait_with_output().expect("kiln ends");
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut stdout, &mut rest);
    (
        output.status.code().unwrap_or(-1),
        seen + &rest,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn ctrl_c_stops_after_the_epoch_and_the_checkpointed_run_resumes() {
    let dir = temp();
    let out = dir.path().join("runs");
    let (status, stdout, stderr) =
        interrupted_training(&out, &["--set", "train.checkpoint_every=10000000"]);
    assert_eq!(status, 130, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("interrupted after epoch"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The run directory holds the config and a checkpoint of the last whole epoch, no model.
    let runs: Vec<_> = std::fs::read_dir(&out)
        .expect("the run directory was kept")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    assert!(
        stderr.contains(&format!("--resume {}", run.display())),
        "{stderr}"
    );
    assert!(run.join("config.toml").is_file());
    assert!(!run.join("model").exists());
    let checkpoints: Vec<String> = std::fs::read_dir(run.join("checkpoints"))
        .expect("checkpoints")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    // The interrupted epoch's checkpoint, and the best one it names (restore_best needs it).
    let epochs: Vec<usize> = checkpoints
        .iter()
        .filter_map(|c| c.strip_prefix("epoch-")?.parse().ok())
        .collect();
    assert_eq!(epochs.len(), 1, "{checkpoints:?}");
    assert_eq!(checkpoints.len(), 2, "{checkpoints:?}");
    assert!(
        checkpoints.iter().any(|c| c.starts_with("best-")),
        "{checkpoints:?}"
    );
    let epoch = epochs[0];
    assert!(epoch >= 1000, "{epoch}");
    // Until then it has no model: predict says how to finish it.
    kiln(&[
        "predict",
        run.to_str().expect("utf-8"),
        "--input",
        root()
            .join("datasets/seed_linear_new.csv")
            .to_str()
            .expect("utf-8"),
    ])
    .assert_error(
        2,
        &[
            "the run did not finish",
            &format!("`kiln train --resume {}`", run.display()),
        ],
    );
    // Resuming finishes the run: 12, 14, 16 for x = 6, 7, 8.
    let epochs = format!("train.epochs={}", epoch + 10);
    let resumed = resume(run, &out, &["--set", &epochs]);
    assert_eq!(resumed.status, 0, "{}", resumed.stderr);
    let predicted = predictions(&resumed.run_dir().join("predictions.csv"));
    for (p, want) in predicted.iter().zip([12.0, 14.0, 16.0]) {
        assert!((p - want).abs() < 1e-2, "{predicted:?}");
    }
}

/// Every entry of `dir`, hidden ones too.
fn entries(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn sigterm_quits_at_once_and_leaves_no_hidden_run_behind() {
    // Before, SIGTERM (or a second Ctrl-C) ended the process where it stood, leaving the
    // hidden `.<run>.partial` staging directory, checkpoints and all, where no one looks.
    let dir = temp();
    let out = dir.path().join("runs");
    let (status, stdout, stderr) =
        signalled_training(&out, &["--set", "train.checkpoint_every=500"], "-TERM");
    assert_eq!(status, 143, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let runs = entries(&out);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert!(!runs[0].starts_with('.'), "{runs:?}");
    let run = out.join(&runs[0]);
    assert!(
        stderr.contains(&format!("kiln train --resume {}", run.display())),
        "{stderr}"
    );
    let checkpoints = entries(&run.join("checkpoints"));
    assert!(
        checkpoints.iter().any(|c| c.starts_with("epoch-"))
            && !checkpoints.iter().any(|c| c.starts_with('.')),
        "{checkpoints:?}"
    );
    // Every kept epoch checkpoint finds the best checkpoint it names (a resume with
    // restore_best needs it): the best is written first, and a signal never cuts a save.
    for epoch in checkpoints.iter().filter(|c| c.starts_with("epoch-")) {
        let state = std::fs::read_to_string(run.join("checkpoints").join(epoch).join("state.toml"))
            .expect("state.toml");
        let best: Option<&str> = state
            .lines()
            .find_map(|l| l.strip_prefix("best = ["))
            .and_then(|rest| rest.trim_end_matches(']').split(',').nth(1))
            .map(str::trim);
        if let Some(best) = best {
            assert!(
                checkpoints.contains(&format!("best-{best}")),
                "{epoch} names best-{best}: {checkpoints:?}"
            );
        }
    }
    let resumed = resume(
        &run,
        &out,
        &[
            "--set",
            "train.epochs=100000010",
            "--set",
            "train.checkpoint_every=0",
        ],
    );
    // Resumable: only epochs may change, so the changed checkpoint_every is what it names.
    resumed.assert_error(2, &["train.checkpoint_every", "differs"]);

    let bare = dir.path().join("bare");
    let (status, _, stderr) = signalled_training(&bare, &[], "-TERM");
    assert_eq!(status, 143, "{stderr}");
    assert!(
        stderr.contains("error: terminated (SIGTERM); nothing was kept"),
        "{stderr}"
    );
    assert!(entries(&bare).is_empty(), "{:?}", entries(&bare));
}

#[test]
fn ctrl_c_without_checkpoints_leaves_nothing() {
    let dir = temp();
    let out = dir.path().join("runs");
    let (status, stdout, stderr) = interrupted_training(&out, &[]);
    assert_eq!(status, 130, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(&out)
        .map(|d| d.map(|e| e.expect("entry").path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

/// A finished run keeps its checkpoints too: when its model is missing, the message is the
/// missing file's, not "the run did not finish" (whose `--resume` would be refused).
#[test]
fn a_finished_run_without_its_model_is_not_called_unfinished() {
    let dir = temp();
    let config = root().join("configs/seed_linear.toml");
    let run = train(
        &config,
        dir.path(),
        &[
            "--set",
            "train.epochs=3",
            "--set",
            "train.checkpoint_every=1",
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let run_dir = run.run_dir();
    std::fs::rename(run_dir.join("model"), dir.path().join("elsewhere")).expect("move");
    let predicted = predict(&run_dir, "datasets/seed_linear_new.csv");
    predicted.assert_error(
        2,
        &[
            "bundle.json",
            "expected a run directory written by `kiln train`",
        ],
    );
    assert!(
        !predicted.stderr.contains("did not finish"),
        "{}",
        predicted.stderr
    );
}
