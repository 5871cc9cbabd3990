"""Does a lesson's effect stand above its noise? The effect of one method over another, with
the half-width of its 95% interval, and whether the effect is at least twice that half-width.

Two noise estimates, both cheap enough for the page to compute from stored numbers:

- `paired`: the same test items scored by both methods (lesson 4: the same test episodes), a
  Student t interval of the mean per-item difference, the way the Meta page's per-method
  "± 95% CI" is computed (engine.strategies.meta.evaluate.mean_ci95), but of the difference.
- `f1_difference` / `bwt_difference`: a single F1 score per run (lessons 3 and 5). Each F1 is
  treated as a proportion over the test entities it is scored on (normal approximation with
  one pseudo-count each side, so an F1 of 0 still has noise), and the two runs as independent:
  that ignores that both runs saw the same sentences, so the interval is on the wide, cautious
  side (only a cell both runs share exactly, the same model on the same sentences, adds none).

Torch-free and storage-free: the page passes plain numbers.

    m = paired([0.3, 0.4, 0.2], [0.1, 0.3, 0.2])    # Margin(effect=0.1, half=0.248...)
    m.clear                                          # False: effect < 2 x half
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

CLEAR_FACTOR = 2.0  # an effect counts as shown when it is at least this many half-widths
Z_975 = 1.96
# Two-sided 95% Student t quantiles by degrees of freedom (the same table as the meta scores').
T_975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
    10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 25: 2.060, 30: 2.042, 40: 2.021, 60: 2.000,
    120: 1.980,
}  # fmt: skip


@dataclass(frozen=True)
class Margin:
    """`effect` = a - b; `half` the half-width of its 95% interval (None: no estimate)."""

    effect: float
    half: float | None
    items: int  # episodes, or test entities, behind the estimate

    @property
    def clear(self) -> bool:
        return self.half is not None and self.effect > 0 and self.effect >= CLEAR_FACTOR * self.half

    @property
    def ratio(self) -> float | None:
        """Effect in half-widths (None without an interval, inf for an exact one)."""
        if self.half is None:
            return None
        return math.inf if self.half == 0 else self.effect / self.half


def t_975(df: int) -> float:
    """Largest tabulated df not above `df` (cautious); 1.96 beyond the table."""
    if df < 1:
        raise ValueError("an interval needs at least two values")
    if df > max(T_975):
        return Z_975
    return T_975[max(k for k in T_975 if k <= df)]


def paired(a: Sequence[float], b: Sequence[float]) -> Margin:
    """Mean of a[i] - b[i] over items both methods were scored on, with its t interval."""
    if len(a) != len(b):
        raise ValueError(f"{len(a)} scores against {len(b)}: pair the same items")
    if not a:
        raise ValueError("no scores")
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    mean = statistics.fmean(diffs)
    if len(diffs) < 2:
        return Margin(mean, None, len(diffs))
    half = t_975(len(diffs) - 1) * statistics.stdev(diffs) / math.sqrt(len(diffs))
    return Margin(mean, half, len(diffs))


def f1_variance(f1: float, entities: int) -> float:
    """Squared standard error of an F1 read as a proportion over `entities` test entities."""
    if entities < 1:
        raise ValueError("an F1 over no entities has no noise estimate")
    p = (f1 * entities + 1.0) / (entities + 2.0)  # one pseudo-count each side
    return p * (1.0 - p) / entities


def f1_difference(f1_a: float, f1_b: float, entities: int) -> Margin:
    """F1 of run a minus run b, both scored on the same `entities` test entities."""
    var = f1_variance(f1_a, entities) + f1_variance(f1_b, entities)
    return Margin(f1_a - f1_b, Z_975 * math.sqrt(var), entities)


def cell_pair_variance(a: float, b: float, entities: int) -> float:
    """Noise of one cell's difference between two runs. A cell both runs share exactly (the
    same model on the same sentences: every method trains task 1 alike) adds none."""
    return 0.0 if a == b else f1_variance(a, entities) + f1_variance(b, entities)


def bwt_difference(
    matrix_a: Sequence[Sequence[float]],
    matrix_b: Sequence[Sequence[float]],
    entities: Sequence[int],
) -> Margin:
    """BWT of run a minus run b (BWT = mean over j < T-1 of R[T-1][j] - R[j][j]); `entities`
    are each task's test entities. Each old task adds the noise of its final and its diagonal
    cell, in both runs."""
    T = len(matrix_a)
    if T < 2 or len(matrix_b) != T or len(entities) != T:
        raise ValueError("two square matrices of at least two tasks, one entity count per task")

    def bwt(m: Sequence[Sequence[float]]) -> float:
        return statistics.fmean(m[-1][j] - m[j][j] for j in range(T - 1))

    var = (
        sum(
            cell_pair_variance(matrix_a[i][j], matrix_b[i][j], entities[j])
            for j in range(T - 1)
            for i in (j, T - 1)
        )
        / (T - 1) ** 2
    )
    return Margin(bwt(matrix_a) - bwt(matrix_b), Z_975 * math.sqrt(var), min(entities))
