#!/usr/bin/env bash
# Issue 4's loading benchmark: a generated 1,000,000-row, 20-column CSV (bench/gen_load_csv.py)
# read into training-ready tensors by kiln (`kiln bench-load bench/load.toml`: types, missing
# cells, stratified split, scaling and one-hot fitted on the training rows, tensors) and into
# float32 arrays by pandas `read_csv` + scikit-learn (bench/load_pandas.py), interleaved so that
# both see the same machine load. Peak memory is each process's own high-water mark.
# Usage: bench/load.sh [ROUNDS]   (needs a release build and bench/install-python-deps.sh)
set -euo pipefail
ROUNDS=${1:-3}
KILN=${KILN:-target/release/kiln}
CSV=bench/data/load1m.csv
[ -f "$CSV" ] || { mkdir -p bench/data && python3 bench/gen_load_csv.py "$CSV" --rows 1000000; }
kiln=() pandas=()
for _ in $(seq "$ROUNDS"); do
    kiln+=("$($KILN bench-load bench/load.toml)")
    pandas+=("$(python3 bench/load_pandas.py "$CSV")")
done
python3 - "$(printf '%s\n' "${kiln[@]}")" "$(printf '%s\n' "${pandas[@]}")" <<'PY'
import json, statistics, sys
kiln = [json.loads(l) for l in sys.argv[1].splitlines()]
pandas = [json.loads(l) for l in sys.argv[2].splitlines()]
size = kiln[0]["csv_bytes"]
def show(name, runs):
    rate = statistics.median(r["rows_per_sec"] for r in runs)
    peak = max(r["peak_rss_bytes"] for r in runs)
    secs = " ".join(f"{r['seconds']:.2f}" for r in runs)
    print(f"  {name:<15} {rate:>9.0f} rows/s (median; seconds {secs}), "
          f"peak RSS {peak / 2**20:.0f} MiB = {peak / size:.2f}x the CSV")
    return rate
print(f"{kiln[0]['rows']} rows, {size / 2**20:.0f} MiB CSV, {kiln[0]['inputs']} model inputs, "
      f"{len(kiln)} interleaved rounds")
k = show("kiln", kiln)
p = show("pandas+sklearn", pandas)
print(f"  kiln / pandas+sklearn = {k / p:.2f}x rows per second")
PY
