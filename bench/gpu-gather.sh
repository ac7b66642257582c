#!/usr/bin/env bash
# Where does the GPU step time go at large batches? The MLP benchmark with shuffled batches
# (gathered by index every step) against contiguous slices, on the lent H200.
set -u
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
export XDG_RUNTIME_DIR=/tmp/xdg; mkdir -p -m 700 $XDG_RUNTIME_DIR
xz -dc .device/kiln.xz > /tmp/kiln && chmod +x /tmp/kiln
for spec in 1024:65536:400 8192:262144:200 65536:524288:100; do
    IFS=: read -r batch rows steps <<< "$spec"
    for flag in "" "--no-shuffle"; do
        timeout 150 /tmp/kiln bench --device wgpu --batch "$batch" --rows "$rows" --steps "$steps" $flag >> "$OUT/results.txt" 2>&1
    done
done
timeout 100 /tmp/kiln bench --device wgpu --batch 65536 --rows 65536 --steps 100 >> "$OUT/results.txt" 2>&1
cat "$OUT/results.txt"
