//! Backends: one flag switches CPU and GPU, results agree across them, and a model trained on one
//! predicts the same on another. Without a GPU the wgpu tests run on Mesa's software Vulkan
//! driver (lavapipe), which `.ci/run` installs.

use crate::common::*;

fn metrics_of(run: &Run) -> serde_json::Value {
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    json(&run.run_dir().join("metrics.json"))
}

/// Metrics that count examples on either side of the 0.5 threshold: a rounding difference can
/// move one borderline example, so they may differ by one example's worth.
const COUNTED: [&str; 4] = ["accuracy", "precision", "recall", "f1"];

/// Asserts every number in `a` is within `tolerance` (relative, with an absolute floor of
/// `tolerance` for values near zero) of the same number in `b`; counted metrics and confusion
/// matrices may differ by one example (the split's size comes from its confusion matrix).
fn assert_close(a: &serde_json::Value, b: &serde_json::Value, tolerance: f64, path: &str) {
    if let (Some(x), Some(y)) = (a.get("confusion_matrix"), b.get("confusion_matrix")) {
        let cells = |m: &serde_json::Value| -> Vec<i64> {
            m.as_array()
                .into_iter()
                .flatten()
                .flat_map(|r| r.as_array().cloned().unwrap_or_default())
                .filter_map(|v| v.as_i64())
                .collect()
        };
        let (cx, cy) = (cells(x), cells(y));
        let moved: i64 = cx.iter().zip(&cy).map(|(p, q)| (p - q).abs()).sum();
        assert!(
            moved <= 2,
            "{path}.confusion_matrix: {x} vs {y} (more than one example moved)"
        );
        let n = cx.iter().sum::<i64>().max(1) as f64;
        for key in COUNTED {
            let (p, q) = (
                a[key].as_f64().unwrap_or(0.0),
                b[key].as_f64().unwrap_or(0.0),
            );
            // One moved example shifts a ratio over at most ~n/4 examples by under 4/n.
            assert!(
                (p - q).abs() <= 4.0 / n + tolerance,
                "{path}.{key}: {p} vs {q}"
            );
        }
        for (k, v) in a.as_object().into_iter().flatten() {
            if !COUNTED.contains(&k.as_str()) && k != "confusion_matrix" {
                assert_close(v, &b[k], tolerance, &format!("{path}.{k}"));
            }
        }
        return;
    }
    match (a, b) {
        (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "keys at {path}"
            );
            for (k, v) in x {
                assert_close(v, &y[k], tolerance, &format!("{path}.{k}"));
            }
        }
        (serde_json::Value::Array(x), serde_json::Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "length at {path}");
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                assert_close(v, w, tolerance, &format!("{path}[{i}]"));
            }
        }
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => {
                let scale = x.abs().max(y.abs()).max(1.0);
                assert!(
                    (x - y).abs() <= tolerance * scale,
                    "{path}: {x} vs {y} (tolerance {tolerance})"
                );
            }
            _ => assert_eq!(a, b, "at {path}"),
        },
    }
}

#[test]
fn kiln_devices_lists_the_backends() {
    let run = kiln(&["devices"]);
    run.assert_says(&["backends compiled in: cpu"]);
    assert!(run.stdout.contains("wgpu"), "{}", run.stdout);
}

/// `auto` takes a real GPU when there is one, else the CPU backend, and says which; never a
/// software Vulkan driver (lavapipe, as in CI), which runs many times slower than `cpu`.
#[test]
fn auto_takes_a_gpu_or_the_cpu_never_a_software_driver() {
    let listed = kiln(&["devices"]).stdout;
    let has_gpu = listed.contains("DiscreteGpu") || listed.contains("IntegratedGpu");
    for software in listed.lines().filter(|l| l.contains("(Cpu;")) {
        assert!(software.contains("`auto` skips it"), "{software}");
    }
    let out = temp();
    let seed = root().join("configs/seed_linear.toml");
    let run = train(&seed, out.path(), &["--device", "auto"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let first = run.stdout.lines().next().unwrap_or_default();
    if has_gpu {
        assert!(
            first.starts_with("device: auto → wgpu"),
            "{first}\n{listed}"
        );
    } else {
        if listed.contains("(Cpu;") {
            // Asked for by name, the software adapter runs, and says what it is.
            let named = train(&seed, out.path(), &["--device", "wgpu"]);
            let line = named.stdout.lines().next().unwrap_or_default().to_string();
            assert!(line.contains("(software: runs on the CPU"), "{line}");
        }
        assert!(
            first.starts_with("device: auto → cpu")
                && first.contains("no discrete, integrated or virtual GPU"),
            "{first}\n{listed}"
        );
    }
}

/// Mesa's device-select Vulkan layer would connect to a display to order the GPUs; on a headless
/// machine (no `XDG_RUNTIME_DIR`) libwayland then prints `error: …` lines into a run that
/// succeeds. kiln turns the layer's display probe off.
#[test]
fn a_headless_machine_gets_no_display_errors() {
    let unset = [
        "XDG_RUNTIME_DIR",
        "WAYLAND_DISPLAY",
        "WAYLAND_SOCKET",
        "DISPLAY",
        "NODEVICE_SELECT",
    ];
    let run = kiln_without(&["devices"], &unset);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("wgpu"), "{}", run.stdout);
    assert!(
        !run.stderr.contains("error") && !run.stderr.contains("XDG_RUNTIME_DIR"),
        "stderr:\n{}",
        run.stderr
    );
}

#[test]
fn a_device_that_is_not_there_is_an_error_not_a_fallback() {
    let out = temp();
    let seed = root().join("configs/seed_linear.toml");
    train(&seed, out.path(), &["--device", "wgpu:7"])
        .assert_error(2, &["wgpu:7", "not available", "kiln devices"]);
    assert_eq!(
        std::fs::read_dir(out.path())
            .map(|d| d.count())
            .unwrap_or(0),
        0
    );
}

#[test]
fn wgpu_n_opens_the_adapter_kiln_devices_lists_as_n() {
    // Before, `wgpu:N` meant the N-th *discrete* GPU: `wgpu:0` failed on a machine whose one
    // adapter is integrated or software.
    let listed = kiln(&["devices"]);
    let Some(line) = listed
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("wgpu:0 "))
    else {
        return; // no Vulkan adapter on this machine: the wgpu tests above say so
    };
    let name = line.trim_start()["wgpu:0 ".len()..].trim_start();
    let name = &name[..name.find(" (").expect("a type in brackets")];
    let out = temp();
    let seed = root().join("configs/seed_linear.toml");
    let run = train(
        &seed,
        out.path(),
        &["--device", "wgpu:0", "--set", "train.epochs=3"],
    );
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(first.contains(name), "{first} should name {name}");
}

#[test]
fn the_seed_on_wgpu_matches_the_cpu() {
    let out = temp();
    let seed = root().join("configs/seed_linear.toml");
    let cpu = metrics_of(&train(&seed, out.path(), &["--device", "cpu"]));
    let gpu_run = train(&seed, out.path(), &["--device", "wgpu"]);
    assert!(
        gpu_run.stdout.contains("device: wgpu"),
        "{}",
        gpu_run.stdout
    );
    // The report names the device as the log did (the config alone may say only `auto`).
    let described = gpu_run.stdout.lines().next().expect("a first line");
    let report = std::fs::read_to_string(gpu_run.run_dir().join("report.md")).expect("report");
    let on = format!(" on {},", described.trim_start_matches("device: "));
    // (as escaped prose: a backtick in the description is shown, not a code span)
    assert!(
        report.replace("\\`", "`").contains(&on),
        "{on} in\n{report}"
    );
    let gpu = metrics_of(&gpu_run);
    // Train metrics near zero loss are dominated by rounding: compare r2 and the predictions.
    assert_close(&cpu["train"]["r2"], &gpu["train"]["r2"], 1e-4, "train.r2");
    let cpu_dir = train(&seed, out.path(), &["--device", "cpu"]).run_dir();
    let (p_cpu, p_gpu) = (
        predictions(&cpu_dir.join("predictions.csv")),
        predictions(&gpu_run.run_dir().join("predictions.csv")),
    );
    for (c, g) in p_cpu.iter().zip(&p_gpu) {
        assert!(
            (c - g).abs() <= 1e-4 * c.abs(),
            "cpu {p_cpu:?} vs wgpu {p_gpu:?}"
        );
    }
}

#[test]
fn logistic_and_mlp_metrics_on_wgpu_match_the_cpu() {
    let out = temp();
    for (config, epochs) in [
        ("configs/medical_breast_cancer_logistic.toml", "30"),
        ("configs/industrial_concrete_mlp.toml", "15"),
    ] {
        let config = root().join(config);
        let set = ["--set", &format!("train.epochs={epochs}")];
        let cpu = metrics_of(&train(
            &config,
            out.path(),
            &[&set[..], &["--device", "cpu"]].concat(),
        ));
        let gpu = metrics_of(&train(
            &config,
            out.path(),
            &[&set[..], &["--device", "wgpu"]].concat(),
        ));
        assert_close(&cpu, &gpu, 1e-3, "metrics");
    }
}

#[test]
fn a_model_trained_on_wgpu_predicts_the_same_on_the_cpu() {
    let out = temp();
    let config = root().join("configs/industrial_concrete_mlp.toml");
    let run = train(
        &config,
        out.path(),
        &["--set", "train.epochs=5", "--device", "wgpu"],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let dir = run.run_dir();
    let input = "datasets/industrial_concrete_strength.csv";
    let on_cpu = out.path().join("cpu.csv");
    let on_gpu = out.path().join("gpu.csv");
    for (device, file) in [("cpu", &on_cpu), ("wgpu", &on_gpu)] {
        let p = kiln(&[
            "predict",
            dir.to_str().expect("path"),
            "--input",
            input,
            "--output",
            file.to_str().expect("path"),
            "--device",
            device,
        ]);
        assert_eq!(p.status, 0, "{}", p.stderr);
    }
    let (c, g) = (predictions(&on_cpu), predictions(&on_gpu));
    assert_eq!(c.len(), 1030);
    for (x, y) in c.iter().zip(&g) {
        assert!(
            (x - y).abs() <= 1e-5 * x.abs().max(1.0),
            "cpu {x} vs wgpu {y}"
        );
    }
}

#[test]
fn ndarray_is_selectable_and_agrees_with_flex() {
    let out = temp();
    let seed = root().join("configs/seed_linear.toml");
    let flex = metrics_of(&train(&seed, out.path(), &["--set", "train.epochs=100"]));
    let ndarray = metrics_of(&train(
        &seed,
        out.path(),
        &["--set", "train.epochs=100", "--device", "ndarray"],
    ));
    assert_close(&flex, &ndarray, 1e-4, "metrics");
}

/// `kiln bench`'s JSON line, parsed, for batches of 32 rows of 64.
fn bench(args: &[&str]) -> serde_json::Value {
    bench_sized(32, 64, args)
}

/// `kiln bench`'s JSON line, parsed: 4 steps of `batch` rows of `rows`.
fn bench_sized(batch: usize, rows: usize, args: &[&str]) -> serde_json::Value {
    let (batch, rows) = (batch.to_string(), rows.to_string());
    let run = kiln(
        &[
            &["bench", "--batch", &batch, "--rows", &rows, "--steps", "4"][..],
            args,
        ]
        .concat(),
    );
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    serde_json::from_str(run.stdout.trim()).expect("one JSON line")
}

/// Every epoch's loss in `report` within `tolerance` (relative, of at least 1) of `reference`'s.
fn assert_same_losses(
    reference: &serde_json::Value,
    report: &serde_json::Value,
    tolerance: f64,
    what: &str,
) {
    let (expected, got) = (epoch_losses(reference), epoch_losses(report));
    assert_eq!(got.len(), expected.len(), "{what}: {report}");
    for (epoch, (a, b)) in expected.iter().zip(&got).enumerate() {
        assert!(
            (a - b).abs() <= tolerance * a.abs().max(1.0),
            "{what}: epoch {} loss {b} vs {a}",
            epoch + 1
        );
    }
}

fn epoch_losses(report: &serde_json::Value) -> Vec<f64> {
    report["epoch_losses"]
        .as_array()
        .expect("epoch_losses")
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect()
}

#[test]
fn the_benchmark_starts_from_the_same_weights_on_every_device() {
    let cpu = bench(&["--device", "cpu", "--no-shuffle"]);
    // Two steps an epoch: one warm-up epoch, then two timed ones.
    assert_eq!(cpu["timed_steps"], 4, "{cpu}");
    assert!(
        cpu["samples_per_sec"].as_f64().expect("rate") > 0.0,
        "{cpu}"
    );
    assert_eq!(epoch_losses(&cpu).len(), 3, "{cpu}");
    assert_eq!(cpu["split_rows"], serde_json::Value::Null, "{cpu}");
    // The first loss is the starting weights' (no step taken yet): with weights drawn on the
    // GPU's own generator it differed by about 1 % from run to run.
    for args in [
        &["--device", "wgpu", "--no-shuffle"][..],
        &["--device", "cpu", "--no-shuffle", "--split-rows", "8"][..],
    ] {
        assert_same_losses(&cpu, &bench(args), 1e-5, &format!("{args:?}"));
    }
    // Settings the bench cannot honour are refused, not quietly changed.
    for (args, fragment) in [
        (
            &["--rows", "10", "--batch", "100"][..],
            "--rows (10) must be at least --batch (100)",
        ),
        (
            &["--split-rows", "0"][..],
            "--split-rows 0 must divide --batch",
        ),
        (
            &["--batch", "32", "--split-rows", "32"][..],
            "into two or more equal slices",
        ),
        (
            &["--split-rows", "8", "--whole-batch"][..],
            "cannot be used with",
        ),
    ] {
        kiln(&[&["bench"][..], args].concat()).assert_error(2, &[fragment]);
    }
}

/// From 4096 rows, a batch's bias gradients and mean loss are summed in two passes (1.19× the
/// samples per second at batch 65,536 on the H200): training gives the one-pass sums' losses,
/// on the CPU and on wgpu.
#[test]
fn staged_sums_train_as_one_pass_sums_do() {
    let bench = |args: &[&str]| bench_sized(4096, 8192, &[&["--no-shuffle"][..], args].concat());
    let one_pass = bench(&["--device", "cpu", "--one-pass-sums"]);
    assert_eq!(one_pass["one_pass_sums"], true, "{one_pass}");
    assert_eq!(epoch_losses(&one_pass).len(), 3, "{one_pass}");
    for device in ["cpu", "wgpu"] {
        let staged = bench(&["--device", device]);
        assert_eq!(staged["one_pass_sums"], false, "{staged}");
        assert_same_losses(&one_pass, &staged, 1e-4, device);
    }
}

/// `KILN_DEVICE` names the device when `--device` does not: a blank one is no request, and a
/// name it gives that kiln lacks is said to come from it (the command line shows none).
#[test]
fn the_device_variable_is_named_when_wrong_and_ignored_when_blank() {
    let dir = temp();
    let config = root().join("configs/seed_linear_exact.toml");
    let out = dir.path().to_str().expect("utf-8");
    let args = ["train", config.to_str().expect("utf-8"), "--out", out];
    let blank = kiln_env(&args, &[], &[("KILN_DEVICE", " ")]);
    assert_eq!(blank.status, 0, "{}", blank.stderr);
    assert!(blank.stdout.contains("device: cpu"), "{}", blank.stdout);
    kiln_env(&args, &[], &[("KILN_DEVICE", "banana")]).assert_error(
        2,
        &[
            "unknown device `banana`",
            "(the device came from KILN_DEVICE)",
        ],
    );
    // `--device`, and `--set device=…`, win over the variable.
    for given in [&["--device", "cpu"][..], &["--set", "device=\"cpu\""]] {
        let flag = kiln_env(
            &[&args[..], given].concat(),
            &[],
            &[("KILN_DEVICE", "banana")],
        );
        assert_eq!(flag.status, 0, "{given:?}: {}", flag.stderr);
    }
    let rows = write(dir.path(), "rows.csv", "x\n6\n");
    let predicted = kiln_env(
        &[
            "predict",
            blank.run_dir().to_str().expect("utf-8"),
            "--input",
            rows.to_str().expect("utf-8"),
        ],
        &[],
        &[("KILN_DEVICE", "")],
    );
    assert_eq!(predicted.status, 0, "{}", predicted.stderr);
}

/// A Vulkan driver variable that names a missing file hides every installed driver: `kiln
/// devices` says so, rather than listing the installed ones as if the loader used them.
#[test]
fn a_driver_variable_naming_a_missing_file_is_named() {
    let run = kiln_env(
        &["devices"],
        &["VK_DRIVER_FILES"],
        &[("VK_ICD_FILENAMES", "/nonexistent/icd.json")],
    );
    run.assert_says(&[
        "wgpu     Vulkan adapters: 0",
        "VK_ICD_FILENAMES=/nonexistent/icd.json: MISSING /nonexistent/icd.json; the \
                 Vulkan loader reads only the files this variable names",
    ]);
}
