"""How a run's token mapping moved: 2-D projections and statistics over stages (NumPy only).

Every function takes representations as (tokens x dims) arrays, the same tokens in the same
order at each stage, so stages can be compared point by point.

- `project`: one 2-D projection fitted on all stages together (PCA: deterministic; t-SNE with a
  seed; UMAP with a seed, from the optional package umap-learn), so a point's movement between
  stages is movement of the mapping, not of the projection.
- `type_centroids`, `centroid_shift`: the mean representation of each gold type and how far it
  moved (cosine distance, so a change of scale alone is no movement).
- `silhouette_by_type`: how well the gold types separate (cosine silhouette). O counts as a type:
  a tagger must make O separable too, and old types melting into O is what forgetting looks
  like; `exclude=("O",)` gives the entity types' separation among themselves.
- `linear_cka`: similarity of two stages' representations of the same tokens (Kornblith et al.
  2019), invariant to rotation and isotropic scaling; 1 = the same geometry.

    xy = project([reps_before, reps_after], "pca", seed=13)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

PROJECTIONS = ("pca", "tsne", "umap")
UMAP_HINT = "pip install umap-learn==0.5.12"
SMALL = 5000  # points below which t-SNE runs on one thread


class MappingError(ValueError):
    """A projection that cannot be computed (e.g. UMAP without umap-learn installed)."""


def pca_components(x: np.ndarray, n: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(mean, n x dims components) with a fixed sign: each component's largest entry positive."""
    mean = x.mean(axis=0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    components = vt[:n]
    if components.shape[0] < n:  # fewer dims than n: pad with zero directions
        components = np.vstack([components, np.zeros((n - components.shape[0], x.shape[1]))])
    for row in components:
        k = int(np.argmax(np.abs(row)))
        if row[k] < 0:
            row *= -1
    return mean, components


def _tsne(x: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    perplexity = float(min(30.0, max(2.0, (len(x) - 1) / 3)))
    tsne = TSNE(2, init="pca", random_state=seed, perplexity=perplexity)
    # Small inputs gain nothing from OpenMP threads, and on a busy machine their spin-waits
    # made 40 points take 35 s instead of 0.3 s.
    with threadpool_limits(1 if len(x) < SMALL else None):
        return tsne.fit_transform(x)


def _umap(x: np.ndarray, seed: int) -> np.ndarray:
    try:
        import umap
    except ImportError:
        hint = f"projection umap needs the optional package umap-learn: {UMAP_HINT}"
        raise MappingError(hint) from None
    neighbours = max(2, min(15, len(x) - 1))
    with warnings.catch_warnings():  # "n_jobs overridden by setting random_state": intended
        warnings.simplefilter("ignore", UserWarning)
        return umap.UMAP(n_neighbors=neighbours, random_state=seed).fit_transform(x)


def project(stages: Sequence[np.ndarray], method: str = "pca", seed: int = 0) -> list[np.ndarray]:
    """One 2-D projection fitted on every stage's points together; one array per stage."""
    if method not in PROJECTIONS:
        raise MappingError(f"unknown projection {method!r}; choose one of {PROJECTIONS}")
    if not stages:
        return []
    stacked = np.concatenate([np.asarray(s, dtype=np.float64) for s in stages])
    if method == "pca":
        mean, components = pca_components(stacked)
        flat = (stacked - mean) @ components.T
    elif len(stacked) < 4:  # too few points for neighbourhoods: fall back to PCA
        return project(stages, "pca", seed)
    elif method == "tsne":
        flat = _tsne(stacked, seed)
    else:
        flat = _umap(stacked, seed)
    bounds = np.cumsum([len(s) for s in stages])[:-1]
    return np.split(np.asarray(flat, dtype=np.float64), bounds)


def type_centroids(x: np.ndarray, types: Sequence[str]) -> dict[str, np.ndarray]:
    labels = np.asarray(types)
    return {t: x[labels == t].mean(axis=0) for t in sorted(set(types))}


def cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return 0.0 if na == nb else 1.0
    return float(1.0 - np.dot(a, b) / (na * nb))


def centroid_shift(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> dict[str, float]:
    """Cosine distance each type's centroid moved, for types present at both stages."""
    return {t: cosine_distance(before[t], after[t]) for t in before if t in after}


def silhouette_by_type(
    x: np.ndarray, types: Sequence[str], exclude: Sequence[str] = ()
) -> float | None:
    """Mean cosine silhouette of the tokens by gold type (types in `exclude` left out); None
    when fewer than two types (or too few tokens) remain."""
    from sklearn.metrics import silhouette_score

    keep = np.array([t not in exclude for t in types])
    labels = np.asarray(types)[keep]
    kinds = len(set(labels.tolist()))
    if kinds < 2 or len(labels) <= kinds:
        return None
    return float(silhouette_score(x[keep], labels, metric="cosine"))


def linear_cka(x: np.ndarray, y: np.ndarray) -> float:
    """Linear CKA of two (tokens x dims) representations of the same tokens (dims may differ)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"CKA needs the same tokens: {x.shape[0]} vs {y.shape[0]} rows")
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    cross = np.linalg.norm(y.T @ x, "fro") ** 2
    norms = np.linalg.norm(x.T @ x, "fro") * np.linalg.norm(y.T @ y, "fro")
    return float(cross / norms) if norms > 0 else 0.0


def cka_matrix(stages: Sequence[np.ndarray]) -> list[list[float]]:
    """Linear CKA between every pair of stages (symmetric, ones on the diagonal)."""
    n = len(stages)
    out = [[1.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            out[i][j] = out[j][i] = linear_cka(stages[i], stages[j])
    return out
