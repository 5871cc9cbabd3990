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

from engine.data.readers.records import json_records
from engine.data.readers.source import read_text
from engine.data.readers.spans import RawSpan, Record, SpanConverter
from engine.data.types import Problem, Sentence

SPAN_KEYS = ("label", "labels", "entities")


def read_doccano(
    path: Path, *, labels: list[str] | None = None, span_policy: str = "snap"
) -> tuple[list[Sentence], list[Problem]]:
    """Read a doccano JSONL export (a JSON array of the same objects is accepted too)."""
    name = str(path)
    converter = SpanConverter(name, span_policy, labels)
    records, is_array = json_records(read_text(path), name, converter.log)
    sentences = []
    for number, (line, obj) in enumerate(records, start=1):
        where = f"item {number}: " if is_array else ""
        record = doccano_record(obj, line, where, converter)
        if record is not None and (sentence := converter.sentence(record)) is not None:
            sentences.append(sentence)
    return sentences, converter.problems()


def doccano_record(obj: Any, line: int, where: str, converter: SpanConverter) -> Record | None:
    """The record of one doccano object, or None after logging why there is none."""
    log = converter.log
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        got = type(obj).__name__ if not isinstance(obj, dict) else "no 'text' string"
        log.add(line, f"{where}expected an object with 'text' and 'label' ({got})")
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
