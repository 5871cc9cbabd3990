"""Turn a run's captured stages into what the Embeddings page and `show --json` read.

Records (through the tracker, so strategies never touch storage):
- `embedding_probe` (once): the probe sentences, and per probed token its sentence, word index
  and gold type; the layer and projection used.
- `embedding_points` (one per stage): x, y of every token (one projection fitted on all stages,
  scaled so the largest |coordinate| is 100, rounded to 0.01), the predicted type of each token
  (token classifiers only) and the 2-D centroid of each gold type.
- `mapping_stats` (once): per stage silhouette by gold type (with O, and among entity types
  only), word-level type accuracy, centroid shift from the previous stage and from the first,
  and the linear-CKA matrix between stages.
The summary (`mapping` in show --json) repeats the statistics without the points.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from engine.probe.stats import (
    centroid_shift,
    cka_matrix,
    project,
    silhouette_by_type,
    type_centroids,
)


class Captured(Protocol):
    """What report_mapping reads of a capture (engine.probe.capture.MappingCapture): the
    probe set, the stages' representations and predictions, and where to log."""

    cfg: Any  # MappingConfig: layer, projection
    probe: Any  # ProbeSet: sentences, picks, gold
    tracker: Any
    seed: int
    stages: list[str]
    reps: list[np.ndarray]
    preds: list[list[str] | None]


SCALE = 100.0


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def scaled(points: list[np.ndarray]) -> list[np.ndarray]:
    """All stages scaled together so the largest |coordinate| is SCALE (shape kept)."""
    peak = max((float(np.abs(p).max()) for p in points if p.size), default=0.0)
    return [p * (SCALE / peak) if peak > 0 else p for p in points]


def ordered_types(gold: list[str]) -> list[str]:
    return sorted(set(gold) - {"O"}) + (["O"] if "O" in gold else [])


def type_accuracy(gold: list[str], pred: list[str] | None) -> float | None:
    if pred is None or not gold:
        return None
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)


def report_mapping(cap: Captured) -> dict[str, Any]:
    probe, stages, tracker = cap.probe, cap.stages, cap.tracker
    gold = probe.gold
    types = ordered_types(gold)
    tracker.log_record(
        "embedding_probe",
        None,
        {
            "sentences": [list(s.tokens) for s in probe.sentences],
            "sentence": [s for s, _ in probe.picks],
            "word": [w for _, w in probe.picks],
            "gold": gold,
            "types": types,
            "stages": stages,
            "layer": cap.cfg.layer,
            "projection": cap.cfg.projection,
        },
    )
    xy = scaled(project(cap.reps, cap.cfg.projection, cap.seed))
    for i, (stage, points, pred) in enumerate(zip(stages, xy, cap.preds, strict=True)):
        means = type_centroids(points, gold)
        centres = {t: np.round(means[t], 2).tolist() for t in types}  # O last, as `types`
        payload = {
            "order": i,
            "x": np.round(points[:, 0], 2).tolist(),
            "y": np.round(points[:, 1], 2).tolist(),
            "pred": pred,
            "centroids": centres,
        }
        tracker.log_record("embedding_points", stage, payload)
    stats = mapping_statistics(cap.reps, cap.preds, gold, stages)
    stats.update(types=types, tokens=len(gold), layer=cap.cfg.layer, projection=cap.cfg.projection)
    tracker.log_record("mapping_stats", None, stats)
    return {
        k: stats[k]
        for k in ("stages", "silhouette", "cka", "centroid_shift", "tokens", "layer", "projection")
    }


def mapping_statistics(
    reps: list[np.ndarray], preds: list[list[str] | None], gold: list[str], stages: list[str]
) -> dict[str, Any]:
    """Silhouette, type accuracy, centroid shifts and CKA of the stages (full dimensions)."""
    centres = [type_centroids(r, gold) for r in reps]
    shift_prev: dict[str, dict[str, float | None]] = {}
    shift_first: dict[str, dict[str, float | None]] = {}
    for i in range(1, len(stages)):
        prev = centroid_shift(centres[i - 1], centres[i])
        first = centroid_shift(centres[0], centres[i])
        shift_prev[stages[i]] = {t: _r(v) for t, v in prev.items()}
        shift_first[stages[i]] = {t: _r(v) for t, v in first.items()}
    return {
        "stages": list(stages),
        "silhouette": {
            s: _r(silhouette_by_type(r, gold)) for s, r in zip(stages, reps, strict=True)
        },
        "silhouette_entities": {
            s: _r(silhouette_by_type(r, gold, exclude=("O",)))
            for s, r in zip(stages, reps, strict=True)
        },
        "type_accuracy": {
            s: _r(type_accuracy(gold, p)) for s, p in zip(stages, preds, strict=True)
        },
        "centroid_shift": shift_prev,
        "centroid_shift_from_first": shift_first,
        "cka": [[_r(v) for v in row] for row in cka_matrix(reps)],
    }
