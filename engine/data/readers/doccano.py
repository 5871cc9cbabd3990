"""doccano sequence-labelling export (JSON Lines) -> IOB2 Sentences, one per line.

    sentences, problems = read_doccano(Path("admin.jsonl"), span_policy="snap")

Each line is `{"text": "...", "label": [[start, end, "TYPE"], ...]}`; older and newer doccano
versions write `labels` instead of `label`, and the relation-extraction export writes
`entities: [{"start_offset", "end_offset", "label"}]`: all three are read. A line with none of
them is a text with no entities. Offsets are code points, end exclusive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.data.readers.spans import (
    RawSpan,
    Record,
    SpanConverter,
    is_text_object,
    read_span_export,
)
from engine.data.types import Problem, Sentence

SPAN_KEYS = ("label", "labels", "entities")


def read_doccano(
    path: Path, *, labels: list[str] | None = None, span_policy: str = "snap"
) -> tuple[list[Sentence], list[Problem]]:
    """Read a doccano JSONL export (a JSON array of the same objects is accepted too)."""
    sentences, converter, _ = read_span_export(path, labels, span_policy, doccano_record)
    return sentences, converter.problems()


def doccano_record(obj: Any, line: int, where: str, converter: SpanConverter) -> Record | None:
    """The record of one doccano object, or None after logging why there is none."""
    log = converter.log
    if not is_text_object(obj, line, where, log, "label"):
        return None
    key = next((k for k in SPAN_KEYS if k in obj), None)
    items = obj.get(key, []) if key else []
    if not isinstance(items, list):
        log.add(line, f"{where}{key!r} must be a list of [start, end, type]")
        return None
    spans = []
    for position, item in enumerate(items, start=1):
        span = doccano_span(item)
        if span is None:
            reason = f"{where}{key}[{position}] = {item!r:.60} is not [start, end, type]"
            log.add(line, reason)
        else:
            spans.append(span)
    return Record(obj["text"], spans, line, where)


def doccano_span(item: Any) -> RawSpan | None:
    """[start, end, type], or a relation export's {start_offset, end_offset, label}."""
    if isinstance(item, list) and len(item) == 3:
        return RawSpan(item[0], item[1], item[2])
    if isinstance(item, dict) and {"start_offset", "end_offset", "label"} <= set(item):
        return RawSpan(item["start_offset"], item["end_offset"], item["label"])
    return None
