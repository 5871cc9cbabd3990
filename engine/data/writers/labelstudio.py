"""Label Studio tasks: model pre-annotations, and a lab dataset as annotated tasks.

    task = prediction_task(text, entities, model_version="run-12")
    tasks = sentences_to_labelstudio(corpus.sentences)
    Path("import.json").write_text(tasks_json([task]), encoding="utf-8")

The import format is Label Studio's documented task JSON: `data` holds the text (key "text",
the `$text` of a `<Text name="text" value="$text"/>` tag), and each region is
`{"id", "from_name", "to_name", "type": "labels", "value": {"start", "end", "text", "labels"}}`
with code-point offsets. `from_name` / `to_name` must match the project's labeling config
(`<Labels name="label" toName="text">`), the defaults of the NER template.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from engine.data.char_spans import Entity, detokenize, tags_to_entities
from engine.data.types import Sentence
from engine.data.writers.entities import EntityLike, checked_entities, mean_score


def region(
    text: str, entity: Entity, *, from_name: str = "label", to_name: str = "text"
) -> dict[str, Any]:
    """One `labels` result item; its score, when the entity has one."""
    item: dict[str, Any] = {
        "id": region_id(text, entity),
        "from_name": from_name,
        "to_name": to_name,
        "type": "labels",
        "value": {
            "start": entity.start,
            "end": entity.end,
            "text": text[entity.start : entity.end],
            "labels": [entity.type],
        },
    }
    if entity.score is not None:
        item["score"] = entity.score
    return item


def region_id(text: str, entity: Entity) -> str:
    """A short id, the same on every run, and distinct for distinct regions and texts.

    Label Studio wants a different id on every result item; a hash of the text and the span
    gives that without a counter shared across files.
    """
    key = f"{entity.start}:{entity.end}:{entity.type}:{text}".encode()
    return hashlib.sha1(key, usedforsecurity=False).hexdigest()[:10]


def prediction_task(
    text: str,
    entities: Iterable[EntityLike],
    *,
    model_version: str,
    score: float | None = None,
    data: dict[str, Any] | None = None,
    from_name: str = "label",
    to_name: str = "text",
    data_key: str = "text",
) -> dict[str, Any]:
    """A task with `predictions` (pre-annotations) for `text`.

    `score` (the prediction's, which Label Studio sorts tasks by) defaults to the mean entity
    score; `data` adds other task fields (an id of the source document, say).
    """
    found = checked_entities(text, entities)
    prediction: dict[str, Any] = {
        "model_version": model_version,
        "result": [region(text, e, from_name=from_name, to_name=to_name) for e in found],
    }
    overall = score if score is not None else mean_score(found)
    if overall is not None:
        prediction["score"] = overall
    return {"data": {**(data or {}), data_key: text}, "predictions": [prediction]}


def sentences_to_labelstudio(
    sentences: Sequence[Sentence], *, from_name: str = "label", to_name: str = "text"
) -> list[dict[str, Any]]:
    """Annotated tasks for a lab dataset: words joined into text (engine.data.char_spans
    .detokenize), each IOB2 entity a region with the exact offsets of its words."""
    tasks = []
    for sentence in sentences:
        text, tokens = detokenize(sentence.tokens)
        found = tags_to_entities(tokens, sentence.tags)
        result = [region(text, e, from_name=from_name, to_name=to_name) for e in found]
        annotation = {"result": result, "was_cancelled": False, "ground_truth": False}
        tasks.append({"data": {"text": text}, "annotations": [annotation]})
    return tasks


def tasks_json(tasks: Sequence[dict[str, Any]]) -> str:
    """The file Label Studio imports: one JSON array, UTF-8 text kept readable."""
    return json.dumps(list(tasks), ensure_ascii=False, indent=2) + "\n"
