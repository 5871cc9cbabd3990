"""Entities drawn on their text: one colour per type and the escaped HTML of a highlighted
sentence (Markdown specials escaped too, so user text never renders as markup).
"""

from __future__ import annotations

import html

# Background colours for entity spans (light enough for dark text), assigned in type order.
ENTITY_PALETTE = (
    "#ffd6a5", "#caffbf", "#9bf6ff", "#bdb2ff", "#ffc6ff", "#fdffb6", "#a0c4ff", "#ffadad",
    "#d0f4de", "#e4c1f9", "#fcf6bd", "#b8e0d2",
)  # fmt: skip


# html.escape for HTML's specials, and numeric entities for what Markdown (and Streamlit's
# :colour[...] and $math$) would read as markup: one pass, so no entity is escaped twice.
_ESCAPES = {ord(c): html.escape(c, quote=True) for c in "&<>\"'"} | {
    ord(c): f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~$:="
}


def entity_colours(types: list[str]) -> dict[str, str]:
    return {k: ENTITY_PALETTE[i % len(ENTITY_PALETTE)] for i, k in enumerate(sorted(types))}


def escape_text(text: str) -> str:
    """HTML-escape, and turn Markdown markup characters into entities: text shows as written."""
    return text.translate(_ESCAPES)


def highlighted_html(runs: list[tuple[str, str | None]], colours: dict[str, str]) -> str:
    """One sentence of (text, type) runs as HTML with each entity span on its type's colour."""
    parts = []
    for text, entity in runs:
        if entity is None:
            parts.append(escape_text(text))
            continue
        colour = colours.get(entity, ENTITY_PALETTE[0])
        parts.append(
            f'<span style="background:{colour};color:#111;padding:1px 4px;border-radius:4px">'
            f"{escape_text(text)} "
            f'<span style="font-size:0.7em;font-weight:600">{escape_text(entity)}</span></span>'
        )
    return " ".join(parts)
