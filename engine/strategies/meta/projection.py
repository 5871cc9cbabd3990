"""The prototype map: one test episode's query tokens and class prototypes in 2D.

The query-token vectors and the prototypes (support means per class) are projected together on
their first two principal components, so the page can show each token's place in "knowledge
space" next to the point it is measured against, coloured by its gold type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from engine.strategies.meta.learner import class_means

MAX_POINTS = 400  # query tokens drawn; entity tokens always, O tokens thinned to fit


def pca_2d(points: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """Coordinates on the two leading principal components, and their share of variance."""
    centred = points - points.mean(axis=0, keepdims=True)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    coords = centred @ vt[:2].T
    if coords.shape[1] < 2:  # a single point or dimension: pad so x and y both exist
        coords = np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))
    variance = s**2
    total = float(variance.sum()) or 1.0
    return coords, [float(v / total) for v in variance[:2]]


def kept_tokens(gold: Sequence[int], limit: int) -> list[int]:
    """Indices of the tokens to draw: every entity token, then evenly spaced O tokens."""
    entity = [i for i, g in enumerate(gold) if g != 0]
    other = [i for i, g in enumerate(gold) if g == 0]
    room = max(0, limit - len(entity))
    if len(other) > room:
        other = [other[int(j * len(other) / room)] for j in range(room)] if room else []
    return sorted(entity[:limit] + other)


def prototype_map(
    query: torch.Tensor,
    gold: torch.Tensor,
    predicted: torch.Tensor,
    words: Sequence[str],
    support: torch.Tensor,
    support_targets: torch.Tensor,
    types: Sequence[str],
    limit: int = MAX_POINTS,
) -> dict[str, Any]:
    n_classes = len(types) + 1
    protos = class_means(support.float(), support_targets.cpu(), n_classes)
    present = [c for c in range(n_classes) if not bool(torch.isnan(protos[c, 0]))]
    keep = kept_tokens(gold.tolist(), limit)
    points = torch.cat([query.float()[keep], protos[present]]).numpy()
    coords, explained = pca_2d(points)
    q, p = coords[: len(keep)], coords[len(keep) :]
    return {
        "types": ["O", *types],
        "explained": explained,
        "query": {
            "x": [round(float(v), 4) for v in q[:, 0]],
            "y": [round(float(v), 4) for v in q[:, 1]],
            "gold": [int(gold[i]) for i in keep],
            "predicted": [int(predicted[i]) for i in keep],
            "word": [words[i] for i in keep],
        },
        "prototypes": {
            "x": [round(float(v), 4) for v in p[:, 0]],
            "y": [round(float(v), 4) for v in p[:, 1]],
            "label": present,
        },
    }
