"""JSON records of a file with the line each starts on: JSON Lines, or one JSON array.

    records, is_array = json_records(text, "export.json", log)   # [(line, object), ...]

The span readers report problems as FILE:LINE; for a pretty-printed JSON array (a Label Studio
export) the line is where the record's `{` is, so an editor jumps straight to it. A bad JSON
Lines line is logged and skipped; a JSON array that does not parse is unusable (DataError).
"""

from __future__ import annotations

import json
from typing import Any

from engine.data.readers.issues import IssueLog
from engine.data.types import DataError, Problem

_BLANKS = " \t\n\r"


def json_records(text: str, name: str, log: IssueLog) -> tuple[list[tuple[int, Any]], bool]:
    """(line, object) for each record, and whether the file was one JSON array."""
    body = text.lstrip(_BLANKS)
    if body.startswith("["):
        return array_records(text, name), True
    if body.startswith("{") and not _first_line_parses(body):
        whole = _single_object(body)
        if whole is not None:  # one pretty-printed object (a single exported task)
            return [(text.count("\n", 0, len(text) - len(body)) + 1, whole)], True
    return jsonl_records(text, log), False


def jsonl_records(text: str, log: IssueLog) -> list[tuple[int, Any]]:
    records = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append((number, json.loads(line)))
        except (ValueError, RecursionError) as exc:  # also too-deep nesting, huge integers
            log.add(number, json_error(exc))
    return records


def array_records(text: str, name: str) -> list[tuple[int, Any]]:
    """The items of a JSON array with their first lines; DataError when it does not parse."""
    decoder = json.JSONDecoder()
    records: list[tuple[int, Any]] = []
    index = _skip(text, 0) + 1  # past "["
    line, counted = 1, 0
    index = _skip(text, index)
    if text.startswith("]", index):
        return _finish(text, index + 1, name, records)
    while True:
        try:
            item, end = decoder.raw_decode(text, index)
        except (ValueError, RecursionError) as exc:
            raise _array_error(text, name, exc, index) from exc
        line += text.count("\n", counted, index)
        counted = index
        records.append((line, item))
        index = _skip(text, end)
        if text.startswith("]", index):
            return _finish(text, index + 1, name, records)
        if not text.startswith(",", index):
            raise _array_error(text, name, None, index)
        index = _skip(text, index + 1)


def _finish(text: str, index: int, name: str, records: list[tuple[int, Any]]) -> list:
    if _skip(text, index) < len(text):
        raise _array_error(text, name, None, index)
    return records


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in _BLANKS:
        index += 1
    return index


def _single_object(body: str) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _first_line_parses(body: str) -> bool:
    try:
        json.loads(body.split("\n", 1)[0])
    except (ValueError, RecursionError):
        return False
    return True


def _array_error(text: str, name: str, exc: Exception | None, index: int) -> DataError:
    if isinstance(exc, json.JSONDecodeError):
        line, reason = exc.lineno, json_error(exc)
    else:
        line = text.count("\n", 0, index) + 1
        reason = json_error(exc) if exc else "bad JSON: expected ',' or ']' between items"
    return DataError([Problem(name, line, reason)])


def json_error(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        # Some messages end in "at" already ("Unterminated string starting at"): no "at at".
        where = "column" if exc.msg.endswith(" at") else "at column"
        return f"bad JSON: {exc.msg} {where} {exc.colno}"
    return f"bad JSON: {exc.__class__.__name__}: {exc}"
