"""PyTorch's optimizers on a tiny case: the expected values of kiln-train's
`optimizer::tests::each_optimizer_takes_pytorchs_steps`.

A linear layer (3 inputs, 2 outputs) from fixed weights takes five steps on the mean squared
error of five fixed batches (4 rows each). The inputs, targets and starting weights come from
`value(k)`, which the Rust test computes the same way. Prints each case's final weights
(input-major, as kiln stores them) and bias as Rust arrays.

    python3 bench/optimizer_reference.py
"""

import torch

STEPS, ROWS, INPUTS, OUTPUTS = 5, 4, 3, 2


def value(k):
    """The k-th number of the fixture: spread over [-1, 1] in steps of 1/8."""
    return ((k * 37) % 17) / 8.0 - 1.0


def batch(step):
    base = 100 + step * ROWS * (INPUTS + OUTPUTS)
    x = [[value(base + r * INPUTS + j) for j in range(INPUTS)] for r in range(ROWS)]
    base += ROWS * INPUTS
    y = [[3.0 * value(base + r * OUTPUTS + k) for k in range(OUTPUTS)] for r in range(ROWS)]
    return torch.tensor(x), torch.tensor(y)


def clip_each(params, max_norm):
    # kiln clips each parameter tensor on its own (Keras' `clipnorm`): torch's clip, one tensor
    # at a time.
    for p in params:
        torch.nn.utils.clip_grad_norm_([p], max_norm)


CASES = {
    "sgd": (lambda p: torch.optim.SGD(p, lr=0.1), None),
    "sgd_momentum": (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), None),
    "sgd_nesterov_decay": (
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1),
        None,
    ),
    "adam": (lambda p: torch.optim.Adam(p, lr=0.01), None),
    "adam_decay": (
        lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=0.1, weight_decay=0.1),
        None,
    ),
    "adamw": (lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1), None),
    "sgd_clip": (lambda p: torch.optim.SGD(p, lr=0.1), 0.5),
    "adam_clip": (lambda p: torch.optim.Adam(p, lr=0.01), 0.5),
}

for name, (make, clip) in CASES.items():
    layer = torch.nn.Linear(INPUTS, OUTPUTS)
    with torch.no_grad():
        w = [[value(j * OUTPUTS + k) for k in range(OUTPUTS)] for j in range(INPUTS)]
        layer.weight.copy_(torch.tensor(w).T)
        layer.bias.copy_(torch.tensor([value(50 + k) for k in range(OUTPUTS)]))
    optimizer = make(layer.parameters())
    for step in range(STEPS):
        x, y = batch(step)
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(layer(x), y).backward()
        if clip is not None:
            clip_each(layer.parameters(), clip)
        optimizer.step()
    weights = ", ".join(f"{v:.9e}" for v in layer.weight.detach().T.flatten().tolist())
    bias = ", ".join(f"{v:.9e}" for v in layer.bias.detach().tolist())
    print(f'("{name}", [{weights}], [{bias}]),')
