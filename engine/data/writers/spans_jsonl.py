"""doccano and Prodigy / spaCy span JSON Lines records for a text and its entities.

    line = doccano_record(text, entities)     # {"text": ..., "label": [[0, 3, "PER"]]}
    line = prodigy_record(text, entities)     # {"text", "tokens": [...], "spans": [...]}
    Path("out.jsonl").write_text(jsonl([line, ...]), encoding="utf-8")

Both are what the lab's readers read back (engine.data.readers.doccano / .prodigy). Prodigy
records carry the tokens of engine.data.char_spans.tokenize, and each span its `token_start` /
`token_end` (inclusive, Prodigy's convention); a span not on token edges is widened to them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from engine.data.char_spans import Token, TokenIndex, tokenize
from engine.data.writers.entities import EntityLike, checked_entities


def doccano_record(
    text: str, entities: Iterable[EntityLike], *, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`{"text", "label": [[start, end, type], ...]}` (plus `extra` fields, such as an id)."""
    spans = [[e.start, e.end, e.type] for e in checked_entities(text, entities)]
    return {**(extra or {}), "text": text, "label": spans}


def prodigy_record(
    text: str, entities: Iterable[EntityLike], *, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`{"text", "tokens", "spans"}`; spans carry a `score` when the entity has one."""
    tokens = tokenize(text)
    index = TokenIndex(tokens)
    spans = []
    for entity in checked_entities(text, entities):
        found = index.range(entity.start, entity.end)
        if found is None:
            continue  # only whitespace under it: no token to label
        first, stop = found
        span: dict[str, Any] = {
            "start": tokens[first].start,
            "end": tokens[stop - 1].end,
            "token_start": first,
            "token_end": stop - 1,
            "label": entity.type,
        }
        if entity.score is not None:
            span["score"] = entity.score
        spans.append(span)
    return {**(extra or {}), "text": text, "tokens": token_dicts(text, tokens), "spans": spans}


def token_dicts(text: str, tokens: Sequence[Token]) -> list[dict[str, Any]]:
    """Prodigy's token objects; `ws` says whether whitespace follows the token."""
    return [
        {"text": t.text, "start": t.start, "end": t.end, "id": i, "ws": _space_after(text, t)}
        for i, t in enumerate(tokens)
    ]


def _space_after(text: str, token: Token) -> bool:
    return text[token.end : token.end + 1].isspace()


def jsonl(records: Iterable[dict[str, Any]]) -> str:
    """JSON Lines text, one record a line, UTF-8 characters kept readable."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
