"""Runs every vertical experiment in configs/ and prints a Markdown table of kiln's test metrics
next to the scikit-learn reference on the same test rows (datasets/REFERENCE.md).

    python3 bench/verticals.py [path/to/kiln]
"""
import json
import re
import subprocess
import sys
import tempfile

KILN = sys.argv[1] if len(sys.argv) > 1 else "target/release/kiln"
# config, data set name in REFERENCE.md, reference model to compare with, metrics to show
EXPERIMENTS = [
    ("finance_german_credit_logistic", "finance_german_credit", "logreg_l2", ["accuracy", "f1", "roc_auc", "log_loss"]),
    ("medical_breast_cancer_logistic", "medical_breast_cancer", "logreg_l2", ["accuracy", "f1", "roc_auc", "log_loss"]),
    ("medical_heart_disease_logistic", "medical_heart_disease", "logreg_l2", ["accuracy", "f1", "roc_auc", "log_loss"]),
    ("medical_diabetes_linear", "medical_diabetes_progression", "ols", ["r2", "rmse", "mae"]),
    ("education_student_logistic", "education_student_performance", "logreg_l2", ["accuracy", "f1", "roc_auc", "log_loss"]),
    ("industrial_machine_failure_mlp", "industrial_machine_failure", "mlp", ["f1", "roc_auc", "pr_auc", "accuracy"]),
    ("industrial_concrete_mlp", "industrial_concrete_strength", "mlp", ["r2", "rmse", "mae"]),
    ("multiclass_iris_softmax", "multiclass_iris", "logreg_l2", ["accuracy", "f1", "roc_auc", "log_loss"]),
    ("multiclass_penguins_softmax", "multiclass_penguins", "logreg_l2", ["accuracy", "f1", "roc_auc", "log_loss"]),
]
COLUMNS = ["accuracy", "f1", "roc_auc", "log_loss", "r2", "rmse", "mae"]


def reference():
    table = {}
    for line in open("datasets/REFERENCE.md"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 10 and cells[0] and not cells[0].startswith("-") and cells[0] != "data set":
            table[(cells[0], cells[2])] = {k: v for k, v in zip(COLUMNS, cells[3:]) if v}
    return table


def main():
    ref = reference()
    print("| experiment | model | kiln (test rows) | reference (scikit-learn, same rows) |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as out:
        for config, dataset, ref_model, keys in EXPERIMENTS:
            run = subprocess.run([KILN, "train", f"configs/{config}.toml", "--out", out],
                                 capture_output=True, text=True)
            if run.returncode != 0:
                print(f"| {config} | failed: {run.stderr.strip()} | | |")
                continue
            run_dir = run.stdout.strip().splitlines()[-1].removeprefix("run: ")
            test = json.load(open(f"{run_dir}/metrics.json"))["test"]
            model = re.search(r'kind = "(\w+)"', open(f"configs/{config}.toml").read()).group(1)
            ours = ", ".join(f"{k} {test[k]:.4f}" for k in keys if test.get(k) is not None)
            theirs = ", ".join(f"{k} {ref[(dataset, ref_model)].get(k, '–')}" for k in keys if k != "pr_auc")
            print(f"| `{config}` | {model} | {ours} | {ref_model}: {theirs} |")


if __name__ == "__main__":
    main()
