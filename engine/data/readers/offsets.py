"""Recover character offsets a tool counted in other units, using the span's own copy of its text.

    relocate("😀 Paris", 3, 8, "Paris")   # (2, 7, "utf16"): the offsets were UTF-16 code units

Label Studio (before its emoji fix) and other browser-based tools count offsets in UTF-16 code
units, as JavaScript strings do, so every span after an emoji is off by one per emoji; a
browser may also count CR LF as one character. When the text at the offsets differs from the
span's `text`, each of these readings is tried, and the first that finds the quote wins.
"""

from __future__ import annotations

from functools import lru_cache

# How each reading is named in the file summary ("3 spans had offsets counted in ...").
UNITS = {
    "utf16": "in UTF-16 code units (as older Label Studio writes them)",
    "crlf": "with CR LF as one character",
    "utf16+crlf": "in UTF-16 code units with CR LF as one character",
}


def relocate(text: str, start: int, end: int, quote: str) -> tuple[int, int, str] | None:
    """(start, end, unit) in code points of `text` under the first reading that finds `quote`."""
    for unit in UNITS:
        positions = _positions(text, unit)
        if not (0 <= start < end < len(positions)):
            continue
        new_start, new_end = positions[start], positions[end]
        if new_start >= 0 and new_end >= 0 and text[new_start:new_end] == quote:
            return new_start, new_end, unit
    return None


@lru_cache(maxsize=16)
def _positions(text: str, unit: str) -> tuple[int, ...]:
    """Code-point index of each position counted in `unit` (-1 inside a surrogate pair / CR LF)."""
    positions: list[int] = []
    for index, ch in enumerate(text):
        if "crlf" in unit and ch == "\n" and index and text[index - 1] == "\r":
            continue  # the "\r" before it already took this position
        positions.append(index)
        if "utf16" in unit and ord(ch) > 0xFFFF:
            positions.append(-1)  # the low surrogate: no code point starts here
    positions.append(len(text))
    return tuple(positions)
