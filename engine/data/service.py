"""Dataset work for the dashboard: check an upload, import it, describe and preview corpora.

Plain Python over engine.data (no torch, no streamlit), re-exported by engine.api for pages.
Uploads are checked in engine.data.upload_check and imported (server-chosen names) in
engine.data.uploads, both re-exported here; a dataset exported to another format:
engine.data.export.

    check = validate_upload("train.conll", data, max_bytes=50 * 2**20)
    if check.usable:
        dataset_id = import_upload("train.conll", data, name="my-news", repair=True)
    runs = dataset_preview("builtin:news", n=5)   # [[("Alice", "PER"), ("met", None), ...], ...]
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from engine.data.builtin import BUILTIN_CORPORA, SYNTHETIC_NOTICE, load_builtin
from engine.data.builtin.generator import SPLITS
from engine.data.readers import inspect_corpus
from engine.data.stats import corpus_stats
from engine.data.types import DataError, Sentence
from engine.data.upload_check import (
    DEFAULT_EXTENSION,
    KNOWN_EXTENSIONS,
    MAX_UPLOAD_BYTES,
    UploadCheck,
    display_name,
    entity_runs,
    file_extension,
    validate_upload,
)
from engine.data.uploads import BUILTIN_PREFIX, import_upload

__all__ = [
    "BUILTIN_PREFIX",
    "DEFAULT_EXTENSION",
    "KNOWN_EXTENSIONS",
    "MAX_UPLOAD_BYTES",
    "UploadCheck",
    "builtin_catalog",
    "dataset_preview",
    "dataset_stats",
    "display_name",
    "entity_runs",
    "file_extension",
    "import_upload",
    "validate_upload",
]


def builtin_catalog() -> list[dict[str, Any]]:
    """The built-in corpora: name, spec, description, types, sentences and tokens per split."""
    catalog = []
    for name, info in BUILTIN_CORPORA.items():
        splits = {split: load_builtin(name, split) for split in SPLITS}
        catalog.append(
            {
                "name": name,
                "spec": f"{BUILTIN_PREFIX}{name}",
                "description": info.description,
                "types": list(info.entity_types),
                "sentences": {split: len(s) for split, s in splits.items()},
                "tokens": {split: sum(len(x.tokens) for x in s) for split, s in splits.items()},
                "notice": SYNTHETIC_NOTICE,
            }
        )
    return catalog


def dataset_preview(spec: str, n: int = 20) -> list[list[tuple[str, str | None]]]:
    """The first `n` sentences of a dataset as runs of (text, entity type or None).

    Words of one entity form one run ("Bob Smith", "PER"), and so do words between entities;
    joining a sentence's run texts with single spaces gives the sentence back.
    """
    return [entity_runs(s) for s in _sentences(spec)[: max(0, n)]]


def dataset_stats(spec: str) -> dict[str, Any]:
    """Counts for charts: sentences, tokens, entities per type, sentence-length histogram, and
    the unit lengths are in ("words", or "characters" for character-level CJK data)."""
    sentences = _sentences(spec)
    stats = corpus_stats(sentences)
    lengths = Counter(len(s.tokens) for s in sentences)
    return {
        "split": "train" if spec.startswith(BUILTIN_PREFIX) else None,
        "sentences": stats.sentences,
        "tokens": stats.tokens,
        "entities": dict(stats.entities),
        "length_histogram": dict(sorted(lengths.items())),
        "max_length": stats.max_length,
        "mean_length": round(stats.mean_length, 2),
        "unit": stats.unit,
    }


def _sentences(spec: str) -> list[Sentence]:
    """The training sentences of `builtin:NAME`, or of a file read as the trainer reads it."""
    if spec.startswith(BUILTIN_PREFIX):
        name = spec[len(BUILTIN_PREFIX) :]
        if name not in BUILTIN_CORPORA:
            raise ValueError(f"unknown built-in corpus {name!r}")
        return load_builtin(name, "train")
    path = Path(spec)
    if not path.exists():
        raise ValueError(f"dataset file not found: {spec}")
    try:
        return inspect_corpus(path).sentences
    except DataError as err:
        raise ValueError(str(err)) from None
