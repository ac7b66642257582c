//! Models and training on real data: the accuracy levels a standard library reaches on the
//! same test rows, gradient descent against the exact solution, eval, classification predict,
//! early stopping and exact resume.

use crate::common::*;

fn metric(run: &Run, split: &str, key: &str) -> f64 {
    let metrics = json(&run.run_dir().join("metrics.json"));
    metrics[split][key]
        .as_f64()
        .unwrap_or_else(|| panic!("{split}.{key} in {metrics}"))
}

#[test]
fn logistic_regression_on_breast_cancer_reaches_the_reference_level() {
    let out = temp();
    let run = train(
        &root().join("configs/medical_breast_cancer_logistic.toml"),
        out.path(),
        &[],
    );
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    let (accuracy, auc) = (
        metric(&run, "test", "accuracy"),
        metric(&run, "test", "roc_auc"),
    );
    assert!(
        accuracy >= 0.95 && auc >= 0.99,
        "accuracy {accuracy}, ROC-AUC {auc}"
    );
    let metrics = json(&run.run_dir().join("metrics.json"));
    for key in [
        "precision",
        "recall",
        "f1",
        "log_loss",
        "pr_auc",
        "confusion_matrix",
    ] {
        assert!(!metrics["test"][key].is_null(), "{key}");
    }
    // splits.csv lists the test rows the config named, and the rest as train or valid.
    let splits = std::fs::read_to_string(run.run_dir().join("splits.csv")).expect("splits.csv");
    let named = std::fs::read_to_string(
        root().join("datasets/splits/medical_breast_cancer_test_indices.csv"),
    )
    .expect("test rows");
    let mut named: Vec<usize> = named
        .lines()
        .skip(1)
        .map(|l| l.parse().expect("row"))
        .collect();
    named.sort_unstable();
    let in_split = |name: &str| -> Vec<usize> {
        splits
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(',').filter(|(_, s)| *s == name))
            .map(|(r, _)| r.parse().expect("row"))
            .collect()
    };
    assert_eq!(in_split("test"), named);
    assert_eq!(splits.lines().count() - 1, 569, "every row once");
    assert_eq!(
        in_split("valid").len() + in_split("train").len() + named.len(),
        569
    );
    assert!(
        !run.stdout.contains("no rows are held out"),
        "{}",
        run.stdout
    );
    // report.md tells the same numbers: each metric of each split, and the test rows'
    // confusion matrix with the class labels.
    let report = std::fs::read_to_string(run.run_dir().join("report.md")).expect("report.md");
    assert!(
        report.contains("| metric | train | valid | test |"),
        "{report}"
    );
    for key in [
        "accuracy",
        "f1",
        "log_loss",
        "roc_auc",
        "precision",
        "recall",
    ] {
        let value = |split: &str| format!("{:.4}", metrics[split][key].as_f64().expect(key));
        let row = format!(
            "| {key} | {} | {} | {} |",
            value("train"),
            value("valid"),
            value("test")
        );
        assert!(report.contains(&row), "{row} in\n{report}");
    }
    // The ROC curve of the test rows is drawn, and shown in the report.
    let png = std::fs::read(run.run_dir().join("plots/roc.png")).expect("roc.png");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    assert!(report.contains("![roc.png](plots/roc.png)"), "{report}");
    let labels = json(&run.run_dir().join("model/bundle.json"))["target"]["labels"].clone();
    let label = |i: usize| labels[i].as_str().expect("label").to_string();
    let confusion = &metrics["test"]["confusion_matrix"];
    for i in 0..2 {
        let row = format!(
            "| `{}` | {} | {} |",
            label(i),
            confusion[i][0],
            confusion[i][1]
        );
        assert!(report.contains(&row), "{row} in\n{report}");
    }

    // eval on labelled rows gives the same keys; predict gives labels and probabilities.
    let dir = run.run_dir();
    let eval = kiln(&[
        "eval",
        dir.to_str().expect("path"),
        "--data",
        "datasets/medical_breast_cancer.csv",
    ]);
    assert_eq!(eval.status, 0, "{}", eval.stderr);
    let all: serde_json::Value = serde_json::from_str(&eval.stdout).expect("JSON on stdout");
    assert!(all["accuracy"].as_f64().expect("accuracy") > 0.95, "{all}");
    assert_eq!(all["confusion_matrix"].as_array().map(Vec::len), Some(2));
    assert_eq!(all["rows"], 569, "{all}");
    assert_eq!(all["labels"], serde_json::json!(["0", "1"]), "{all}");
    let predict = predict(dir, "datasets/medical_breast_cancer.csv");
    let mut lines = predict.stdout.lines();
    let header = lines.next().unwrap_or_default();
    assert!(header.ends_with(",prediction,prob_0,prob_1"), "{header}");
    // The coefficients are the model's log-odds: in the raw columns' units, they give the
    // predicted probability of a row from its raw cells (one the model is unsure of, where the
    // sigmoid is not flat).
    let raw = &metrics["coefficients"]["unscaled"];
    let names: Vec<&str> = header.split(',').collect();
    let cells: Vec<f64> = lines
        .map(|line| {
            line.split(',')
                .map(|c| c.parse().unwrap_or(f64::NAN))
                .collect::<Vec<f64>>()
        })
        .find(|cells| (0.1..0.9).contains(&cells[names.len() - 1]))
        .expect("a row between 0.1 and 0.9");
    let logit = names[..30].iter().zip(&cells).fold(
        raw["intercept"].as_f64().expect("intercept"),
        |sum, (name, x)| sum + raw["weights"][*name].as_f64().expect(name) * x,
    );
    let probability = 1.0 / (1.0 + (-logit).exp());
    assert!(
        (probability - cells[names.len() - 1]).abs() < 1e-4,
        "{probability} from the coefficients, {} predicted",
        cells[names.len() - 1]
    );
}

#[test]
fn softmax_on_iris_reaches_090() {
    let out = temp();
    let run = train(
        &root().join("configs/multiclass_iris_softmax.toml"),
        out.path(),
        &[],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let accuracy = metric(&run, "test", "accuracy");
    assert!(accuracy >= 0.90, "accuracy {accuracy}");
    let predict = predict(run.run_dir(), "datasets/multiclass_iris.csv");
    let mut lines = predict.stdout.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.contains("prob_Iris-setosa") || header.contains("prob_setosa"),
        "{header}"
    );
    // Each class's coefficients give its score; their softmax is the predicted probabilities
    // (checked on every row, from the raw cells).
    let classes = &json(&run.run_dir().join("metrics.json"))["coefficients"]["classes"];
    let names: Vec<&str> = header.split(',').collect();
    let species = ["setosa", "versicolor", "virginica"];
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let x: Vec<f64> = cells[..4]
            .iter()
            .map(|c| c.parse().expect("a number"))
            .collect();
        let scores: Vec<f64> = species
            .iter()
            .map(|s| {
                let raw = &classes[*s]["unscaled"];
                names[..4].iter().zip(&x).fold(
                    raw["intercept"].as_f64().expect("intercept"),
                    |sum, (name, x)| sum + raw["weights"][*name].as_f64().expect("weight") * x,
                )
            })
            .collect();
        let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = scores.iter().map(|z| (z - top).exp()).sum();
        for (k, z) in scores.iter().enumerate() {
            let predicted: f64 = cells[cells.len() - 3 + k].parse().expect("a probability");
            let from_coefficients = (z - top).exp() / total;
            assert!(
                (predicted - from_coefficients).abs() < 1e-4,
                "{line}: {} {from_coefficients} vs {predicted}",
                species[k]
            );
        }
    }
}

#[test]
fn an_mlp_on_concrete_reaches_r2_080() {
    let out = temp();
    let run = train(
        &root().join("configs/industrial_concrete_mlp.toml"),
        out.path(),
        &[],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let r2 = metric(&run, "test", "r2");
    assert!(r2 >= 0.80, "R² {r2}");
}

#[test]
fn gradient_descent_matches_the_exact_least_squares_coefficients() {
    // A well-scaled three-feature problem: y = 1 + 2a − 3b + 0.5c + noise, standardised.
    let dir = temp();
    let mut text = String::from("a,b,c,y\n");
    let mut state = 7u64;
    let mut uniform = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    for _ in 0..200 {
        let (a, b, c) = (uniform() * 4.0, uniform() * 4.0, uniform() * 4.0);
        let y = 1.0 + 2.0 * a - 3.0 * b + 0.5 * c + uniform() * 0.2;
        text.push_str(&format!("{a},{b},{c},{y}\n"));
    }
    let data = write(dir.path(), "lin.csv", &text);
    let exact = experiment(dir.path(), &data, "[train]\nsolver = \"exact\"\n");
    let exact_run = train(
        &exact,
        &dir.path().join("runs"),
        &["--set", "data.scale=standard"],
    );
    assert_eq!(exact_run.status, 0, "{}", exact_run.stderr);
    let gradient = train(
        &exact,
        &dir.path().join("runs"),
        &[
            "--set",
            "data.scale=standard",
            "--set",
            "train.solver=gradient",
            "--set",
            "train.epochs=300",
            "--set",
            "train.batch_size=200",
            "--set",
            "train.optimizer.lr=0.2",
        ],
    );
    assert_eq!(gradient.status, 0, "{}", gradient.stderr);
    let coefficients =
        |run: &Run| json(&run.run_dir().join("metrics.json"))["coefficients"].clone();
    let (e, g) = (coefficients(&exact_run), coefficients(&gradient));
    for name in ["a", "b", "c"] {
        let (we, wg) = (
            e["weights"][name].as_f64().expect("w"),
            g["weights"][name].as_f64().expect("w"),
        );
        assert!((we - wg).abs() < 1e-3, "{name}: exact {we}, gradient {wg}");
    }
    let (be, bg) = (
        e["intercept"].as_f64().expect("b"),
        g["intercept"].as_f64().expect("b"),
    );
    assert!(
        (be - bg).abs() < 1e-3,
        "intercept: exact {be}, gradient {bg}"
    );
    assert!(
        (e["unscaled"]["weights"]["a"].as_f64().expect("raw a") - 2.0).abs() < 0.05,
        "{e}"
    );
    // A regression's predictions are drawn against the true values.
    let png = std::fs::read(exact_run.run_dir().join("plots/predicted.png")).expect("plot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    // report.md lists them in input order, scaled and raw, to four decimals.
    let report = std::fs::read_to_string(exact_run.run_dir().join("report.md")).expect("report.md");
    let rows: Vec<Vec<f64>> = ["(intercept)", "`a`", "`b`", "`c`"]
        .iter()
        .map(|name| {
            let line = report[report.find("## Coefficients").expect("the section")..]
                .lines()
                .find(|l| l.starts_with(&format!("| {name} |")))
                .unwrap_or_else(|| panic!("{name} in\n{report}"));
            line.split('|')
                .skip(2)
                .filter_map(|cell| cell.trim().parse().ok())
                .collect()
        })
        .collect();
    let number = |v: &serde_json::Value| v.as_f64().expect("a coefficient");
    let expected = [
        [number(&e["intercept"]), number(&e["unscaled"]["intercept"])],
        [
            number(&e["weights"]["a"]),
            number(&e["unscaled"]["weights"]["a"]),
        ],
        [
            number(&e["weights"]["b"]),
            number(&e["unscaled"]["weights"]["b"]),
        ],
        [
            number(&e["weights"]["c"]),
            number(&e["unscaled"]["weights"]["c"]),
        ],
    ];
    for (row, expected) in rows.iter().zip(expected) {
        assert_eq!(row.len(), 2, "{report}");
        for (shown, value) in row.iter().zip(expected) {
            assert!(
                (shown - value).abs() <= 5e-5,
                "{shown} vs {value} in\n{report}"
            );
        }
    }
    let order: Vec<usize> = ["| `a` |", "| `b` |", "| `c` |"]
        .iter()
        .map(|row| report.rfind(row).expect("row"))
        .collect();
    assert!(order.is_sorted(), "{report}");
}

#[test]
fn a_model_that_does_not_fit_the_target_is_a_clear_error() {
    let out = temp();
    let iris = root().join("configs/multiclass_iris_softmax.toml");
    train(&iris, out.path(), &["--set", "model.kind=logistic"])
        .assert_error(2, &["binary", "3 classes", "softmax"]);
    train(&iris, out.path(), &["--set", "model.kind=linear"])
        .assert_error(2, &["species", "numeric"]);
    train(&iris, out.path(), &["--set", "model.hidden=[4]"])
        .assert_error(2, &["model.hidden", "mlp"]);
}

#[test]
fn early_stopping_stops_and_restores_the_best_epoch() {
    let out = temp();
    let config = root().join("configs/industrial_concrete_mlp.toml");
    let run = train(
        &config,
        out.path(),
        &[
            "--set",
            "train.early_stopping={ patience = 3, min_delta = 1.0 }",
            "--set",
            "train.epochs=200",
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let history = std::fs::read_to_string(run.run_dir().join("history.csv")).expect("history");
    let valid: Vec<f64> = history
        .lines()
        .skip(1)
        .map(|line| {
            line.split(',')
                .nth(2)
                .expect("valid_loss")
                .parse()
                .expect("a number")
        })
        .collect();
    let epochs = valid.len();
    assert!(epochs < 200, "stopped early after {epochs} epochs");
    // The best epoch by the rule, from the history alone: the last to improve on the best so
    // far by more than min_delta; training stops `patience` epochs after it.
    let mut best = (f64::INFINITY, 0);
    for (i, &loss) in valid.iter().enumerate() {
        if loss < best.0 - 1.0 {
            best = (loss, i + 1);
        }
    }
    assert_eq!(epochs, best.1 + 3, "{history}");
    // Its weights are the ones kept: the validation MSE of the saved model is that epoch's.
    let mse = metric(&run, "valid", "mse");
    assert!(
        (mse - best.0).abs() <= 1e-4 * best.0,
        "valid mse {mse}, epoch {}'s valid loss {}",
        best.1,
        best.0
    );
    // Said in the log and in the report.
    let said = [
        format!(
            "early stopping after epoch {epochs} of 200: valid_loss had not improved by more than min_delta = 1 for 3 epochs"
        ),
        format!(
            "the weights kept are epoch {}'s (restore_best): the last epoch to improve \
             valid_loss by more than min_delta = 1",
            best.1
        ),
    ];
    let report = std::fs::read_to_string(run.run_dir().join("report.md")).expect("report.md");
    for said in said {
        assert!(run.stdout.contains(&said), "{}", run.stdout);
        assert!(
            report.contains(&format!("{}{}.", said[..1].to_uppercase(), &said[1..])),
            "{report}"
        );
    }
}

/// Trains the concrete MLP (dropout, AdamW, a checkpoint every epoch) for 4 epochs straight and
/// for `first` epochs resumed from the checkpoint of epoch 2 up to 4 on `device`, and asserts the
/// two runs' files are identical. Returns the output folder and the first run.
fn straight_equals_resumed(device: &str, first: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let out = temp();
    let config = root().join("configs/industrial_concrete_mlp.toml");
    let common = [
        "--device",
        device,
        "--set",
        "model.dropout=0.1",
        "--set",
        "train.optimizer.kind=adamw",
        "--set",
        "train.checkpoint_every=1",
        "--set",
        "predict.input=datasets/industrial_concrete_strength.csv",
    ];
    let mut args = common.to_vec();
    args.extend(["--set", "train.epochs=4"]);
    let straight = train(&config, out.path(), &args);
    assert_eq!(straight.status, 0, "{}", straight.stderr);
    let mut args = common.to_vec();
    let epochs = format!("train.epochs={first}");
    args.extend(["--set", &epochs]);
    let first_run = train(&config, out.path(), &args);
    assert_eq!(first_run.status, 0, "{}", first_run.stderr);
    let first_dir = first_run.run_dir();
    // Resume from epoch 2 even when later checkpoints were written.
    for later in 3..=first {
        let dir = first_dir.join(format!("checkpoints/epoch-{later}"));
        std::fs::remove_dir_all(&dir).expect("a later checkpoint");
    }
    let resumed = resume(
        &first_dir,
        out.path(),
        &["--device", device, "--set", "train.epochs=4"],
    );
    assert_eq!(resumed.status, 0, "{}\n{}", resumed.stdout, resumed.stderr);
    // The predictions on all 1030 rows stand for the weights (weights.bpk also holds Burn's
    // random parameter ids).
    for file in ["metrics.json", "history.csv", "predictions.csv"] {
        let read = |dir: std::path::PathBuf| std::fs::read(dir.join(file)).expect("file");
        assert_eq!(
            read(straight.run_dir()),
            read(resumed.run_dir()),
            "{file} differs on {device}"
        );
    }
    (out, first_dir)
}

/// On the GPU, resuming from epoch 2's checkpoint of a 3-epoch run repeats the straight run
/// exactly. (Checkpoints written while the next epoch is in flight, with `kiln bench
/// --read-ahead`'s ordering, are checked by the training loop's unit tests.)
#[test]
fn a_resumed_run_on_wgpu_equals_the_straight_run() {
    straight_equals_resumed("wgpu", 3);
}

#[test]
fn four_epochs_straight_equal_two_plus_a_resumed_two() {
    let (out, first_dir) = straight_equals_resumed("cpu", 2);

    // A changed config is refused, naming the key; a missing checkpoint is named.
    let changed = resume(&first_dir, out.path(), &["--set", "train.batch_size=16"]);
    changed.assert_error(
        2,
        &["train.batch_size", "differs from the run being resumed"],
    );
    let resume = |set: &str| resume(&first_dir, out.path(), &["--set", set]);
    // Resuming cannot train fewer epochs than the checkpoint has: its 2 are done.
    resume("train.epochs=1").assert_error(2, &["train.epochs", "already trained 2 epochs"]);
    // An edit to the run's own config.toml is a changed config too: the checkpoint keeps the
    // experiment it was written for.
    let saved = first_dir.join("config.toml");
    let original = std::fs::read_to_string(&saved).expect("config");
    let edited = original.replacen("seed = 42", "seed = 7", 1);
    assert_ne!(edited, original, "the seed is in config.toml");
    std::fs::write(&saved, edited).expect("edit");
    resume("train.epochs=4").assert_error(2, &["seed", "differs from the run being resumed"]);
    std::fs::write(&saved, original).expect("restore");
    let optimizer = first_dir.join("checkpoints/epoch-2/optimizer.bpk");
    std::fs::write(&optimizer, b"not burnpack").expect("corrupt");
    resume("train.epochs=4").assert_error(
        2,
        &["epoch-2/optimizer.bpk", "cannot restore the optimizer"],
    );
    let weights = first_dir.join("checkpoints/epoch-2/model.bpk");
    std::fs::write(&weights, b"not burnpack").expect("corrupt");
    let corrupt = resume("train.epochs=4");
    corrupt.assert_error(2, &["epoch-2/model.bpk", "not a readable weights file"]);
    std::fs::remove_dir_all(first_dir.join("checkpoints")).expect("remove");
    let missing = resume("train.epochs=4");
    missing.assert_error(2, &["no complete checkpoint"]);
}

#[test]
fn a_run_resumed_from_its_last_checkpoint_finishes_and_a_resumed_run_resumes_again() {
    let out = temp();
    let config = root().join("configs/industrial_concrete_mlp.toml");
    // No epoch after the first counts as better: the best stays epoch 1's throughout.
    let early = "train.early_stopping={metric=\"valid_loss\",patience=50,min_delta=1e9,\
                 restore_best=true}";
    let straight = train(
        &config,
        out.path(),
        &[
            "--set",
            "train.epochs=3",
            "--set",
            "train.checkpoint_every=1",
            "--set",
            early,
        ],
    );
    assert_eq!(straight.status, 0, "{}", straight.stderr);
    let resume = |run: &std::path::Path, epochs: &str| resume(run, out.path(), &["--set", epochs]);
    // A finished run with every epoch trained has nothing to resume: it would be copied.
    resume(&straight.run_dir(), "train.epochs=3").assert_error(
        2,
        &["train.epochs", "trained all its 3 epochs", "train.epochs=6"],
    );
    // What a signal after a run's last checkpoint leaves (config.toml and checkpoints/) is
    // finished by a resume of the same epochs, as the straight run was.
    let read = |dir: &std::path::Path, file: &str| std::fs::read(dir.join(file)).expect(file);
    let finishes_as_straight = |straight: &Run, epochs: &str| {
        let dir = straight.run_dir();
        let expected = ["metrics.json", "history.csv"].map(|file| read(&dir, file));
        let copy = out.path().join("unfinished");
        std::fs::create_dir(&copy).expect("a copy");
        std::fs::copy(dir.join("config.toml"), copy.join("config.toml")).expect("config");
        std::fs::rename(dir.join("checkpoints"), copy.join("checkpoints")).expect("checkpoints");
        let finished = resume(&copy, epochs);
        assert_eq!(finished.status, 0, "{}", finished.stderr);
        for (file, expected) in ["metrics.json", "history.csv"].iter().zip(expected) {
            assert_eq!(read(&finished.run_dir(), file), expected, "{file}");
        }
        std::fs::rename(copy.join("checkpoints"), dir.join("checkpoints")).expect("back");
        std::fs::remove_dir_all(&copy).expect("remove the copy");
    };
    finishes_as_straight(&straight, "train.epochs=3");
    // A resumed run's checkpoints hold the best they name: it resumes in turn (before, its
    // newest checkpoint named a best that only the first run's folder had).
    let longer = resume(&straight.run_dir(), "train.epochs=4");
    assert_eq!(longer.status, 0, "{}", longer.stderr);
    let again = resume(&longer.run_dir(), "train.epochs=5");
    assert_eq!(again.status, 0, "{}", again.stderr);

    // Early stopping fired at epoch 2 (patience 1): a resume from that checkpoint trains no
    // third epoch (before, it did, and the run differed from the straight one).
    let stopped = train(
        &config,
        out.path(),
        &[
            "--set",
            "train.epochs=10",
            "--set",
            "train.checkpoint_every=1",
            "--set",
            &early.replace("patience=50", "patience=1"),
        ],
    );
    assert_eq!(stopped.status, 0, "{}", stopped.stderr);
    // The finished run has nothing left to train: more epochs at a lower rate would have
    // copied it under a config.toml claiming them.
    let nothing = crate::common::resume(
        &stopped.run_dir(),
        out.path(),
        &[
            "--set",
            "train.epochs=20",
            "--set",
            "train.optimizer.lr=0.0001",
        ],
    );
    nothing.assert_error(
        2,
        &[
            "train.early_stopping",
            "after epoch 2",
            "would train nothing",
        ],
    );
    // Stopped early at its very last epoch, a run is told so, not to ask for more epochs
    // (which would meet the refusal above).
    let at_last = train(
        &config,
        out.path(),
        &[
            "--set",
            "train.epochs=3",
            "--set",
            "train.checkpoint_every=1",
            "--set",
            &early.replace("patience=50", "patience=2"),
        ],
    );
    assert_eq!(at_last.status, 0, "{}", at_last.stderr);
    resume(&at_last.run_dir(), "train.epochs=3").assert_error(
        2,
        &[
            "train.early_stopping",
            "after epoch 3",
            "would train nothing",
        ],
    );
    finishes_as_straight(&stopped, "train.epochs=10");
}

#[test]
fn class_weights_and_huber_loss_train_and_are_checked() {
    let out = temp();
    let failures = root().join("configs/industrial_machine_failure_mlp.toml");
    let plain = train(&failures, out.path(), &["--set", "train.epochs=5"]);
    let weighted = train(
        &failures,
        out.path(),
        &[
            "--set",
            "train.epochs=5",
            "--set",
            "train.class_weights=\"balanced\"",
        ],
    );
    // The probabilities then no longer estimate the frequencies: said.
    assert!(
        weighted
            .stdout
            .contains("note: class weights move the predicted probabilities"),
        "{}",
        weighted.stdout
    );
    // Weighting the rare failures (3.4 %) up makes the model flag more of them.
    assert!(
        metric(&weighted, "test", "recall") > metric(&plain, "test", "recall"),
        "recall: balanced {} vs plain {}",
        metric(&weighted, "test", "recall"),
        metric(&plain, "test", "recall")
    );
    train(
        &failures,
        out.path(),
        &["--set", "train.class_weights=[1.0]"],
    )
    .assert_error(
        2,
        &[
            "train.class_weights",
            "1 weights for 2 classes",
            "class order `0`, `1`",
        ],
    );
    // A zero weight made a mini-batch of that class alone 0 / 0: "diverged", at any rate.
    train(
        &failures,
        out.path(),
        &["--set", "train.class_weights=[0.0, 1.0]"],
    )
    .assert_error(
        2,
        &["train.class_weights", "weights > 0", "remove its rows"],
    );
    train(&failures, out.path(), &["--set", "train.loss=\"huber\""])
        .assert_error(2, &["train.loss", "regression"]);
    let concrete = root().join("configs/industrial_concrete_mlp.toml");
    let huber = train(
        &concrete,
        out.path(),
        &[
            "--set",
            "train.epochs=30",
            "--set",
            "train.loss=\"huber\"",
            "--set",
            "train.huber_delta=5.0",
        ],
    );
    assert!(
        metric(&huber, "test", "r2") > 0.5,
        "Huber-trained R² {}",
        metric(&huber, "test", "r2")
    );
}

#[test]
fn a_resume_on_changed_data_is_refused() {
    let dir = temp();
    let rows = "x,y\n1,2\n2,4\n3,6\n4,8\n5,10\n";
    let data = write(dir.path(), "d.csv", rows);
    let config = experiment(
        dir.path(),
        &data,
        "[train]\nepochs = 2\ncheckpoint_every = 1\nbatch_size = 2\n",
    );
    let run = train(&config, &dir.path().join("runs"), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let first = run.run_dir();
    write(dir.path(), "d.csv", &format!("{rows}6,12\n"));
    resume(
        &first,
        &dir.path().join("runs"),
        &["--set", "train.epochs=3"],
    )
    .assert_error(
        2,
        &[
            "data.path",
            "d.csv",
            "not those the run",
            "restore the files",
        ],
    );
    write(dir.path(), "d.csv", rows);
    // The checkpoint records the inputs and classes made of the data too: the same file read
    // into inputs of another order (by another kiln version) is another run. One that lacks
    // them, as older checkpoints do, is refused.
    let recorded = first.join("checkpoints/epoch-2/data.txt");
    let text = std::fs::read_to_string(&recorded).expect("data.txt");
    assert!(text.ends_with("\ninputs: x\nclasses: "), "{text}");
    let files_only = text.lines().next().expect("a line").to_string();
    std::fs::write(&recorded, &files_only).expect("older checkpoint");
    resume(
        &first,
        &dir.path().join("runs"),
        &["--set", "train.epochs=3"],
    )
    .assert_error(
        2,
        &["the inputs and classes kiln makes of them", "lists none"],
    );
    std::fs::write(&recorded, &text).expect("restore");
    let resumed = resume(
        &first,
        &dir.path().join("runs"),
        &["--set", "train.epochs=3"],
    );
    assert_eq!(resumed.status, 0, "{}", resumed.stderr);
    // The validation file counts too.
    let valid = write(dir.path(), "v.csv", "x,y\n6,12\n7,14\n");
    let set = format!("data.valid_path={:?}", valid.to_str().expect("utf-8"));
    let run = train(&config, &dir.path().join("runs"), &["--set", &set]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    write(dir.path(), "v.csv", "x,y\n6,12\n7,15\n");
    resume(
        &run.run_dir(),
        &dir.path().join("runs"),
        &["--set", "train.epochs=3"],
    )
    .assert_error(2, &["v.csv", "not those the run"]);
}

#[test]
fn kfold_reports_the_mean_and_spread_of_every_metric() {
    let out = temp();
    let iris = root().join("configs/multiclass_iris_softmax.toml");
    let run = train(
        &iris,
        out.path(),
        &["--set", "data.kfold=5", "--set", "train.epochs=50"],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("5-fold cross-validation, mean ± sd: accuracy"),
        "{}",
        run.stdout
    );
    let cv = &json(&run.run_dir().join("metrics.json"))["cv"];
    assert_eq!(cv["folds"], 5);
    let (mean, std) = (
        cv["mean"]["accuracy"].as_f64().expect("mean"),
        cv["std"]["accuracy"].as_f64().expect("std"),
    );
    assert!(
        mean > 0.8 && mean <= 1.0 && (0.0..0.5).contains(&std),
        "{cv}"
    );
    // Each fold's metrics are kept, and the mean and (population) spread are theirs.
    let folds: Vec<f64> = cv["per_fold"]
        .as_array()
        .expect("per_fold")
        .iter()
        .map(|m| m["accuracy"].as_f64().expect("a fold's accuracy"))
        .collect();
    assert_eq!(folds.len(), 5, "{cv}");
    let m = folds.iter().sum::<f64>() / 5.0;
    let sd = (folds.iter().map(|a| (a - m).powi(2)).sum::<f64>() / 5.0).sqrt();
    assert!((m - mean).abs() < 1e-12 && (sd - std).abs() < 1e-12, "{cv}");
    // splits.csv says which fold holds out each training row: every one in one of the five,
    // no test row in any.
    let splits = std::fs::read_to_string(run.run_dir().join("splits.csv")).expect("splits");
    assert!(splits.starts_with("row_index,split,fold\n"), "{splits}");
    let mut per_fold = [0usize; 5];
    for line in splits.lines().skip(1) {
        match line.split(',').collect::<Vec<_>>().as_slice() {
            [_, "train", fold] => per_fold[fold.parse::<usize>().expect("a fold") - 1] += 1,
            [_, "test", ""] => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(per_fold.iter().all(|&n| n >= 20), "{per_fold:?}");
    // Folds cut without stratifying may lack a class: the n/a mean of roc_auc says why, once.
    let run = train(
        &iris,
        out.path(),
        &[
            "--set",
            "data.kfold=30",
            "--set",
            "data.split.stratify=false",
            "--set",
            "train.epochs=2",
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout
            .matches("note: roc_auc is undefined in folds")
            .count(),
        1
    );
    assert!(
        run.stdout.contains("so its k-fold mean and spread are n/a"),
        "{}",
        run.stdout
    );
    // A fold whose training rows lack a category level has fewer inputs (this panicked: the
    // network was sized for the whole training set's columns).
    let heart = root().join("configs/medical_heart_disease_logistic.toml");
    let run = train(
        &heart,
        out.path(),
        &["--set", "data.kfold=5", "--set", "train.epochs=2"],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    // Its held-out level is scored as zeros, and said so (it was silent).
    assert!(
        run.stdout.contains("note: fold 5 of 5")
            && run.stdout.contains("`resting_ecg`: `st_t_abnormality`"),
        "{}",
        run.stdout
    );
    // The exact solver cross-validates too (kfold was ignored), and refuses a loss it cannot
    // minimise (huber was ignored).
    let diabetes = root().join("configs/medical_diabetes_linear.toml");
    let run = train(&diabetes, out.path(), &["--set", "data.kfold=5"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let cv = &json(&run.run_dir().join("metrics.json"))["cv"];
    let r2 = cv["mean"]["r2"].as_f64().expect("mean r2");
    assert!(cv["folds"] == 5 && r2 > 0.3 && r2 < 0.7, "{cv}");
    train(&diabetes, out.path(), &["--set", "train.loss=\"huber\""])
        .assert_error(2, &["train.loss", "solver = \"gradient\""]);
    train(
        &diabetes,
        out.path(),
        &["--set", "train.checkpoint_every=2"],
    )
    .assert_error(2, &["train.checkpoint_every", "no epochs"]);
    let concrete = root().join("configs/industrial_concrete_mlp.toml");
    train(&concrete, out.path(), &["--set", "data.kfold=3"])
        .assert_error(2, &["data.kfold", "set data.split.valid = 0"]);
    // Followed, that advice met early stopping's own, which asked for the validation rows back.
    train(
        &concrete,
        out.path(),
        &[
            "--set",
            "data.kfold=3",
            "--set",
            "data.split.valid=0",
            "--set",
            "train.early_stopping={patience=3}",
        ],
    )
    .assert_error(
        2,
        &[
            "k-fold cross-validation has none",
            "metric = \"train_loss\"",
        ],
    );
    train(&iris, out.path(), &["--set", "data.kfold=1"]).assert_error(2, &["data.kfold"]);
}

#[test]
fn eval_scores_the_files_own_targets_beyond_f32_precision() {
    // Odd targets above 2^24 have no f32: scored against f32-rounded targets, these exact
    // predictions (themselves f32) were off by 0 or 2 instead of the file's 1.
    let dir = temp();
    let rows: String = (1..=6)
        .map(|x| format!("{x},{}\n", 2 * x + 19_999_999))
        .collect();
    let data = write(dir.path(), "big.csv", &format!("x,y\n{rows}"));
    let config = experiment(dir.path(), &data, "[train]\nsolver = \"exact\"\n");
    let run = train(&config, dir.path(), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let data_arg = data.to_str().expect("utf-8");
    let run_dir = run.run_dir();
    let run_arg = run_dir.to_str().expect("utf-8");
    let eval = kiln(&["eval", run_arg, "--data", data_arg]);
    assert_eq!(eval.status, 0, "{}", eval.stderr);
    let metrics: serde_json::Value = serde_json::from_str(&eval.stdout).expect("JSON");
    let out = dir.path().join("p.csv");
    let predict = predict_to(&run_dir, &data, &out);
    assert_eq!(predict.status, 0, "{}", predict.stderr);
    let mse = predictions(&out)
        .iter()
        .zip(1..=6)
        .map(|(p, x)| (f64::from(2 * x + 19_999_999) - p).powi(2))
        .sum::<f64>()
        / 6.0;
    assert!(mse > 0.5, "the predictions are f32: {mse}");
    assert_eq!(metrics["mse"].as_f64(), Some(mse), "{metrics}");
}

#[test]
fn validation_and_test_rows_can_come_from_their_own_files() {
    let dir = temp();
    let all = std::fs::read_to_string(root().join("datasets/multiclass_iris.csv")).expect("iris");
    let mut lines = all.lines();
    let header = lines.next().expect("header");
    let rows: Vec<&str> = lines.collect();
    let part = |pick: &dyn Fn(usize) -> bool| {
        let chosen: Vec<&str> = rows
            .iter()
            .enumerate()
            .filter(|(i, _)| pick(*i))
            .map(|(_, r)| *r)
            .collect();
        format!("{header}\n{}\n", chosen.join("\n"))
    };
    let train_csv = write(dir.path(), "train.csv", &part(&|i| i % 5 >= 2));
    let valid_csv = write(dir.path(), "valid.csv", &part(&|i| i % 5 == 0));
    let test_csv = write(dir.path(), "test.csv", &part(&|i| i % 5 == 1));
    let config = write(
        dir.path(),
        "iris.toml",
        &format!(
            "name = \"files\"\n[data]\npath = \"{}\"\ntarget = \"species\"\nscale = \"standard\"\nvalid_path = \"{}\"\ntest_path = \"{}\"\n[model]\nkind = \"softmax\"\n[train]\nepochs = 100\nbatch_size = 16\n[train.optimizer]\nkind = \"adam\"\nlr = 0.05\n",
            train_csv.display(),
            valid_csv.display(),
            test_csv.display()
        ),
    );
    let run = train(&config, &dir.path().join("runs"), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let metrics = json(&run.run_dir().join("metrics.json"));
    let count = |split: &str| -> i64 {
        metrics[split]["confusion_matrix"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|r| r.as_array().cloned().unwrap_or_default())
            .filter_map(|v| v.as_i64())
            .sum()
    };
    assert_eq!(
        (count("train"), count("valid"), count("test")),
        (90, 30, 30)
    );
    assert!(
        metrics["test"]["accuracy"].as_f64().expect("accuracy") > 0.85,
        "{metrics}"
    );
    train(
        &config,
        &dir.path().join("runs"),
        &["--set", "data.split.valid=0.2"],
    )
    .assert_error(2, &["data.valid_path", "not both"]);
    // Early stopping watches the file's validation rows (it asked for split.valid, which
    // valid_path then refused); k-fold has no use for them.
    let stopped = train(
        &config,
        &dir.path().join("runs"),
        &[
            "--set",
            "train.early_stopping={metric=\"valid_loss\", patience=3}",
        ],
    );
    assert_eq!(stopped.status, 0, "{}", stopped.stderr);
    train(
        &config,
        &dir.path().join("runs"),
        &["--set", "data.kfold=3"],
    )
    .assert_error(2, &["data.kfold", "remove data.valid_path"]);
    train(
        &config,
        &dir.path().join("runs"),
        &["--set", "data.max_categories=1"],
    )
    .assert_error(2, &["data.max_categories", "at least 2"]);
}

/// A run that learnt nothing (here SGD on an unscaled income in the tens of thousands) ended
/// with exit 0 and no word; it now warns, in the log and the report, against the constant
/// prediction's loss, and names the fix. Scaled, the same run learns and says nothing.
#[test]
fn a_model_worse_than_a_constant_prediction_is_warned_about() {
    let dir = temp();
    let mut text = String::from("income,y\n");
    for i in 0..200u32 {
        let income = 20_000 + (i * 7919) % 40_000;
        let default = if income < 38_000 { "yes" } else { "no" };
        text.push_str(&format!("{income},{default}\n"));
    }
    let data = write(dir.path(), "credit.csv", &text);
    let config = experiment(dir.path(), &data, "[train]\nepochs = 20\n");
    let logistic = ["--set", "model.kind=\"logistic\""];
    let run = train(&config, dir.path(), &logistic);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let said = "does worse than predicting the class frequencies for every row";
    assert!(
        run.stdout.contains(said) && run.stdout.contains("need \"standard\""),
        "{}",
        run.stdout
    );
    // Equal class weights change nothing: neither the warning nor a note about them goes.
    let even = train(
        &config,
        dir.path(),
        &[
            logistic[0],
            logistic[1],
            "--set",
            "train.class_weights=[1.0, 1.0]",
        ],
    );
    assert!(even.stdout.contains(said), "{}", even.stdout);
    assert!(
        !even.stdout.contains("class weights move"),
        "{}",
        even.stdout
    );
    let report = std::fs::read_to_string(run.run_dir().join("report.md")).expect("report.md");
    assert!(report.contains(said), "{report}");
    let scaled = train(
        &config,
        dir.path(),
        &[logistic[0], logistic[1], "--set", "data.scale=\"standard\""],
    );
    assert_eq!(scaled.status, 0, "{}", scaled.stderr);
    assert!(!scaled.stdout.contains("warning"), "{}", scaled.stdout);
}

/// `model.threshold` moves a binary classifier's labels (and the metrics of labels) and stays
/// with the model; `--threshold` tries another on a trained run; both are refused where they
/// mean nothing.
#[test]
fn a_decision_threshold_moves_the_labels_and_travels_with_the_model() {
    let out = temp();
    let config = root().join("configs/medical_breast_cancer_logistic.toml");
    let plain = train(&config, out.path(), &[]);
    let low = train(&config, out.path(), &["--set", "model.threshold=0.05"]);
    for run in [&plain, &low] {
        assert_eq!(run.status, 0, "{}", run.stderr);
    }
    let (plain_dir, low_dir) = (plain.run_dir(), low.run_dir());
    let test = |dir: &std::path::Path| json(&dir.join("metrics.json"))["test"].clone();
    let (p, l) = (test(&plain_dir), test(&low_dir));
    // The same model (the threshold does not touch training): the same scores...
    for key in ["roc_auc", "log_loss", "pr_auc"] {
        assert_eq!(p[key], l[key], "{key}");
    }
    // ...and labels moved towards the positive class.
    let number = |v: &serde_json::Value| v.as_f64().expect("a metric");
    assert!(number(&l["recall"]) >= number(&p["recall"]), "{p}\n{l}");
    assert!(
        number(&l["precision"]) < number(&p["precision"]),
        "{p}\n{l}"
    );
    assert_eq!(json(&low_dir.join("model/bundle.json"))["threshold"], 0.05);
    // Predictions label by it: every row at or above 0.05 is `1`.
    let data = root().join("datasets/medical_breast_cancer.csv");
    let predicted = out.path().join("p.csv");
    let run = predict_to(&low_dir, &data, &predicted);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(&predicted).expect("predictions");
    let mut moved = 0;
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.rsplitn(4, ',').collect();
        let (p1, label) = (cells[0].parse::<f64>().expect("prob_1"), cells[2]);
        assert_eq!(label, if p1 >= 0.05 { "1" } else { "0" }, "{line}");
        moved += usize::from((0.05..0.5).contains(&p1));
    }
    assert!(moved > 0, "no row between the thresholds");
    // eval --threshold gives the plain run's labels at another operating point: the low run's.
    let eval = |dir: &std::path::Path, extra: &[&str]| {
        let dir = dir.to_str().expect("path");
        kiln(
            &[
                &["eval", dir, "--data", data.to_str().expect("path")],
                extra,
            ]
            .concat(),
        )
    };
    let at = eval(&plain_dir, &["--threshold", "0.05"]);
    let stored = eval(&low_dir, &[]);
    assert_eq!(at.status, 0, "{}", at.stderr);
    assert_eq!(at.stdout, stored.stdout);
    let shown: serde_json::Value = serde_json::from_str(&at.stdout).expect("JSON");
    assert_eq!(shown["threshold"], 0.05, "{shown}");
    // A decimal comma, as typed in Europe, is the same threshold.
    assert_eq!(eval(&plain_dir, &["--threshold", "0,05"]).stdout, at.stdout);
    eval(&plain_dir, &["--threshold", "1.5"]).assert_error(2, &["--threshold", "between 0 and 1"]);
    let iris = root().join("configs/multiclass_iris_softmax.toml");
    train(&iris, out.path(), &["--set", "model.threshold=0.3"]).assert_error(
        2,
        &["model.threshold", "binary classification", "multiclass"],
    );
    train(&config, out.path(), &["--set", "model.threshold=0"])
        .assert_error(2, &["model.threshold", "between 0 and 1"]);
}

/// An mlp regresses a numeric target unless told: on a 0/1 column it says so and names the
/// key, and class weights, refused there, name it too.
#[test]
fn an_mlp_regressing_a_zero_one_target_says_how_to_classify() {
    let dir = temp();
    let rows: String = (0..40)
        .map(|i| format!("{},{}\n", i % 7, (i % 3) % 2))
        .collect();
    let data = write(dir.path(), "zero_one.csv", &format!("x,y\n{rows}"));
    let config = experiment(dir.path(), &data, "[train]\nepochs = 2\n");
    let mlp = ["--set", "model.kind=\"mlp\"", "--set", "model.hidden=[4]"];
    let run = train(&config, dir.path(), &mlp);
    run.assert_says(&[
        "`y` holds only the values 0 and 1",
        "model.task = \"binary\"",
    ]);
    let weighted = [&mlp[..], &["--set", "train.class_weights=\"balanced\""]].concat();
    train(&config, dir.path(), &weighted).assert_error(
        2,
        &[
            "train.class_weights",
            "regresses `y`",
            "model.task = \"binary\"",
        ],
    );
    let told = [&mlp[..], &["--set", "model.task=\"binary\""]].concat();
    let run = train(&config, dir.path(), &told);
    assert_eq!(run.status, 0, "{}", run.stderr);
    // Grades 0 to 4 too, as classes of their own; a score of many values is a scale.
    let grades: String = (0..40).map(|i| format!("{},{}\n", i % 7, i % 5)).collect();
    let data = write(dir.path(), "grades.csv", &format!("x,y\n{grades}"));
    let config = experiment(dir.path(), &data, "[train]\nepochs = 2\n");
    train(&config, dir.path(), &mlp).assert_says(&[
        "`y` holds only 5 whole numbers, 0 to 4",
        "model.task = \"multiclass\"",
    ]);
    let scores: String = (0..40).map(|i| format!("{},{}\n", i % 7, i % 21)).collect();
    let data = write(dir.path(), "scores.csv", &format!("x,y\n{scores}"));
    let config = experiment(dir.path(), &data, "[train]\nepochs = 2\n");
    let run = train(&config, dir.path(), &mlp);
    assert!(
        run.status == 0 && !run.stdout.contains("whole numbers"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("holds only"), "{}", run.stdout);
}

/// `data.positive` chooses the class that precision, recall, f1 and pr_auc score; without it,
/// a majority positive class ("ok" sorts after "fail") is noted, with the key to change.
#[test]
fn the_positive_class_can_be_chosen_and_a_majority_positive_is_noted() {
    let dir = temp();
    let rows: String = (0..80)
        .map(|i| {
            let x = f64::from(i % 20) / 10.0;
            format!("{x},{}\n", if i % 20 < 4 { "fail" } else { "ok" })
        })
        .collect();
    let data = write(dir.path(), "machines.csv", &format!("x,y\n{rows}"));
    let config = experiment(dir.path(), &data, "[train]\nepochs = 30\n");
    let logistic = [
        "--set",
        "model.kind=\"logistic\"",
        "--set",
        "train.optimizer.lr=0.5",
    ];
    let plain = train(&config, dir.path(), &logistic);
    plain.assert_says(&["the positive class, `ok`", "data.positive = \"fail\""]);
    let chosen = [&logistic[..], &["--set", "data.positive=\"fail\""]].concat();
    let run = train(&config, dir.path(), &chosen);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("the positive class"), "{}", run.stdout);
    // `fail` is now the second class: its probability is the one predicted, its rows the
    // positives.
    let labels = &json(&run.run_dir().join("model/bundle.json"))["target"]["labels"];
    assert_eq!(labels, &serde_json::json!(["ok", "fail"]));
    let recall = |run: &Run| metric(run, "train", "recall");
    let confusion = json(&run.run_dir().join("metrics.json"))["train"]["confusion_matrix"].clone();
    let (tp, fn_) = (confusion[1][1].as_f64(), confusion[1][0].as_f64());
    let by_hand = tp
        .zip(fn_)
        .map(|(tp, fn_)| tp / (tp + fn_))
        .expect("counts");
    assert_eq!(recall(&run), by_hand);
    assert_eq!(
        by_hand * 16.0,
        confusion[1][1].as_f64().expect("tp"),
        "16 failures"
    );
    // Which class is positive does not move the rows: the same stratified splits either way.
    let split = ["--set", "data.split={valid=0.25,test=0.25}"];
    let splits = |extra: &[&str]| {
        let run = train(
            &config,
            dir.path(),
            &[&logistic[..], &split, extra].concat(),
        );
        assert_eq!(run.status, 0, "{}", run.stderr);
        std::fs::read_to_string(run.run_dir().join("splits.csv")).expect("splits.csv")
    };
    assert_eq!(splits(&[]), splits(&["--set", "data.positive=\"fail\""]));
    // Refused where it means nothing.
    train(
        &config,
        dir.path(),
        &[&logistic[..], &["--set", "data.positive=\"broken\""]].concat(),
    )
    .assert_error(
        2,
        &["positive", "`broken` is not a class", "`fail`", "`ok`"],
    );
    let iris = root().join("configs/multiclass_iris_softmax.toml");
    train(&iris, dir.path(), &["--set", "data.positive=\"setosa\""])
        .assert_error(2, &["positive", "binary target", "3 classes"]);
    let seed = root().join("configs/seed_linear.toml");
    train(&seed, dir.path(), &["--set", "data.positive=\"1\""])
        .assert_error(2, &["data.positive", "binary classifier", "regression"]);
}

/// Permutation importance against its closed form: for a least-squares fit with an intercept,
/// shuffling column `a` among n rows raises the mean squared error by β_a² · mean((a_i −
/// a_π(i))²), whose expectation over shuffles is 2 β_a² Var(a) (population variance). On
/// y = 3a − 2b + noise, `a` must cost about 18 Var(a), `b` 8 Var(b), and a column the target
/// ignores nothing; the same seed gives the same numbers and another seed others.
#[test]
fn permutation_importance_matches_its_closed_form_on_a_least_squares_fit() {
    let dir = temp();
    let mut state = 12345u64;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let rows: Vec<[f64; 4]> = (0..4000)
        .map(|_| {
            let (a, b, c) = (uniform() * 4.0, uniform(), uniform() * 10.0);
            [a, b, c, 3.0 * a - 2.0 * b + (uniform() - 0.5) * 0.1]
        })
        .collect();
    let text: String = rows
        .iter()
        .map(|r| format!("{},{},{},{}\n", r[0], r[1], r[2], r[3]))
        .collect();
    let data = write(dir.path(), "d.csv", &format!("a,b,c,y\n{text}"));
    let config = experiment(dir.path(), &data, "[train]\nsolver = \"exact\"\n");
    let trained = train(&config, &dir.path().join("runs"), &[]);
    assert_eq!(trained.status, 0, "{}", trained.stderr);
    let importance = |extra: &[&str]| -> serde_json::Value {
        let mut flags = vec!["--importance", "--metric", "mse", "--repeats", "10"];
        flags.extend_from_slice(extra);
        let evaluated = eval_with(trained.run_dir(), &data, &flags);
        assert_eq!(evaluated.status, 0, "{}", evaluated.stderr);
        let all: serde_json::Value = serde_json::from_str(&evaluated.stdout).expect("json");
        all["importance"].clone()
    };
    let measured = importance(&[]);
    let of = |column: &str| -> f64 {
        let found = measured["columns"].as_array().expect("columns").iter();
        let entry = found.clone().find(|c| c["column"] == column).expect(column);
        entry["mean"].as_f64().expect("a number")
    };
    let variance = |i: usize| {
        let mean = rows.iter().map(|r| r[i]).sum::<f64>() / rows.len() as f64;
        rows.iter().map(|r| (r[i] - mean).powi(2)).sum::<f64>() / rows.len() as f64
    };
    for (column, i, beta) in [("a", 0, 3.0), ("b", 1, -2.0)] {
        let expected: f64 = 2.0 * beta * beta * variance(i);
        let got = of(column);
        assert!(
            (got - expected).abs() < 0.03 * expected,
            "{column}: {got} against {expected}"
        );
    }
    assert!(of("c").abs() < 1e-3 * of("b"), "c: {}", of("c"));
    assert_eq!(measured["columns"][0]["column"], "a", "{measured}");
    assert_eq!(measured["metric"], "mse");
    assert_eq!(importance(&[]), measured, "the same seed");
    assert_ne!(importance(&["--seed", "7"]), measured, "another seed");
    // The default metric is scikit-learn's score, R² here: the same worsening over Var(y).
    let r2 = eval_with(trained.run_dir(), &data, &["--importance"]);
    assert!(r2.stdout.contains("\"metric\": \"r2\""), "{}", r2.stdout);
    eval_with(
        trained.run_dir(),
        &data,
        &["--importance", "--metric", "accuracy"],
    )
    .assert_error(
        2,
        &[
            "--metric",
            "`accuracy` is not a metric of this model",
            "r2, mse",
        ],
    );
    eval_with(trained.run_dir(), &data, &["--repeats", "3"]).assert_error(2, &["--importance"]);
    eval_with(
        trained.run_dir(),
        &data,
        &["--importance", "--repeats", "20000"],
    )
    .assert_error(2, &["--repeats", "use 1 to 10000"]);
    let one = write(dir.path(), "one.csv", "a,b,c,y\n1,2,3,4\n");
    eval_with(trained.run_dir(), &one, &["--importance"]).assert_error(
        2,
        &["importance: r2 is undefined on these rows: it needs at least two rows"],
    );
    // train.importance measures it on the test rows, into metrics.json and report.md.
    let split = [
        "--set",
        "train.importance=true",
        "--set",
        "data.split.test=0.25",
    ];
    let run = train(&config, &dir.path().join("runs"), &split);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("importance (fall of r2 on the test rows, column shuffled): a "),
        "{}",
        run.stdout
    );
    let metrics = json(&run.run_dir().join("metrics.json"));
    let importance = &metrics["importance"];
    assert_eq!(
        (
            &importance["split"],
            &importance["metric"],
            &importance["repeats"]
        ),
        (&"test".into(), &"r2".into(), &5.into()),
        "{importance}"
    );
    let names: Vec<&str> = importance["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["column"].as_str())
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
    let report = std::fs::read_to_string(run.run_dir().join("report.md")).expect("report");
    assert!(
        report.contains("## Importance") && report.contains("| `a` |"),
        "{report}"
    );
    // As a table: another metric and number of shuffles; a metric of another task is refused
    // before training.
    let table = ["--set", "train.importance={metric=\"mse\", repeats=3}"];
    let run = train(&config, &dir.path().join("runs"), &table);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let importance = json(&run.run_dir().join("metrics.json"))["importance"].clone();
    assert_eq!(
        (&importance["metric"], &importance["repeats"]),
        (&"mse".into(), &3.into())
    );
    let wrong = ["--set", "train.importance={metric=\"roc_auc\"}"];
    train(&config, &dir.path().join("runs"), &wrong).assert_error(
        2,
        &[
            "train.importance.metric",
            "`roc_auc` is not a metric of this model (task regression)",
        ],
    );
}
