"""Learning-rate schedule shape and parameter groups."""

import pytest
import torch

from engine.training.optim import param_groups, warmup_linear


def test_warmup_then_linear_decay_to_zero():
    f = warmup_linear(total_steps=10, warmup_steps=2)
    assert [round(f(s), 3) for s in range(11)] == [
        0.5,
        1.0,
        1.0,
        0.875,
        0.75,
        0.625,
        0.5,
        0.375,
        0.25,
        0.125,
        0.0,
    ]


def test_groups_split_decay_and_head_lr():
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.Linear(2, 2)
            self.classifier = torch.nn.Linear(2, 3)
            self.frozen = torch.nn.Linear(2, 2)
            self.frozen.requires_grad_(False)

    groups = param_groups(M(), lr=1e-4, head_lr=1e-3, weight_decay=0.01)
    by = {(g["lr"], g["weight_decay"]): sum(p.numel() for p in g["params"]) for g in groups}
    assert by == {(1e-4, 0.01): 4, (1e-4, 0.0): 2, (1e-3, 0.01): 6, (1e-3, 0.0): 3}
    assert sum(by.values()) == 15  # frozen weights never reach the optimizer
    assert pytest.approx(1e-3) == max(g["lr"] for g in groups)
