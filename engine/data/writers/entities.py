"""Entities handed to the writers: checked against their text, in text order.

    entities = checked_entities(text, [{"type": "PER", "start": 0, "end": 3, "confidence": 0.9}])

Writers take engine.data.char_spans.Entity objects or mappings with `start`, `end`, `type`
(or `label`) and `score` (or `confidence`, as engine.inference.tagger returns them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.data.char_spans import Entity

EntityLike = Entity | Mapping[str, Any]


def as_entity(value: EntityLike) -> Entity:
    """An Entity from an Entity or a mapping; ValueError naming what is missing."""
    if isinstance(value, Entity):
        return value
    kind = value.get("type", value.get("label"))
    score = value.get("score", value.get("confidence"))
    start, end = value.get("start"), value.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or not isinstance(kind, str):
        raise ValueError(f"an entity needs integer start/end and a type: {dict(value)!r}")
    return Entity(start, end, kind, float(score) if isinstance(score, int | float) else None)


def checked_entities(text: str, entities: Iterable[EntityLike]) -> list[Entity]:
    """Entities sorted by position; ValueError for offsets outside `text` or an empty type."""
    out = sorted((as_entity(e) for e in entities), key=lambda e: (e.start, -e.end))
    for entity in out:
        if not 0 <= entity.start < entity.end <= len(text):
            raise ValueError(f"entity {entity} is outside a text of {len(text)} characters")
        if not entity.type.strip():
            raise ValueError(f"entity {entity} has an empty type")
    return out


def mean_score(entities: Iterable[Entity]) -> float | None:
    """The mean of the entities' scores, None when none has one."""
    scores = [e.score for e in entities if e.score is not None]
    return round(sum(scores) / len(scores), 4) if scores else None
