"""Writes a synthetic CSV for the CSV-loading benchmark (kiln vs pandas+scikit-learn).

    python3 bench/gen_load_csv.py OUT.csv [--rows 1000000] [--seed 0]

Deterministic from the seed (numpy only). 20 columns, header first:
  f01..f12  floats, different scales/offsets, "%.4f"
  i01, i02  integers (age 18..90, count 0..5000)
  m01, m02  floats like f*, about 2% of cells empty
  c01..c03  text with 4, 7 and 12 levels, non-uniform frequencies
  target    "yes"/"no" (about 30% yes), from a noisy linear function of a few features
"""
import argparse
import os

import numpy as np

CHUNK = 100_000

C01 = ["north", "south", "east", "west"]
C02 = ["red", "green", "blue", "amber", "violet", "grey", "teal"]
C03 = [f"cat_{c}" for c in "abcdefghijkl"]


def skewed_probs(n, decay):
    p = decay ** np.arange(n)
    return p / p.sum()


def generate(rows, seed):
    rng = np.random.default_rng(seed)
    cols = {}
    means = np.linspace(0.0, 1000.0, 12)
    stds = np.geomspace(0.01, 500.0, 12)
    for j in range(12):
        cols[f"f{j + 1:02d}"] = rng.normal(means[j], stds[j], rows)
    cols["i01"] = rng.integers(18, 91, rows)
    cols["i02"] = np.minimum(rng.lognormal(5.0, 1.2, rows), 5000).astype(np.int64)
    for k, (mu, sd) in enumerate([(50.0, 12.0), (2.5, 0.8)]):
        cols[f"m{k + 1:02d}"] = rng.normal(mu, sd, rows)
    missing = {f"m{k + 1:02d}": rng.random(rows) < 0.02 for k in range(2)}
    c01 = rng.choice(len(C01), rows, p=skewed_probs(len(C01), 0.6))
    c02 = rng.choice(len(C02), rows, p=skewed_probs(len(C02), 0.7))
    c03 = rng.choice(len(C03), rows, p=skewed_probs(len(C03), 0.8))

    def z(name):
        x = cols[name]
        return (x - x.mean()) / x.std()

    # Noisy linear score; threshold at the 70th percentile -> ~30% "yes".
    score = (1.0 * z("f02") - 0.8 * z("f07") + 0.6 * z("i01") + 0.5 * z("m01")
             + np.array([0.0, 0.4, -0.3, 0.8])[c01] + 0.25 * (c03 % 3)
             + rng.normal(0.0, 1.0, rows))
    target = score > np.quantile(score, 0.70)
    cat = {"c01": (np.array(C01), c01), "c02": (np.array(C02), c02), "c03": (np.array(C03), c03)}
    return cols, missing, cat, target


def write(path, cols, missing, cat, target):
    names = list(cols) + list(cat) + ["target"]
    labels = np.array(["no", "yes"])
    rows = len(target)
    with open(path, "w", newline="") as f:
        f.write(",".join(names) + "\n")
        for s in range(0, rows, CHUNK):
            e = min(s + CHUNK, rows)
            parts = []
            for name, x in cols.items():
                x = x[s:e]
                strs = np.char.mod("%d" if x.dtype.kind == "i" else "%.4f", x)
                if name in missing:
                    strs = strs.astype(object)
                    strs[missing[name][s:e]] = ""
                parts.append(strs.tolist())
            for levels, idx in cat.values():
                parts.append(levels[idx[s:e]].tolist())
            parts.append(labels[target[s:e].astype(np.int8)].tolist())
            f.write("\n".join(map(",".join, zip(*parts))))
            f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    write(a.out, *generate(a.rows, a.seed))
    print(f"{a.out}: {a.rows} rows, {os.path.getsize(a.out)} bytes")


if __name__ == "__main__":
    main()
