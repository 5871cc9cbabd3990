"""`torch.compile` of the training forward (`train.compile`, opt-in) with a clean fallback.

Inductor fuses the step's element-wise work (the bf16 casts autocast makes, dropout, GELU,
layer norm and their backward) into generated C++ loops on the CPU or Triton kernels on CUDA,
so it needs a C/C++ compiler when the run starts. Where compiling cannot work (no compiler, an
op it does not support, an old torch) the run warns once in its log and trains eagerly: a
run never fails because of this setting.

    forward = TrainingForward(module, enabled=cfg.compile, device=device)
    outputs = forward(batch)  # compiled, or the module itself after a fallback
"""

from __future__ import annotations

import os
import shutil
import warnings
from typing import Any

import torch


def compiler_problem(device: torch.device) -> str | None:
    """Why compiling cannot work on `device` here, or None when it can be tried."""
    if not hasattr(torch, "compile"):
        return f"torch {torch.__version__} has no torch.compile"
    if device.type not in ("cpu", "cuda"):
        return f"torch.compile is not used on {device.type}"
    if device.type == "cpu":
        names = (os.environ.get("CXX"), "g++", "c++", "clang++")
    else:
        names = (os.environ.get("CC"), "cc", "gcc", "clang")  # Triton builds its launcher
    if not any(name and shutil.which(name) for name in names):
        wanted = "C++" if device.type == "cpu" else "C"
        return f"no {wanted} compiler on PATH (tried {', '.join(n for n in names if n)})"
    return None


class TrainingForward:
    """The module the training step calls: compiled when asked for and possible, else eager."""

    def __init__(self, module: Any, *, enabled: bool, device: torch.device):
        self.eager = module
        self.compiled: Any = None
        if not enabled:
            return
        problem = compiler_problem(device)
        if problem is not None:
            self.fall_back(problem)
            return
        # dynamic=None: the first shape compiles static, a second one recompiles with symbolic
        # lengths, so length-varying batches cost two compiles, not one per length
        self.compiled = torch.compile(module, dynamic=None)

    @property
    def active(self) -> bool:
        return self.compiled is not None

    def __call__(self, batch: dict[str, torch.Tensor]) -> Any:
        # `is None`, not `or`: a module's truth value asks for len(), which most lack
        module = self.eager if self.compiled is None else self.compiled
        return module(**batch)

    def fall_back(self, reason: str) -> None:
        """Train eagerly from now on, saying why in the run's log (a job's stderr)."""
        self.compiled = None
        warnings.warn(
            f"train.compile: training without torch.compile ({reason})", RuntimeWarning, 2
        )
