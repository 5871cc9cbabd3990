"""Import a checked upload as a dataset (engine.data.service re-exports it for engine.api).

    dataset_id = import_upload("export.json", data, name="ner", unknown_prefix="suggested")

Bytes are written under server-chosen names (a uuid), so no path from the browser is ever used
as a path. What the user chose is stored with the dataset: a file read with an unknown-prefix
repair or a format override is stored as the lab's JSONL (tokens + IOB2 ner_tags, already
repaired), so training reads exactly what the check showed; any other file is stored as
uploaded. The check itself: engine.data.upload_check.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from engine.data.readers import inspect_corpus
from engine.data.schemes import UnknownPrefixPolicy
from engine.data.upload_check import (
    MAX_UPLOAD_BYTES,
    file_extension,
    upload_options,
    validate_upload,
)
from engine.data.writers import jsonl
from storage import runs as run_store
from storage.db import read_session, write_session
from storage.paths import uploads_dir
from storage.queries import list_datasets

BUILTIN_PREFIX = "builtin:"


def import_upload(
    filename: str,
    data: bytes,
    *,
    name: str,
    repair: bool = True,
    max_bytes: int = MAX_UPLOAD_BYTES,
    fmt: str | None = None,
    span_policy: str = "snap",
    unknown_prefix: UnknownPrefixPolicy = "reject",
) -> int:
    """Store a usable upload under uploads_dir()/<uuid>.<ext> and register it; the dataset id.

    The bytes are stored as uploaded: every reader applies the same deterministic repairs
    (conversion to IOB2, ...) when the file is read for training. A chosen unknown-prefix
    repair or format override is stored with the data instead: the file as read, repaired,
    as JSONL. `repair=False` refuses a file that needs any repair. Raises ValueError naming
    the problems.
    """
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("give the dataset a name")
    if len(name) > 200:
        raise ValueError("the dataset name is longer than 200 characters")
    if name.lower().startswith(BUILTIN_PREFIX):
        raise ValueError(f"dataset names cannot start with {BUILTIN_PREFIX!r}")
    options = upload_options(fmt, span_policy, unknown_prefix)
    check = validate_upload(filename, data, max_bytes=max_bytes, **options)
    if check.too_large:
        raise ValueError(check.too_large)
    if not check.usable:
        shown = "; ".join(check.errors[:5]) or f"{check.display_name}: not readable"
        raise ValueError(f"{check.display_name} is not usable: {shown}")
    if check.needs_repair and not repair:
        raise ValueError(
            f"{check.display_name} needs repairs ({'; '.join(check.repairs)}): allow the "
            "repair or fix the file"
        )
    with read_session() as s:
        taken = {row.name: row.kind for row in list_datasets(s)}
    if taken.get(name, "upload") != "upload":
        raise ValueError(f"the name {name!r} belongs to a {taken[name]} dataset; choose another")
    as_read = options["fmt"] is not None or (check.unknown_tags and unknown_prefix != "reject")
    target = _store(filename, data, options if as_read else None)
    with write_session() as s:
        return run_store.upsert_dataset(
            s,
            name=name,
            kind="upload",
            path=str(target),
            fmt=check.fmt or "conll",
            scheme=check.scheme or "none",
            n_sentences=check.sentences,
            n_tokens=check.tokens,
            entity_counts=check.entities,
        )


def _store(filename: str, data: bytes, options: dict[str, Any] | None) -> Path:
    """The upload under a fresh server-side name: its bytes, or (with `options`) the file as
    read with them, as tokens + IOB2 JSONL. Never a half-written dataset under its final name."""
    if options is None:
        target = uploads_dir() / f"{uuid.uuid4().hex}.{file_extension(filename)}"
    else:
        target = uploads_dir() / f"{uuid.uuid4().hex}.jsonl"
        with tempfile.TemporaryDirectory(prefix="lab-upload-") as folder:
            temp = Path(folder) / f"{uuid.uuid4().hex}.{file_extension(filename)}"
            temp.write_bytes(data)
            corpus = inspect_corpus(temp, **options)
        records = [{"tokens": list(s.tokens), "ner_tags": list(s.tags)} for s in corpus.sentences]
        data = jsonl(records).encode("utf-8")
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, target)
    return target
