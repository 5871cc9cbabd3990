"""What forgetting looks like sentence by sentence and token by token (pure, no model).

- `restrict_tags`: a tag sequence scored on some entity types only (the others become O).
- `forgotten_examples`: test sentences whose task-j entities were all right right after task j
  and are not at the end, with gold and predicted spans at every stage since.
- `type_drift`: for gold tokens of each type, which type the model predicted (same, O, other).

    spans = entity_spans(["B-PER", "I-PER", "O"])        # [("PER", 0, 2)]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from engine.metrics.ner import repair_iob2

Span = tuple[str, int, int]  # type, start word, end word (exclusive)


def restrict_tags(tags: Sequence[str], types: Iterable[str]) -> list[str]:
    keep = set(types)
    return [t if t != "O" and t[2:] in keep else "O" for t in tags]


def entity_spans(tags: Sequence[str]) -> list[Span]:
    """Entities of an IOB2 sequence (repaired first, as scoring does)."""
    spans: list[Span] = []
    start, kind = None, None
    for i, tag in enumerate([*repair_iob2(tags), "O"]):
        if kind is not None and not (tag[0] == "I" and tag[2:] == kind):
            spans.append((kind, start, i))
            kind = None
        if tag[0] == "B":
            start, kind = i, tag[2:]
    return spans


def forgotten_examples(
    tokens: Sequence[Sequence[str]],
    gold: Sequence[Sequence[str]],
    predictions: Sequence[Sequence[Sequence[str]]],
    types: Iterable[str],
    learned_at: int,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Sentences whose `types` entities were exactly right after stage `learned_at` but not at the
    last stage. `predictions[s][k]` are the tags of sentence k after stage s."""
    types = set(types)
    out: list[dict[str, Any]] = []
    for k, words in enumerate(tokens):
        gold_spans = entity_spans(restrict_tags(gold[k], types))
        if not gold_spans:
            continue
        stages = [entity_spans(restrict_tags(p[k], types)) for p in predictions]
        if stages[learned_at] != gold_spans or stages[-1] == gold_spans:
            continue
        out.append(
            {
                "sentence": k,
                "tokens": list(words),
                "gold": [list(s) for s in gold_spans],
                # all predicted spans (any type): a forgotten LOC often comes back as a new type
                "predicted": {
                    str(s): [list(x) for x in entity_spans(predictions[s][k])]
                    for s in range(learned_at, len(predictions))
                },
            }
        )
        if len(out) >= limit:
            break
    return out


def type_drift(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], types: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """For the gold tokens of each of `types`: how many were predicted as that type, as O, and
    as each other type: {"LOC": {"same": 80, "O": 15, "other": {"PER": 5}, "total": 100}}."""
    counts = {t: Counter() for t in types}
    for g_tags, p_tags in zip(gold, pred, strict=True):
        for g, p in zip(g_tags, p_tags, strict=True):
            if g == "O" or g[2:] not in counts:
                continue
            counts[g[2:]]["O" if p == "O" else p[2:]] += 1
    out: dict[str, dict[str, Any]] = {}
    for t, c in counts.items():
        other = {k: n for k, n in sorted(c.items()) if k not in (t, "O")}
        out[t] = {"same": c[t], "O": c["O"], "other": other, "total": sum(c.values())}
    return out
