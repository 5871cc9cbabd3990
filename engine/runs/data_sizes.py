"""How big the data a run config names is, without reading it: sentences and words of each
split (torch-free). Built-in corpora come from their catalog (engine.data.service
.builtin_catalog), imported files from the datasets table; the splits are made the way
engine.data.sources and engine.data.tasks make them (a held-out dev share, a cap on training
sentences, each training sentence in one task of a class-incremental stream).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from engine.config import ContinualStrategy, DomainData, RunConfig


@dataclass(frozen=True)
class Split:
    sentences: int
    words: int
    types: tuple[str, ...] = ()

    def scaled(self, sentences: int | None) -> Split:
        if sentences is None or sentences >= self.sentences:
            return self
        share = sentences / max(self.sentences, 1)
        return Split(sentences, round(self.words * share), self.types)


class Sizes:
    """Sentences and words of each split a config names: built-in corpora from their catalog
    (engine.data.service.builtin_catalog), imported files from the datasets table."""

    def __init__(
        self, catalog: Iterable[dict[str, Any]], datasets: Callable[[], Iterable[Any]] = tuple
    ) -> None:
        self.builtin = {c["spec"]: c for c in catalog}
        self._datasets = datasets  # storage.queries.list_datasets rows, read when first needed
        self._files: dict[str, Any] | None = None

    def split(self, spec: str | None, split: str) -> Split | None:
        if spec is None:
            return None
        entry = self.builtin.get(spec)
        if entry is not None:
            types = tuple(entry["types"])
            return Split(entry["sentences"][split], entry["tokens"][split], types)
        if self._files is None:
            self._files = {d.path: d for d in self._datasets() if d.path}
        row = self._files.get(spec)
        if row is None:
            return None
        return Split(row.n_sentences, row.n_tokens, tuple(row.entity_counts))


def labelled_splits(cfg: RunConfig, sizes: Sizes) -> tuple[Split, Split | None, Split | None]:
    """(train, dev, test) as engine.data.sources.load_splits makes them."""
    data = cfg.data
    train = sizes.split(data.train, "train")
    if train is None:
        raise LookupError(data.train)
    builtin = data.train in sizes.builtin
    dev = sizes.split(data.dev or (data.train if builtin else None), "dev")
    if dev is None:  # 10% of the training sentences held out
        dev = train.scaled(train.sentences // 10)
        train = train.scaled(train.sentences - dev.sentences)
    test = sizes.split(data.test or (data.train if builtin else None), "test")
    return train.scaled(data.max_train_sentences), dev, test


def domain_splits(
    spec: str | DomainData, sizes: Sizes, cap: int | None
) -> tuple[Split, Split, Split]:
    """(train, dev, test) of one dataset of a domain-incremental stream."""
    if isinstance(spec, DomainData):
        train, test = sizes.split(spec.train, "train"), sizes.split(spec.test, "test")
        dev = sizes.split(spec.dev, "dev")
    else:
        train, dev, test = (sizes.split(spec, split) for split in ("train", "dev", "test"))
    if train is None or test is None:
        raise LookupError(str(spec))
    return train.scaled(cap), dev or train.scaled(train.sentences // 10), test


def task_splits(
    cfg: RunConfig, s: ContinualStrategy, sizes: Sizes
) -> list[tuple[Split, Split, Split]]:
    """(train, dev, test) of each task of the stream."""
    cap = s.tasks.max_train_sentences
    if s.tasks.by == "datasets":
        return [domain_splits(spec, sizes, cap) for spec in s.tasks.datasets]
    train, dev, test = labelled_splits(cfg, sizes)
    if test is None or dev is None:
        raise LookupError("continual runs need test data")
    if s.tasks.order is not None:
        count = len(s.tasks.order)
    else:
        first = s.tasks.first_types or s.tasks.types_per_task
        count = 1 + math.ceil(max(len(train.types) - first, 0) / s.tasks.types_per_task)
    share = train.scaled(train.sentences // max(count, 1))  # each sentence in one task
    return [(share.scaled(cap), dev, test)] * count
