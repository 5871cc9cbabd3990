"""Property-based fuzzing of the span readers (Label Studio, JSON-MIN, doccano, Prodigy, spaCy)
and of the shared tokenisation, in the manner of tests/reliability/test_fuzz_readers.py.

Generated files, of the right shape, damaged or random, are read through read_corpus (detected
and with each format forced, both span policies) and validate_file. The only outcomes allowed:
a sound IOB2 corpus, or a DataError whose problems name the file and a line, never a traceback.
Well-formed files must give back exactly the spans they were made from.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.data.char_spans import SPACE, char_class, tags_to_entities, tokenize
from engine.data.readers import SPAN_FORMATS, inspect_corpus, read_corpus
from engine.data.validate import validate_file
from tests.reliability import fuzz_inputs as fi
from tests.reliability.figures import TRIED

pytestmark = pytest.mark.slow
BUDGET = {"span_files": 1500, "span_bytes": 400, "tokenize": 600, "round_trip": 400}
WORDS = (
    "Ann",
    "Lee",
    "東京",
    "李白",
    "😀",
    "👍🏽",
    "Ba\u0301r",
    "e\u0301",
    "New-York",
    "don't",
    ".",
)
SEPARATORS = (" ", "  ", "\r\n", "\n", "\t", "\u00a0", "\u3000", "")
TYPES = ("PER", "LOC", "", " ", "B-X", 7, None)


def fuzz(name: str) -> settings:
    return settings(
        max_examples=max(1, int(BUDGET[name] * fi.SCALE)),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def random_text(rng: random.Random) -> str:
    parts = [rng.choice(WORDS) if rng.random() < 0.8 else fi.token(rng) for _ in range(6)]
    return "".join(p + rng.choice(SEPARATORS) for p in parts[: rng.randint(0, 6)])


def offsets(rng: random.Random, text: str) -> tuple[Any, Any]:
    """Mostly a real span of `text` (edges anywhere, inside words too), else anything."""
    if text and rng.random() < 0.8:
        start = rng.randrange(len(text))
        return start, rng.randint(start + 1, len(text))
    junk = [-1, 0, 10**20, "3", 2.5, True, None, len(text), len(text) * 2 + 1]
    return rng.choice(junk), rng.choice(junk)


def label(rng: random.Random) -> Any:
    return rng.choice(["PER", "LOC"]) if rng.random() < 0.8 else rng.choice(TYPES)


def region(rng: random.Random, text: str) -> dict[str, Any]:
    start, end = offsets(rng, text)
    value: dict[str, Any] = {"start": start, "end": end, "labels": [label(rng)]}
    if rng.random() < 0.7 and isinstance(start, int) and isinstance(end, int):
        value["text"] = text[start:end] if rng.random() < 0.8 else fi.token(rng)
    return {"type": rng.choice(["labels"] * 10 + ["choices", 3]), "value": value}


def ls_task(rng: random.Random) -> Any:
    text = random_text(rng)
    annotations = []
    for _ in range(rng.randint(0 if rng.random() < 0.1 else 1, 3)):
        annotations.append(
            {
                "result": [region(rng, text) for _ in range(rng.randint(0, 4))],
                "was_cancelled": rng.random() < 0.1,
                "updated_at": rng.choice(["2024-01-01T00:00:00Z", "bad", 5, None, "2023-02-30"]),
            }
        )
    task: dict[str, Any] = {"id": rng.randint(0, 9), "data": {"text": text}}
    task[rng.choice(["annotations", "annotations", "completions"])] = annotations
    return damage(rng, task)


def min_row(rng: random.Random) -> Any:
    text = random_text(rng)
    regions = [region(rng, text)["value"] for _ in range(rng.randint(0, 3))]
    return damage(rng, {"id": rng.randint(0, 3), "text": text, "label": regions})


def doccano_line(rng: random.Random) -> Any:
    text = random_text(rng)
    spans = [[*offsets(rng, text), label(rng)] for _ in range(3)]
    return damage(rng, {"text": text, rng.choice(["label", "labels"]): spans[: rng.randint(0, 3)]})


def prodigy_line(rng: random.Random) -> Any:
    text = random_text(rng)
    tokens = [{"text": t.text, "start": t.start, "end": t.end} for t in tokenize(text)]
    spans = []
    for _ in range(rng.randint(0, 3)):
        start, end = offsets(rng, text)
        span = {"start": start, "end": end, "label": label(rng)}
        if tokens and rng.random() < 0.5:
            span |= {"token_start": rng.randint(-1, len(tokens)), "token_end": rng.randint(0, 9)}
        spans.append(span)
    line: dict[str, Any] = {"text": text, "spans": spans}
    if rng.random() < 0.5:
        line["tokens"] = tokens
    if rng.random() < 0.3:
        line["answer"] = rng.choice(["accept", "reject", "ignore", 3, ["x"]])
    return damage(rng, line)


def damage(rng: random.Random, obj: dict[str, Any]) -> Any:
    """Now and then replace a field, or the whole record, by any JSON value."""
    if rng.random() < 0.03:
        return fi.json_value(rng)
    if rng.random() < 0.1:
        obj[rng.choice(list(obj))] = fi.json_value(rng)
    return obj


def span_file(rng: random.Random) -> tuple[str, bytes]:
    kind = rng.choice(["labelstudio", "min", "doccano", "prodigy"])
    make = {"labelstudio": ls_task, "min": min_row, "doccano": doccano_line}.get(kind, prodigy_line)
    records = [make(rng) for _ in range(rng.randint(0 if rng.random() < 0.05 else 1, 5))]
    if kind in ("labelstudio", "min"):
        text = json.dumps(records, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 2]))
        name = "export.json"
    else:
        text = "\n".join(json.dumps(r, ensure_ascii=rng.random() < 0.5) for r in records)
        name = "data.jsonl"
    if rng.random() < 0.05:
        text = text[: rng.randint(0, len(text))]  # cut short
    return name, text.encode("utf-8", errors="surrogatepass")


def check_report(path: Path) -> None:
    report = validate_file(str(path))
    assert all(p.file == str(path) and p.line >= 0 and p.reason.strip() for p in report.problems)


@fuzz("span_files")
@given(
    made=fi.seeded(span_file),
    fmt=st.sampled_from([None, *SPAN_FORMATS[:4], "jsonl"]),
    policy=st.sampled_from(["snap", "reject"]),
)
def test_span_files_read_or_name_file_and_line(tmp_path, made, fmt, policy):
    TRIED["span_files"] += 1
    name, data = made
    path = tmp_path / name
    path.write_bytes(data)
    fi.check_outcome(lambda p: read_corpus(p, fmt=fmt, span_policy=policy), path)
    # inspect_corpus keeps errors as problems: the sentences it returns must still be sound.
    fi.check_outcome(lambda p: inspect_corpus(p, fmt=fmt, span_policy=policy), path)
    check_report(path)


@fuzz("span_bytes")
@given(data=st.binary(max_size=2000), fmt=st.sampled_from(SPAN_FORMATS))
def test_random_bytes_as_span_formats(tmp_path, data, fmt):
    TRIED["span_bytes"] += 1
    path = tmp_path / ("data.spacy" if fmt == "spacy" else "data.json")
    path.write_bytes(data)
    fi.check_outcome(lambda p: read_corpus(p, fmt=fmt), path)
    check_report(path)


@fuzz("tokenize")
@given(text=st.text(max_size=200))
def test_tokens_are_ordered_slices_covering_every_visible_character(text):
    TRIED["tokenize"] += 1
    tokens = tokenize(text)
    covered = set()
    end = 0
    for token in tokens:
        assert end <= token.start < token.end and text[token.start : token.end] == token.text
        assert char_class(token.text[0]) != SPACE
        covered.update(range(token.start, token.end))
        end = token.end
    for index, ch in enumerate(text):
        assert (index in covered) == (char_class(ch) != SPACE or _glued(text, index)), (text, index)


def _glued(text: str, index: int) -> bool:
    """A space-class character inside a token: only right after a ZWJ (rule 5)."""
    return index > 0 and text[index - 1] == "\u200d"


def aligned_task(rng: random.Random) -> tuple[str, list[tuple[int, int, str]]]:
    """Text and non-overlapping spans on token edges: what a careful annotator exports."""
    text = random_text(rng)
    tokens = tokenize(text)
    spans, index = [], 0
    while index < len(tokens):
        stop = min(len(tokens), index + rng.randint(1, 3))
        if rng.random() < 0.4:
            spans.append((tokens[index].start, tokens[stop - 1].end, rng.choice(["PER", "LOC"])))
        index = stop
    return text, spans


@fuzz("round_trip")
@given(made=st.lists(fi.seeded(aligned_task), min_size=1, max_size=4))
def test_well_formed_exports_give_back_their_exact_spans(tmp_path, made):
    TRIED["round_trip"] += 1
    made = [(text, spans) for text, spans in made if tokenize(text)]
    tasks = []
    for text, spans in made:
        result = [
            {"type": "labels", "value": {"start": s, "end": e, "text": text[s:e], "labels": [t]}}
            for s, e, t in spans
        ]
        tasks.append({"data": {"text": text}, "annotations": [{"result": result}]})
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    outcome = fi.check_outcome(lambda p: read_corpus(p, span_policy="reject"), path)
    if not any(spans for _, spans in made):
        return  # no entities: a warning, or no sentences at all
    assert not isinstance(outcome, Exception), outcome
    for (text, spans), sentence in zip(made, outcome.sentences, strict=True):
        found = tags_to_entities(tokenize(text), sentence.tags)
        assert [(e.start, e.end, e.type) for e in found] == spans
