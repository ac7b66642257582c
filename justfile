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
