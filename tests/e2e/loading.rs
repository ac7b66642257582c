//! Reading data at scale and as given: `kiln bench-load` reports what it read and the memory it
//! took, and `predict` writes every input cell back exactly as the user typed it.

use crate::common::*;

/// `rows` rows of a number, a number with missing cells, a three-level category and a target.
fn mixed_csv(rows: usize) -> String {
    let mut text = String::from("amount,score,region,y\n");
    for i in 0..rows {
        let score = if i % 50 == 7 {
            String::new()
        } else {
            format!("{:.3}", (i % 97) as f64 / 7.0)
        };
        let region = ["north", "south", "east"][i % 3];
        let label = if (i * 7919) % 10 < 3 { "yes" } else { "no" };
        text.push_str(&format!("{}.25,{score},{region},{label}\n", 1000 + i % 500));
    }
    text
}

#[test]
fn bench_load_reads_every_row_into_tensors_and_reports_its_peak_memory() {
    let dir = temp();
    let data = write(dir.path(), "mixed.csv", &mixed_csv(5000));
    let config = experiment(dir.path(), &data, "[data.split]\nvalid = 0.1\ntest = 0.2\n");
    let text = std::fs::read_to_string(&config)
        .expect("config")
        .replace("kind = \"linear\"", "kind = \"logistic\"")
        .replace(
            "[data]\n",
            "[data]\nmissing = \"impute\"\nscale = \"standard\"\n",
        );
    std::fs::write(&config, text).expect("config");
    let run = kiln(&["bench-load", config.to_str().expect("utf-8")]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("one JSON line");
    assert_eq!(report["rows"], 5000, "{report}");
    // amount, score (its missing cells imputed), and region's three levels.
    assert_eq!(report["inputs"], 5, "{report}");
    assert_eq!(
        report["csv_bytes"].as_u64(),
        Some(std::fs::metadata(&data).expect("size").len())
    );
    if cfg!(target_os = "linux") {
        assert!(
            report["peak_rss_bytes"].as_u64().is_some_and(|b| b > 0),
            "{report}"
        );
    }
    assert!(
        report["rows_per_sec"].as_f64().is_some_and(|r| r > 0.0),
        "{report}"
    );
    // The file's device is used, as by `kiln train` (it ran on cpu whatever the file said).
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(&config, format!("device = \"ndarray\"\n{text}")).expect("config");
    let run = kiln(&["bench-load", config.to_str().expect("utf-8")]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("one JSON line");
    assert!(
        report["device"]
            .as_str()
            .is_some_and(|d| d.starts_with("ndarray")),
        "{report}"
    );
}

#[test]
fn predict_writes_the_input_cells_back_exactly() {
    let dir = temp();
    let data = write(
        dir.path(),
        "train.csv",
        "x,code,y\n1,01,2\n2,02,4\n3,01,6\n4,02,8\n5,01,10\n",
    );
    let config = experiment(
        dir.path(),
        &data,
        "[data.split]\nvalid = 0.0\ntest = 0.0\n[data]\ncategorical = [\"code\"]\n",
    );
    // `[data]` twice is invalid TOML: fold the categorical line into the first table.
    let text = std::fs::read_to_string(&config)
        .expect("config")
        .replace("[data]\ncategorical = [\"code\"]\n", "")
        .replace("[data]\npath", "[data]\ncategorical = [\"code\"]\npath")
        .replace("[data.split]", "[data.split]\nstratify = false");
    std::fs::write(&config, &text).expect("config");
    let out = dir.path().join("runs");
    // One-hot levels always sum to one, like the intercept: a touch of ridge makes it solvable.
    let trained = train(
        &config,
        &out,
        &["--set", "train.solver=\"exact\"", "--set", "train.l2=1e-9"],
    );
    assert_eq!(trained.status, 0, "{}", trained.stderr);
    let input = write(dir.path(), "new.csv", "x,code\n1.50,02\n6.0,1\n");
    let output = dir.path().join("predicted.csv");
    let run = predict_to(&trained.run_dir(), &input, &output);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let written = std::fs::read_to_string(&output).expect("predictions");
    let rows: Vec<&str> = written.lines().collect();
    assert!(rows[1].starts_with("1.50,02,"), "{written}");
    assert!(rows[2].starts_with("6.0,1,"), "{written}");
    // `02` and `1` are the levels `02` and `01` of training, matched by value: y = 2x exactly.
    let predicted = predictions(&output);
    assert!((predicted[0] - 3.0).abs() < 1e-3, "{predicted:?}");
    assert!((predicted[1] - 12.0).abs() < 1e-3, "{predicted:?}");
}

/// A number column that rises by one from row to row is a row number or an id: noted, with
/// the fix, in the log and the report. A column that merely has distinct whole numbers is not.
#[test]
fn a_column_that_counts_the_rows_is_noted() {
    let dir = temp();
    let mut text = String::from("sample_id,size,y\n");
    for i in 0..20u32 {
        // `size` is distinct whole numbers too, but does not count the rows.
        text.push_str(&format!(
            "{},{},{}\n",
            i + 1,
            (i * 7) % 20,
            f64::from(i % 5) * 0.5
        ));
    }
    let data = write(dir.path(), "ids.csv", &text);
    let config = experiment(dir.path(), &data, "[train]\nsolver = \"exact\"\n");
    let run = train(&config, dir.path(), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let noted = "note: column `sample_id` counts the rows";
    assert!(run.stdout.contains(noted), "{}", run.stdout);
    assert!(run.stdout.contains("add it to data.drop"), "{}", run.stdout);
    // No split: the metrics are of the training rows, and the log says so.
    assert!(
        run.stdout.contains("no rows are held out") && run.stdout.contains("data.split.test"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("`size` counts"), "{}", run.stdout);
    let report = std::fs::read_to_string(run.run_dir().join("report.md")).expect("report.md");
    assert!(report.contains(noted), "{report}");
    let dropped = train(&config, dir.path(), &["--set", "data.drop=[\"sample_id\"]"]);
    assert!(
        !dropped.stdout.contains("counts the rows"),
        "{}",
        dropped.stdout
    );
}

/// A run's splits.csv, given back as `split.test_rows`, makes the same test split (its `split`
/// column picks the test rows; before, every row listed became a test row).
#[test]
fn splits_csv_given_back_as_test_rows_makes_the_same_test_split() {
    let out = temp();
    let config = root().join("configs/medical_diabetes_linear.toml");
    let first = train(&config, out.path(), &["--set", "data.split={test=0.3}"]);
    assert_eq!(first.status, 0, "{}", first.stderr);
    let splits = first.run_dir().join("splits.csv");
    let again = train(
        &config,
        out.path(),
        &[
            "--set",
            &format!(
                "data.split={{test_rows={:?}}}",
                splits.to_str().expect("path")
            ),
        ],
    );
    assert_eq!(again.status, 0, "{}", again.stderr);
    let read = |run: &Run| std::fs::read_to_string(run.run_dir().join("splits.csv")).expect("s");
    assert_eq!(read(&first), read(&again));
    let mse = |run: &Run| json(&run.run_dir().join("metrics.json"))["test"]["mse"].as_f64();
    let (a, b) = (mse(&first).expect("mse"), mse(&again).expect("mse"));
    assert!((a - b).abs() <= 1e-9 * a, "{a} vs {b}");
}

/// A spreadsheet in a European locale saves `;` between cells and decimal commas. With
/// `data.separator` and `data.decimal` such a file trains the very model its comma version
/// does, and the model reads and writes rows in the file's own format unless told otherwise.
#[test]
fn a_european_csv_trains_the_same_model_and_predicts_in_its_own_format() {
    let dir = temp();
    let original =
        std::fs::read_to_string(root().join("datasets/medical_diabetes_progression.csv"))
            .expect("data");
    let european_text = |lines: usize| -> String {
        let mut out = String::new();
        for (i, line) in original.lines().take(lines).enumerate() {
            let cells = line.split(',').map(|c| match i {
                0 => c.to_string(),
                _ => c.replace('.', ","),
            });
            out.push_str(&cells.collect::<Vec<_>>().join(";"));
            out.push('\n');
        }
        out
    };
    let european = write(dir.path(), "eu.csv", &european_text(usize::MAX));
    let config = std::fs::read_to_string(root().join("configs/medical_diabetes_linear.toml"))
        .expect("config")
        .replace(
            "path = \"datasets/medical_diabetes_progression.csv\"",
            &format!(
                "path = \"{}\"\nseparator = \";\"\ndecimal = \",\"",
                european.display()
            ),
        );
    let config = write(dir.path(), "eu.toml", &config);
    let out = dir.path().join("runs");
    let comma = train(
        &root().join("configs/medical_diabetes_linear.toml"),
        &out,
        &[],
    );
    let semicolon = train(&config, &out, &[]);
    assert_eq!(semicolon.status, 0, "{}", semicolon.stderr);
    assert_eq!(comma.status, 0, "{}", comma.stderr);
    let metrics = |run: &Run| {
        let all = json(&run.run_dir().join("metrics.json"));
        (all["test"].clone(), all["coefficients"].clone())
    };
    assert_eq!(metrics(&semicolon), metrics(&comma));
    let report = std::fs::read_to_string(semicolon.run_dir().join("report.md")).expect("report");
    assert!(
        report.contains("(cells separated by `;`, numbers with a decimal comma)"),
        "{report}"
    );

    // The rows come back as written, `;` between cells, the predictions with decimal commas.
    let rows = write(dir.path(), "new.csv", &european_text(4));
    let predicted = predict(semicolon.run_dir(), &rows);
    assert_eq!(predicted.status, 0, "{}", predicted.stderr);
    let lines: Vec<&str> = predicted.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "age;sex;bmi;bp;s1;s2;s3;s4;s5;s6;progression;prediction"
    );
    let plain = write(
        dir.path(),
        "plain.csv",
        &original.lines().take(4).collect::<Vec<_>>().join("\n"),
    );
    let expected = predict(comma.run_dir(), &plain);
    for (line, expected) in lines[1..].iter().zip(expected.stdout.lines().skip(1)) {
        let (cells, prediction) = line.rsplit_once(';').expect("a prediction");
        let (plain_cells, plain_prediction) = expected.rsplit_once(',').expect("a prediction");
        assert_eq!(cells, plain_cells.replace(',', ";").replace('.', ","));
        assert_eq!(prediction, plain_prediction.replace('.', ","), "{line}");
    }
    // A file saved by Excel (byte-order mark, CRLF) gets its predictions back the same way.
    let excel = write(
        dir.path(),
        "excel.csv",
        &format!("\u{feff}{}", european_text(3).replace('\n', "\r\n")),
    );
    let predicted = predict(semicolon.run_dir(), &excel);
    assert!(
        predicted.stdout.starts_with("\u{feff}age;sex;")
            && predicted.stdout.matches("\r\n").count() == 3,
        "{:?}",
        predicted.stdout
    );
    // A comma file is named as such, with the flags that read it.
    let run = semicolon.run_dir();
    eval_with(&run, &plain, &[]).assert_error(
        2,
        &["separated by commas rather than `;`", "--separator ','"],
    );
    let flagged = predict_with(&run, &plain, &["--separator", ",", "--decimal", "."]);
    assert_eq!(flagged.stdout, expected.stdout, "{}", flagged.stderr);
    predict_with(&run, &plain, &["--separator", "::"])
        .assert_error(2, &["--separator", "expected one of"]);
    // A separator kiln does not know is a config error naming the key.
    train(&config, &out, &["--set", "data.separator=\":\""])
        .assert_error(2, &["data.separator", "expected one of"]);
}

/// Thousands written with a point between digit groups (`1.169` for 1169) read as numbers a
/// thousand times too small: rows given to `predict` or `eval` that look so are warned of.
#[test]
fn predict_and_eval_warn_of_thousands_written_with_points() {
    let dir = temp();
    let rows: String = (0..30)
        .map(|i| format!("{},{}\n", 250 + i * 500, 2.5 + i as f64 * 5.0))
        .collect();
    let data = write(dir.path(), "amounts.csv", &format!("amount,y\n{rows}"));
    let config = experiment(dir.path(), &data, "[train]\nsolver = \"exact\"\n");
    let trained = train(&config, &dir.path().join("runs"), &[]);
    assert_eq!(trained.status, 0, "{}", trained.stderr);
    let new = write(
        dir.path(),
        "new.csv",
        "amount,y\n1.169,11.69\n691,6.91\n2.096,20.96\n",
    );
    let predicted = predict(trained.run_dir(), &new);
    assert_eq!(predicted.status, 0, "{}", predicted.stderr);
    assert!(
        predicted
            .stderr
            .contains("column `amount` looks like thousands written with `.`")
            && predicted.stderr.contains("If `1.169` (line 2) means 1169"),
        "{}",
        predicted.stderr
    );
    let evaluated = eval_with(trained.run_dir(), &new, &[]);
    assert_eq!(evaluated.status, 0, "{}", evaluated.stderr);
    assert!(
        evaluated.stderr.contains("looks like thousands"),
        "{}",
        evaluated.stderr
    );
}

/// A matrix product may add a row's terms in another order for another number of rows, which
/// moved a prediction in its last digit with the size of the file (the diabetes model's first
/// row: 210.74208 alone, 210.7421 among all 442): every forward pass now has the same size.
#[test]
fn a_row_predicts_the_same_alone_as_among_many() {
    let dir = temp();
    let trained = train(
        &root().join("configs/medical_diabetes_linear.toml"),
        &dir.path().join("runs"),
        &[],
    );
    assert_eq!(trained.status, 0, "{}", trained.stderr);
    let data = "datasets/medical_diabetes_progression.csv";
    let all = predict(trained.run_dir(), root().join(data));
    assert_eq!(all.status, 0, "{}", all.stderr);
    let text = std::fs::read_to_string(root().join(data)).expect("data");
    let lines: Vec<&str> = text.lines().collect();
    let predicted: Vec<&str> = all.stdout.lines().collect();
    for row in [1, 2, 300, 442] {
        let one = write(
            dir.path(),
            "one.csv",
            &format!("{}\n{}\n", lines[0], lines[row]),
        );
        let alone = predict(trained.run_dir(), &one);
        assert_eq!(
            alone.stdout.lines().nth(1),
            Some(predicted[row]),
            "row {row}"
        );
    }
}

/// A model trained on decimal commas names its number-like levels and labels so (`1,5`, `0,5`),
/// and still knows them in rows written with points; its bundle says it needs a kiln that
/// reads formats (format 2), and a DOS end-of-file mark is not written back.
#[test]
fn levels_and_labels_of_a_decimal_comma_model_are_found_in_rows_with_points() {
    let dir = temp();
    let rows: String = (0..40)
        .map(|i| {
            let code = ["1,5", "2,5", "3"][i % 3];
            let label = ["0,5", "1,5"][(i % 3 == 0) as usize];
            format!("{},{};{code};{label}\n", i % 7, i % 10)
        })
        .collect();
    let data = write(dir.path(), "eu.csv", &format!("x;code;y\n{rows}"));
    let config = experiment(
        dir.path(),
        &data,
        "[train]\nepochs = 30\n[train.optimizer]\nkind = \"adam\"\nlr = 0.1\n",
    )
    .to_path_buf();
    let text = std::fs::read_to_string(&config)
        .expect("config")
        .replace("kind = \"linear\"", "kind = \"logistic\"")
        .replace(
            "target = \"y\"",
            "target = \"y\"\nseparator = \";\"\ndecimal = \",\"\ncategorical = [\"code\"]",
        );
    std::fs::write(&config, text).expect("config");
    let trained = train(&config, &dir.path().join("runs"), &[]);
    assert_eq!(trained.status, 0, "{}", trained.stderr);
    let bundle = json(&trained.run_dir().join("model/bundle.json"));
    assert_eq!(bundle["format"], 2, "{bundle}");
    assert_eq!(
        bundle["target"]["labels"],
        serde_json::json!(["0,5", "1,5"])
    );
    let points = write(
        dir.path(),
        "points.csv",
        "x,code,y\n1.5,1.5,1.5\n2,3,0.5\x1a",
    );
    let flags = ["--separator", ",", "--decimal", "."];
    let predicted = predict_with(trained.run_dir(), &points, &flags);
    assert_eq!(predicted.status, 0, "{}", predicted.stderr);
    let lines: Vec<&str> = predicted.stdout.lines().collect();
    assert_eq!(lines[0], "x,code,y,prediction,prob_0.5,prob_1.5");
    assert!(
        lines[1].starts_with("1.5,1.5,1.5,1.5,"),
        "{}",
        predicted.stdout
    );
    assert!(lines[2].starts_with("2,3,0.5,0.5,"), "{}", predicted.stdout);
    assert!(!predicted.stdout.contains('\x1a'), "{:?}", predicted.stdout);
    let evaluated = eval_with(trained.run_dir(), &points, &flags);
    assert_eq!(evaluated.status, 0, "{}", evaluated.stderr);
    assert!(
        evaluated.stdout.contains("\"accuracy\": 1.0"),
        "{}",
        evaluated.stdout
    );
}

/// Many data sets are published without a header line (UCI's `iris.data`). With `data.columns`
/// such a file trains the very model its headed copy does; the model reads rows without a header
/// line by those names (to predict, without the target as well), writes its predictions with a
/// header line, and says in its bundle that it needs a kiln that knows such files (format 3).
#[test]
fn a_file_without_a_header_line_trains_the_same_model_by_the_names_data_columns_gives() {
    let dir = temp();
    let original =
        std::fs::read_to_string(root().join("datasets/multiclass_iris.csv")).expect("data");
    let (header, body) = original.split_once('\n').expect("a header line");
    let bare = write(dir.path(), "iris.data", body);
    let quoted: Vec<String> = header.split(',').map(|n| format!("{n:?}")).collect();
    let config = std::fs::read_to_string(root().join("configs/multiclass_iris_softmax.toml"))
        .expect("config")
        .replace(
            "path = \"datasets/multiclass_iris.csv\"",
            &format!(
                "path = \"{}\"\ncolumns = [{}]",
                bare.display(),
                quoted.join(", ")
            ),
        );
    let config = write(dir.path(), "bare.toml", &config);
    let out = dir.path().join("runs");
    let headed = train(
        &root().join("configs/multiclass_iris_softmax.toml"),
        &out,
        &[],
    );
    let named = train(&config, &out, &[]);
    assert_eq!(named.status, 0, "{}", named.stderr);
    assert_eq!(headed.status, 0, "{}", headed.stderr);
    let file = |run: &Run, name: &str| std::fs::read(run.run_dir().join(name)).expect(name);
    for same in ["metrics.json", "splits.csv", "model/weights.bpk"] {
        assert!(file(&named, same) == file(&headed, same), "{same}");
    }
    // A header line in another order, with a column data.columns lacks: the same model, its
    // inputs in data.columns' order, the extra column not read.
    let reordered: String = original
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let cells: Vec<&str> = line.split(',').collect();
            let id = if i == 0 {
                "id".to_string()
            } else {
                i.to_string()
            };
            format!(
                "{},{id},{},{},{},{}\n",
                cells[4], cells[3], cells[2], cells[1], cells[0]
            )
        })
        .collect();
    let reordered = write(dir.path(), "reordered.csv", &reordered);
    let path = format!("data.path={:?}", reordered.display().to_string());
    let shuffled = train(&config, &out, &["--set", &path]);
    assert_eq!(shuffled.status, 0, "{}", shuffled.stderr);
    for same in ["metrics.json", "model/weights.bpk"] {
        assert!(file(&shuffled, same) == file(&headed, same), "{same}");
    }
    let bundle = json(&named.run_dir().join("model/bundle.json"));
    assert_eq!(bundle["format"], 3, "{bundle}");
    let report = std::fs::read_to_string(named.run_dir().join("report.md")).expect("report");
    assert!(report.contains("columns named by data.columns"), "{report}");

    // Rows without a header line, with the target or without it, predict as headed rows do.
    let rows: Vec<&str> = body.lines().take(3).collect();
    let headed_rows = write(
        dir.path(),
        "headed.csv",
        &format!("{header}\n{}\n", rows.join("\n")),
    );
    let expected = predict(headed.run_dir(), &headed_rows);
    assert_eq!(expected.status, 0, "{}", expected.stderr);
    let full = write(dir.path(), "full.data", &format!("{}\n", rows.join("\n")));
    let predicted = predict(named.run_dir(), &full);
    assert_eq!(predicted.stdout, expected.stdout, "{}", predicted.stderr);
    let features: Vec<&str> = rows
        .iter()
        .map(|r| r.rsplit_once(',').expect("a target").0)
        .collect();
    let unlabelled = write(dir.path(), "x.data", &features.join("\n"));
    let predicted = predict(named.run_dir(), &unlabelled);
    assert_eq!(predicted.status, 0, "{}", predicted.stderr);
    // The prediction and the three probabilities, the last four cells of each line.
    let cut = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.rsplitn(5, ',').take(4).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(cut(&predicted.stdout), cut(&expected.stdout));
    // Rows with a header line are matched by name, as for any model.
    let again = predict(named.run_dir(), &headed_rows);
    assert_eq!(again.stdout, expected.stdout, "{}", again.stderr);
    let misnamed = write(
        dir.path(),
        "misnamed.csv",
        &format!("sl,sw,pl,pw\n{}\n", features.join("\n")),
    );
    predict(named.run_dir(), &misnamed).assert_error(
        2,
        &[
            "looks like column names",
            "lacks `sepal_length_cm`, which the model reads",
        ],
    );
    let evaluated = eval_with(named.run_dir(), &full, &[]);
    assert_eq!(evaluated.status, 0, "{}", evaluated.stderr);
    assert!(
        evaluated.stdout.contains("\"rows\": 3"),
        "{}",
        evaluated.stdout
    );
    // Eval needs the target: a header line without it names it, and a row without it is one
    // cell short.
    let (feature_names, _) = header.rsplit_once(',').expect("a target");
    let headed_features = write(
        dir.path(),
        "headed_x.csv",
        &format!("{feature_names}\n{}\n", features.join("\n")),
    );
    eval_with(named.run_dir(), &headed_features, &[]).assert_error(
        2,
        &["no column `species` (named by the saved model's target)"],
    );
    eval_with(named.run_dir(), &unlabelled, &[]).assert_error(
        2,
        &["line 1: expected 5 cells, one for each column the model was trained on, found 4"],
    );
    // A header line that lacks one of the names is a header without that column.
    let renamed = write(
        dir.path(),
        "renamed.csv",
        &original.replacen("sepal_length_cm", "sl", 1),
    );
    train(
        &config,
        &out,
        &[
            "--set",
            &format!("data.path={:?}", renamed.display().to_string()),
        ],
    )
    .assert_error(2, &["no column `sepal_length_cm` (named by data.columns)"]);
    // data.columns must hold the target.
    train(&config, &out, &["--set", "data.target=\"specis\""])
        .assert_error(2, &["data.target", "did you mean `species`"]);
}
