"""Resolve a run's `data` section into train/dev/test sentences and one IOB2 label list.

`builtin:NAME` selects a built-in corpus (its split is the field's: train, dev or test); anything
else is a file or a saved `datasets` folder read by `engine.data.readers`. Without a dev set a
seeded 10% of train is held out; a builtin train set brings its own dev and test.

    splits = load_splits(cfg.data, seed=13)
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TypeVar

from engine.config import DataConfig
from engine.data.builtin import load_builtin
from engine.data.labels import align_to_labels, label_list
from engine.data.readers import read_corpus
from engine.data.types import Corpus, DataError, Problem, Sentence

BUILTIN_PREFIX = "builtin:"
T = TypeVar("T")


@dataclass
class Splits:
    train: list[Sentence]
    dev: list[Sentence]
    test: list[Sentence] | None
    labels: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def entity_types(self) -> list[str]:
        return sorted({lab[2:] for lab in self.labels if lab != "O"})


def load_source(spec: str, split: str, seed: int = 0) -> Corpus:
    """One split of a builtin corpus or one file / saved dataset, as an IOB2 Corpus."""
    if spec.startswith(BUILTIN_PREFIX):
        name = spec[len(BUILTIN_PREFIX) :]
        try:
            sentences = load_builtin(name, split, seed=seed)
        except ValueError as err:
            raise DataError([Problem(spec, 0, str(err))]) from None
        return Corpus(f"{spec}/{split}", sentences)
    return read_corpus(spec, split=split)


def hold_out(items: list[T], share: float, seed: int) -> tuple[list[T], list[T]]:
    """(kept, held): a seeded `share` of the items (at least one when there are two or more),
    both in their original order. Sentences here; engine.strategies.pretrain.corpus holds out
    documents."""
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    n_dev = max(1, int(len(items) * share)) if len(items) > 1 else 0
    dev_ids = set(order[:n_dev])
    train = [s for i, s in enumerate(items) if i not in dev_ids]
    dev = [s for i, s in enumerate(items) if i in dev_ids]
    return train, dev


def _aligned(corpus: Corpus, types: list[str], policy: str, notes: list[str]) -> list[Sentence]:
    fixed = align_to_labels(corpus, types, policy=policy)
    notes.extend(str(p) for p in fixed.problems if p not in corpus.problems)
    return fixed.sentences


def load_splits(cfg: DataConfig, seed: int = 13) -> Splits:
    notes: list[str] = []
    train_c = load_source(cfg.train, "train")
    notes.extend(str(p) for p in train_c.problems)
    train = list(train_c.sentences)
    is_builtin = cfg.train.startswith(BUILTIN_PREFIX)
    dev_spec = cfg.dev or (cfg.train if is_builtin else None)
    test_spec = cfg.test or (cfg.train if is_builtin else None)
    dev_c: Corpus | None = load_source(dev_spec, "dev") if dev_spec else None
    if dev_c is None:
        train, dev = hold_out(train, 0.1, seed)
        notes.append(f"no dev set given: held out {len(dev)} of the training sentences")
    if cfg.max_train_sentences is not None:
        train = train[: cfg.max_train_sentences]
    labels = label_list([Corpus("train", train)])
    types = sorted({lab[2:] for lab in labels if lab != "O"})
    if dev_c is not None:
        dev = _aligned(dev_c, types, cfg.unknown_labels, notes)
    test = None
    if test_spec:
        test = _aligned(load_source(test_spec, "test"), types, cfg.unknown_labels, notes)
    else:
        notes.append("no test set given: test metrics are not computed")
    if not any(t != "O" for s in train for t in s.tags):
        raise DataError([Problem(cfg.train, 0, "the training data has no entities to learn")])
    return Splits(train, dev, test, labels, notes)
