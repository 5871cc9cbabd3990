"""Few-NERD style episode sampling: K..2K mentions per type, determinism, disjoint type splits,
and the Few-NERD JSONL round trip."""

from __future__ import annotations

import json

import pytest

from engine.data.builtin import load_builtin
from engine.data.episodes import (
    EpisodeError,
    EpisodeSampler,
    greedy_pick,
    mention_counts,
    meta_pools,
    split_types,
)
from engine.data.fewnerd import io_to_iob2, iob2_to_io, read_episodes, write_episodes
from engine.data.tasks import keep_types
from engine.data.types import DataError, Sentence


def sent(text: str, tags: str) -> Sentence:
    return Sentence(tuple(text.split()), tuple(tags.split()))


@pytest.fixture(scope="module")
def mixed():
    return load_builtin("mixed", "train"), load_builtin("mixed", "test")


def counts_of(sentences, types):
    total = dict.fromkeys(types, 0)
    for s in sentences:
        for t, n in mention_counts(s.tags).items():
            assert t in total, f"type {t} outside the episode"
            total[t] += n
    return total


def test_mention_counts_count_spans_not_tokens():
    assert mention_counts(["B-PER", "I-PER", "O", "B-PER", "B-LOC", "I-LOC", "I-ORG"]) == {
        "PER": 2, "LOC": 1, "ORG": 1,
    }  # fmt: skip


def test_greedy_pick_keeps_every_type_between_k_and_2k():
    counts = [mention_counts(t.split()) for t in (
        "B-A B-A B-A",  # 3 A: over 2K for K=1, never taken
        "B-A O",
        "B-B B-A",
        "B-B",
    )]  # fmt: skip
    # A at 1 after sentence 1; sentence 2 brings B (under K) and a second A (still <= 2K)
    assert greedy_pick(counts, [0, 1, 2, 3], ["A", "B"], k=1) == [1, 2]
    assert greedy_pick(counts, [1, 0, 3, 2], ["A", "B"], k=1) == [1, 3]
    assert greedy_pick(counts, [2, 1, 3], ["A", "B"], k=1) == [2]
    assert greedy_pick(counts, [0, 1], ["A", "B"], k=1) is None  # B never reaches K


@pytest.mark.parametrize("k", [1, 5])
def test_sampled_episodes_have_k_to_2k_mentions_and_a_disjoint_query(mixed, k):
    train, _ = mixed
    sampler = EpisodeSampler(train, ["CHEM", "GENE", "LOC", "MONEY", "NORP", "PER"],
                             n_way=5, k_shot=k, seed=3)  # fmt: skip
    for i in range(20):
        episode = sampler.episode(i)
        assert len(episode.types) == 5
        for part in (episode.support, episode.query):
            assert all(k <= n <= 2 * k for n in counts_of(part, episode.types).values())
        assert not {s.tokens for s in episode.support} & {s.tokens for s in episode.query}


def test_sampling_is_deterministic_by_seed_and_index(mixed):
    train, _ = mixed
    types = ["CHEM", "GENE", "LOC", "MONEY", "NORP", "PER"]
    a = EpisodeSampler(train, types, n_way=5, k_shot=1, seed=7)
    b = EpisodeSampler(train, types, n_way=5, k_shot=1, seed=7)
    c = EpisodeSampler(train, types, n_way=5, k_shot=1, seed=8)
    assert [a.episode(i) for i in range(5)] == [b.episode(i) for i in (0, 1, 2, 3, 4)]
    assert b.episode(3) == a.episode(3)  # an index does not depend on what was drawn before
    assert [a.episode(i) for i in range(5)] != [c.episode(i) for i in range(5)]


def test_no_meta_test_type_ever_reaches_a_meta_training_episode(mixed):
    train, test = mixed
    pools = meta_pools(train, test, n_test=5, seed=13)
    assert len(pools.test_types) == 5 and len(pools.train_types) == 6
    assert not set(pools.train_types) & set(pools.test_types)
    train_sampler = EpisodeSampler(pools.train, pools.train_types, n_way=5, k_shot=1, seed=1)
    for i in range(30):
        episode = train_sampler.episode(i)
        seen = {t[2:] for s in episode.support + episode.query for t in s.tags if t != "O"}
        assert seen <= set(pools.train_types)
    # the pool itself holds no sentence that mentions a held-out type, even as O
    assert all(not {t[2:] for t in s.tags if t != "O"} & set(pools.test_types) for s in pools.train)
    test_sampler = EpisodeSampler(pools.test, pools.test_types, n_way=5, k_shot=1, seed=1)
    assert set(test_sampler.episode(0).types) == set(pools.test_types)


def test_type_split_is_seeded_or_explicit():
    types = ["A", "B", "C", "D", "E", "F"]
    assert split_types(types, 2, seed=1) == split_types(types, 2, seed=1)
    explicit = split_types(types, 2, seed=1, test_types=["E", "B"])
    assert explicit.test == ("B", "E") and explicit.train == ("A", "C", "D", "F")
    with pytest.raises(EpisodeError, match="not in the data"):
        split_types(types, 2, seed=1, test_types=["Z"])
    with pytest.raises(EpisodeError, match="cannot be split"):
        split_types(["A", "B"], 2, seed=1)


def test_cross_domain_holds_out_only_types_the_training_data_lacks():
    train = [sent("Ann met Bob", "B-PER O B-PER"), sent("in Oslo", "O B-LOC")]
    test = [sent("Ann took aspirin in Oslo", "B-PER O B-CHEM O B-LOC"), sent("no", "O")]
    pools = meta_pools(train, test, n_test=1, seed=0, cross_domain=True)
    assert pools.test_types == ("CHEM",) and pools.train_types == ("LOC", "PER")
    assert pools.test == [sent("Ann took aspirin in Oslo", "O O B-CHEM O O")]


def test_too_few_mentions_is_a_clear_error():
    pool = [sent("x y", "B-A B-B")] * 3
    with pytest.raises(EpisodeError, match="too few sentences"):
        EpisodeSampler(pool, ["A", "B"], n_way=2, k_shot=2, seed=0).episode(0)
    with pytest.raises(EpisodeError, match="need 3 entity types"):
        EpisodeSampler(pool, ["A", "B"], n_way=3, k_shot=1)


def test_restrict_turns_other_types_into_o():
    s = sent("Ann met Bob Jones", "B-PER O B-ORG I-ORG")
    assert keep_types(s, ["ORG"]).tags == ("O", "O", "B-ORG", "I-ORG")


def test_fewnerd_io_labels_round_trip():
    assert io_to_iob2(["O", "person", "person", "org", "O", "org"]) == [
        "O", "B-person", "I-person", "B-org", "O", "B-org",
    ]  # fmt: skip
    assert iob2_to_io(["B-a", "I-a", "O"]) == ["a", "a", "O"]


def test_fewnerd_jsonl_import_and_export(tmp_path, mixed):
    line = {
        "support": {"word": [["Ann", "met", "Bob"]], "label": [["person", "O", "person"]]},
        "query": {"word": [["Oslo", "Norway"]], "label": [["location", "location"]]},
        "types": ["person", "location"],
    }
    path = tmp_path / "episodes.jsonl"
    path.write_text(json.dumps(line) + "\n\n")
    (episode,) = read_episodes(path)
    assert episode.types == ("person", "location")
    assert episode.support[0].tags == ("B-person", "O", "B-person")
    assert episode.query[0].tags == ("B-location", "I-location")
    sampled = EpisodeSampler(mixed[0], ["CHEM", "GENE", "LOC"], n_way=3, k_shot=1).episode(0)
    out = write_episodes([episode, sampled], tmp_path / "out.jsonl")
    assert json.loads(out.read_text().splitlines()[0]) == line
    back = read_episodes(out)[1]  # IOB2 -> IO -> IOB2: the same spans (none adjacent here)
    assert back.types == sampled.types
    for part in ("support", "query"):
        assert [(s.tokens, s.tags) for s in getattr(back, part)] == [
            (s.tokens, s.tags) for s in getattr(sampled, part)
        ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(line) + "\n" + json.dumps({"support": {"word": [["a"]]}}) + "\n")
    with pytest.raises(DataError, match=r"bad.jsonl:2: not a Few-NERD episode"):
        read_episodes(bad)
