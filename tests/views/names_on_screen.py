"""What a person reads on a page (AppTest), and an imported dataset to look for in it."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from engine import api as jobs
from storage import queries
from storage.db import read_session

CONLL = b"Alice B-PER\nmet O\nBob B-PER\n\nParis B-LOC\nis O\nbig O\n"
FILES_ON_DISK = "Files on disk"


def import_dataset(name: str = "harbour-ner", filename: str = "harbour.conll") -> str:
    """Import a tiny CoNLL file as `name`; its stored path (uploads/<uuid>.conll)."""
    dataset_id = jobs.import_upload(filename, CONLL, name=name)
    with read_session() as s:
        (row,) = [d for d in queries.list_datasets(s) if d.id == dataset_id]
    assert row.path and Path(row.path).stem != Path(filename).stem  # a server-chosen name
    return row.path


def visible_text(at: AppTest) -> str:
    """The text of every element and label on the page, tables included, except what sits in
    the "Files on disk" expander (shown only when a person opens it)."""
    parts: list[str] = []
    _collect(at.main, parts)
    return "\n".join(parts)


def in_files_on_disk(at: AppTest) -> str:
    """The text inside the "Files on disk" expander (there must be one)."""
    (box,) = [e for e in at.expander if e.label == FILES_ON_DISK]
    parts: list[str] = []
    for child in box.children.values():
        _collect(child, parts)
    return "\n".join(parts)


def _collect(node, parts: list[str]) -> None:
    children = getattr(node, "children", None)
    if children is not None:  # a block
        if getattr(node, "type", "") == "expander" and node.label == FILES_ON_DISK:
            return
        parts.append(str(getattr(node, "label", "") or ""))
        for child in children.values():
            _collect(child, parts)
        return
    value = getattr(node, "value", None)
    parts.append(value.to_string() if hasattr(value, "to_string") else str(value or ""))
    parts += [str(getattr(node, attr, "") or "") for attr in ("label", "help", "body")]
    parts += [str(o) for o in getattr(node, "options", None) or []]
