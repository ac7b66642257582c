#!/usr/bin/env bash
# Issue 3's CPU benchmark: kiln (`kiln bench`, its real training loop) next to PyTorch
# (bench/mlp_torch.py) on the same machine, in one run, interleaved so that both see the same
# machine load. MLP 64 → 256 → 256 → 1, ReLU, Adam, MSE, shuffled batches.
# Usage: bench/cpu.sh [BATCH] [ROUNDS]   (needs a release build and bench/install-python-deps.sh)
set -euo pipefail
BATCH=${1:-1024}
ROUNDS=${2:-5}
KILN=${KILN:-target/release/kiln}
THREADS=$(nproc)
rate() { grep -o '"samples_per_sec": *[0-9.]*' | grep -o '[0-9.]*$'; }
kiln=() torch=() ndarray=()
for _ in $(seq "$ROUNDS"); do
    kiln+=("$($KILN bench --batch "$BATCH" --steps 300 | rate)")
    torch+=("$(python3 bench/mlp_torch.py --batch "$BATCH" --steps 300 --threads "$THREADS" | rate)")
    if $KILN devices 2>/dev/null | grep -q "^  ndarray"; then
        ndarray+=("$($KILN bench --batch "$BATCH" --steps 300 --device ndarray | rate)")
    fi
done
python3 - "$BATCH" "${kiln[*]}" "${torch[*]}" "${ndarray[*]:-}" <<'PY'
import statistics, sys
batch, kiln, torch, nd = sys.argv[1], *[[float(v) for v in a.split()] for a in sys.argv[2:]]
med = statistics.median
print(f"batch {batch}, {len(kiln)} interleaved rounds, samples/s (median; all rounds)")
print(f"  kiln flex : {med(kiln):>10.0f}  {' '.join(f'{v:.0f}' for v in kiln)}")
if nd:
    print(f"  kiln ndarray: {med(nd):>8.0f}  {' '.join(f'{v:.0f}' for v in nd)}")
print(f"  pytorch   : {med(torch):>10.0f}  {' '.join(f'{v:.0f}' for v in torch)}")
print(f"  kiln flex / pytorch = {med(kiln) / med(torch):.2f}x")
PY
