#!/usr/bin/env python3
"""The summaries `bench/gpu.sh` prints after its sections, from the `kiln bench` lines it keeps
in bench.jsonl (`<label> <json>` per line) and the PyTorch lines in results.txt:

    python3 bench/gpu_summary.py targets BENCH_JSONL RESULTS   # kiln vs PyTorch per batch
    python3 bench/gpu_summary.py epoch BENCH_JSONL             # step time and per-epoch cost
    python3 bench/gpu_summary.py variants BENCH_JSONL          # each variant vs the default
    python3 bench/gpu_summary.py split BENCH_JSONL             # split-K variants vs the whole batch
"""
import json
import sys

EPOCH_ROWS = 65536


def kiln_runs(path: str) -> dict:
    """Every kiln bench run, keyed by (label, batch)."""
    runs = {}
    for line in open(path):
        label, _, js = line.partition(" ")
        r = json.loads(js)
        runs[(label, r["batch"])] = r
    return runs


def rate(run):
    return run["samples_per_sec"] if run else None


def split_runs(runs: dict, batch: int) -> list:
    """The split-K runs at `batch`, as (rows per slice, run), by slice size."""
    found = [(int(label[len("wgsl-split"):]), r) for (label, b), r in runs.items()
             if b == batch and label.startswith("wgsl-split")]
    return sorted(found, key=lambda pair: pair[0])


def targets(bench_jsonl: str, results: str) -> None:
    kiln = kiln_runs(bench_jsonl)
    torch = {}
    for line in open(results):
        if line.startswith("{") and '"pytorch"' in line:
            r = json.loads(line)
            if r.get("device") == "cuda":
                torch[(r["fused"], r["batch"])] = r["samples_per_sec"]
    fmt = lambda v: f"{v / 1e6:.2f} M" if v else "-"
    ratio = lambda a, b: f"{a / b:.2f}x" if a and b else "-"
    print("batch | kiln wgsl | best split-K | kiln spirv | pytorch | pytorch fused | wgsl / pytorch | split / pytorch | wgsl / fused | target")
    for batch, target in ((1024, 1.0), (8192, 1.0), (65536, 0.8)):
        w, s = rate(kiln.get(("wgsl", batch))), rate(kiln.get(("spirv", batch)))
        splits = split_runs(kiln, batch)
        best = max(splits, key=lambda pair: rate(pair[1]), default=None)
        b = rate(best[1]) if best else None
        best_text = f"{fmt(b)} ({best[0]} rows)" if best else "-"
        p, f = torch.get((False, batch)), torch.get((True, batch))
        print(f"{batch} | {fmt(w)} | {best_text} | {fmt(s)} | {fmt(p)} | {fmt(f)} | {ratio(w, p)} | {ratio(b, p)} | {ratio(w, f)} | >= {target}x")


def split(bench_jsonl: str) -> None:
    runs = kiln_runs(bench_jsonl)
    for batch in (8192, 65536):
        whole = rate(runs.get(("wgsl", batch)))
        for part, run in split_runs(runs, batch):
            gain = f"{rate(run) / whole:.2f}x the whole batch" if whole else "no whole-batch run"
            print(f"batch {batch} in slices of {part}: {rate(run) / 1e6:.2f} M samples/s, {gain}, final loss {run['final_loss']:.5f}")


def epoch(bench_jsonl: str) -> None:
    runs = kiln_runs(bench_jsonl)
    for tag in ("", "-read-ahead"):
        one = runs.get(("wgsl-epoch1" + tag, EPOCH_ROWS))
        eight = runs.get(("wgsl-epoch8" + tag, EPOCH_ROWS))
        if one and eight:
            t1 = EPOCH_ROWS / one["samples_per_sec"]  # seconds per epoch of 1 step: s + o
            t8 = 8 * EPOCH_ROWS / eight["samples_per_sec"]  # seconds per epoch of 8 steps: 8 s + o
            s = (t8 - t1) / 7
            print(f"read-ahead {'on' if tag else 'off'}: step {s * 1e3:.2f} ms, per-epoch cost beyond the steps {(t1 - s) * 1e3:.2f} ms")
        for label in ("wgsl-epoch1" + tag, "wgsl-epoch8" + tag):
            run = runs.get((label, EPOCH_ROWS))
            if run:
                print(f"{label}: epoch phases (ms, medians) {run.get('epoch_ms')}")


def variants(bench_jsonl: str) -> None:
    """Each variant run against the default (`wgsl`) at its batch, measured in the same call."""
    runs = kiln_runs(bench_jsonl)
    for (label, batch), run in sorted(runs.items(), key=lambda item: (item[0][1], item[0][0])):
        if label == "wgsl" or label.startswith(("wgsl-split", "wgsl-epoch")):
            continue
        default = rate(runs.get(("wgsl", batch)))
        versus = f", {rate(run) / default:.2f}x the default" if default else ""
        print(f"batch {batch}, {label}: {rate(run) / 1e6:.2f} M samples/s{versus}")


if __name__ == "__main__":
    {"targets": targets, "epoch": epoch, "variants": variants, "split": split}[sys.argv[1]](*sys.argv[2:])
