"""Chinese NER end to end: the built-in character-level corpus, the `tiny-corpus` backbone whose
vocabulary is built from the training data, a short run that learns, and Weibo NER (character
CoNLL from ../shared/datasets, skipped when absent)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from engine.data.builtin import BUILTIN_CORPORA, SYNTHETIC_NOTICE, load_builtin
from engine.data.builtin.zh_news import as_characters
from engine.data.types import Sentence
from engine.models.backbones import BackboneError, load_tokenizer, resolve_backbone
from tests.data.mentions import entities
from tests.engine.tiny import run_through_cli, tiny_config

CJK = re.compile(r"[\u4e00-\u9fff]")
WEIBO = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "weibo"


def test_zh_news_is_a_small_character_level_corpus():
    info = BUILTIN_CORPORA["zh_news"]
    assert (info.language, info.entity_types) == ("zh", ("PER", "LOC", "ORG"))
    assert "Synthetic" in info.description and "generated" in SYNTHETIC_NOTICE
    sizes = {split: len(load_builtin("zh_news", split)) for split in ("train", "dev", "test")}
    assert sizes == {"train": 500, "dev": 100, "test": 100}
    train = load_builtin("zh_news", "train")
    assert all(len(token) == 1 for s in train for token in s.tokens)
    assert (
        sum(bool(CJK.match(t)) for s in train for t in s.tokens) / sum(len(s.tokens) for s in train)
        > 0.9
    )
    counts = Counter(etype for etype, _ in entities(train, joiner=""))
    assert set(counts) == {"PER", "LOC", "ORG"} and min(counts.values()) >= 150, counts
    assert load_builtin("zh_news", "train", seed=0) == train  # deterministic
    forms = set(entities(train + load_builtin("zh_news", "test"), joiner=""))
    assert ("LOC", "北京") in forms and any(f.startswith("北京") and t == "ORG" for t, f in forms)


def test_as_characters_keeps_iob2_per_character():
    words = Sentence(("王小明", "在", "北京"), ("B-PER", "O", "B-LOC"), 3)
    (out,) = as_characters({"train": (words,), "dev": (), "test": ()})["train"]
    assert out.tokens == ("王", "小", "明", "在", "北", "京")
    assert out.tags == ("B-PER", "I-PER", "I-PER", "O", "B-LOC", "I-LOC")
    assert out.line == 3


def test_tiny_corpus_builds_a_character_vocabulary_from_the_training_data():
    train = load_builtin("zh_news", "train")
    backbone = resolve_backbone("tiny-corpus")
    assert backbone.from_scratch and backbone.corpus_vocab
    tokenizer = load_tokenizer(backbone, corpus=[s.tokens for s in train])
    chars = {t for s in train for t in s.tokens}
    vocab = tokenizer.get_vocab()
    assert chars <= set(vocab)  # no training character is [UNK]
    assert len(vocab) < 1000  # a few hundred characters, not MiniLM's 30k English pieces
    assert [vocab[t] for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")] == [0, 1, 2, 3, 4]
    ids = tokenizer(["王", "明", "北", "京"], is_split_into_words=True, add_special_tokens=False)
    assert ids["input_ids"] == [vocab["王"], vocab["明"], vocab["北"], vocab["京"]]
    with pytest.raises(BackboneError, match="builds its vocabulary from the training data"):
        load_tokenizer(backbone)


def zh_config(data: dict, **train) -> dict:
    """A run of the tiny-corpus backbone (its vocabulary built from `data`'s training set)."""
    train = {"batch_size": 16, "lr": 3e-3, "seed": 13} | train
    return tiny_config("zh", backbone="tiny-corpus", data=data, train=train)


def run_and_read(config: dict, tmp_path: Path, capsys) -> tuple[int, dict]:
    from storage import queries
    from storage.db import read_session

    run_id = run_through_cli(config, tmp_path, capsys)
    with read_session() as s:
        return run_id, queries.get_run(s, run_id).summary.stored()


def saved_vocab(checkpoint: str) -> set[str]:
    from transformers import AutoTokenizer

    return set(AutoTokenizer.from_pretrained(checkpoint, local_files_only=True).get_vocab())


@pytest.mark.slow
def test_a_short_chinese_run_learns_and_tags_characters(lab, capsys, tmp_path):
    from engine.inference.tagger import tag_text

    data = {"train": "builtin:zh_news", "max_train_sentences": 200}
    run_id, summary = run_and_read(zh_config(data, epochs=2), tmp_path, capsys)
    assert summary["labels"] == ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    print("zh_news test F1", summary["test_f1"], "steps", summary["steps"])
    assert summary["test_f1"] > 0.1, summary["test_f1"]
    result = tag_text(summary["checkpoint"], "王小明昨天在北京会见了代表。")
    assert [w["text"] for w in result["words"]] == list("王小明昨天在北京会见了代表。")
    trained_on = {c for s in load_builtin("zh_news", "train")[:200] for c in s.tokens}
    assert trained_on <= saved_vocab(summary["checkpoint"])  # the vocabulary travels with it


@pytest.fixture
def weibo() -> Path:
    if not (WEIBO / "train.txt").is_file():
        pytest.skip(f"shared dataset not present: {WEIBO}")
    return WEIBO


@pytest.mark.slow
@pytest.mark.realdata
def test_weibo_character_conll_runs_end_to_end(lab, capsys, tmp_path, weibo):
    data = {
        "train": str(weibo / "train.txt"),
        "dev": str(weibo / "dev.txt"),
        "test": str(weibo / "test.txt"),
        "max_train_sentences": 120,
    }
    run_id, summary = run_and_read(zh_config(data, epochs=1, max_length=96), tmp_path, capsys)
    types = {label[2:] for label in summary["labels"] if label != "O"}
    assert {"PER.NAM", "PER.NOM"} <= types
    assert types <= {f"{t}.{k}" for t in ("PER", "ORG", "LOC", "GPE") for k in ("NAM", "NOM")}
    assert 0.0 <= summary["test_f1"] <= 1.0
    assert summary["steps"] >= 8  # 120 sentences, long ones cut into 96-sub-token windows
    vocab = saved_vocab(summary["checkpoint"])
    assert sum(bool(CJK.fullmatch(v)) for v in vocab) > 500
