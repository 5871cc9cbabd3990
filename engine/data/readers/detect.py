"""Tell a data file's format from its name and its first records.

    detect_format(Path("export.json"))   # "labelstudio"

Rules, first match wins: a `save_to_disk` folder -> hf_disk; `*.spacy` -> spacy; a `*.jsonl` /
`*.json` file, or any file whose first line is a JSON object, is JSON and its first records
decide (up to SNIFFED of them, the first that is telling): `annotations` / `completions` / a
`data` object -> labelstudio; `text` + `spans` (or a Prodigy `answer`) -> prodigy; `tokens` ->
jsonl; `text` + `label` / `labels` as `[start, end, type]` lists, or `entities` with
`start_offset` -> doccano; `text` + a list of `{start, end, labels}` regions -> labelstudio-min;
nothing telling -> jsonl. Anything else -> conll.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.data.readers.hf_disk import is_hf_disk_dir
from engine.data.readers.source import read_head, read_text
from engine.data.types import DataError, Problem

SNIFFED = 20  # records looked at; enough to get past a few unlabelled ones


def detect_format(path: Path) -> str:
    """The reader for `path` by the rules above."""
    if is_hf_disk_dir(path):
        return "hf_disk"
    if path.is_dir():
        reason = "is a directory but not a dataset saved with datasets' save_to_disk"
        raise DataError([Problem(str(path), 0, reason)])
    suffix = path.suffix.lower()
    if suffix == ".spacy":
        return "spacy"
    head = read_head(path).decode("utf-8-sig", errors="replace")
    first = next((line.strip() for line in head.splitlines() if line.strip()), "")
    if suffix in (".jsonl", ".json") or (first.startswith("{") and first.endswith("}")):
        return json_kind(sample_records(path, head)) or "jsonl"
    return "conll"


def sample_records(path: Path, head: str) -> list[Any]:
    """Up to SNIFFED records from the start of a JSON / JSON Lines file (fewer if it is bad)."""
    body = head.lstrip()
    if body.startswith("["):
        return _array_items(path, body)
    items = []
    for line in body.splitlines():
        if len(items) >= SNIFFED:
            break
        try:
            items.append(json.loads(line))
        except (ValueError, RecursionError):
            continue
    if not items and body.startswith("{"):  # one pretty-printed object
        items = _whole_file(path)[:1]
    return items


def _array_items(path: Path, body: str) -> list[Any]:
    decoder = json.JSONDecoder()
    items: list[Any] = []
    index = 1
    while len(items) < SNIFFED:
        while index < len(body) and body[index] in " \t\r\n,":
            index += 1
        try:
            item, index = decoder.raw_decode(body, index)
        except (ValueError, RecursionError):
            break
        items.append(item)
    # A first item longer than the head (a long document): parse the whole file instead.
    return items or _whole_file(path)[:SNIFFED]


def _whole_file(path: Path) -> list[Any]:
    try:
        value = json.loads(read_text(path))
    except (DataError, ValueError, RecursionError):
        return []
    return value if isinstance(value, list) else [value]


def json_kind(items: list[Any]) -> str | None:
    """The format the first telling record names, or None when none does."""
    for item in items:
        kind = record_kind(item)
        if kind is not None:
            return kind
    # Only empty span lists: `text` + `label: []` is still doccano's shape.
    if any(_text_with(item, ("label", "labels", "entities")) for item in items):
        return "doccano"
    return None


def _text_with(item: Any, keys: tuple[str, ...]) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("text"), str)
        and bool(item.keys() & set(keys))
    )


def record_kind(item: Any) -> str | None:
    """The format one JSON record belongs to, or None when it could be several."""
    if not isinstance(item, dict):
        return None
    keys = set(item)
    if keys & {"annotations", "completions"} or isinstance(item.get("data"), dict):
        return "labelstudio"
    if "text" in keys and ("spans" in keys or "answer" in keys):
        return "prodigy"
    if "tokens" in keys:
        return "jsonl"
    if not isinstance(item.get("text"), str):
        return None
    for key in ("label", "labels", "entities"):
        value = item.get(key)
        if isinstance(value, list) and value:
            return _span_list_kind(value)
    if any(_is_region_list(v) for v in item.values()):
        return "labelstudio-min"
    return None


def _span_list_kind(value: list[Any]) -> str | None:
    first = value[0]
    if isinstance(first, list):
        return "doccano"
    if isinstance(first, dict) and "start_offset" in first:
        return "doccano"
    if isinstance(first, dict) and {"start", "end", "labels"} <= set(first):
        return "labelstudio-min"
    return None


def _is_region_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and {"start", "end", "labels"} <= set(v) for v in value)
    )
