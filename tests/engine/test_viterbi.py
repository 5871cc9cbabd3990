"""StructShot's abstract transitions and Viterbi on tiny hand-made tag lists and emissions."""

from __future__ import annotations

import numpy as np
import pytest

from engine.metrics.ner import repair_iob2
from engine.strategies.meta.viterbi import (
    FLOOR,
    AbstractTransitions,
    episode_tags,
    estimate_transitions,
    expand_transitions,
    structshot_decode,
    transition_counts,
)


def test_io_counts_and_probabilities_like_few_nerd():
    tags = [["O", "I-A", "I-A", "O"], ["I-B", "I-A", "O"]]
    assert transition_counts(tags, "IO") == {
        ("I", "I-other"): 1, ("I", "I-same"): 1, ("I", "O"): 2,
        ("O", "I"): 1, ("start", "I"): 1, ("start", "O"): 1,
    }  # fmt: skip
    probs = estimate_transitions(tags, "IO").probs
    assert probs[("start", "O")] == 0.5 and probs[("O", "I")] == 1.0
    assert (probs[("I", "O")], probs[("I", "I-same")], probs[("I", "I-other")]) == (0.5, 0.25, 0.25)
    # IO reads a B- tag as I-: B-A I-A is one run of A
    assert transition_counts([["B-A", "I-A", "O"]], "IO") == {
        ("I", "I-same"): 1, ("I", "O"): 1, ("start", "I"): 1,
    }  # fmt: skip


def test_iob2_counts_have_begin_states():
    tags = [["B-A", "I-A", "O", "B-B"], ["B-A", "B-A"]]
    assert transition_counts(tags, "IOB2") == {
        ("B", "B-same"): 1, ("B", "I-same"): 1, ("I", "O"): 1, ("O", "B"): 1, ("start", "B"): 2,
    }  # fmt: skip


def test_expansion_matches_few_nerds_projection():
    s_o, s_i, o_o, o_i, i_o, i_i, x_y = 0.6, 0.4, 0.7, 0.3, 0.5, 0.3, 0.2
    probs = {
        ("start", "O"): s_o, ("start", "I"): s_i, ("O", "O"): o_o, ("O", "I"): o_i,
        ("I", "O"): i_o, ("I", "I-same"): i_i, ("I", "I-other"): x_y,
    }  # fmt: skip
    trans = AbstractTransitions("IO", {}, probs)
    tags = episode_tags(["A", "B", "C"], "IO")
    tau = 0.5
    start, matrix = expand_transitions(trans, tags, temperature=tau)
    # util/viterbi.py: O -> I-X gets o_i / N, I-X -> I-Y gets x_y / (N - 1), rows ** tau
    n = 3
    expected_rows = [
        [s_o, *[s_i / n] * n],
        [o_o, *[o_i / n] * n],
        [i_o, i_i, x_y / 2, x_y / 2],
        [i_o, x_y / 2, i_i, x_y / 2],
        [i_o, x_y / 2, x_y / 2, i_i],
    ]
    powered = np.array(expected_rows) ** tau
    expected = np.log(powered / powered.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(start, expected[0])
    np.testing.assert_allclose(matrix, expected[1:])


def test_one_way_episodes_have_no_other_type_target():
    trans = estimate_transitions([["I-X", "I-Y", "O"], ["O", "I-X"]], "IO")
    start, matrix = expand_transitions(trans, ["O", "I-A"], temperature=1.0)
    assert np.isfinite(matrix).all()
    np.testing.assert_allclose(np.exp(matrix).sum(axis=1), 1.0, rtol=1e-5)  # + the floor
    assert np.exp(matrix[0, 0]) == pytest.approx(FLOOR)  # O -> O never seen in training


TRAIN_IOB2 = [
    ["B-PER", "I-PER", "O", "O"],
    ["O", "B-LOC", "O"],
    ["B-LOC", "I-LOC", "I-LOC", "O", "B-PER"],
    ["O", "O", "B-PER", "O"],
]


def _probs(rows: dict[int, dict[str, float]], tags: list[str], length: int) -> np.ndarray:
    """Emission probabilities: the given ones per token, the rest shared by the other tags."""
    out = np.zeros((length, len(tags)))
    for t in range(length):
        given = rows.get(t, {"O": 0.9})
        rest = (1 - sum(given.values())) / (len(tags) - len(given))
        out[t] = [given.get(tag, rest) for tag in tags]
    return np.log(out)


def test_viterbi_repairs_an_i_after_o():
    tags = episode_tags(["A", "B"], "IOB2")  # O B-A I-A B-B I-B
    emissions = _probs({1: {"I-A": 0.6, "B-A": 0.3}, 2: {"I-A": 0.7}}, tags, 4)
    argmax = [tags[i] for i in emissions.argmax(axis=1)]
    assert argmax == ["O", "I-A", "I-A", "O"]  # I-A straight after O: not IOB2
    trans = estimate_transitions(TRAIN_IOB2, "IOB2")
    decoded = structshot_decode(emissions, tags, trans, temperature=0.32)
    assert decoded == ["O", "B-A", "I-A", "O"]
    # Few-NERD's own rule (never-seen moves at 1e-6, not forbidden) gets there too
    assert structshot_decode(emissions, tags, trans, 0.32, forbid_invalid=False) == decoded


def test_viterbi_repairs_an_i_of_another_type_after_b():
    tags = episode_tags(["A", "B"], "IOB2")
    emissions = _probs({0: {"B-B": 0.5, "B-A": 0.3}, 1: {"I-A": 0.5, "I-B": 0.3}}, tags, 3)
    argmax = [tags[i] for i in emissions.argmax(axis=1)]
    assert argmax[:2] == ["B-B", "I-A"] and repair_iob2(argmax) != argmax
    trans = estimate_transitions(TRAIN_IOB2, "IOB2")
    for tau in (0.05, 0.32, 1.0):
        decoded = structshot_decode(emissions, tags, trans, temperature=tau)
        assert repair_iob2(decoded) == decoded, (tau, decoded)
        assert decoded[2] == "O"


def test_temperature_trades_transitions_for_emissions():
    # training types: long runs of one type, rarely another type right after
    trans = estimate_transitions([["I-X", "I-X", "I-X", "O"]] * 3 + [["I-X", "I-Y", "O"]], "IO")
    tags = episode_tags(["A", "B"], "IO")  # O I-A I-B
    emissions = np.log([[0.1, 0.8, 0.1], [0.15, 0.4, 0.45], [0.1, 0.8, 0.1]])
    assert structshot_decode(emissions, tags, trans, temperature=1.0) == ["I-A"] * 3
    # tau -> 0 flattens every seen move to the same weight: the token-wise argmax again
    flat = structshot_decode(emissions, tags, trans, temperature=1e-4)
    assert flat == ["I-A", "I-B", "I-A"]


def test_decode_takes_raw_scores_and_tensors_and_checks_shapes():
    trans = estimate_transitions(TRAIN_IOB2, "IOB2")
    tags = episode_tags(["A"], "IOB2")
    scores = np.array([[-5.0, -1.0, -9.0], [-6.0, -8.0, -1.0]])  # minus squared distances
    assert structshot_decode(scores, tags, trans) == ["B-A", "I-A"]
    assert structshot_decode(np.zeros((0, 3)), tags, trans) == []
    with pytest.raises(ValueError, match="3 tags"):
        structshot_decode(np.zeros((2, 4)), tags, trans)
    torch = pytest.importorskip("torch")
    assert structshot_decode(torch.tensor(scores), tags, trans) == ["B-A", "I-A"]
