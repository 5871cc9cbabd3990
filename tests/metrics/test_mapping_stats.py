"""Projections and statistics of token mappings, on hand-made representations."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from engine.probe.stats import (
    MappingError,
    centroid_shift,
    cka_matrix,
    cosine_distance,
    linear_cka,
    project,
    silhouette_by_type,
    type_centroids,
)


def random_reps(n: int = 60, d: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d))


def random_rotation(d: int, seed: int = 1) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q


def test_pca_projection_is_deterministic_and_split_by_stage():
    a, b = random_reps(seed=0), random_reps(seed=1)
    first = project([a, b], "pca", seed=13)
    again = project([a.copy(), b.copy()], "pca", seed=13)
    assert [p.shape for p in first] == [(60, 2), (60, 2)]
    for x, y in zip(first, again, strict=True):
        np.testing.assert_array_equal(x, y)


def test_pca_known_answer_points_on_a_line():
    # points along (1, 1, 0): all variance on the first axis, none on the second
    t = np.arange(-2, 3, dtype=float)
    line = np.stack([t, t, np.zeros_like(t)], axis=1)
    (xy,) = project([line], "pca")
    np.testing.assert_allclose(np.abs(xy[:, 0]), np.abs(t) * np.sqrt(2), atol=1e-9)
    np.testing.assert_allclose(xy[:, 1], 0.0, atol=1e-9)
    assert xy[-1, 0] > 0  # sign fixed: the largest loading is positive


def test_one_projection_for_all_stages_makes_movement_visible():
    before = random_reps(seed=3)
    after = before + np.array([5.0] + [0.0] * 7)  # every token moved the same way
    xy_before, xy_after = project([before, after], "pca")
    shift = xy_after - xy_before
    np.testing.assert_allclose(shift, np.tile(shift[0], (60, 1)), atol=1e-9)
    assert np.linalg.norm(shift[0]) == pytest.approx(5.0, rel=0.01)  # the main direction


def test_tsne_is_deterministic_for_a_seed():
    reps = [random_reps(n=20, seed=4), random_reps(n=20, seed=5)]
    a = project(reps, "tsne", seed=7)
    b = project(reps, "tsne", seed=7)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y)


def test_umap_without_the_package_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "umap", None)  # import umap -> ImportError
    with pytest.raises(MappingError, match="umap-learn"):
        project([random_reps()], "umap")
    with pytest.raises(MappingError, match="unknown projection"):
        project([random_reps()], "mds")


def test_cka_of_itself_and_of_an_orthogonal_rotation_is_one():
    x = random_reps(n=50, d=6)
    assert linear_cka(x, x) == pytest.approx(1.0)
    assert linear_cka(x, x @ random_rotation(6)) == pytest.approx(1.0)
    assert linear_cka(x, 3.5 * x + 2.0) == pytest.approx(1.0)  # isotropic scale and shift


def test_cka_known_answers():
    # one dimension each: CKA is the squared cosine of the centred columns
    x = np.array([[1.0], [2.0], [3.0]])  # centred: (-1, 0, 1)
    y = np.array([[1.0], [3.0], [2.0]])  # centred: (-1, 1, 0)
    assert linear_cka(x, y) == pytest.approx(0.25)
    # independent random features share almost nothing
    assert linear_cka(random_reps(2000, 4, seed=8), random_reps(2000, 4, seed=9)) < 0.01
    with pytest.raises(ValueError, match="same tokens"):
        linear_cka(x, y[:2])


def test_cka_matrix_is_symmetric_with_a_unit_diagonal():
    x = random_reps(seed=10)
    m = cka_matrix([x, x @ random_rotation(8), random_reps(seed=11)])
    assert [m[i][i] for i in range(3)] == [1.0, 1.0, 1.0]
    assert m[0][1] == pytest.approx(1.0)
    assert m[0][2] == m[2][0] < 0.5


def test_silhouette_by_type_separates_clusters_with_or_without_o():
    rng = np.random.default_rng(0)
    per = rng.normal(scale=0.05, size=(20, 3)) + [1, 0, 0]
    loc = rng.normal(scale=0.05, size=(20, 3)) + [0, 1, 0]
    o = rng.normal(scale=1.0, size=(40, 3))
    x = np.vstack([per, loc, o])
    types = ["PER"] * 20 + ["LOC"] * 20 + ["O"] * 40
    entities = silhouette_by_type(x, types, exclude=("O",))
    assert entities > 0.9
    assert silhouette_by_type(x, types) < entities  # the scattered O tokens count too
    assert silhouette_by_type(x[:20], types[:20]) is None  # one type: nothing to separate
    assert silhouette_by_type(x[:40], types[:40]) > 0.9


def test_centroids_and_their_shift():
    x = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 2.0]])
    before = type_centroids(x, ["PER", "PER", "LOC"])
    np.testing.assert_allclose(before["PER"], [2.0, 0.0])
    after = {"PER": np.array([0.0, 5.0]), "LOC": np.array([0.0, 9.0]), "ORG": np.ones(2)}
    shift = centroid_shift(before, after)
    assert shift == {"PER": pytest.approx(1.0), "LOC": pytest.approx(0.0)}  # ORG is new
    assert cosine_distance(np.array([1.0, 0.0]), np.array([-2.0, 0.0])) == pytest.approx(2.0)
