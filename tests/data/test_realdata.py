"""The real corpora in ../shared/datasets load and validate with the counts their SOURCE.txt gives.

Skipped cleanly when the folder is absent (it is not part of the repository).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.data.readers import read_corpus
from engine.data.stats import corpus_stats
from engine.data.validate import validate_paths

DATASETS = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets"

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not DATASETS.is_dir(), reason=f"real datasets not found at {DATASETS}"),
]

SPLITS = ("train", "dev", "test")
# (sentences, tokens, entities) of the train, dev and test split, as each folder's SOURCE.txt says.
COUNTS = {
    "wnut17": ((3394, 62730, 1975), (1009, 15733, 836), (1287, 23394, 1079)),
    "crossner_politics": ((200, 8384, 1304), (541, 24624, 3482), (651, 27585, 4209)),
    "crossner_science": ((200, 7100, 1075), (450, 16139, 2538), (543, 19487, 3089)),
    "weibo": ((1350, 73778, 1895), (270, 14509, 389), (270, 14842, 418)),
}
EXPECTED = {name: dict(zip(SPLITS, counts, strict=True)) for name, counts in COUNTS.items()}
FILES = [(name, split) for name, splits in EXPECTED.items() for split in splits]


def _path(name: str, split: str) -> Path:
    return DATASETS / name / f"{split}.txt"


@pytest.mark.parametrize(("name", "split"), FILES, ids=[f"{n}-{s}" for n, s in FILES])
def test_loads_with_expected_counts(name, split):
    corpus = read_corpus(_path(name, split))
    stats = corpus_stats(corpus.sentences)
    assert (stats.sentences, stats.tokens, stats.entity_total) == EXPECTED[name][split]
    assert corpus.scheme == "IOB2"


def test_every_file_validates_as_usable():
    report = validate_paths([str(_path(name, split)) for name, split in FILES])
    assert report.exit_code == 0
    assert [f.usable for f in report.files] == [True] * len(FILES)
    assert [f.sentences for f in report.files] == [EXPECTED[n][s][0] for n, s in FILES]


def test_crossner_politics_train_entities_per_type():
    stats = corpus_stats(read_corpus(_path("crossner_politics", "train")).sentences)
    assert stats.entities == {
        "country": 62, "election": 123, "event": 22, "location": 297, "misc": 80,
        "organisation": 152, "person": 14, "politicalparty": 195, "politician": 359,
    }  # fmt: skip


@pytest.mark.parametrize(("split", "orphans"), [("train", 10), ("dev", 0), ("test", 4)])
def test_weibo_i_without_b_is_repaired_and_counted(split, orphans):
    corpus = read_corpus(_path("weibo", split))
    found = [p for p in corpus.problems if "continuation tag" in p.reason]
    if orphans:
        (problem,) = found
        assert re.match(rf"{orphans} entities start with a continuation tag", problem.reason)
    else:
        assert found == []
    for sentence in corpus.sentences:  # valid IOB2 everywhere now
        for previous, tag in zip(("O", *sentence.tags), sentence.tags, strict=False):
            assert not tag.startswith("I-") or previous[2:] == tag[2:]


def test_wnut17_dev_zero_width_characters_are_removed():
    corpus = read_corpus(_path("wnut17", "dev"))
    tokens = [t for s in corpus.sentences for t in s.tokens]
    assert len(tokens) == 15733
    assert not any(ch in t for t in tokens for ch in "\u200b\ufeff")
    assert "watchedwas" in tokens and "Dubbz" in tokens
    (problem,) = [p for p in corpus.problems if "invisible characters" in p.reason]
    assert problem.reason.startswith("2 tokens") and problem.line == 15556


def test_wnut17_train_tab_lines_separate_sentences():
    text = _path("wnut17", "train").read_text(encoding="utf-8")
    assert "\n\t\n" in text  # the quirk is really there
    corpus = read_corpus(_path("wnut17", "train"))
    assert all(t.strip() for s in corpus.sentences for t in s.tokens)
    assert len(corpus.sentences) == 3394
