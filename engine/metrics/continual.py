"""Continual-learning scores over an accuracy matrix (definitions fixed in docs/DESIGN.md).

R[i][j] is the score on task j's test data after training task i (T x T); b[j] the score of the
model before any task. Pure NumPy; a score that needs two tasks is None (not NaN) when T = 1.

    summary = continual_summary(R, b)   # {"acc", "bwt", "fwt", "forgetting", ...}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Matrix = Sequence[Sequence[float]] | np.ndarray


def _square(R: Matrix) -> np.ndarray:
    m = np.asarray(R, dtype=float)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] == 0:
        raise ValueError(f"R must be a non-empty square T x T matrix, got shape {m.shape}")
    return m


def accuracy(R: Matrix) -> float:
    """ACC = mean_j R[T-1][j]: the average score on every task at the end of the stream."""
    m = _square(R)
    return float(m[-1].mean())


def backward_transfer(R: Matrix) -> float | None:
    """BWT = mean_{j<T-1} (R[T-1][j] - R[j][j]); negative means forgetting."""
    m = _square(R)
    T = m.shape[0]
    if T < 2:
        return None
    j = np.arange(T - 1)
    return float((m[-1, j] - m[j, j]).mean())


def forward_transfer(R: Matrix, baseline: Sequence[float] | np.ndarray) -> float | None:
    """FWT = mean_{j>0} (R[j-1][j] - b[j]): what earlier tasks did for a task not yet trained."""
    m = _square(R)
    b = np.asarray(baseline, dtype=float)
    T = m.shape[0]
    if b.shape != (T,):
        raise ValueError(f"baseline must have {T} values, got shape {b.shape}")
    if T < 2:
        return None
    j = np.arange(1, T)
    return float((m[j - 1, j] - b[j]).mean())


def forgetting_per_task(R: Matrix) -> np.ndarray:
    """forgetting_j = max_{l<T-1} R[l][j] - R[T-1][j] for j < T-1 (length T-1)."""
    m = _square(R)
    T = m.shape[0]
    if T < 2:
        return np.zeros(0)
    # Literally as defined: rows before task j (which had not trained it) count too.
    best = m[: T - 1, : T - 1].max(axis=0)
    return best - m[-1, : T - 1]


def forgetting(R: Matrix) -> float | None:
    """Mean of forgetting_j over j < T-1; None when T = 1."""
    per_task = forgetting_per_task(R)
    return float(per_task.mean()) if per_task.size else None


def continual_summary(R: Matrix, baseline: Sequence[float] | np.ndarray) -> dict[str, Any]:
    """Everything `show --json` reports for a continual run, as plain floats and lists."""
    m = _square(R)
    return {
        "matrix": m.tolist(),
        "baseline": np.asarray(baseline, dtype=float).tolist(),
        "acc": accuracy(m),
        "bwt": backward_transfer(m),
        "fwt": forward_transfer(m, baseline),
        "forgetting": forgetting(m),
        "forgetting_per_task": forgetting_per_task(m).tolist(),
    }
