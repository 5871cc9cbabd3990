"""StructShot's decoding (Yang & Katiyar, 2020): NNShot's token scores plus abstract transitions.

A few-shot episode's types are new, so tag-to-tag transitions cannot be learned for them.
StructShot learns *abstract* transitions on the training types instead (O -> O, O -> entity,
entity -> O, entity -> the same type, entity -> another type), spreads each over an episode's
concrete tags, and Viterbi-decodes the query's per-token probabilities with them. This follows
Few-NERD's implementation (thunlp/Few-NERD `util/framework.py` `get_abstract_transitions` and
`viterbi_decode`, `util/viterbi.py` `project_target_transitions`):

- counts over the training tag sequences, normalised per source state (start, O, entity);
- an abstract probability is split evenly over its concrete targets: O -> entity over the N
  types, entity X -> other type over the N - 1 others;
- one temperature knob `tau`: every row is raised to the power tau and renormalised (tau < 1
  flattens the transitions towards the emissions; Few-NERD's README uses 0.32 at 1~2 shot),
  zeros become 1e-6, and the decoder works on logs;
- emissions are the softmax of the token scores (e.g. NNShot's minus nearest squared
  distance), so `structshot_decode` takes raw scores or log-probabilities alike.

Few-NERD's tags are IO (O, I-X), where every sequence is valid. The lab's `scheme="IOB2"` adds B
states (B-X -> B-X is a new mention of the same type) and, with `forbid_invalid`, makes the
moves IOB2 does not allow (start/O -> I-X, B-X or I-X -> I-Y) impossible instead of 1e-6. N = 1
has no "other type" target; that mass is dropped before renormalising (Few-NERD divides by 0).

    trans = estimate_transitions([s.tags for s in training_sentences], scheme="IO")
    tags = episode_tags(episode.types, scheme="IO")       # ["O", "I-A", "I-B"]: class ids
    decoded = structshot_decode(nnshot_logits, tags, trans, temperature=0.32)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Scheme = Literal["IO", "IOB2"]
FLOOR = 1e-6  # Few-NERD's stand-in for a zero transition probability
START = "start"


def _kind(tag: str, scheme: Scheme) -> tuple[str, str | None]:
    """(abstract kind, type): ("O", None), ("B", "PER"), ("I", "PER"); IO reads B- as I-."""
    if tag == "O":
        return "O", None
    if len(tag) < 3 or tag[1] != "-" or tag[0] not in "BI":
        raise ValueError(f"tag {tag!r} is neither O nor B-/I- + type")
    return ("I" if scheme == "IO" else tag[0]), tag[2:]


def _move(prev: tuple[str, str | None], cur: tuple[str, str | None]) -> str:
    """The abstract target of prev -> cur: O, B, I after start/O; B-same, I-other... after B/I."""
    kind, typ = cur
    if kind == "O" or prev[0] in (START, "O"):
        return kind
    return f"{kind}-{'same' if typ == prev[1] else 'other'}"


@dataclass(frozen=True)
class AbstractTransitions:
    scheme: Scheme
    counts: dict[tuple[str, str], int]  # (source state, abstract target) -> times seen
    probs: dict[tuple[str, str], float]  # the counts normalised per source state


def transition_counts(
    tag_lists: Iterable[Sequence[str]], scheme: Scheme = "IO"
) -> dict[tuple[str, str], int]:
    """Abstract moves in tag sequences: the first tag from `start`, then each pair in order."""
    counts: Counter[tuple[str, str]] = Counter()
    for tags in tag_lists:
        prev: tuple[str, str | None] = (START, None)
        for tag in tags:
            cur = _kind(tag, scheme)
            counts[(prev[0], _move(prev, cur))] += 1
            prev = cur
    return dict(sorted(counts.items()))


def estimate_transitions(
    tag_lists: Iterable[Sequence[str]], scheme: Scheme = "IO"
) -> AbstractTransitions:
    """Abstract transition probabilities from the training types' tag sequences."""
    counts = transition_counts(tag_lists, scheme)
    if not counts:
        raise ValueError("no tags to estimate transitions from")
    per_source: Counter[str] = Counter()
    for (source, _), n in counts.items():
        per_source[source] += n
    probs = {key: n / per_source[key[0]] for key, n in counts.items()}
    return AbstractTransitions(scheme, counts, probs)


def episode_tags(types: Sequence[str], scheme: Scheme = "IO") -> list[str]:
    """An episode's tag list in class-id order: O, then I-X (IO) or B-X, I-X (IOB2) per type."""
    if scheme == "IO":
        return ["O", *(f"I-{t}" for t in types)]
    return ["O", *(tag for t in types for tag in (f"B-{t}", f"I-{t}"))]


def _targets(move: str, width: int) -> int:
    """Concrete tags one abstract target is split over (`width`: tags of the target's kind)."""
    if move == "O" or move.endswith("same"):
        return 1
    return width - 1 if move.endswith("other") else width


def _invalid_iob2(move: str) -> bool:
    return move in ("I", "I-other")


def expand_transitions(
    transitions: AbstractTransitions,
    tags: Sequence[str],
    temperature: float = 1.0,
    forbid_invalid: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """(log start [T], log transitions [T, T], row = from) over an episode's concrete tags."""
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    scheme = transitions.scheme
    kinds = [_kind(t, scheme) for t in tags]
    width = Counter(k for k, _ in kinds)  # how many concrete tags share an abstract target
    sources = [(START, None), *kinds]
    raw = np.zeros((len(sources), len(tags)))
    banned = np.zeros_like(raw, dtype=bool)
    for i, prev in enumerate(sources):
        for j, cur in enumerate(kinds):
            move = _move(prev, cur)
            share = _targets(move, width[cur[0]])
            p = transitions.probs.get((prev[0], move), 0.0)
            raw[i, j] = p / share if share else 0.0
            banned[i, j] = scheme == "IOB2" and forbid_invalid and _invalid_iob2(move)
    powered = raw**temperature
    sums = powered.sum(axis=1, keepdims=True)
    normed = np.divide(powered, sums, out=np.zeros_like(powered), where=sums > 0)
    logs = np.log(np.where(normed > 0, normed, FLOOR))
    logs[banned] = -np.inf
    return logs[0], logs[1:]


def log_softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def viterbi(log_emissions: np.ndarray, log_start: np.ndarray, log_trans: np.ndarray) -> list[int]:
    """The best tag-id path: argmax of start + sum of transitions + sum of emissions."""
    length = log_emissions.shape[0]
    if length == 0:
        return []
    score = log_start + log_emissions[0]
    back = np.zeros((length, log_emissions.shape[1]), dtype=np.int64)
    for t in range(1, length):
        candidates = score[:, None] + log_trans  # [from, to]
        back[t] = candidates.argmax(axis=0)
        score = candidates.max(axis=0) + log_emissions[t]
    path = [int(score.argmax())]
    for t in range(length - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def _as_array(emissions: Any) -> np.ndarray:
    if hasattr(emissions, "detach"):  # a torch tensor, without importing torch here
        emissions = emissions.detach().float().cpu().numpy()
    return np.asarray(emissions, dtype=np.float64)


def structshot_decode(
    emissions: Any,
    tags: Sequence[str],
    transitions: AbstractTransitions,
    temperature: float = 0.32,
    forbid_invalid: bool = True,
) -> list[str]:
    """One sentence's tags from its token scores [length, len(tags)] (columns in `tags` order)."""
    scores = _as_array(emissions)
    if scores.ndim != 2 or scores.shape[1] != len(tags):
        raise ValueError(f"emissions of shape {scores.shape} for {len(tags)} tags")
    log_start, log_trans = expand_transitions(transitions, tags, temperature, forbid_invalid)
    return [tags[i] for i in viterbi(log_softmax(scores), log_start, log_trans)]
