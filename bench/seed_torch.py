"""PyTorch reference for the tiny linear-regression seed run.

Timed as a whole process from outside, so interpreter start-up and `import torch`
are part of the measured cost on purpose: that is what a user pays.
Prints one JSON line: predictions for x = 6, 7, 8, the last epoch's loss and the
intra-op thread count (left at torch's default so the comparison is out-of-the-box).
"""
import json

import torch
from torch import nn

torch.manual_seed(42)  # fixes the initial w and b, so runs are comparable

x = torch.arange(1, 6, dtype=torch.float32).unsqueeze(1)  # shape (5, 1)
y = 2.0 * x

model = nn.Linear(1, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
loss_fn = nn.MSELoss()

for _ in range(1000):  # one full-batch step per epoch
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()

with torch.no_grad():
    preds = model(torch.tensor([[6.0], [7.0], [8.0]])).squeeze(1)

print(json.dumps({
    "predictions": preds.tolist(),
    "final_loss": loss.item(),  # loss of the last step, measured before its update
    "threads": torch.get_num_threads(),
}))
