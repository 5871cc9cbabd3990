"""What the Playground draws from a tagging result: highlighted text and entity differences.

Pure functions over the JSON `python -m engine predict --json` prints (engine.inference.tagger), so
they are tested without Streamlit:

    html = highlighted(result, colours)          # the text with each entity on its type's colour
    gone, new, kept = entity_changes(a, b)       # entities only in a, only in b, in both
    rows = file_entity_rows(done.predictions)    # a pre-annotated file's entities, for a table
"""

from __future__ import annotations

from typing import Any, NamedTuple

from views.parts import highlight

Entity = dict[str, Any]


class RunChoice(NamedTuple):
    """A finished run the Playground can tag with (a module-level class: st.cache_data pickles
    it)."""

    id: int
    label: str
    stages: list[str]
    can_tag: bool  # its last checkpoint's head knows entity labels (not only O)


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


def as_result(prediction: Any) -> dict[str, Any]:
    """A predicted document (engine.api.PredictedFile.predictions[i]) as `highlighted` takes it."""
    entities = [
        {
            "type": e.type,
            "start": e.start,
            "end": e.end,
            "text": prediction.text[e.start : e.end],
            "confidence": e.score if e.score is not None else 1.0,
        }
        for e in prediction.entities
    ]
    return {"text": prediction.text, "entities": entities}


def file_entity_rows(predictions: list[Any]) -> list[dict[str, Any]]:
    """One row per entity of every document: document number (from 1), type, text, offsets."""
    return [
        {
            "document": number,
            "type": e["type"],
            "text": e["text"],
            "start": e["start"],
            "end": e["end"],
            "confidence": e["confidence"],
        }
        for number, p in enumerate(predictions, start=1)
        for e in as_result(p)["entities"]
    ]
