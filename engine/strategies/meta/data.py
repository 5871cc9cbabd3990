"""A meta run's `data` section -> meta-train and meta-test episodes.

- One dataset (`data.test` unset, or with no type the training data lacks): its entity types
  are split into meta-train and meta-test types (seeded, or `strategy.test_types`). Meta-train
  episodes come from the training sentences; meta-test episodes from the test split (a
  built-in's own test split, `data.test`, or else the training file itself: its sentences with
  a held-out type).
- Cross-domain (`data.test` has types the training data never mentions, e.g. CrossNER
  politics -> science): meta-train episodes from `data.train`, meta-test episodes from
  `data.test` using only its types never seen in `data.train` (or `strategy.test_types`).
- `strategy.test_episodes_file`: meta-test episodes read from a Few-NERD JSONL file.

The raw sources are read with `load_source`, not `load_splits`: the latter maps types that are
absent from training to O, which would erase exactly the types meta-testing is about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.config import DataConfig, MetaStrategy
from engine.data.episodes import (
    Episode,
    EpisodeError,
    EpisodeSampler,
    MetaPools,
)
from engine.data.episodes import (
    meta_pools as split_pools,
)
from engine.data.fewnerd import read_episodes
from engine.data.sources import BUILTIN_PREFIX, load_source
from engine.data.tasks import sentence_types
from engine.data.types import DataError, Problem, Sentence


@dataclass
class MetaData:
    pools: MetaPools
    train_sampler: EpisodeSampler | None  # None: no meta-training episodes
    test_episodes: list[Episode]
    cross_domain: bool
    notes: list[str]


def _types(sentences: list[Sentence]) -> set[str]:
    return {t for s in sentences for t in sentence_types(s)}


def _sources(data: DataConfig) -> tuple[list[Sentence], list[Sentence], bool]:
    """(training sentences, test sentences, cross-domain?)."""
    train = list(load_source(data.train, "train").sentences)
    if data.max_train_sentences is not None:
        train = train[: data.max_train_sentences]
    if data.test:
        test = list(load_source(data.test, "test").sentences)
        return train, test, bool(_types(test) - _types(train))
    if data.train.startswith(BUILTIN_PREFIX):
        return train, list(load_source(data.train, "test").sentences), False
    return train, train, False


def _file_pools(train: list[Sentence], episodes: list[Episode]) -> MetaPools:
    held = sorted({t for e in episodes for t in e.types})
    pool = [s for s in train if sentence_types(s) and not sentence_types(s) & set(held)]
    train_types = tuple(sorted(_types(pool)))
    notes = [
        f"meta-train types: {', '.join(train_types) or '-'} ({len(pool)} sentences)",
        f"meta-test: {len(episodes)} episodes from the file, types {', '.join(held)}",
    ]
    return MetaPools(pool, [], train_types, tuple(held), notes)


def _sampler(
    pool: list[Sentence], types: Sequence[str], strategy: MetaStrategy, seed: str, n_way: int = 0
) -> EpisodeSampler:
    """Episodes of the strategy's shots from one pool (`n_way`: fewer types than it asks)."""
    n_way = n_way or strategy.n_way
    return EpisodeSampler(
        pool, types, n_way=n_way, k_shot=strategy.k_shot, query_shot=strategy.query_shot, seed=seed
    )


def _train_sampler(
    pools: MetaPools, strategy: MetaStrategy, seed: int, notes: list[str]
) -> EpisodeSampler | None:
    if not strategy.meta_trained or strategy.episodes.train == 0:
        return None
    n_way = min(strategy.n_way, len(pools.train_types))
    if n_way < 1:
        raise EpisodeError("no meta-train types are left once the meta-test types are held out")
    if n_way < strategy.n_way:
        notes.append(f"only {n_way} meta-train types: meta-training episodes are {n_way}-way")
    return _sampler(pools.train, pools.train_types, strategy, f"{seed}:train", n_way)


def load_meta_data(data: DataConfig, strategy: MetaStrategy, seed: int) -> MetaData:
    """Pools, the training sampler and the test episodes; DataError on data that cannot
    give the episodes asked for (it names the source and why)."""
    try:
        return _load(data, strategy, seed)
    except EpisodeError as err:
        source = data.test or data.train
        raise DataError([Problem(source, 0, str(err))]) from None


def _load(data: DataConfig, strategy: MetaStrategy, seed: int) -> MetaData:
    train, test, cross = _sources(data)
    if strategy.test_episodes_file:
        episodes = read_episodes(strategy.test_episodes_file, limit=strategy.episodes.test)
        pools, cross = _file_pools(train, episodes), True
    else:
        pools = split_pools(
            train,
            test,
            n_test=strategy.n_way,
            seed=seed,
            test_types=strategy.test_types,
            cross_domain=cross,
        )
        sampler = _sampler(pools.test, pools.test_types, strategy, f"{seed}:test")
        episodes = list(sampler.episodes(strategy.episodes.test))
    notes = [("cross-domain: " if cross else "one dataset: ") + pools.notes[0], *pools.notes[1:]]
    train_sampler = _train_sampler(pools, strategy, seed, notes)
    return MetaData(pools, train_sampler, episodes, cross, notes)
