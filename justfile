# The everyday commands. `just ci` runs exactly what CI runs.

features := "kiln-cli/wgpu kiln-cli/ndarray"

# Train the seed experiment on the CPU.
run config="configs/seed_linear.toml":
    cargo run --release -- train {{config}}

# Every test: unit, end-to-end, and the wgpu tests on whatever Vulkan driver is present.
test:
    cargo test --release --workspace --features "{{features}}"

# Format, lint and test, as CI does (installs the Vulkan driver when run as root).
ci:
    bash .ci/run

fmt:
    cargo fmt --all

# The binary `bench/gpu.sh` runs on a lent GPU machine, stripped and xz'd into .device/ (WGSL
# kernels, the default GPU build; a minute or two when `just test` has built it).
gpu-binary:
    mkdir -p .device
    cargo build --release --features "{{features}}"
    strip -o /tmp/kiln-wgsl target/release/kiln && xz -T2 -6 -c /tmp/kiln-wgsl > .device/kiln.xz

# Optional: the SPIR-V trial build `bench/gpu.sh` measures too when present (its own target
# directory, a second full Burn build: about 45 minutes cold on 2 cores).
gpu-binary-spirv:
    mkdir -p .device
    cargo build --release -p kiln-cli --features vulkan --target-dir target-vulkan
    strip -o /tmp/kiln-spirv target-vulkan/release/kiln && xz -T2 -6 -c /tmp/kiln-spirv > .device/kiln-spirv.xz
