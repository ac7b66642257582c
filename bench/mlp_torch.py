"""PyTorch reference for the MLP training-throughput benchmark.

Model 64 -> 256 -> 256 -> 1 (ReLU), Adam lr 1e-3, MSE, on synthetic data held on
the device. Each step takes the next contiguous slice of a per-epoch random
permutation, so batching costs the same as a shuffled data loader without the
loader's overhead. Prints one JSON line with samples/sec over the timed steps.
"""
import argparse
import json
import time

import torch
from torch import nn

p = argparse.ArgumentParser()
p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
p.add_argument("--batch", type=int, default=1024)
p.add_argument("--steps", type=int, default=200, help="timed steps")
p.add_argument("--warmup", type=int, default=20, help="untimed steps first (allocator, kernels, caches)")
p.add_argument("--rows", type=int, default=65536)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--fused", action="store_true", help="Adam(fused=True): one kernel for the whole update")
p.add_argument("--threads", type=int, default=0,
               help="intra-op CPU threads; 0 keeps torch's default (one per core). Pin it when other "
                    "work shares the cores: OpenMP threads that wait on a descheduled peer stall badly")
args = p.parse_args()
if args.threads > 0:
    torch.set_num_threads(args.threads)
assert args.batch <= args.rows, "batch larger than the data set"

dev = torch.device(args.device)
torch.manual_seed(args.seed)

# Data made on the CPU from a seeded generator so it is identical whatever the device,
# then moved once: the timed loop never touches host memory.
g = torch.Generator().manual_seed(args.seed)
x = torch.randn(args.rows, 64, generator=g)
w = torch.randn(64, 1, generator=g) / 8.0  # / sqrt(64): keeps y at unit scale
u = torch.randn(64, 1, generator=g) / 8.0
y = x @ w + torch.tanh(x @ u)  # linear part plus a nonlinearity the MLP must learn
x, y = x.to(dev), y.to(dev)

model = nn.Sequential(
    nn.Linear(64, 256), nn.ReLU(),
    nn.Linear(256, 256), nn.ReLU(),
    nn.Linear(256, 1),
).to(dev)
opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True if args.fused else None)
loss_fn = nn.MSELoss()

perm, pos = None, args.rows  # forces a fresh permutation on the first step


def step():
    global perm, pos
    if pos + args.batch > args.rows:  # epoch done: reshuffle, drop the ragged tail
        perm, pos = torch.randperm(args.rows, device=dev), 0
    idx = perm[pos:pos + args.batch]
    pos += args.batch
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x.index_select(0, idx)), y.index_select(0, idx))
    loss.backward()
    opt.step()
    return loss


def sync():
    # CUDA runs asynchronously: without this the clock would only time kernel launches.
    if dev.type == "cuda":
        torch.cuda.synchronize()


for _ in range(args.warmup):
    step()
sync()
t0 = time.perf_counter()
for _ in range(args.steps):
    loss = step()
sync()
elapsed = time.perf_counter() - t0

print(json.dumps({
    "framework": "pytorch",
    "device": args.device,
    "batch": args.batch,
    "samples_per_sec": args.steps * args.batch / elapsed,
    "threads": torch.get_num_threads(),
    "steps": args.steps,
    "fused": args.fused,
    "final_loss": loss.item(),  # sanity check that it trains; read after the clock stops
}))
