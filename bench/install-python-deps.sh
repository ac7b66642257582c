#!/usr/bin/env bash
# Installs numpy and PyTorch for the reference scripts in bench/ (seed_torch.py,
# mlp_torch.py), and pandas + scikit-learn for the CSV-loading peer (load_pandas.py),
# from PyPI only. Idempotent: does nothing when all of them already import.
#
# Why not a plain `pip install torch`: on Linux x86_64 the PyPI torch wheel is the
# CUDA build and pulls ~2.9 GB of wheels (cuDNN, cuBLAS, NCCL, triton, ...).
# `--no-deps` alone is not enough: libtorch_cpu.so itself links libcudart and
# libcupti, and libtorch.so/libtorch_python.so link libtorch_cuda.so, so
# `import torch` fails unless every CUDA library in that link chain is present.
# The CUDA runtime libraries load fine without a GPU or driver, so the leanest
# PyPI-only install is: torch --no-deps, its pure-python deps, and only the
# nvidia-* wheels that the shared libraries link against (skipping triton,
# cuda-bindings, cusolver and nvtx, which are loaded lazily or not at all on CPU).
# That is ~2.3 GB to download, ~4 GB on disk.
#
# The nvidia-* pins below are copied from torch 2.15.0's Requires-Dist
# (`unzip -p torch-*.whl '*/METADATA' | grep ^Requires-Dist`); re-read them when
# bumping TORCH_VERSION. Set KILN_TORCH_FULL=1 to do a plain `pip install torch`
# instead (adds triton etc., e.g. for torch.compile on a GPU).
set -euo pipefail

PY=${PYTHON:-python3}
TORCH_VERSION=2.15.0
pip_install() { "$PY" -m pip install --no-cache-dir --progress-bar off "$@"; }

if ! "$PY" -c 'import numpy' 2>/dev/null; then
    pip_install numpy
fi

# Before the torch check below, which exits early when torch is already there.
if ! "$PY" -c 'import pandas, sklearn' 2>/dev/null; then
    pip_install pandas scikit-learn
fi
"$PY" -c 'import pandas, sklearn; print("pandas", pandas.__version__, "scikit-learn", sklearn.__version__)'

if version=$("$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null); then
    echo "torch already importable: $version"
    exit 0
fi

if [[ "${KILN_TORCH_FULL:-0}" == 1 || "$(uname -s)-$(uname -m)" != Linux-x86_64 ]]; then
    # Elsewhere (macOS, ...) the PyPI wheel is already CPU-only and small.
    pip_install "torch==${TORCH_VERSION}"
else
    pip_install --no-deps "torch==${TORCH_VERSION}"
    # Pure-python runtime deps of torch (installed with their own deps: mpmath, markupsafe).
    pip_install filelock 'typing-extensions>=4.13.0' 'setuptools>=77.0.3' \
        'sympy>=1.13.3' 'networkx>=2.5.1' jinja2 'fsspec>=0.8.5'
    # Exactly the CUDA libraries named in DT_NEEDED of torch/lib/*.so (see header).
    pip_install --no-deps \
        'nvidia-cuda-runtime==13.2.86.*' 'nvidia-cuda-cupti==13.2.86.*' \
        'nvidia-cuda-nvrtc==13.2.86.*' 'nvidia-cublas==13.4.1.3.*' \
        'nvidia-cufft==12.2.0.57.*' 'nvidia-cufile==1.17.1.22.*' \
        'nvidia-cusparse==12.7.10.12.*' 'nvidia-nvjitlink>=13.2.86,<14' \
        'nvidia-cudnn-cu13==9.26.0.51' 'nvidia-cusparselt-cu13==0.8.1' \
        'nvidia-nccl-cu13==2.30.7' 'nvidia-nvshmem-cu13==3.7.2'
fi

# Fail loudly here rather than in a benchmark run.
"$PY" -c 'import torch, numpy; x = torch.ones(2, 2); assert float((x @ x).sum()) == 8.0; print("torch", torch.__version__, "numpy", numpy.__version__, "cuda available:", torch.cuda.is_available())'
