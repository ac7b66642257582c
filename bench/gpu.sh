#!/usr/bin/env bash
# The real-GPU check of issue 5, run on the lent NVIDIA H200 from the repository root. Built here
# and carried there (.device/, with the Vulkan loader debs in .gl/):
#   .device/kiln.xz         `--features "kiln-cli/wgpu kiln-cli/ndarray"`: WGSL kernels (the default GPU build)
#   .device/kiln-spirv.xz   `--features kiln-cli/vulkan` (optional): the same kernels as SPIR-V
# each stripped and xz'd (`just gpu-binary`, `just gpu-binary-spirv`). `bash bench/gpu.sh [SECTION...]` runs the named
# sections (default: all, most important first, so a run cut short still answers the targets):
#   throughput variants products parity epoch split profiles memory autotune cpu
# Everything lands under $OUT (results.txt, bench.jsonl, profiles.txt, devices.txt).
# On 2026-11-29 `throughput variants products parity profiles epoch memory` took 262 s of one
# device call (plus about 30 s to start the machine), with carry [".gl", ".device"]. Run `epoch`
# before `profiles`: that day's file-order runs, made after the profiled ones, ran at half the
# speed of the same runs an hour earlier, unexplained (bench/README.md, "Next on the GPU").
set -u
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
R=$OUT/results.txt
log() { echo "== $*" | tee -a "$R"; }
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
export XDG_RUNTIME_DIR=/tmp/xdg; mkdir -p -m 700 $XDG_RUNTIME_DIR
export PYTHONUNBUFFERED=1
xz -dc .device/kiln.xz > /tmp/kiln && chmod +x /tmp/kiln
K=/tmp/kiln
S=
if [ -f .device/kiln-spirv.xz ]; then
    xz -dc .device/kiln-spirv.xz > /tmp/kiln-spirv && chmod +x /tmp/kiln-spirv && S=/tmp/kiln-spirv
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee -a "$R"
$K devices > "$OUT/devices.txt" 2>&1
if ! grep -q "DiscreteGpu" "$OUT/devices.txt"; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
    $K devices > "$OUT/devices.txt" 2>&1
fi
cat "$OUT/devices.txt" >> "$R"

# How busy the GPU is while a command runs: nvidia-smi samples utilization.gpu (the share of
# time a kernel was running) every 100 ms; the mean over the second half of the samples (the
# timed steps, after compilation and autotuning) says whether the GPU waits on the CPU.
util_start() {
    command -v nvidia-smi > /dev/null || return 0
    nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 100 > /tmp/util.csv 2> /dev/null &
    UTIL_PID=$!
}
util_stop() {
    [ -n "${UTIL_PID:-}" ] || return 0
    kill "$UTIL_PID" 2> /dev/null; wait "$UTIL_PID" 2> /dev/null; UTIL_PID=
    awk '{v[NR] = $1} END {h = int(NR / 2); for (i = h + 1; i <= NR; i++) {s += v[i]; n++}
        if (n) printf "  gpu busy %.0f%% (second half of %d samples)\n", s / n, NR}' /tmp/util.csv | tee -a "$R"
}

# One kiln bench run: its JSON line goes to results.txt and bench.jsonl, tagged with `label`.
bench() {
    local label=$1 limit=$2; shift 2
    local line
    util_start
    line=$(timeout "$limit" "$@" 2>>"$R" | tail -1)
    if [ -n "$line" ]; then
        echo "$label $line" | tee -a "$R" >> "$OUT/bench.jsonl"
    else
        echo "$label FAILED or timed out: $*" | tee -a "$R"
    fi
    util_stop
}
torch() {
    util_start
    python3 bench/mlp_torch.py --device cuda "$@" >> "$R" 2>&1
    util_stop
}

throughput() {
log "MLP 64-256-256-1 training throughput (shuffled, Adam), kiln wgpu vs PyTorch CUDA; at 65536 (4096-row slices by default) also other slices (--split-rows N)"
for spec in 1024:65536:400:- 8192:262144:200:- 65536:524288:100:2048,8192; do
    IFS=: read -r batch rows steps parts <<< "$spec"
    bench "wgsl" 240 $K bench --device wgpu --batch "$batch" --rows "$rows" --steps "$steps"
    for part in ${parts//[,-]/ }; do
        bench "wgsl-split$part" 150 $K bench --device wgpu --batch "$batch" --rows "$rows" --steps "$steps" --split-rows "$part"
    done
    torch --batch "$batch" --rows "$rows" --steps "$steps"
    torch --batch "$batch" --rows "$rows" --steps "$steps" --fused
    [ -n "$S" ] && bench "spirv" 240 $S bench --device wgpu --batch "$batch" --rows "$rows" --steps "$steps"
done
# The targets at a glance: kiln (default, and its best split-K variant) against PyTorch plain and fused.
python3 bench/gpu_summary.py targets "$OUT/bench.jsonl" "$R" >> "$R"
}

parity() {
log "seed experiment on wgpu and cpu (whole process; the first wgpu run compiles shaders)"
TIMEFORMAT="wall %R s"
{ time $K train configs/seed_linear.toml --device wgpu --out /tmp/runs; } >> "$R" 2>&1
{ time $K train configs/seed_linear.toml --device wgpu --out /tmp/runs >/dev/null; } >> "$R" 2>&1
{ time $K train configs/seed_linear.toml --device cpu --out /tmp/runs >/dev/null; } >> "$R" 2>&1

log "parity: metrics.json on cpu vs wgpu"
for spec in seed_linear.toml:1000 medical_breast_cancer_logistic.toml:200 industrial_concrete_mlp.toml:400; do
    cfg=${spec%%:*}; epochs=${spec##*:}
    for dev in cpu wgpu; do
        $K train configs/$cfg --device $dev --set train.epochs=$epochs --out /tmp/parity-$dev > /tmp/parity-$dev-$cfg.log 2>&1 \
            || { echo "FAILED $cfg on $dev"; tail -5 /tmp/parity-$dev-$cfg.log; } >> "$R"
    done
    python3 - "$cfg" >> "$R" <<'PY'
import glob, json, sys
name = sys.argv[1]
def load(dev):
    runs = sorted(glob.glob(f"/tmp/parity-{dev}/*/metrics.json"))
    return json.load(open(runs[-1]))
cpu, gpu = load("cpu"), load("wgpu")
worst = 0.0
def walk(a, b):
    global worst
    if isinstance(a, dict):
        for k in a: walk(a[k], b[k])
    elif isinstance(a, list):
        for x, y in zip(a, b): walk(x, y)
    elif isinstance(a, (int, float)):
        worst = max(worst, abs(a - b) / max(abs(a), abs(b), 1.0))
walk(cpu, gpu)
print(f"{name}: largest relative difference cpu vs wgpu = {worst:.2e}; test cpu={cpu.get('test', cpu.get('train'))}")
PY
    rm -rf /tmp/parity-cpu /tmp/parity-wgpu
done

log "train on wgpu, predict on cpu and on wgpu"
$K train configs/industrial_concrete_mlp.toml --device wgpu --set train.epochs=20 --out /tmp/x > /tmp/x.log 2>&1
run=$(tail -1 /tmp/x.log | sed 's/^run: //')
$K predict "$run" --input datasets/industrial_concrete_strength.csv --device cpu --output /tmp/p-cpu.csv
$K predict "$run" --input datasets/industrial_concrete_strength.csv --device wgpu --output /tmp/p-gpu.csv
python3 - >> "$R" <<'PY'
import csv
a = [float(r["prediction"]) for r in csv.DictReader(open("/tmp/p-cpu.csv"))]
b = [float(r["prediction"]) for r in csv.DictReader(open("/tmp/p-gpu.csv"))]
print(f"{len(a)} rows; largest |cpu - wgpu| = {max(abs(x - y) for x, y in zip(a, b)):.2e}")
PY
}

split() {
log "split-K sweep (kiln bench --split-rows N) around the sizes throughput ran"
for spec in 8192:262144:200:1024,2048 65536:524288:100:1024,2048,16384; do
    IFS=: read -r batch rows steps parts <<< "$spec"
    for part in ${parts//,/ }; do
        bench "wgsl-split$part" 150 $K bench --device wgpu --batch "$batch" --rows "$rows" --steps "$steps" --split-rows "$part"
    done
done
python3 bench/gpu_summary.py split "$OUT/bench.jsonl" >> "$R"
}

epoch() {
log "step time and per-epoch cost at 65536, file order: 1 step per epoch vs 8; each read at once (default) and with the next epoch issued before the read-back (--read-ahead)"
for mode in "" "--read-ahead"; do
    tag=${mode:+-read-ahead}
    bench "wgsl-epoch1$tag" 120 $K bench --device wgpu --batch 65536 --rows 65536 --steps 40 --no-shuffle $mode
    bench "wgsl-epoch8$tag" 120 $K bench --device wgpu --batch 65536 --rows 524288 --steps 96 --no-shuffle $mode
done
python3 bench/gpu_summary.py epoch "$OUT/bench.jsonl" >> "$R"
}

variants() {
log "what each default buys: the other choice, one at a time (whole batches, one-pass sums, read-ahead, 512 kernels per driver submission)"
for spec in 1024:65536:400:read-ahead 8192:262144:200:one-pass-sums,read-ahead 65536:524288:100:whole-batch,one-pass-sums,read-ahead; do
    IFS=: read -r batch rows steps flags <<< "$spec"
    for flag in ${flags//,/ }; do
        bench "wgsl-$flag" 150 $K bench --device wgpu --batch "$batch" --rows "$rows" --steps "$steps" "--$flag"
    done
done
for spec in 1024:65536:400 8192:262144:200; do
    IFS=: read -r batch rows steps <<< "$spec"
    CUBECL_WGPU_MAX_TASKS=512 bench "wgsl-tasks512" 150 $K bench --device wgpu --batch "$batch" --rows "$rows" --steps "$steps"
done
python3 bench/gpu_summary.py variants "$OUT/bench.jsonl" >> "$R"
}

autotune() {
log "autotune at the extensive level, cache off (CUBECL_AUTOTUNE_LEVEL=extensive), 65536"
CUBECL_AUTOTUNE_LEVEL=extensive CUBECL_AUTOTUNE_CACHE=false bench "wgsl-extensive" 200 $K bench --device wgpu --batch 65536 --rows 524288 --steps 100
}

profiles() {
log "per-kernel GPU time (CUBECL_DEBUG_OPTION=profile; autotune cache warm from the runs above)"
profile() {
    local name=$1; shift
    rm -f /tmp/prof.log
    CUBECL_DEBUG_OPTION=profile CUBECL_DEBUG_LOG=/tmp/prof.log timeout 150 "$@" > /dev/null 2>&1
    { echo "--- $name: $*"; python3 bench/profile_summary.py /tmp/prof.log --steps 6 --top 20; } >> "$OUT/profiles.txt" 2>&1
}
# 6 steps in all: 2 epochs of 3 (one warm-up, one timed).
profile "65536 whole" $K bench --device wgpu --batch 65536 --rows 196608 --steps 3
profile "65536 split 4096" $K bench --device wgpu --batch 65536 --rows 196608 --steps 3 --split-rows 4096
profile "8192 whole" $K bench --device wgpu --batch 8192 --rows 24576 --steps 3
[ -n "$S" ] && profile "65536 whole, SPIR-V" $S bench --device wgpu --batch 65536 --rows 196608 --steps 3
cat "$OUT/profiles.txt" >> "$R"
}

products() {
log "the five large products of one step, each alone: kiln on wgpu (default autotune, then extensive) against cuBLAS"
for rows in 8192 65536; do
    timeout 120 $K bench --device wgpu --products --batch $rows >> "$R" 2>&1
    python3 bench/matmul_torch.py --device cuda --rows $rows >> "$R" 2>&1
done
CUBECL_AUTOTUNE_LEVEL=extensive CUBECL_AUTOTUNE_CACHE=false timeout 150 $K bench --device wgpu --products --batch 65536 >> "$R" 2>&1
}

memory() {
log "GPU memory pages over 12 full-batch epochs at 65536 (cubecl memory log)"
mkdir -p /tmp/memlog && (
    cd /tmp/memlog && rm -f mem.log && printf '[memory.logger]\nlevel = "full"\nfile = "/tmp/memlog/mem.log"\n' > cubecl.toml
    timeout 120 $K bench --device wgpu --batch 65536 --rows 65536 --steps 11 --no-shuffle > /dev/null 2>&1
    echo "distinct main-memory pages: $(grep -o 'StorageId([0-9]*)' mem.log | sort -u | wc -l); reservations logged: $(grep -c 'Reserved memory' mem.log)"
    grep "Total bytes reserved" mem.log | tail -1
) >> "$R" 2>&1
}

cpu() {
log "the same MLP on this machine's CPU, batch 1024 (kiln flex vs PyTorch CPU)"
for round in 1 2; do
    bench "cpu" 120 $K bench --device cpu --batch 1024 --steps 300
    python3 bench/mlp_torch.py --device cpu --batch 1024 --steps 300 >> "$R" 2>&1
done
}

SECONDS=0
for section in "${@:-throughput variants products parity epoch split profiles memory autotune cpu}"; do
    for name in $section; do
        "$name"
        log "$name done at ${SECONDS} s"
    done
done
