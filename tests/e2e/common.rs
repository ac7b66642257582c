//! Fixtures: run the `kiln` binary from the repository root, read run directories.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (configs and datasets are addressed from it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// A finished `kiln` process.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The run directory named on the last stdout line.
    pub fn run_dir(&self) -> PathBuf {
        let last = self.stdout.lines().last().unwrap_or_default();
        let path = last
            .strip_prefix("run: ")
            .unwrap_or_else(|| panic!("no `run:` line in:\n{}", self.stdout));
        root().join(path)
    }

    /// Asserts success and every fragment in stdout.
    pub fn assert_says(&self, fragments: &[&str]) {
        assert_eq!(self.status, 0, "{}", self.stderr);
        for fragment in fragments {
            assert!(
                self.stdout.contains(fragment),
                "missing {fragment:?} in stdout:\n{}",
                self.stdout
            );
        }
    }

    /// Asserts a clean failure: the status, no panic, and every fragment in stderr.
    pub fn assert_error(&self, status: i32, fragments: &[&str]) {
        assert_eq!(
            self.status, status,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "panic:\n{}", self.stderr);
        assert!(
            !self.stderr.contains("RUST_BACKTRACE"),
            "backtrace hint:\n{}",
            self.stderr
        );
        for fragment in fragments {
            assert!(
                self.stderr.contains(fragment),
                "missing {fragment:?} in stderr:\n{}",
                self.stderr
            );
        }
    }
}

/// `kiln train --resume RUN --out OUT`, then `extra` (`--set KEY=VALUE`, `--device D`).
pub fn resume(run: &Path, out: &Path, extra: &[&str]) -> Run {
    let (run, out) = (
        run.to_str().expect("utf-8 path"),
        out.to_str().expect("utf-8 path"),
    );
    kiln(&[&["train", "--resume", run, "--out", out], extra].concat())
}

/// Runs `kiln args…` in the repository root.
pub fn kiln(args: &[&str]) -> Run {
    kiln_without(args, &[])
}

/// Runs `kiln args…` in the repository root with the environment variables `unset` removed.
pub fn kiln_without(args: &[&str], unset: &[&str]) -> Run {
    kiln_env(args, unset, &[])
}

/// Runs `kiln args…` in the repository root with the environment variables `unset` removed and
/// `set` set (`KILN_DEVICE` is removed unless set here).
pub fn kiln_env(args: &[&str], unset: &[&str], set: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kiln"));
    command
        .args(args)
        .current_dir(root())
        .env_remove("KILN_DEVICE");
    for name in unset {
        command.env_remove(name);
    }
    for (name, value) in set {
        command.env(name, value);
    }
    let output: Output = command.output().expect("kiln runs");
    Run {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `kiln predict RUN --input INPUT`, the predictions on stdout.
pub fn predict(run: impl AsRef<Path>, input: impl AsRef<Path>) -> Run {
    predict_with(run, input, &[])
}

/// `kiln predict RUN --input INPUT extra…` (`--separator ;`, `--threshold 0.3`).
pub fn predict_with(run: impl AsRef<Path>, input: impl AsRef<Path>, extra: &[&str]) -> Run {
    applied("predict", "--input", run.as_ref(), input.as_ref(), extra)
}

/// `kiln eval RUN --data DATA extra…`, the metrics on stdout.
pub fn eval_with(run: impl AsRef<Path>, data: impl AsRef<Path>, extra: &[&str]) -> Run {
    applied("eval", "--data", run.as_ref(), data.as_ref(), extra)
}

/// `kiln COMMAND RUN ROWS_FLAG ROWS extra…`: a trained run applied to rows.
fn applied(command: &str, rows_flag: &str, run: &Path, rows: &Path, extra: &[&str]) -> Run {
    let path = |p: &Path| p.to_str().expect("utf-8 path").to_string();
    let (run, rows) = (path(run), path(rows));
    kiln(&[&[command, &run, rows_flag, &rows][..], extra].concat())
}

/// `kiln predict RUN --input INPUT --output OUTPUT`.
pub fn predict_to(run: &Path, input: &Path, output: &Path) -> Run {
    let path = |p: &Path| p.to_str().expect("utf-8 path").to_string();
    let (run, input, output) = (path(run), path(input), path(output));
    kiln(&["predict", &run, "--input", &input, "--output", &output])
}

/// `kiln train CONFIG --out OUT extra…`, with OUT a fresh temporary directory.
pub fn train(config: &Path, out: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "train",
        config.to_str().expect("utf-8 path"),
        "--out",
        out.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    kiln(&args)
}

/// A temporary directory for one test.
pub fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path
}

/// Reads a JSON file.
pub fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("valid JSON")
}

/// The `prediction` column of a predictions CSV.
pub fn predictions(path: &Path) -> Vec<f64> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let column = header
        .iter()
        .position(|h| *h == "prediction")
        .expect("a prediction column");
    lines
        .map(|l| {
            l.split(',')
                .nth(column)
                .expect("cell")
                .parse()
                .expect("number")
        })
        .collect()
}

/// A minimal experiment over `data` (absolute path) with `extra` TOML appended.
pub fn experiment(dir: &Path, data: &Path, extra: &str) -> PathBuf {
    let text = format!(
        "name = \"t\"\n[data]\npath = \"{}\"\ntarget = \"y\"\n[model]\nkind = \"linear\"\n{extra}",
        data.display()
    );
    write(dir, "experiment.toml", &text)
}
