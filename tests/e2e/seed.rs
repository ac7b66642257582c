//! The seed experiment end to end: y = 2x on x = 1..5.

use crate::common::*;

fn seed_config() -> std::path::PathBuf {
    root().join("configs/seed_linear.toml")
}

#[test]
fn the_seed_predicts_12_14_16_logs_the_loss_and_writes_the_whole_run() {
    let out = temp();
    let run = train(&seed_config(), out.path(), &[]);
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    let epochs: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("Epoch "))
        .collect();
    assert_eq!(epochs.len(), 10, "one line per 100 epochs:\n{}", run.stdout);
    assert!(epochs[0].starts_with("Epoch 100: loss = "), "{}", epochs[0]);
    assert!(
        epochs[9].starts_with("Epoch 1000: loss = "),
        "{}",
        epochs[9]
    );

    let dir = run.run_dir();
    assert!(
        dir.starts_with(out.path().canonicalize().expect("out")) || dir.starts_with(out.path())
    );
    assert_predicts_12_14_16(&dir, 1e-2);

    let metrics = json(&dir.join("metrics.json"));
    for key in ["mse", "rmse", "mae", "r2"] {
        assert!(metrics["train"][key].is_number(), "{key} in {metrics}");
    }
    assert!(metrics["train"]["r2"].as_f64().expect("r2") > 0.9999);
    assert!(
        metrics.get("valid").is_none() && metrics.get("test").is_none(),
        "only present splits"
    );

    let history = std::fs::read_to_string(dir.join("history.csv")).expect("history");
    assert_eq!(history.lines().next(), Some("epoch,train_loss,lr"));
    assert_eq!(history.lines().count(), 1001);

    let config = std::fs::read_to_string(dir.join("config.toml")).expect("resolved config");
    assert!(
        config.contains("lr = 0.05") && config.contains("divergence_factor"),
        "{config}"
    );

    for png in ["plots/loss.png", "plots/fit.png"] {
        let bytes = std::fs::read(dir.join(png)).unwrap_or_else(|e| panic!("{png}: {e}"));
        assert!(bytes.starts_with(b"\x89PNG"), "{png} is a PNG");
        assert!(
            bytes.len() > 10_000,
            "{png} has content ({} bytes)",
            bytes.len()
        );
    }
    let bundle = json(&dir.join("model/bundle.json"));
    assert_eq!(bundle["inputs"], serde_json::json!(["x"]));
    assert!(dir.join("model/weights.bpk").exists());
}

#[test]
fn kiln_predict_on_raw_rows_repeats_the_runs_predictions() {
    let out = temp();
    let run = train(
        &seed_config(),
        out.path(),
        &["--set", "data.scale=standard", "--set", "train.epochs=300"],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let dir = run.run_dir();
    let output = out.path().join("p.csv");
    let to_file = predict_to(
        &dir,
        std::path::Path::new("datasets/seed_linear_new.csv"),
        &output,
    );
    assert_eq!(to_file.status, 0, "{}", to_file.stderr);
    assert_eq!(
        predictions(&output),
        predictions(&dir.join("predictions.csv"))
    );

    let to_stdout = predict(&dir, "datasets/seed_linear_new.csv");
    assert!(
        to_stdout.stdout.starts_with("x,prediction\n6,"),
        "{}",
        to_stdout.stdout
    );
}

#[test]
fn the_exact_solver_finds_intercept_0_and_slope_2() {
    let out = temp();
    let run = train(
        &root().join("configs/seed_linear_exact.toml"),
        out.path(),
        &[],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_line_is_2x(&run.run_dir());
    assert_predicts_12_14_16(&run.run_dir(), 1e-4);
}

#[test]
fn the_documents_worked_example_is_slope_2_intercept_0_not_1_and_1() {
    // The source document prints intercept 1, slope 1 for x = 1..4, y = 2x; the exact answer
    // has every point on y = 2x.
    let dir = temp();
    let data = write(dir.path(), "doc.csv", "x,y\n1,2\n2,4\n3,6\n4,8\n");
    let config = experiment(dir.path(), &data, "[train]\nsolver = \"exact\"\n");
    let run = train(&config, &dir.path().join("runs"), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_line_is_2x(&run.run_dir());
}

#[test]
fn the_documents_learning_rate_diverges_cleanly_and_saves_nothing() {
    let out = temp();
    let run = train(
        &seed_config(),
        out.path(),
        &["--set", "train.optimizer.lr=0.1"],
    );
    run.assert_error(
        1,
        &[
            "diverged at epoch",
            "Lower the learning rate",
            "lr = 0.1",
            "data.scale = \"standard\"",
        ],
    );
    // In cross-validation, the fold is named.
    train(
        &seed_config(),
        out.path(),
        &["--set", "train.optimizer.lr=0.1", "--set", "data.kfold=2"],
    )
    .assert_error(1, &["diverged in cross-validation fold 1 of 2 at epoch"]);
    assert_eq!(
        std::fs::read_dir(out.path())
            .map(|d| d.count())
            .unwrap_or(0),
        0,
        "no run directory is left"
    );
}

#[test]
fn a_diverged_run_keeps_its_last_good_checkpoint_to_go_on_from_at_a_lower_rate() {
    // Before, divergence deleted the finite checkpoints along with the run.
    let out = temp();
    let diverged = train(
        &seed_config(),
        out.path(),
        &[
            "--set",
            "train.optimizer.lr=0.1",
            "--set",
            "train.checkpoint_every=1",
        ],
    );
    diverged.assert_error(
        1,
        &[
            "diverged at epoch 16",
            "kept in",
            "--set train.optimizer.lr=0.01",
        ],
    );
    let runs: Vec<_> = std::fs::read_dir(out.path())
        .expect("the run was kept")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    // Epoch 15's weights are the ones whose loss exploded in epoch 16: 14 is the last good.
    let newest = std::fs::read_dir(runs[0].join("checkpoints"))
        .expect("checkpoints")
        .filter_map(|e| {
            let name = e.expect("entry").file_name().to_string_lossy().into_owned();
            name.strip_prefix("epoch-")?.parse::<usize>().ok()
        })
        .max();
    assert_eq!(newest, Some(14));
    let resumed = resume(
        &runs[0],
        out.path(),
        &[
            "--set",
            "train.optimizer.lr=0.01",
            "--set",
            "train.epochs=3000",
        ],
    );
    assert_eq!(resumed.status, 0, "{}", resumed.stderr);
    assert_predicts_12_14_16(&resumed.run_dir(), 1e-2);
    // Its config.toml says it alone does not repeat the run (the first epochs ran at 0.1).
    let config = std::fs::read_to_string(resumed.run_dir().join("config.toml")).expect("config");
    assert!(config.starts_with("# Resumed from"), "{config}");
    // And so does a resume of it at its own rate (it did not: the rates compared were equal).
    let again = resume(
        &resumed.run_dir(),
        out.path(),
        &["--set", "train.epochs=3001"],
    );
    assert_eq!(again.status, 0, "{}", again.stderr);
    let config = std::fs::read_to_string(again.run_dir().join("config.toml")).expect("config");
    assert!(
        config.starts_with("# Resumed from") && config.contains("was itself a resume"),
        "{config}"
    );
    // The new run records the rate it used from the resume on.
    let history = std::fs::read_to_string(resumed.run_dir().join("history.csv")).expect("history");
    assert!(
        history
            .lines()
            .nth(15)
            .is_some_and(|l| l.ends_with(",0.01")),
        "{history}"
    );
}

/// A cosine schedule runs over the run's epochs: resumed for more, it runs over the new count,
/// which the straight run of the new config.toml would have done from the start. The file says
/// it does not repeat the run; a constant rate needs no such line.
#[test]
fn a_cosine_run_resumed_for_more_epochs_says_its_config_does_not_repeat_it() {
    let out = temp();
    for (kind, header) in [("cosine", true), ("constant", false)] {
        let first = train(
            &seed_config(),
            out.path(),
            &[
                "--set",
                &format!("train.schedule.kind=\"{kind}\""),
                "--set",
                "train.epochs=4",
                "--set",
                "train.checkpoint_every=2",
            ],
        );
        assert_eq!(first.status, 0, "{}", first.stderr);
        let longer = resume(&first.run_dir(), out.path(), &["--set", "train.epochs=6"]);
        assert_eq!(longer.status, 0, "{}", longer.stderr);
        let config = std::fs::read_to_string(longer.run_dir().join("config.toml")).expect("config");
        assert_eq!(
            config.starts_with("# Resumed from")
                && config.contains("cosine schedule over train.epochs = 4"),
            header,
            "{kind}: {config}"
        );
    }
}

#[test]
fn standard_scaling_makes_the_same_learning_rate_converge() {
    let out = temp();
    let run = train(
        &seed_config(),
        out.path(),
        &[
            "--set",
            "train.optimizer.lr=0.1",
            "--set",
            "data.scale=standard",
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_predicts_12_14_16(&run.run_dir(), 1e-2);
}

#[test]
fn the_same_config_and_seed_give_identical_results() {
    let out = temp();
    let a = train(&seed_config(), out.path(), &["--set", "train.epochs=200"]);
    let b = train(&seed_config(), out.path(), &["--set", "train.epochs=200"]);
    assert_eq!((a.status, b.status), (0, 0), "{}{}", a.stderr, b.stderr);
    assert_ne!(a.run_dir(), b.run_dir(), "each run gets its own directory");
    // The model files too: a model can be checksummed to show which run made it.
    for file in [
        "metrics.json",
        "predictions.csv",
        "history.csv",
        "model/weights.bpk",
        "model/bundle.json",
    ] {
        let read = |dir: std::path::PathBuf| std::fs::read(dir.join(file)).expect("file");
        assert_eq!(read(a.run_dir()), read(b.run_dir()), "{file} differs");
    }
    let c = train(
        &seed_config(),
        out.path(),
        &["--set", "train.epochs=200", "--set", "seed=7"],
    );
    assert_ne!(
        std::fs::read(a.run_dir().join("history.csv")).expect("a"),
        std::fs::read(c.run_dir().join("history.csv")).expect("c"),
        "another seed starts from other weights"
    );
    // A weights file damaged, or swapped for another run's, is refused.
    let weights = a.run_dir().join("model/weights.bpk");
    let mut bytes = std::fs::read(&weights).expect("weights");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    std::fs::write(&weights, &bytes).expect("damage");
    let rows = write(out.path(), "rows.csv", "x\n6\n");
    predict(a.run_dir(), &rows).assert_error(
        2,
        &["weights.bpk", "damaged or replaced", "bundle.json expects"],
    );
    std::fs::copy(c.run_dir().join("model/weights.bpk"), &weights).expect("swap");
    predict(a.run_dir(), &rows).assert_error(2, &["weights.bpk", "damaged or replaced"]);
}

/// The run's predictions for x = 6, 7, 8 are 12, 14, 16 within `tolerance`.
fn assert_predicts_12_14_16(run_dir: &std::path::Path, tolerance: f64) {
    let predicted = predictions(&run_dir.join("predictions.csv"));
    assert_eq!(predicted.len(), 3, "{predicted:?}");
    for (p, expected) in predicted.iter().zip([12.0, 14.0, 16.0]) {
        assert!((p - expected).abs() < tolerance, "predicted {predicted:?}");
    }
}

/// The run's linear coefficients are intercept 0 and slope 2 (to 1e-5).
fn assert_line_is_2x(run_dir: &std::path::Path) {
    let c = &json(&run_dir.join("metrics.json"))["coefficients"];
    assert!(
        c["intercept"].as_f64().expect("intercept").abs() < 1e-5,
        "{c}"
    );
    assert!(
        (c["weights"]["x"].as_f64().expect("slope") - 2.0).abs() < 1e-5,
        "{c}"
    );
}
