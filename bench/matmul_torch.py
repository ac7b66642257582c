"""PyTorch twin of `cargo run --release --example matmul_shapes`: the five large matrix products
of one step of the benchmark MLP (batch 1024), timed alone on the CPU."""
import time

import torch

torch.set_num_threads(torch.get_num_threads())
x, w1, w2 = torch.randn(1024, 64), torch.randn(64, 256), torch.randn(256, 256)
a1, dz = torch.randn(1024, 256), torch.randn(1024, 256)
products = [
    ("forward  x·W1      1024×64·64×256", lambda: x @ w1),
    ("forward  a1·W2     1024×256·256×256", lambda: a1 @ w2),
    ("backward a1ᵀ·dz    256×1024·1024×256", lambda: a1.t() @ dz),
    ("backward dz·W2ᵀ    1024×256·256×256", lambda: dz @ w2.t()),
    ("backward xᵀ·dz     64×1024·1024×256", lambda: x.t() @ dz),
]
total = 0.0
for name, product in products:
    for _ in range(20):
        product()
    started = time.perf_counter()
    for _ in range(300):
        product()
    ms = (time.perf_counter() - started) / 300 * 1e3
    total += ms
    print(f"{name}: {ms:.3f} ms")
print(f"all five: {total:.3f} ms per step ({torch.get_num_threads()} threads)")
