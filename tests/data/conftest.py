"""Helpers shared by the engine.data tests: write a file in tmp_path from text or bytes, and
a tagged sentence written as one line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "data"


def tagged(line: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(tokens, tags) of a sentence written "Ann/B-PER Lee/I-PER ran": tokens split on spaces,
    each one's tag after its last "/", "O" where it has none."""
    tokens, tags = [], []
    for word in line.split(" "):
        token, _, tag = word.rpartition("/") if "/" in word else (word, "", "O")
        tokens.append(token)
        tags.append(tag)
    return tuple(tokens), tuple(tags)


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
        return path

    return _write
