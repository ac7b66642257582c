#!/usr/bin/env bash
# The real-GPU check of issue 5, run on the lent NVIDIA H200 from the repository root:
# kiln (built here with `--features wgpu`, stripped, xz'd to .device/kiln.xz) and the Vulkan
# loader (.gl/*.deb) are carried there. It writes everything it measures under $OUT.
set -u
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
log() { echo "== $*" | tee -a "$OUT/results.txt"; }
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
export XDG_RUNTIME_DIR=/tmp/xdg; mkdir -p -m 700 $XDG_RUNTIME_DIR
xz -dc .device/kiln.xz > /tmp/kiln && chmod +x /tmp/kiln
K=/tmp/kiln
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee -a "$OUT/results.txt"
$K devices > "$OUT/devices.txt" 2>&1
if ! grep -q "DiscreteGpu" "$OUT/devices.txt"; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
    $K devices > "$OUT/devices.txt" 2>&1
fi
cat "$OUT/devices.txt" >> "$OUT/results.txt"

TIMEFORMAT="wall %R s"
log "seed experiment on wgpu (whole process; the first run compiles shaders)"
{ time $K train configs/seed_linear.toml --device wgpu --out /tmp/runs; } >> "$OUT/results.txt" 2>&1
{ time $K train configs/seed_linear.toml --device wgpu --out /tmp/runs >/dev/null; } >> "$OUT/results.txt" 2>&1
log "seed experiment on cpu (whole process)"
{ time $K train configs/seed_linear.toml --device cpu --out /tmp/runs; } >> "$OUT/results.txt" 2>&1

log "parity: metrics.json on cpu vs wgpu"
for spec in seed_linear.toml:1000 medical_breast_cancer_logistic.toml:200 industrial_concrete_mlp.toml:400; do
    cfg=${spec%%:*}; epochs=${spec##*:}
    for dev in cpu wgpu; do
        $K train configs/$cfg --device $dev --set train.epochs=$epochs --out /tmp/parity-$dev > /tmp/parity-$dev-$cfg.log 2>&1 \
            || { echo "FAILED $cfg on $dev"; tail -5 /tmp/parity-$dev-$cfg.log; } >> "$OUT/results.txt"
    done
    python3 - "$cfg" >> "$OUT/results.txt" <<'PY'
import glob, json, sys
name = sys.argv[1]
def load(dev):
    runs = sorted(glob.glob(f"/tmp/parity-{dev}/*/metrics.json"))
    return json.load(open(runs[-1]))
cpu, gpu = load("cpu"), load("wgpu")
worst = 0.0
def walk(a, b, path):
    global worst
    if isinstance(a, dict):
        for k in a: walk(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)): walk(x, y, f"{path}[{i}]")
    elif isinstance(a, (int, float)):
        rel = abs(a - b) / max(abs(a), abs(b), 1.0)
        worst = max(worst, rel)
walk(cpu, gpu, "")
print(f"{name}: largest relative difference cpu vs wgpu = {worst:.2e}; test cpu={cpu.get('test', cpu.get('train'))}")
PY
    rm -rf /tmp/parity-cpu /tmp/parity-wgpu
done

log "train on wgpu, predict on cpu and on wgpu"
$K train configs/industrial_concrete_mlp.toml --device wgpu --set train.epochs=20 --out /tmp/x > /tmp/x.log 2>&1
run=$(tail -1 /tmp/x.log | sed 's/^run: //')
$K predict "$run" --input datasets/industrial_concrete_strength.csv --device cpu --output /tmp/p-cpu.csv
$K predict "$run" --input datasets/industrial_concrete_strength.csv --device wgpu --output /tmp/p-gpu.csv
python3 - >> "$OUT/results.txt" <<'PY'
import csv
a = [float(r["prediction"]) for r in csv.DictReader(open("/tmp/p-cpu.csv"))]
b = [float(r["prediction"]) for r in csv.DictReader(open("/tmp/p-gpu.csv"))]
print(f"{len(a)} rows; largest |cpu - wgpu| = {max(abs(x - y) for x, y in zip(a, b)):.2e}")
PY

log "MLP 64-256-256-1 training throughput, kiln wgpu vs PyTorch CUDA (same run)"
for spec in 1024:65536:400 8192:262144:200 65536:524288:100; do
    IFS=: read -r batch rows steps <<< "$spec"
    timeout 240 $K bench --device wgpu --batch "$batch" --rows "$rows" --steps "$steps" >> "$OUT/results.txt" 2>&1 || echo "kiln bench $batch failed/timed out" >> "$OUT/results.txt"
    python3 bench/mlp_torch.py --device cuda --batch "$batch" --rows "$rows" --steps "$steps" >> "$OUT/results.txt" 2>&1
    python3 bench/mlp_torch.py --device cuda --batch "$batch" --rows "$rows" --steps "$steps" --fused >> "$OUT/results.txt" 2>&1
done
log "experiment: split-K weight gradients (kiln bench --split-rows N), against the runs above"
# At 65536 rows the weight gradient of a 256x256 layer is one product with K = 65536 and only a
# few output tiles; slices of N rows make it a batched product summed afterwards.
for spec in 8192:262144:200 65536:524288:100; do
    IFS=: read -r batch rows steps <<< "$spec"
    for part in 1024 4096; do
        timeout 150 $K bench --device wgpu --batch "$batch" --rows "$rows" --steps "$steps" --split-rows "$part" >> "$OUT/results.txt" 2>&1 || echo "kiln bench $batch split $part failed/timed out" >> "$OUT/results.txt"
    done
done
log "the same MLP on this machine's CPU, batch 1024 (kiln flex vs PyTorch CPU)"
for round in 1 2 3; do
    timeout 120 $K bench --device cpu --batch 1024 --steps 300 >> "$OUT/results.txt" 2>&1
    python3 bench/mlp_torch.py --device cpu --batch 1024 --steps 300 >> "$OUT/results.txt" 2>&1
done
log "done"
