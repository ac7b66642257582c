#!/usr/bin/env python3
"""Sums CubeCL's per-kernel profile log by kernel: where a GPU step's time goes.

Run kiln with `CUBECL_DEBUG_OPTION=profile CUBECL_DEBUG_LOG=<file>` (every kernel is then timed
on its own, so the run is slower than usual; run the same shapes once before, unprofiled, so
the autotune cache is warm and the log holds no tuning runs), then:

    python3 bench/profile_summary.py <file> [--steps N] [--top K]

A kernel's first launch in a process also pays for building its pipeline, so it is left out;
with --steps N (the steps the run took), each kernel's total is given per step over the N - 1
steps that remain.
"""
import argparse
import re
from collections import defaultdict

UNITS = {"ns": 1e-6, "µs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1e3}
LINE = re.compile(r"^\|\s*([0-9.]+)\s*(ns|µs|us|ms|s)\s*\|\s*(.+?)\s*$")


def short(name: str) -> str:
    """A matmul's name lists every component; keep the ones that tell kernels apart."""
    parts = [p.strip() for p in name.split("|")]
    if parts[0] != "MatmulEntry":
        return name
    keep = [p for p in parts if p.endswith(("Family", "Partitioner", "Loading"))]
    return " | ".join(["MatmulEntry"] + keep + [parts[-1].rsplit("_", 1)[-1]])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("--steps", type=int, default=0)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    total = defaultdict(float)
    count = defaultdict(int)
    first = set()
    with open(args.log, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if m:
                name = short(m.group(3))
                if name in first:
                    total[name] += float(m.group(1)) * UNITS[m.group(2)]
                    count[name] += 1
                first.add(name)
    overall = sum(total.values())
    print(f"{sum(count.values())} kernel launches after each kernel's first, {overall:.1f} ms in all")
    per_step = f"{'ms/step':>9} " if args.steps else ""
    print(f"{'total ms':>10} {per_step}{'share':>6} {'launches':>8} {'mean µs':>9}  kernel")
    for name, ms in sorted(total.items(), key=lambda kv: -kv[1])[: args.top]:
        step = f"{ms / max(args.steps - 1, 1):9.3f} " if args.steps else ""
        mean = ms / count[name] * 1e3
        print(f"{ms:10.2f} {step}{ms / overall:6.1%} {count[name]:8d} {mean:9.1f}  {name}")


if __name__ == "__main__":
    main()
