"""JSON Lines reader: one object per line holding `tokens` and their tags.

    sentences, problems = read_jsonl(Path("train.jsonl"), labels=None)

The tags are under `ner_tags`, or `tags` (AutoTrain), or `labels` when neither is there (then
`labels` holds the tags, not a label list). They are tag strings, or integer ids named by the
first label list found: the line's own `labels` / `label_names` key (`label_names` only, when
`labels` holds the tags), the caller's `labels`, then a sibling `labels.txt` (one label a line)
or `labels.json` (a list, or an id->name / name->id mapping). A file holding one JSON array of
such objects is accepted too; its problems then say "item N" instead of a line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.data.readers.source import CappedProblems, read_text
from engine.data.types import DataError, Problem, Sentence

LABEL_KEYS = ("labels", "label_names")
TAG_KEYS = ("ner_tags", "tags", "labels")  # the first present holds the tags
LABEL_FILES = ("labels.txt", "labels.json")


def read_jsonl(path: Path, labels: list[str] | None = None) -> tuple[list[Sentence], list[Problem]]:
    """Read a JSONL (or JSON array) file; unreadable files and bad label files raise DataError."""
    text = read_text(path)
    default_labels = labels if labels is not None else sibling_labels(path)
    if text.lstrip().startswith("["):
        return _parse_array(text, str(path), default_labels)
    return parse_jsonl(text, str(path), default_labels)


def parse_jsonl(
    text: str, name: str, labels: list[str] | None = None
) -> tuple[list[Sentence], list[Problem]]:
    """Parse JSON Lines text; every problem names the line it is on."""
    sentences: list[Sentence] = []
    problems = CappedProblems(name)
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError) as exc:  # also too-deep nesting, huge integers
            problems.add(number, _json_error(exc))
            continue
        _add_object(obj, number, f"line {number}", labels, sentences, problems)
    return sentences, problems.problems()


def _parse_array(
    text: str, name: str, labels: list[str] | None
) -> tuple[list[Sentence], list[Problem]]:
    try:
        items = json.loads(text)
    except (ValueError, RecursionError) as exc:
        line = exc.lineno if isinstance(exc, json.JSONDecodeError) else 0
        raise DataError([Problem(name, line, _json_error(exc))]) from exc
    if not isinstance(items, list):
        raise DataError([Problem(name, 1, "expected a JSON array of objects")])
    sentences: list[Sentence] = []
    problems = CappedProblems(name)
    for index, obj in enumerate(items):
        _add_object(obj, 0, f"item {index}", labels, sentences, problems)
    return sentences, problems.problems()


def _json_error(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        # Some messages end in "at" already ("Unterminated string starting at"): no "at at".
        where = "column" if exc.msg.endswith(" at") else "at column"
        return f"bad JSON: {exc.msg} {where} {exc.colno}"
    return f"bad JSON: {exc.__class__.__name__}: {exc}"


def _add_object(
    obj: Any,
    line: int,
    where: str,
    labels: list[str] | None,
    sentences: list[Sentence],
    problems: CappedProblems,
) -> None:
    result = sentence_from_object(obj, line, labels)
    if isinstance(result, Sentence):
        if result.tokens:
            sentences.append(result)
        else:
            problems.add(line, f"{where}: empty sentence skipped", "warning")
    else:
        problems.add(line, result if line else f"{where}: {result}")


def sentence_from_object(obj: Any, line: int, labels: list[str] | None) -> Sentence | str:
    """A Sentence, or the reason this object is not one."""
    if not isinstance(obj, dict):
        return f"expected an object with tokens and ner_tags, got {type(obj).__name__}"
    tag_key = next((key for key in TAG_KEYS if key in obj), None)
    if "tokens" not in obj or tag_key is None:
        missing = "'tokens'" if "tokens" not in obj else "'ner_tags' (or 'tags')"
        return f"missing key {missing} (keys present: {', '.join(sorted(obj)) or 'none'})"
    tokens, tags = obj["tokens"], obj[tag_key]
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        return "tokens must be a list of strings"
    if not isinstance(tags, list):
        return f"{tag_key} must be a list"
    if len(tokens) != len(tags):
        return f"{len(tokens)} tokens but {len(tags)} {tag_key}"
    label_keys = [key for key in LABEL_KEYS if key != tag_key]
    own_labels = next((obj[key] for key in label_keys if key in obj), None)
    names = tag_names(tags, own_labels if own_labels is not None else labels, tag_key)
    if isinstance(names, str):
        return names
    return Sentence(tuple(tokens), tuple(names), line)


def tag_names(tags: list[Any], labels: list[str] | None, key: str = "ner_tags") -> list[str] | str:
    """Tags as strings (ids looked up in `labels`), or the reason they cannot be."""
    if all(isinstance(tag, str) for tag in tags):
        return tags
    # bool is an int subclass; true/false in ner_tags is a mistake, not ids 1/0.
    if not all(isinstance(tag, int) and not isinstance(tag, bool) for tag in tags):
        return f"{key} must be all strings or all integer ids"
    if labels is None:
        own = "a 'label_names' key" if key == "labels" else "a 'labels' key"
        return (
            f"{key} are integer ids but there is no label list (add {own}, "
            "pass labels=, or put labels.txt next to the file)"
        )
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        return "the label list must be a list of strings"
    for position, tag in enumerate(tags, start=1):
        if not 0 <= tag < len(labels):
            return f"tag id {tag} at word {position} is out of range for {len(labels)} labels"
    return [labels[tag] for tag in tags]


def sibling_labels(path: Path) -> list[str] | None:
    """The label list from labels.txt / labels.json next to `path`, if there is one."""
    for file_name in LABEL_FILES:
        candidate = path.parent / file_name
        if candidate.is_file():
            return _read_label_file(candidate)
    return None


def _read_label_file(path: Path) -> list[str]:
    text = read_text(path)
    if path.suffix == ".txt":
        return [line.strip() for line in text.split("\n") if line.strip()]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError([Problem(str(path), exc.lineno, _json_error(exc))]) from exc
    labels = _labels_from_json(data)
    if labels is None:
        reason = "expected a list of labels or an id->label mapping"
        raise DataError([Problem(str(path), 0, reason)])
    return labels


def _labels_from_json(data: Any) -> list[str] | None:
    if isinstance(data, dict) and isinstance(data.get("id2label"), dict):
        data = data["id2label"]  # a transformers config.json fragment
    if isinstance(data, list) and all(isinstance(x, str) for x in data):
        return data
    if not isinstance(data, dict) or not data:
        return None
    if all(isinstance(v, int) for v in data.values()):  # name -> id
        data = {str(v): k for k, v in data.items()}
    try:
        by_id = {int(k): v for k, v in data.items()}
    except ValueError:
        return None
    if sorted(by_id) != list(range(len(by_id))):
        return None  # ids must be 0..n-1 with no gaps
    if not all(isinstance(v, str) for v in by_id.values()):
        return None
    return [by_id[i] for i in range(len(by_id))]
