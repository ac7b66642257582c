"""CSV-loading peer for kiln: read + impute + scale + one-hot with pandas and scikit-learn.

    python3 bench/load_pandas.py CSV

Times (time.perf_counter) from just before pandas.read_csv until float32 X and y exist:
median-impute missing numeric cells, StandardScaler on f*/i*/m*, OneHotEncoder on
c01..c03, target yes/no -> 1/0. Fits on all rows. Prints one JSON line.
"""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.preprocessing import OneHotEncoder, StandardScaler

TEXT = ["c01", "c02", "c03"]


def main():
    path = sys.argv[1]
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    num = [c for c in df.columns if c[0] in "fim" and c[1:].isdigit()]
    xn = df[num].astype(np.float64)
    xn = xn.fillna(xn.median())
    xn = StandardScaler().fit_transform(xn.to_numpy())
    xc = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit_transform(df[TEXT])
    X = np.concatenate([xn, xc], axis=1).astype(np.float32)
    y = (df["target"] == "yes").to_numpy(np.float32)
    t = time.perf_counter() - t0
    n = X.shape[0]
    print(json.dumps({
        "framework": "pandas+sklearn",
        "rows": n,
        "inputs": X.shape[1],
        "seconds": round(t, 4),
        "rows_per_sec": round(n / t, 1),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "positive_rate": round(float(y.mean()), 4),
        "pandas": pd.__version__,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()
