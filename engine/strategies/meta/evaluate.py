"""Meta-test: adapt to each test episode, score its query set, and summarise over episodes.

Each episode is scored with seqeval (strict IOB2) on its query sentences; the run reports the mean
of the per-episode F1 and its 95% confidence interval (Student t over episodes), the micro F1
of all query sets pooled (what Few-NERD's tables report), and for the gradient-based methods the
adaptation curve: mean query F1 after 0..k adaptation steps.

    scores = MetaScores()
    scores.add(index, episode.types, gold_tags, [tags_after_step_0, ...], steps)
    scores.summary()   # {"f1_mean": ..., "f1_ci95": ..., "f1_micro": ..., "episodes": ...}
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.metrics.ner import NerReport, entity_report

Tags = list[list[str]]

# Two-sided 95% Student t quantiles by degrees of freedom; 1.96 beyond the table.
T_975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
    10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 25: 2.060, 30: 2.042, 40: 2.021, 60: 2.000,
    120: 1.980,
}  # fmt: skip


def t_quantile_975(df: int) -> float:
    """The 97.5% quantile of Student's t (the largest tabulated df not above `df`: cautious)."""
    if df < 1:
        raise ValueError("a confidence interval needs at least two values")
    if df > max(T_975):
        return 1.96
    return T_975[max(k for k in T_975 if k <= df)]


def mean_ci95(values: Sequence[float]) -> tuple[float, float | None]:
    """(mean, half-width of the 95% CI of the mean); the half-width is None below 2 values."""
    if not values:
        raise ValueError("no values")
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, None
    half = t_quantile_975(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return mean, half


@dataclass
class MetaScores:
    """Per-episode query scores, collected as the test episodes are evaluated."""

    episodes: list[dict[str, Any]] = field(default_factory=list)
    curves: list[dict[int, float]] = field(default_factory=list)  # step -> F1, per episode
    gold: Tags = field(default_factory=list)
    pred: Tags = field(default_factory=list)

    def add(
        self,
        index: int,
        types: Sequence[str],
        gold: Tags,
        predicted_by_step: Sequence[Tags],
        steps: Sequence[int],
    ) -> dict[str, Any]:
        """Score one episode (the last predictions are its final ones); returns its record."""
        report = entity_report(gold, predicted_by_step[-1])
        record = {
            "episode": index,
            "types": list(types),
            "f1": report.f1,
            "precision": report.precision,
            "recall": report.recall,
            "support": report.support,
            "query_sentences": len(gold),
        }
        if len(steps) > 1:
            pairs = zip(steps[:-1], predicted_by_step[:-1], strict=True)
            curve = {s: entity_report(gold, p).f1 for s, p in pairs}
            curve[steps[-1]] = report.f1  # the final step is the episode's score: reuse it
            self.curves.append(curve)
            record["curve"] = [[s, f] for s, f in curve.items()]
        self.episodes.append(record)
        self.gold += gold
        self.pred += predicted_by_step[-1]
        return record

    def pooled(self) -> NerReport:
        return entity_report(self.gold, self.pred)

    def summary(self, pooled: NerReport | None = None) -> dict[str, Any]:
        """Over the episodes so far; `pooled` saves recomputing self.pooled() when known."""
        f1s = [e["f1"] for e in self.episodes]
        mean, half = mean_ci95(f1s)
        pooled = self.pooled() if pooled is None else pooled
        return {
            "f1_mean": mean,
            "f1_ci95": half,
            "f1_std": statistics.stdev(f1s) if len(f1s) > 1 else None,
            "f1_micro": pooled.f1,
            "episodes": len(f1s),
        }

    def curve(self) -> dict[str, list[Any]] | None:
        """Mean query F1 (and CI) after each adaptation step, over the episodes; None for
        methods that do not adapt by gradient steps."""
        if not self.curves:
            return None
        steps = sorted(set.intersection(*(set(c) for c in self.curves)))
        stats = [mean_ci95([c[s] for c in self.curves]) for s in steps]
        return {
            "steps": steps,
            "f1_mean": [m for m, _ in stats],
            "f1_ci95": [h for _, h in stats],
        }
