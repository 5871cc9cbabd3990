"""Prodigy / spaCy span JSON Lines -> IOB2 Sentences, one per accepted line.

    sentences, problems = read_prodigy(Path("ner_news.jsonl"), span_policy="snap")

Each line is `{"text": "...", "spans": [{"start", "end", "label"}], "answer": "accept"}`.
When the line has `tokens` (`[{"text", "start", "end", "id", "ws"}]`, as `ner.manual` writes),
that tokenisation is used and a span's `token_start` / `token_end` (inclusive) pick its tokens;
otherwise the text is tokenised by the rule in engine.data.char_spans. Lines answered
`reject` or `ignore` are skipped and counted in the summary warning.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from engine.data.char_spans import Token
from engine.data.readers.issues import counted, shown
from engine.data.readers.spans import (
    RawSpan,
    Record,
    SpanConverter,
    is_text_object,
    read_span_export,
)
from engine.data.types import Problem, Sentence

SKIPPED_ANSWERS = {"reject": "rejected", "ignore": "ignored"}


def read_prodigy(
    path: Path, *, labels: list[str] | None = None, span_policy: str = "snap"
) -> tuple[list[Sentence], list[Problem]]:
    """Read Prodigy / spaCy-style span JSONL (a JSON array of the same objects is accepted)."""
    skipped: Counter[str] = Counter()

    def skip(obj: Any) -> bool:
        answer = obj.get("answer") if isinstance(obj, dict) else None
        if isinstance(answer, str) and answer in SKIPPED_ANSWERS:
            skipped[answer] += 1
            return True
        return False

    sentences, converter, count = read_span_export(path, labels, span_policy, prodigy_record, skip)
    return sentences, converter.problems(_summary(count, skipped))


def _summary(lines: int, skipped: Counter[str]) -> list[str]:
    if not skipped:
        return []
    counts = ", ".join(f"{skipped[a]} {done}" for a, done in SKIPPED_ANSWERS.items() if skipped[a])
    return [f"{counted(lines, 'record')}, {sum(skipped.values())} skipped ({counts})"]


def prodigy_record(obj: Any, line: int, where: str, converter: SpanConverter) -> Record | None:
    """The record of one line, or None after logging why there is none."""
    log = converter.log
    if not is_text_object(obj, line, where, log, "spans"):
        return None
    text, items = obj["text"], obj.get("spans", [])
    if not isinstance(items, list):
        log.add(line, f"{where}'spans' must be a list of {{start, end, label}}")
        return None
    tokens = given_tokens(text, obj.get("tokens"))
    if isinstance(tokens, str):
        log.add(line, f"{where}{tokens}")
        return None
    spans = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            log.add(line, f"{where}spans[{position}] must be an object, not {item!r:.60}")
            continue
        indices = (item.get("token_start"), item.get("token_end")) if tokens else (None, None)
        spans.append(RawSpan(item.get("start"), item.get("end"), item.get("label"), None, *indices))
    return Record(text, spans, line, where, tokens or None)


def given_tokens(text: str, value: Any) -> list[Token] | str | None:
    """The line's own tokens with checked offsets, None when it has none, or what is wrong."""
    if value is None or value == []:
        return None
    if not isinstance(value, list):
        return "'tokens' must be a list of {text, start, end}"
    tokens = []
    for position, item in enumerate(value):
        word = item.get("text") if isinstance(item, dict) else None
        start, end = (item.get("start"), item.get("end")) if isinstance(item, dict) else (0, 0)
        if not isinstance(word, str):
            return f"tokens[{position}] must be an object with a 'text' string"
        ok = all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end))
        if ok and text[start:end] == word and start < (tokens[-1].end if tokens else 0):
            return f"tokens[{position}] {shown(word)} at {start}-{end} overlaps the token before"
        if not ok or text[start:end] != word or not 0 <= start < end:
            return (
                f"tokens[{position}] {shown(word)} has offsets {start!r}-{end!r}, but the text "
                f"there is {shown(text[start:end]) if ok else 'nothing'}"
            )
        tokens.append(Token(word, start, end))
    return tokens
