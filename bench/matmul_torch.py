"""PyTorch twin of `kiln bench --products`: the five large matrix products of one step of the
benchmark MLP, timed alone. On the CPU by default (batch 1024); with `--device cuda --rows 65536`
it gives cuBLAS's time for each product of a step at that batch, to hold against
`kiln bench --products --device wgpu --batch 65536` (`bench/gpu.sh products`)."""
import argparse
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
p.add_argument("--rows", type=int, default=1024)
args = p.parse_args()
dev = torch.device(args.device)
n = args.rows

torch.set_num_threads(torch.get_num_threads())
x, w1, w2 = (torch.randn(n, 64, device=dev), torch.randn(64, 256, device=dev),
             torch.randn(256, 256, device=dev))
a1, dz = torch.randn(n, 256, device=dev), torch.randn(n, 256, device=dev)
products = [
    (f"forward  x·W1      {n}×64·64×256", lambda: x @ w1),
    (f"forward  a1·W2     {n}×256·256×256", lambda: a1 @ w2),
    (f"backward a1ᵀ·dz    256×{n}·{n}×256", lambda: a1.t() @ dz),
    (f"backward dz·W2ᵀ    {n}×256·256×256", lambda: dz @ w2.t()),
    (f"backward xᵀ·dz     64×{n}·{n}×256", lambda: x.t() @ dz),
]


def sync() -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize()


total = 0.0
for name, product in products:
    for _ in range(20):
        product()
    sync()
    started = time.perf_counter()
    for _ in range(300):
        product()
    sync()
    ms = (time.perf_counter() - started) / 300 * 1e3
    total += ms
    print(f"{name}: {ms:.3f} ms")
where = f"{torch.get_num_threads()} threads" if dev.type == "cpu" else torch.cuda.get_device_name()
tf32 = "" if dev.type == "cpu" else f", tf32 {torch.backends.cuda.matmul.allow_tf32}"
print(f"all five: {total:.3f} ms per step ({where}{tf32})")
