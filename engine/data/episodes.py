"""N-way K~2K-shot episodes for few-shot NER, sampled the Few-NERD way (Ding et al., 2021).

An episode names N entity types and holds a support set (each type mentioned K to 2K times) and
a query set sampled the same way from the remaining sentences; every other type is `O`. The
sampler is Few-NERD's greedy one: walk the candidate sentences in a seeded order and keep a
sentence when it helps a type still under K without pushing any type over 2K. Few-NERD keeps only
sentences whose types all belong to the episode; real corpora (CrossNER) mention many types per
sentence, so here the other types become `O` instead ("O everywhere else").

Entity types are split into meta-train and meta-test types first (`split_types`, `meta_pools`),
so test episodes only contain types the model never trained on.

    pools = meta_pools(train_sentences, test_sentences, n_test=5, seed=13)
    sampler = EpisodeSampler(pools.test, pools.test_types, n_way=5, k_shot=1, seed=13)
    episode = sampler.episode(0)          # the same episode for the same seed and index
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from engine.data.tasks import keep_types, sentence_types
from engine.data.types import Sentence

ATTEMPTS = 50  # type draws (and candidate orders) tried before an episode is declared impossible


class EpisodeError(ValueError):
    """Data that cannot give the episodes asked for (too few types or mentions)."""


@dataclass(frozen=True)
class Episode:
    types: tuple[str, ...]
    support: tuple[Sentence, ...]
    query: tuple[Sentence, ...]


def mention_counts(tags: Sequence[str]) -> Counter[str]:
    """Entity mentions per type in one IOB2 tag sequence (a B- starts one; so does a stray I-)."""
    counts: Counter[str] = Counter()
    previous = "O"
    for tag in tags:
        if tag.startswith("B-") or (tag.startswith("I-") and previous[2:] != tag[2:]):
            counts[tag[2:]] += 1
        previous = tag
    return counts


@dataclass(frozen=True)
class TypeSplit:
    train: tuple[str, ...]
    test: tuple[str, ...]


def split_types(
    types: Iterable[str], n_test: int, seed: int, test_types: Sequence[str] | None = None
) -> TypeSplit:
    """Meta-train and meta-test types: `test_types` if given, else a seeded pick of n_test."""
    known = sorted(set(types))
    if test_types is not None:
        unknown = [t for t in test_types if t not in known]
        if unknown:
            raise EpisodeError(f"test_types {unknown} are not in the data (types: {known})")
        test = sorted(set(test_types))
    else:
        if len(known) <= n_test:
            raise EpisodeError(
                f"{len(known)} entity types cannot be split into {n_test} meta-test types and "
                "at least one meta-train type; lower n_way or give strategy.test_types"
            )
        test = sorted(random.Random(f"types:{seed}").sample(known, n_test))
    return TypeSplit(tuple(t for t in known if t not in test), tuple(test))


@dataclass
class MetaPools:
    """Sentences to sample meta-train and meta-test episodes from, and their types."""

    train: list[Sentence]
    test: list[Sentence]
    train_types: tuple[str, ...]
    test_types: tuple[str, ...]
    notes: list[str] = field(default_factory=list)


def meta_pools(
    train: Sequence[Sentence],
    test: Sequence[Sentence],
    *,
    n_test: int,
    seed: int,
    test_types: Sequence[str] | None = None,
    cross_domain: bool = False,
) -> MetaPools:
    """Split types and sentences so that no meta-test type is ever seen in meta-training.

    One dataset (`train` and `test` from the same source): its types are split by
    `split_types`. Cross-domain: the meta-test types are the test data's types that never occur
    in `train` (or `test_types`). Training sentences mentioning a meta-test type are dropped
    (relabelling them O would teach the encoder to map exactly those words to O); test
    sentences keep only their meta-test entities.
    """
    train_known = {t for s in train for t in sentence_types(s)}
    test_known = {t for s in test for t in sentence_types(s)}
    if cross_domain:
        if test_types is not None:
            missing = sorted(set(test_types) - test_known)
            if missing:
                raise EpisodeError(f"test_types {missing} are not in the test data")
            held = sorted(set(test_types))
        else:
            held = sorted(test_known - train_known)
            if not held:
                raise EpisodeError(
                    "the test data has no entity type that the training data lacks; "
                    "give strategy.test_types to hold some out"
                )
        split = TypeSplit(tuple(sorted(train_known - set(held))), tuple(held))
    else:
        split = split_types(train_known | test_known, n_test, seed, test_types)
    held_set = set(split.test)
    train_pool = [s for s in train if sentence_types(s) and not sentence_types(s) & held_set]
    test_pool = [keep_types(s, held_set) for s in test if sentence_types(s) & held_set]
    notes = [
        f"meta-train types: {', '.join(split.train) or '-'} ({len(train_pool)} sentences)",
        f"meta-test types: {', '.join(split.test)} ({len(test_pool)} sentences)",
    ]
    dropped = sum(1 for s in train if sentence_types(s) & held_set)
    if dropped:
        notes.append(f"{dropped} training sentences mention a meta-test type and were left out")
    return MetaPools(train_pool, test_pool, split.train, split.test, notes)


def greedy_pick(
    counts: Sequence[Counter[str]], order: Iterable[int], types: Sequence[str], k: int
) -> list[int] | None:
    """Few-NERD's greedy set: sentence ids, in `order`, until every type has K..2K mentions.

    A sentence is added when it mentions a type still under K and adding it keeps every type at
    most 2K. None when the order runs out before every type reaches K.
    """
    have = dict.fromkeys(types, 0)
    picked: list[int] = []
    for i in order:
        mine = {t: counts[i][t] for t in types if counts[i][t]}
        if not mine or any(have[t] + n > 2 * k for t, n in mine.items()):
            continue
        if not any(have[t] < k for t in mine):
            continue
        picked.append(i)
        for t, n in mine.items():
            have[t] += n
        if all(v >= k for v in have.values()):
            return picked
    return None


class EpisodeSampler:
    """Episodes from one pool of sentences; episode i depends only on (seed, i).

    The sampling walk is shared with engine.protocols.few_nerd.FewNerdSampler, which overrides
    the three places where Few-NERD's published rule differs: which sentences are candidates
    (`candidates_for`), the query's order (`_query_order`) and the relabelling (`_relabel`).
    """

    rng_name = "episode"  # seeds the episode's random draws: f"{rng_name}:{seed}:{index}"

    def __init__(
        self,
        sentences: Sequence[Sentence],
        types: Sequence[str],
        *,
        n_way: int,
        k_shot: int,
        query_shot: int | None = None,
        seed: int | str = 0,
    ):
        self.types = sorted(types)
        if n_way > len(self.types):
            raise EpisodeError(
                f"{n_way}-way episodes need {n_way} entity types; this pool has "
                f"{len(self.types)} ({', '.join(self.types)})"
            )
        self.sentences = list(sentences)
        self.n_way, self.k_shot = n_way, k_shot
        self.query_shot = query_shot or k_shot
        self.seed = seed
        self.counts = [mention_counts(s.tags) for s in self.sentences]
        self.by_type: dict[str, list[int]] = {t: [] for t in self.types}
        for i, c in enumerate(self.counts):
            for t in c:
                if t in self.by_type:
                    self.by_type[t].append(i)

    def episode(self, index: int) -> Episode:
        rng = random.Random(f"{self.rng_name}:{self.seed}:{index}")
        for _ in range(ATTEMPTS):
            types = sorted(rng.sample(self.types, self.n_way))
            found = self._try(types, rng)
            if found is not None:
                return found
        raise EpisodeError(
            f"cannot sample a {self.n_way}-way {self.k_shot}~{2 * self.k_shot}-shot episode "
            + self._why_not()
        )

    def _why_not(self) -> str:
        scarce = sorted(self.types, key=lambda t: len(self.by_type[t]))[: self.n_way]
        return "with a disjoint query set: too few sentences mention " + ", ".join(
            f"{t} ({len(self.by_type[t])})" for t in scarce
        )

    def candidates_for(self, types: Sequence[str]) -> list[int]:
        """Sentences that mention an episode type (their other types become O)."""
        return sorted({i for t in types for i in self.by_type[t]})

    def _query_order(self, rest: list[int], rng: random.Random) -> list[int]:
        return rest  # the rest of the support's order

    def _relabel(self, index: int, types: Sequence[str]) -> Sentence:
        return keep_types(self.sentences[index], types)

    def _try(self, types: list[str], rng: random.Random) -> Episode | None:
        candidates = self.candidates_for(types)
        rng.shuffle(candidates)
        support = greedy_pick(self.counts, candidates, types, self.k_shot)
        if support is None:
            return None
        taken = set(support)
        rest = self._query_order([i for i in candidates if i not in taken], rng)
        query = greedy_pick(self.counts, rest, types, self.query_shot)
        if query is None:
            return None
        return Episode(
            tuple(types),
            tuple(self._relabel(i, types) for i in support),
            tuple(self._relabel(i, types) for i in query),
        )

    def episodes(self, count: int, start: int = 0) -> Iterator[Episode]:
        for i in range(start, start + count):
            yield self.episode(i)
