"""Predictions over documents, written in the annotation tools' formats (no torch).

    text = render(predictions, "labelstudio", model_version="run-7")
    Path("pre.json").write_text(text, encoding="utf-8")

Formats (OUTPUT_FORMATS; engine.data.writers does the writing, docs/formats.md):

- labelstudio: a JSON array of tasks with `predictions: [{model_version, score, result}]`,
  each region `{value: {start, end, text, labels}, score}`; a Label Studio task read as input
  keeps its `data`.
- doccano: JSONL `{"id"?, "text", "label": [[start, end, type], ...]}`.
- spacy: spaCy / Prodigy span JSONL `{"text", "tokens", "spans": [{start, end, token_start,
  token_end, label, score}]}` with the tokens the model tagged.
- conll: `TOKEN<TAB>TAG`, a blank line after each sentence.
- jsonl: one line a document `{"id"?, "text", "tokens", "ner_tags", "entities": [...]}`, which
  the lab reads back as tokens + ner_tags.

`PredictedFile.to_dict()` / `from_dict()` carry predictions from the CLI (`--details FILE`) to
the dashboard, which renders any format from them without running the model again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.data.char_spans import Entity, Token, tag_ranges, tags_to_entities
from engine.data.writers import conll_block, doccano_record, jsonl, prediction_task, tasks_json
from engine.data.writers.spans_jsonl import token_dicts

OUTPUT_FORMATS = ("labelstudio", "doccano", "spacy", "conll", "jsonl")
SUFFIXES = {"labelstudio": "json", "doccano": "jsonl", "spacy": "jsonl", "conll": "conll"}
SUFFIXES["jsonl"] = "jsonl"


@dataclass(frozen=True)
class Prediction:
    """One document: its text and tokens, a tag and a confidence per token."""

    text: str
    tokens: tuple[Token, ...]
    tags: tuple[str, ...]
    scores: tuple[float, ...]
    sentence_starts: tuple[int, ...] = (0,)  # token indices where a sentence starts
    data: dict[str, Any] | None = None  # a Label Studio task's data (input was a task)
    data_key: str = "text"
    extra: dict[str, Any] = field(default_factory=dict)  # the input record's id

    @property
    def entities(self) -> list[Entity]:
        return tags_to_entities(self.tokens, self.tags, self.scores)

    def sentences(self) -> list[tuple[int, int]]:
        """[first, stop) token ranges of the sentences."""
        starts = [s for s in self.sentence_starts if 0 <= s < len(self.tokens)] or [0]
        bounds = [*sorted(set(starts)), len(self.tokens)]
        return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "tokens": [[t.start, t.end] for t in self.tokens],
            "tags": list(self.tags),
            "scores": list(self.scores),
            "sentence_starts": list(self.sentence_starts),
            "data": self.data,
            "data_key": self.data_key,
            "extra": self.extra,
            "entities": [entity_dict(self.text, e) for e in self.entities],
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Prediction:
        text = raw["text"]
        tokens = tuple(Token(text[a:b], a, b) for a, b in raw["tokens"])
        return cls(
            text,
            tokens,
            tuple(raw["tags"]),
            tuple(float(s) for s in raw["scores"]),
            tuple(raw.get("sentence_starts") or (0,)),
            raw.get("data"),
            raw.get("data_key") or "text",
            dict(raw.get("extra") or {}),
        )


@dataclass(frozen=True)
class PredictedFile:
    """What `predict --input` found in one file: predictions, and how long it took."""

    run_id: int
    stage: str
    model_version: str
    predictions: list[Prediction]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return sum(len(p.tokens) for p in self.predictions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "stage": self.stage,
            "model_version": self.model_version,
            "seconds": round(self.seconds, 3),
            "tokens": self.tokens,
            "notes": list(self.notes),
            "documents": [p.to_dict() for p in self.predictions],
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> PredictedFile:
        predictions = [Prediction.from_dict(d) for d in raw["documents"]]
        return cls(
            int(raw["run_id"]),
            str(raw["stage"]),
            str(raw["model_version"]),
            predictions,
            float(raw.get("seconds", 0.0)),
            list(raw.get("notes", [])),
        )


def entity_dict(text: str, entity: Entity) -> dict[str, Any]:
    return {
        "start": entity.start,
        "end": entity.end,
        "type": entity.type,
        "text": text[entity.start : entity.end],
        "score": entity.score,
    }


def render(predictions: Sequence[Prediction], fmt: str, *, model_version: str) -> str:
    """The predictions as one file in `fmt` (one of OUTPUT_FORMATS)."""
    if fmt == "labelstudio":
        return tasks_json([_task(p, model_version) for p in predictions])
    if fmt == "doccano":
        return jsonl(doccano_record(p.text, p.entities, extra=p.extra) for p in predictions)
    if fmt == "spacy":
        return jsonl(_spans_record(p) for p in predictions)
    if fmt == "conll":
        words = [[t.text for t in p.tokens] for p in predictions]
        return "".join(
            conll_block(w[a:b], p.tags[a:b])
            for p, w in zip(predictions, words, strict=True)
            for a, b in p.sentences()
        )
    if fmt == "jsonl":
        return jsonl(_jsonl_record(p) for p in predictions)
    raise ValueError(f"unknown output format {fmt!r}; choose one of {', '.join(OUTPUT_FORMATS)}")


def _task(p: Prediction, model_version: str) -> dict[str, Any]:
    data = {k: v for k, v in (p.data or {}).items() if k != p.data_key}
    return prediction_task(
        p.text, p.entities, model_version=model_version, data=data, data_key=p.data_key
    )


def _spans_record(p: Prediction) -> dict[str, Any]:
    spans = []
    for kind, first, stop in tag_ranges(p.tags):
        scores = p.scores[first:stop]
        spans.append(
            {
                "start": p.tokens[first].start,
                "end": p.tokens[stop - 1].end,
                "token_start": first,
                "token_end": stop - 1,
                "label": kind,
                "score": round(sum(scores) / len(scores), 4),
            }
        )
    return {**p.extra, "text": p.text, "tokens": token_dicts(p.text, p.tokens), "spans": spans}


def _jsonl_record(p: Prediction) -> dict[str, Any]:
    return {
        **p.extra,
        "text": p.text,
        "tokens": [t.text for t in p.tokens],
        "ner_tags": list(p.tags),
        "entities": [entity_dict(p.text, e) for e in p.entities],
    }
