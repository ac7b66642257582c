//! Bad input gets a clear error with exit status 2 and never a panic. Each case names what the
//! message must contain: the file, line, key or column, and what to do.

use crate::common::*;

fn seed_data() -> std::path::PathBuf {
    root().join("datasets/seed_linear.csv")
}

#[test]
fn an_unknown_key_is_named_with_the_closest_valid_one() {
    let dir = temp();
    let config = experiment(
        dir.path(),
        &seed_data(),
        "[train.optimizer]\nlearning_rte = 0.1\n",
    );
    train(&config, dir.path(), &[]).assert_error(
        2,
        &[
            "experiment.toml",
            "learning_rte",
            "did you mean `lr`?",
            "line 8",
        ],
    );
    let config = experiment(dir.path(), &seed_data(), "[train]\nepoch = 3\n");
    train(&config, dir.path(), &[]).assert_error(2, &["epoch", "did you mean `epochs`?"]);
}

#[test]
fn an_unknown_override_path_is_named() {
    let dir = temp();
    let config = experiment(dir.path(), &seed_data(), "");
    train(&config, dir.path(), &["--set", "train.optimizer.lrr=0.1"]).assert_error(
        2,
        &["--set train.optimizer.lrr=0.1", "lrr", "did you mean `lr`?"],
    );
    train(&config, dir.path(), &["--set", "name.first=1"]).assert_error(2, &["`name` is a value"]);
    train(&config, dir.path(), &["--set", "epochs"]).assert_error(2, &["expected KEY=VALUE"]);
}

#[test]
fn a_wrong_type_points_at_the_line() {
    let dir = temp();
    let config = experiment(dir.path(), &seed_data(), "[train]\nbatch_size = \"big\"\n");
    train(&config, dir.path(), &[]).assert_error(2, &["line 8", "batch_size", "whole number"]);
}

#[test]
fn an_unknown_choice_lists_the_valid_ones() {
    let dir = temp();
    let config = experiment(
        dir.path(),
        &seed_data(),
        "[train.optimizer]\nkind = \"adamw2\"\n",
    );
    train(&config, dir.path(), &[]).assert_error(2, &["adamw2", "`sgd`", "did you mean `adamw`?"]);
    let config = experiment(dir.path(), &seed_data(), "");
    train(&config, dir.path(), &["--device", "tpu"])
        .assert_error(2, &["unknown device `tpu`", "cpu"]);
    train(&config, dir.path(), &["--device", "cuda"]).assert_error(2, &["cuda", "wgpu"]);
    let config = write(
        dir.path(),
        "k.toml",
        &format!(
            "name = \"t\"\n[data]\npath = \"{}\"\ntarget = \"y\"\n[model]\nkind = \"linaer\"\n",
            seed_data().display()
        ),
    );
    train(&config, dir.path(), &[])
        .assert_error(2, &["unknown kind `linaer`", "did you mean `linear`?"]);
}

#[test]
fn a_missing_empty_or_broken_config_file_is_named() {
    let dir = temp();
    train(&dir.path().join("nope.toml"), dir.path(), &[])
        .assert_error(2, &["nope.toml", "cannot read"]);
    let empty = write(dir.path(), "empty.toml", "");
    train(&empty, dir.path(), &[]).assert_error(2, &["empty.toml", "empty"]);
    let broken = write(dir.path(), "broken.toml", "name = \n[data");
    train(&broken, dir.path(), &[]).assert_error(2, &["broken.toml", "line 2", "expected `]`"]);
    let missing = write(
        dir.path(),
        "missing.toml",
        "name = \"t\"\n[model]\nkind = \"linear\"\n",
    );
    train(&missing, dir.path(), &[]).assert_error(2, &["missing.toml", "missing field `data`"]);
}

#[test]
fn a_missing_data_file_is_named() {
    let dir = temp();
    let config = experiment(dir.path(), &dir.path().join("absent.csv"), "");
    let run = train(&config, dir.path(), &[]);
    run.assert_error(2, &["absent.csv", "cannot read"]);
    // The cause is said once, not once by kiln and again by the error chain.
    assert_eq!(run.stderr.matches("os error").count(), 1, "{}", run.stderr);
}

#[test]
fn a_missing_column_lists_the_columns_found() {
    let dir = temp();
    let config = experiment(dir.path(), &seed_data(), "");
    train(&config, dir.path(), &["--set", "data.target=yy"]).assert_error(
        2,
        &[
            "seed_linear.csv",
            "no column `yy`",
            "did you mean `y`?",
            "x, y",
        ],
    );
    train(&config, dir.path(), &["--set", "data.features=[\"z\"]"])
        .assert_error(2, &["no column `z`", "data.features"]);
}

#[test]
fn a_non_numeric_cell_names_file_line_column_and_value() {
    let dir = temp();
    let data = write(dir.path(), "bad.csv", "x,y\n1,2\n2,4\n3,six\n4,8\n");
    let config = experiment(dir.path(), &data, "");
    train(&config, dir.path(), &[]).assert_error(2, &["bad.csv", "line 4", "`y`", "`six`"]);
    let data = write(dir.path(), "nan.csv", "x,y\n1,2\nNaN,4\n3,6\n");
    let config = experiment(dir.path(), &data, "");
    train(&config, dir.path(), &[])
        .assert_error(2, &["nan.csv", "line 3", "`x`", "not a finite number"]);
}

#[test]
fn an_empty_or_header_only_csv_is_named() {
    let dir = temp();
    for (name, text, fragment) in [
        ("empty.csv", "", "is empty"),
        ("header.csv", "x,y\n", "no rows"),
    ] {
        let data = write(dir.path(), name, text);
        let config = experiment(dir.path(), &data, "");
        train(&config, dir.path(), &[]).assert_error(2, &[name, fragment]);
    }
}

#[test]
fn out_of_range_training_values_are_named_one_by_one() {
    let dir = temp();
    let config = experiment(dir.path(), &seed_data(), "");
    for (set, key) in [
        ("train.optimizer.lr=0", "train.optimizer.lr"),
        ("train.optimizer.lr=-0.1", "train.optimizer.lr"),
        ("train.optimizer.lr=nan", "train.optimizer.lr"),
        ("train.optimizer.lr=inf", "train.optimizer.lr"),
        ("train.epochs=0", "train.epochs"),
        ("train.batch_size=0", "train.batch_size"),
        ("train.optimizer.momentum=1.5", "train.optimizer.momentum"),
    ] {
        train(&config, dir.path(), &["--set", set]).assert_error(2, &[key]);
    }
    train(&config, dir.path(), &["--set", "train.epochs=-3"]).assert_error(2, &["epochs"]);
}

#[test]
fn a_ragged_row_and_a_missing_cell_are_located() {
    let dir = temp();
    let data = write(dir.path(), "ragged.csv", "x,y\n1,2\n2\n");
    let config = experiment(dir.path(), &data, "");
    train(&config, dir.path(), &[]).assert_error(2, &["ragged.csv", "line 3", "expected 2 cells"]);
    let data = write(dir.path(), "hole.csv", "x,y\n1,2\n,4\n3,6\n");
    let config = experiment(dir.path(), &data, "");
    train(&config, dir.path(), &[]).assert_error(2, &["hole.csv", "line 3", "`x`", "missing"]);
}

#[test]
fn predict_from_a_directory_that_is_not_a_run_is_an_error() {
    let dir = temp();
    let run = predict(dir.path(), "datasets/seed_linear_new.csv");
    run.assert_error(2, &["bundle.json", "kiln train"]);
}

#[test]
fn a_bundle_whose_parts_disagree_is_refused_before_it_predicts() {
    // Each edit made kiln panic inside the network, blame the input CSV, or predict.
    let dir = temp();
    let iris = root().join("configs/multiclass_iris_softmax.toml");
    let run = train(&iris, dir.path(), &["--set", "train.epochs=2"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let run_dir = run.run_dir();
    let bundle = run_dir.join("model/bundle.json");
    let original: serde_json::Value = json(&bundle);
    type Edit = fn(&mut serde_json::Value);
    let edits: [(&str, Edit); 3] = [
        ("task Binary with 3 class labels", |b| {
            b["task"] = "binary".into()
        }),
        ("task Multiclass with 0 class labels", |b| {
            b["target"]["labels"] = serde_json::json!([])
        }),
        ("the preprocessing makes 3 inputs", |b| {
            b["preprocessor"]["features"]
                .as_array_mut()
                .expect("features")
                .pop();
        }),
    ];
    for (fragment, edit) in edits {
        let mut edited = original.clone();
        edit(&mut edited);
        std::fs::write(&bundle, edited.to_string()).expect("write");
        predict(&run_dir, "datasets/multiclass_iris.csv").assert_error(
            2,
            &["bundle.json", "contradicts itself", fragment, "train again"],
        );
    }
}

#[test]
fn predict_never_writes_over_its_input_or_the_model() {
    let dir = temp();
    let config = experiment(dir.path(), &seed_data(), "[train]\nepochs = 3\n");
    let run = train(&config, dir.path(), &["--device", "cpu"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let run_dir = run.run_dir();
    let input = write(dir.path(), "rows.csv", "x\n1\n2\n");
    let bundle = run_dir.join("model/bundle.json");
    let before = std::fs::read(&bundle).expect("bundle");
    // The input reached another way (`sub/../rows.csv`), and the model's own file.
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    let same_input = dir.path().join("sub/../rows.csv");
    for (output, fragment) in [(&same_input, "the input file"), (&bundle, "inside")] {
        predict_to(&run_dir, &input, output).assert_error(2, &["--output", fragment, "elsewhere"]);
    }
    assert_eq!(std::fs::read(&input).expect("rows"), b"x\n1\n2\n");
    assert_eq!(std::fs::read(&bundle).expect("bundle"), before);
    // A predictions file predicted again: the new column is named apart (two `prediction`
    // columns made a file kiln itself refused to read).
    let once = dir.path().join("once.csv");
    let twice = dir.path().join("twice.csv");
    for (from, to) in [(&input, &once), (&once, &twice)] {
        let run = predict_to(&run_dir, from, to);
        assert_eq!(run.status, 0, "{}", run.stderr);
    }
    let text = std::fs::read_to_string(&twice).expect("twice");
    assert!(text.starts_with("x,prediction,prediction_2\n"), "{text}");
}

#[test]
fn a_number_beyond_32_bit_floats_in_training_data_is_a_data_error() {
    let dir = temp();
    let data = write(dir.path(), "big.csv", "x,y\n1,2\n2,4\n1e39,6\n4,8\n");
    let config = experiment(dir.path(), &data, "[train]\nepochs = 3\n");
    train(&config, dir.path(), &["--device", "cpu"]).assert_error(
        2,
        &[
            "big.csv",
            "line 4",
            "`x`",
            "`1e39`",
            "32-bit floats",
            "data.na_values",
        ],
    );
}

#[test]
fn a_number_beyond_32_bit_floats_in_predict_or_eval_rows_is_a_data_error() {
    let dir = temp();
    let config = experiment(dir.path(), &seed_data(), "[train]\nepochs = 3\n");
    let run = train(&config, dir.path(), &["--device", "cpu"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let run_dir = run.run_dir();
    let run_dir = run_dir.to_str().expect("path");
    let input = write(dir.path(), "input.csv", "x\n1\n1e39\n");
    kiln(&["predict", run_dir, "--input", input.to_str().expect("path")]).assert_error(
        2,
        &["input.csv", "line 3", "`x`", "`1e39`", "32-bit floats"],
    );
    // The target of labelled rows too: a regression target becomes an f32 like any input.
    let labelled = write(dir.path(), "labelled.csv", "x,y\n1,2\n2,-1e39\n");
    kiln(&["eval", run_dir, "--data", labelled.to_str().expect("path")]).assert_error(
        2,
        &["labelled.csv", "line 3", "`y`", "`-1e39`", "32-bit floats"],
    );
}

#[test]
fn a_feature_listed_twice_is_named() {
    let dir = temp();
    let config = experiment(dir.path(), &seed_data(), "");
    train(
        &config,
        dir.path(),
        &["--set", "data.features=[\"x\", \"x\"]"],
    )
    .assert_error(2, &["data.features", "`x`", "twice"]);
}

#[test]
fn a_dropped_column_that_is_also_a_feature_is_named() {
    let dir = temp();
    let config = experiment(dir.path(), &seed_data(), "");
    train(
        &config,
        dir.path(),
        &[
            "--set",
            "data.features=[\"x\"]",
            "--set",
            "data.drop=[\"x\"]",
        ],
    )
    .assert_error(2, &["data.drop", "data.features", "`x`"]);
}

#[test]
fn dropping_the_target_is_named() {
    let dir = temp();
    let config = experiment(dir.path(), &seed_data(), "");
    train(&config, dir.path(), &["--set", "data.drop=[\"y\"]"])
        .assert_error(2, &["data.drop", "data.target", "`y`"]);
}

#[test]
fn settings_that_would_be_ignored_or_misread_are_named() {
    // Each was accepted and had no effect.
    let dir = temp();
    let config = experiment(dir.path(), &seed_data(), "");
    train(
        &config,
        dir.path(),
        &["--set", "data.missing_indicator=true"],
    )
    .assert_error(2, &["data.missing_indicator", "missing = \"impute\""]);
    train(
        &config,
        dir.path(),
        &[
            "--set",
            "train.epochs=5",
            "--set",
            "train.schedule.warmup_epochs=5",
        ],
    )
    .assert_error(2, &["train.schedule.warmup_epochs", "5 warm-up epochs"]);
    train(&config, dir.path(), &["--set", "train.class_weights={a=1}"])
        .assert_error(2, &["train.class_weights", "\"balanced\" or a list"]);
    // One stray marker among numeric targets made an mlp a classifier over every value.
    let mixed = write(dir.path(), "mixed.csv", "x,y\n1,2\n2,4\n3,?\n4,8\n");
    let mlp = experiment(dir.path(), &mixed, "");
    train(&mlp, dir.path(), &["--set", "model.kind=\"mlp\""]).assert_error(
        2,
        &["data.target", "line 4: `?`", "data.na_values", "model.task"],
    );
    train(&config, dir.path(), &["--set", "data.categorical=[\"y\"]"])
        .assert_error(2, &["data.categorical", "the target `y`", "model.task"]);
    let long = format!("name=\"{}\"", "n".repeat(300));
    train(&config, dir.path(), &["--set", &long]).assert_error(2, &["name", "at most 200 bytes"]);
    // Listed test rows that missing = "drop" skips are counted, and none left is said so.
    let data = write(
        dir.path(),
        "holes.csv",
        "x,y\n1,2\n,4\n3,6\n4,\n5,10\n6,12\n",
    );
    let listed = write(dir.path(), "test_rows.csv", "row_index\n1\n3\n");
    let holes = experiment(dir.path(), &data, "[train]\nepochs = 2\n");
    let with = |rows: &std::path::Path| {
        vec![
            "--set".to_string(),
            "data.missing=\"drop\"".to_string(),
            "--set".to_string(),
            format!(
                "data.split={{test_rows={:?}}}",
                rows.to_str().expect("utf-8")
            ),
        ]
    };
    let args = with(&listed);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    train(&holes, dir.path(), &args).assert_error(
        2,
        &[
            "test split is empty",
            "none of the 2 rows listed in split.test_rows",
        ],
    );
    let listed = write(dir.path(), "test_rows2.csv", "row_index\n1\n4\n");
    let args = with(&listed);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = train(&holes, dir.path(), &args);
    run.assert_says(&[
        "skipped 2 rows with missing cells (missing cells by column: `y` 1, `x` 1), 1 of \
             them listed in split.test_rows",
    ]);
    let report = std::fs::read_to_string(run.run_dir().join("report.md")).expect("report");
    assert!(
        report.contains(
            "2 rows with missing cells skipped (`data.missing = \"drop\"`); missing cells by \
             column: `y` 1, `x` 1."
        ),
        "{report}"
    );
    // Under impute only the row without its target is skipped, and the report says why.
    let run = train(&holes, dir.path(), &["--set", "data.missing=\"impute\""]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let report = std::fs::read_to_string(run.run_dir().join("report.md")).expect("report");
    assert!(
        report.contains(
            "1 row with missing cells skipped (a row without its target has nothing to learn \
             from; `impute` fills features only); missing cells by column: `y` 1."
        ),
        "{report}"
    );
}

#[test]
fn a_test_row_of_an_unseen_category_follows_data_unknown_as_eval_does() {
    // Scored silently as all zeros at training, while `kiln eval` on the same rows refused.
    let dir = temp();
    let data = write(
        dir.path(),
        "c.csv",
        "c,x,y\na,1,2\nb,2,4\na,3,6\nb,4,8\na,5,10\nz,6,12\n",
    );
    let rows = write(dir.path(), "test_rows.csv", "row_index\n5\n");
    let config = experiment(dir.path(), &data, "[train]\nepochs = 2\n");
    let split = format!(
        "data.split={{test_rows={:?}}}",
        rows.to_str().expect("utf-8")
    );
    train(&config, dir.path(), &["--set", &split]).assert_error(
        2,
        &["c.csv", "line 7", "category `z` was not seen in training"],
    );
    let run = train(
        &config,
        dir.path(),
        &["--set", &split, "--set", "data.unknown=\"ignore\""],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
}

#[test]
fn a_bad_predict_input_is_named_before_training() {
    // Before, the whole run trained first and was then thrown away.
    let dir = temp();
    let config = experiment(dir.path(), &seed_data(), "");
    let missing = dir.path().join("missing.csv");
    let wrong = write(dir.path(), "wrong.csv", "z\n6\n");
    for (input, fragments) in [
        (&missing, &["predict.input", "missing.csv"][..]),
        (
            &wrong,
            &[
                "predict.input",
                "wrong.csv",
                "lacks `x`",
                "which the model reads",
            ][..],
        ),
    ] {
        let set = format!("predict.input={:?}", input.to_str().expect("utf-8"));
        let run = train(
            &config,
            dir.path(),
            &[
                "--set",
                &set,
                "--set",
                "train.epochs=500",
                "--set",
                "train.log_every=1",
            ],
        );
        run.assert_error(2, fragments);
        assert!(
            !run.stdout.contains("Epoch"),
            "it trained first:\n{}",
            run.stdout
        );
    }
}

#[test]
fn messages_point_at_the_fix() {
    let dir = temp();
    // A relative data path that is not there says where it was looked for.
    let config = experiment(dir.path(), &seed_data(), "");
    let text = std::fs::read_to_string(&config).expect("config");
    let relative = write(
        dir.path(),
        "relative.toml",
        &text.replacen(
            &format!("{:?}", seed_data().to_str().expect("utf-8")),
            "\"no/such/data.csv\"",
            1,
        ),
    );
    train(&relative, dir.path(), &[]).assert_error(
        2,
        &[
            "no/such/data.csv",
            "directory kiln runs in",
            "make them absolute",
        ],
    );
    // A value checked after parsing names the file as well as the key.
    train(&config, dir.path(), &["--set", "train.epochs=0"])
        .assert_error(2, &["experiment.toml", "train.epochs", "at least 1"]);
    // Every bad value at once, not one per run.
    train(
        &config,
        dir.path(),
        &[
            "--set",
            "train.epochs=0",
            "--set",
            "train.batch_size=0",
            "--set",
            "train.optimizer.lr=-1",
        ],
    )
    .assert_error(
        2,
        &[
            "train.epochs",
            "train.batch_size",
            "train.optimizer.lr",
            "found -1",
        ],
    );
    // A binary MLP on three classes: the key to change is model.task, not the kind.
    let iris = root().join("configs/multiclass_iris_softmax.toml");
    train(
        &iris,
        dir.path(),
        &[
            "--set",
            "model.kind=\"mlp\"",
            "--set",
            "model.task=\"binary\"",
        ],
    )
    .assert_error(2, &["3 classes", "model.task = \"multiclass\""]);
    // A file without a header line says so.
    let headless = write(dir.path(), "headless.csv", "1,2\n2,4\n3,6\n");
    let config = experiment(dir.path(), &headless, "");
    train(&config, dir.path(), &[]).assert_error(
        2,
        &[
            "headless.csv",
            "no column `y`",
            "looks like data, not a header",
        ],
    );
    // A text target under a regression kind names the classifying kinds.
    train(&iris, dir.path(), &["--set", "model.kind=\"linear\""])
        .assert_error(2, &["`species`", "setosa", "kind = \"logistic\""]);
}

#[test]
fn an_output_that_cannot_be_written_is_named_as_given() {
    // Before, the message named kiln's hidden staging or temporary file inside the folder.
    let dir = temp();
    let config = experiment(dir.path(), &seed_data(), "");
    // A folder under a plain file cannot be made, whoever runs the test (root included).
    let file = write(dir.path(), "a-file", "");
    let out = file.join("runs");
    let run = train(&config, &out, &[]);
    run.assert_error(2, &[out.to_str().expect("utf-8"), "cannot write here"]);
    assert!(!run.stderr.contains(".partial"), "{}", run.stderr);
    let done = train(
        &config,
        &dir.path().join("runs"),
        &["--set", "train.epochs=5"],
    );
    assert_eq!(done.status, 0, "{}", done.stderr);
    let missing = dir.path().join("no-such-folder");
    let predicted = kiln(&[
        "predict",
        done.run_dir().to_str().expect("utf-8"),
        "--input",
        seed_data().to_str().expect("utf-8"),
        "--output",
        missing.join("p.csv").to_str().expect("utf-8"),
    ]);
    predicted.assert_error(
        2,
        &[
            missing.to_str().expect("utf-8"),
            "no such folder",
            "choose a folder",
        ],
    );
    assert!(
        !predicted.stderr.contains("at path"),
        "{}",
        predicted.stderr
    );
}

#[test]
fn a_prediction_that_overflows_is_written_and_warned_about() {
    // 3e38 is a valid 32-bit input; twice it is not: the prediction is `inf`. Before, it was
    // written without a word (and the fit plot hung on it).
    let dir = temp();
    let config = experiment(dir.path(), &seed_data(), "");
    let done = train(
        &config,
        &dir.path().join("runs"),
        &["--set", "train.epochs=5"],
    );
    assert_eq!(done.status, 0, "{}", done.stderr);
    let rows = write(dir.path(), "far.csv", "x\n6\n3e38\n");
    let predicted = predict(done.run_dir(), &rows);
    predicted.assert_says(&["3e38,inf"]);
    assert!(
        predicted
            .stderr
            .contains("1 prediction is not a finite number")
            && predicted.stderr.contains("far.csv, line 3"),
        "{}",
        predicted.stderr
    );
}

/// A number column that most cells leave unreadable (an R export's `NA`s, `12%`, `1,200`, dates)
/// would otherwise be read as categories and one-hot encoded over every value, without a word.
#[test]
fn numbers_in_disguise_are_named_not_read_as_categories() {
    let dir = temp();
    let data = write(
        dir.path(),
        "lab.csv",
        "lab,y\nNA,1\n120.5,2\nNA,3\n98.2,4\nNA,5\nNA,6\n",
    );
    let config = experiment(dir.path(), &data, "");
    let impute = [
        "--set",
        "data.missing=\"impute\"",
        "--set",
        "data.scale=\"standard\"",
    ];
    train(&config, dir.path(), &impute).assert_error(
        2,
        &[
            "lab.csv, line 2",
            "column `lab` holds numbers and the text `NA` (4 cells)",
            "list it in data.na_values",
            "data.categorical",
        ],
    );
    // Either way out works: `NA` as missing (a number column), or the column as categories.
    for way_out in ["data.na_values=[\"NA\"]", "data.categorical=[\"lab\"]"] {
        let run = train(
            &config,
            dir.path(),
            &[&impute[..], &["--set", way_out]].concat(),
        );
        assert_eq!(run.status, 0, "{way_out}: {}", run.stderr);
    }
    for (cells, fragments) in [
        (
            "12%\n15%\n7%\n12%",
            &["line 2", "`12%`", "a `%` sign", "data.categorical"][..],
        ),
        (
            "\"1,200\"\n\"2,050\"\n\"3,300\"\n\"4,100\"",
            &[
                "`1,200`",
                "a `,` (a thousands separator or a decimal comma)",
            ][..],
        ),
        (
            "2024-01-05\n2024-02-11\n2024-03-09\n2024-04-01",
            &["`2024-01-05`", "dates or times", "data.drop"][..],
        ),
    ] {
        let rows: Vec<String> = cells
            .lines()
            .enumerate()
            .map(|(i, cell)| format!("{cell},{i}"))
            .collect();
        let data = write(dir.path(), "c.csv", &format!("c,y\n{}\n", rows.join("\n")));
        let config = experiment(dir.path(), &data, "");
        train(&config, dir.path(), &[]).assert_error(2, fragments);
    }
    // An mlp reads its task from the target: numbers written as `1,000` are not class labels.
    let data = write(
        dir.path(),
        "price.csv",
        "x,y\n1,\"1,000\"\n2,\"2,050\"\n3,\"2,990\"\n4,\"4,100\"\n",
    );
    let config = experiment(dir.path(), &data, "");
    train(&config, dir.path(), &["--set", "model.kind=\"mlp\""]).assert_error(
        2,
        &[
            "price.csv, line 2",
            "column `y`",
            "`1,000`",
            "model.task = \"multiclass\"",
        ],
    );
}

/// pandas writes its row index as an unnamed first column, and some exports end every line with
/// a comma: such a column is left out with a note, and a repeated name matters only where a
/// column of that name is asked for.
#[test]
fn unnamed_columns_are_left_out_and_repeated_names_matter_only_when_used() {
    let dir = temp();
    let data = write(
        dir.path(),
        "indexed.csv",
        ",x,y,\n0,1,2,\n1,2,4,\n2,3,6,\n3,4,8,\n4,5,10,\n",
    );
    let rows = write(dir.path(), "rows.csv", "x,note,note\n6,a,b\n");
    let config = experiment(
        dir.path(),
        &data,
        &format!(
            "[train]\nsolver = \"exact\"\n[predict]\ninput = \"{}\"\n",
            rows.display()
        ),
    );
    let run = train(&config, &dir.path().join("runs"), &[]);
    run.assert_says(&["note: columns 1, 4 of ", "have no name and are not read"]);
    let predicted = predictions(&run.run_dir().join("predictions.csv"));
    assert!((predicted[0] - 12.0).abs() < 1e-4, "{predicted:?}");
    // A repeated name the model reads is ambiguous.
    let twice = write(dir.path(), "twice.csv", "x,x\n6,7\n");
    predict(run.run_dir(), &twice).assert_error(
        2,
        &[
            "twice.csv",
            "columns 1 and 2 are both named `x`",
            "rename one",
        ],
    );
    // In training, dropping a repeated name drops every column of it.
    let repeated = write(
        dir.path(),
        "repeated.csv",
        "x,z,z,y\n1,0,5,2\n2,1,4,4\n3,0,3,6\n",
    );
    let config = experiment(dir.path(), &repeated, "[train]\nsolver = \"exact\"\n");
    train(&config, &dir.path().join("runs"), &[])
        .assert_error(2, &["columns 2 and 3 are both named `z`", "data.features"]);
    let dropped = train(
        &config,
        &dir.path().join("runs"),
        &["--set", "data.drop=[\"z\"]"],
    );
    assert_eq!(dropped.status, 0, "{}", dropped.stderr);
}

/// A number kiln cannot read gets the fix that fits it: a formatted number is written plainly
/// (listing it in `na_values` would throw a value away), and a trained model's missing-value
/// markers can only change by training again.
#[test]
fn an_unreadable_number_gets_the_fix_that_fits_it() {
    let dir = temp();
    let data = write(
        dir.path(),
        "d.csv",
        "x,y\n1,2\n2,4\n3,6\n4,8\n\"1,234.5\",9\n",
    );
    let config = experiment(dir.path(), &data, "");
    train(&config, dir.path(), &[]).assert_error(
        2,
        &[
            "d.csv, line 6",
            "`1,234.5`",
            "write it without `,` between digit groups",
        ],
    );
    let config = experiment(dir.path(), &seed_data(), "[train]\nsolver = \"exact\"\n");
    let run = train(&config, &dir.path().join("runs"), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let rows = write(dir.path(), "rows.csv", "x\n6\nNaN\n");
    predict(run.run_dir(), &rows).assert_error(
        2,
        &[
            "rows.csv, line 3",
            "`NaN` is not a finite number",
            "list it and train again",
        ],
    );
    // Rows to predict are read twice: a pipe or device is refused at once, saying why (it
    // used to say "the file changed while it was read; run again", which never helped).
    predict(run.run_dir(), "/dev/stdin").assert_error(
        2,
        &[
            "/dev/stdin",
            "not a regular file",
            "save them to a file first",
        ],
    );
}

/// Labels that differ only in case are two classes: a binary model's refusal lists them, and a
/// multiclass run notes them.
#[test]
fn classes_that_differ_only_in_case_are_pointed_out() {
    let dir = temp();
    let data = write(
        dir.path(),
        "yn.csv",
        "x,y\n1,no\n2,No\n3,yes\n4,Yes\n5,no\n6,yes\n7,No\n8,Yes\n",
    );
    let config = experiment(dir.path(), &data, "[train]\nepochs = 2\n");
    train(&config, dir.path(), &["--set", "model.kind=\"logistic\""]).assert_error(
        2,
        &[
            "4 classes (`No`, `Yes`, `no`, `yes`)",
            "softmax",
            "`No` and `no` differ only in case: if they are one class, write them alike",
        ],
    );
    let run = train(&config, dir.path(), &["--set", "model.kind=\"softmax\""]);
    run.assert_says(&[
        "note: the classes `No` and `no` of the target `y` differ only in case, and are two \
             classes",
        "`Yes` and `yes`",
    ]);
}

/// The second QA pass on real-world files: each refusal names what the cells are and the fix
/// that keeps their information.
#[test]
fn odd_cells_get_the_fix_that_keeps_their_information() {
    let dir = temp();
    let run_with = |name: &str, text: &str, args: &[&str]| {
        let data = write(dir.path(), name, text);
        let config = experiment(dir.path(), &data, "[train]\nsolver = \"exact\"\n");
        train(&config, &dir.path().join("runs"), args)
    };
    // A regression target written as money, or with a missing marker.
    run_with("money.csv", "x,y\n1,\"$1,570\"\n2,20\n3,30\n", &[])
        .assert_error(2, &["`$1,570`", "write it without a `$` currency sign"]);
    run_with("na.csv", "x,y\n1,10\n2,NA\n3,30\n", &[]).assert_error(
        2,
        &[
            "line 3 holds `NA`",
            "list it in data.na_values and set data.missing = \"drop\"",
        ],
    );
    // `%` numbers beside three kinds of missing marker.
    run_with(
        "rate.csv",
        "r,y\n36.6%,1\nNA,2\nN/A,3\n.,4\n4.9%,5\nNA,6\n",
        &[],
    )
    .assert_error(
        2,
        &[
            "column `r` holds numbers such as `36.6%`",
            "data.categorical",
        ],
    );
    // Mostly numbers with a band: the way out that keeps the band.
    run_with("dependents.csv", "d,y\n0,1\n0,2\n1,3\n2,4\n3+,5\n", &[])
        .assert_error(2, &["`3+` is not a number", "list it in data.categorical"]);
    let logistic = [
        "--set",
        "model.kind=\"logistic\"",
        "--set",
        "train.solver=\"gradient\"",
        "--set",
        "train.epochs=2",
    ];
    // A logistic target with a missing marker among its labels.
    run_with("labels.csv", "x,y\n1,yes\n2,no\n3,NA\n4,yes\n", &logistic).assert_error(
        2,
        &[
            "3 classes",
            "if `NA` marks a missing value, list it in data.na_values",
        ],
    );
    // Predict rows whose column differs in case; eval labels that do.
    let run = run_with("yn.csv", "x,y\n1,no\n2,yes\n3,no\n4,yes\n", &logistic);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let rows = write(dir.path(), "rows.csv", "X\n5\n");
    predict(run.run_dir(), &rows).assert_error(
        2,
        &["lacks `x` (the file has `X`: names must match exactly, case included)"],
    );
    let labelled = write(dir.path(), "labelled.csv", "x,y\n5,Yes\n");
    kiln(&[
        "eval",
        run.run_dir().to_str().expect("utf-8"),
        "--data",
        labelled.to_str().expect("utf-8"),
    ])
    .assert_error(2, &["`Yes`", "the model's `yes` differs only in case"]);
}
