"""Imported datasets shown by the names people gave them, not by their stored files.

An upload is stored as lab_data/uploads/<uuid>.<ext> (engine.data.uploads); a config names
that path. Tables and the wizard's review show the dataset's name instead (fmt.data_label, the
one path -> name rule the Runs table uses too), and list the file itself only in a "files on
disk" expander, for the person who needs it (a CLI run, a copy of the data).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import streamlit as st

from storage import queries
from views.parts import calls, fmt
from views.parts.i18n import t


def dataset_names() -> dict[str, str]:
    """Stored path -> the name its dataset was imported under."""
    return {d.path: d.name for d in calls.read(queries.list_datasets) if d.path}


def named(value: Any, names: dict[str, str]) -> Any:
    """A config value with each imported dataset's path (alone or in a list) as its name."""
    if isinstance(value, str) and value in names:
        return fmt.data_label(value, names)
    if isinstance(value, list):
        return [named(item, names) for item in value]
    return value


def used_paths(text: str, names: dict[str, str]) -> dict[str, str]:
    """The imported datasets `text` mentions: path -> name, longest path first."""
    found = [path for path in names if path in text]
    return {path: names[path] for path in sorted(found, key=len, reverse=True)}


def shown_yaml(text: str, names: dict[str, str]) -> str:
    """A config's YAML with each imported dataset's path replaced by its quoted name, and a
    comment on that line saying the value is a dataset name (the file: files_on_disk)."""
    used = used_paths(text, names)
    lines = []
    for line in text.splitlines():
        hits = [path for path in used if path in line]
        for path in hits:
            for quoted in (f"'{path}'", f'"{path}"', path):
                line = line.replace(quoted, json.dumps(used[path], ensure_ascii=False))
        lines.append(f"{line}  # {t('common.dataset_name_note')}" if hits else line)
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


def files_on_disk(paths: Iterable[str], names: dict[str, str]) -> None:
    """An expander naming the file behind each imported dataset in `paths` (nothing if none)."""
    rows = [(names[p], p) for p in dict.fromkeys(paths) if p in names]
    if not rows:
        return
    with st.expander(t("common.files_on_disk")):
        for name, path in rows:
            st.markdown(t("common.file_on_disk", name=name))
            st.code(path, language=None)
