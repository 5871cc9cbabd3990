"""What the Playground draws from a tagging result: highlighted text and entity differences.

Pure functions over the JSON `python -m engine predict --json` prints (engine.inference.tagger), so
they are tested without Streamlit:

    html = highlighted(result, colours)          # the text with each entity on its type's colour
    gone, new, kept = entity_changes(a, b)       # entities only in a, only in b, in both
"""

from __future__ import annotations

import re
from typing import Any

from pages.parts import highlight

_TASK = re.compile(r"task_(\d+)")
Entity = dict[str, Any]


def entity_types(*results: dict[str, Any]) -> list[str]:
    """Every type any result's labels can produce, sorted (one colour per type on both sides)."""
    types = {lab[2:] for r in results for lab in r.get("labels", []) if lab[:2] in ("B-", "I-")}
    return sorted(types | {e["type"] for r in results for e in r.get("entities", [])})


def highlighted(result: dict[str, Any], colours: dict[str, str]) -> str:
    """The text as HTML, each entity on its type's colour with its type and confidence."""
    text = result["text"]
    parts: list[str] = []
    at = 0
    for entity in sorted(result["entities"], key=lambda e: e["start"]):
        start, end = entity["start"], entity["end"]
        parts.append(highlight.escape_text(text[at:start]))
        colour = colours.get(entity["type"], highlight.ENTITY_PALETTE[0])
        # The type is escaped; the number is ours and safe (escaping would turn "." into &#46;).
        label = f"{highlight.escape_text(entity['type'])} {float(entity['confidence']):.2f}"
        parts.append(
            f'<span style="background:{colour};color:#111;padding:1px 4px;border-radius:4px" '
            f'title="{label}">{highlight.escape_text(text[start:end])}'
            f'<sup style="font-size:0.7em;font-weight:600;margin-left:3px">{label}</sup></span>'
        )
        at = end
    parts.append(highlight.escape_text(text[at:]))
    return "".join(parts)


def _key(entity: Entity) -> tuple[str, int, int]:
    return (entity["type"], entity["start"], entity["end"])


def entity_changes(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[list[Entity], list[Entity], list[Entity]]:
    """Entities (same type and span) only in `before`, only in `after`, and in both (after's)."""
    old = {_key(e): e for e in before["entities"]}
    new = {_key(e): e for e in after["entities"]}
    gone = [e for k, e in old.items() if k not in new]
    added = [e for k, e in new.items() if k not in old]
    kept = [e for k, e in new.items() if k in old]
    return gone, added, kept


def entity_rows(entities: list[Entity]) -> list[dict[str, Any]]:
    return [{"type": e["type"], "text": e["text"], "confidence": e["confidence"]} for e in entities]


def word_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"word": w["text"], "tag": w["tag"], "confidence": w["confidence"]} for w in result["words"]
    ]


def task_number(stage: str) -> int | None:
    """3 for "task_3"; None for best / final."""
    match = _TASK.fullmatch(stage)
    return int(match.group(1)) if match else None
