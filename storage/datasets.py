"""The datasets the lab knows (uploads, imports): listed for the pages, written by the dataset
service (engine.data.uploads). Session first, like every storage function; the writer never
commits (the caller's `write_session()` decides the transaction).

    with read_session() as s:
        names = [d.name for d in list_datasets(s)]
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import Dataset
from storage.rows import FRESH, DatasetRow, copy_fields


def list_datasets(session: Session) -> list[DatasetRow]:
    """All datasets, by name."""
    query = select(Dataset).order_by(Dataset.name).execution_options(**FRESH)
    return [
        copy_fields(DatasetRow, d, entity_counts=dict(d.entity_counts))
        for d in session.scalars(query)
    ]


def upsert_dataset(
    session: Session,
    *,
    name: str,
    kind: str,
    path: str | None,
    fmt: str,
    scheme: str,
    n_sentences: int,
    n_tokens: int,
    entity_counts: Mapping[str, int],
) -> int:
    """Insert the dataset called `name`, or update it if it exists; returns its id."""
    values = {
        "kind": kind,
        "path": None if path is None else str(path),
        "fmt": fmt,
        "scheme": scheme,
        "n_sentences": n_sentences,
        "n_tokens": n_tokens,
        "entity_counts": dict(entity_counts),
    }
    # Select-then-write is race-free under write_session's write lock (BEGIN IMMEDIATE on
    # SQLite, the advisory lock on PostgreSQL); elsewhere the unique constraint on name turns a
    # lost race into an IntegrityError.
    existing = session.execute(select(Dataset.id).where(Dataset.name == name)).scalar()
    if existing is not None:
        session.execute(
            update(Dataset).where(Dataset.id == existing).values(**values),
            execution_options={"synchronize_session": "fetch"},
        )
        return existing
    dataset = Dataset(name=name, **values)
    session.add(dataset)
    session.flush()
    return dataset.id
