"""Few-NERD's episode rule: episode-only candidates, K~2K mentions, named settings."""

from __future__ import annotations

import random

import pytest

from engine.data.episodes import EpisodeError, EpisodeSampler, mention_counts
from engine.data.types import Sentence
from engine.protocols.few_nerd import (
    FewNerdSampler,
    detect_setting,
    few_nerd_protocol,
    pair_protocol,
)


def sent(*types: str) -> Sentence:
    tags = tuple(tag for t in types for tag in (f"B-{t}", "O"))
    return Sentence(tuple(f"w{i}" for i in range(len(tags))), tags)


COMBOS = [("A",), ("B",), ("C",), ("D",), ("A", "B"), ("B", "C"), ("A", "A"), ("C", "D")]
rng = random.Random(1)
CORPUS = [sent(*rng.choice(COMBOS)) for _ in range(120)]


def test_protocols_carry_the_readme_defaults():
    p = few_nerd_protocol(5, 1, "inter")
    assert (p.name, p.version, p.setting) == ("few-nerd-inter-5way-1shot", 1, "inter")
    assert (p.episodes_per_batch, p.max_length, p.tau, p.lr) == (8, 64, 0.32, 1e-4)
    assert (p.train_iterations, p.test_episodes, p.query_shot) == (10_000, 5_000, 1)
    assert p.episode_file("test") == "test_5_1.jsonl"
    assert few_nerd_protocol(10, 5, "intra").tau == 0.434
    pair = pair_protocol(5, 1, "politics", "science")
    assert (pair.setting, pair.candidates) == ("politics -> science", "any")


@pytest.mark.parametrize(
    ("path", "setting"),
    [
        ("data/intra/train.txt", "intra"),
        ("episode-data/inter/test_5_1.jsonl", "inter"),
        ("data/mydata/train-inter.txt", "inter"),
        ("../shared/datasets/crossner_politics", None),
        ("interviews/train.txt", None),
    ],
)
def test_detect_setting(path: str, setting: str | None):
    assert detect_setting(path) == setting


def _types(s: Sentence) -> set[str]:
    return set(mention_counts(s.tags))


def test_episodes_follow_the_published_rule():
    sampler = FewNerdSampler(CORPUS, ["A", "B", "C", "D"], n_way=2, k_shot=1, seed=4)
    for i in range(20):
        ep = sampler.episode(i)
        assert ep == sampler.episode(i)  # reproducible from (seed, index)
        assert not {id(s) for s in ep.support} & {id(s) for s in ep.query}
        for part in (ep.support, ep.query):
            # candidates mention episode types only, so nothing was relabelled
            assert all(_types(s) <= set(ep.types) and s in CORPUS for s in part)
            counts = sum((mention_counts(s.tags) for s in part), start=mention_counts([]))
            assert all(1 <= counts[t] <= 2 for t in ep.types), (i, counts)


def test_a_pair_of_datasets_uses_the_labs_sampler():
    types = ["A", "B", "C", "D"]
    mine = FewNerdSampler(CORPUS, types, n_way=2, k_shot=1, seed=4, candidates="any")
    theirs = EpisodeSampler(CORPUS, types, n_way=2, k_shot=1, seed=4)
    assert [mine.episode(i) for i in range(5)] == [theirs.episode(i) for i in range(5)]


def test_sentences_with_other_types_are_not_candidates():
    corpus = [sent("A", "C")] * 4 + [sent("B")] * 4 + [sent("C")] * 4
    strict = FewNerdSampler(corpus, ["A", "B"], n_way=2, k_shot=1, seed=0)
    assert all(_types(corpus[i]) == {"B"} for i in strict.candidates_for(["A", "B"]))
    with pytest.raises(EpisodeError, match="candidates='any'"):
        strict.episode(0)
    lenient = FewNerdSampler(corpus, ["A", "B"], n_way=2, k_shot=1, seed=0, candidates="any")
    episode = lenient.episode(0)
    assert all("B-C" not in s.tags for s in episode.support + episode.query)
