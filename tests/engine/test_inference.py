"""Tagging free text with a checkpoint: word splitting, entity spans, confidences (known answers
from a model whose head is set by hand), per-task checkpoints of a continual run, and the
`predict` CLI through the dashboard's subprocess facade."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from engine.inference.tagger import entity_spans, split_words, tag_text
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.models.checkpoint import save_checkpoint
from tests.engine.tiny import per_then_loc, run_through_cli, tiny_config


def test_split_words_english_and_chinese():
    assert split_words("Mr. O'Brien met Jean-Luc in New York, today!") == [
        ("Mr", 0, 2), (".", 2, 3), ("O'Brien", 4, 11), ("met", 12, 15), ("Jean-Luc", 16, 24),
        ("in", 25, 27), ("New", 28, 31), ("York", 32, 36), (",", 36, 37), ("today", 38, 43),
        ("!", 43, 44),
    ]  # fmt: skip
    words = [w for w, _, _ in split_words("王小明在北京，见了 IBM 的人。")]
    assert words == ["王", "小", "明", "在", "北", "京", "，", "见", "了", "IBM", "的", "人", "。"]


def test_entity_spans_follow_iob2_and_average_confidence():
    text = "a b c d e"
    words = split_words(text)
    tags = ["B-PER", "I-PER", "O", "I-LOC", "B-LOC"]
    spans = entity_spans(words, tags, [0.9, 0.7, 0.99, 0.6, 0.5], text)
    assert [(s["type"], s["text"], s["words"], s["confidence"]) for s in spans] == [
        ("PER", "a b", [0, 2], 0.8),
        ("LOC", "d", [3, 4], 0.6),  # an I- with no B- starts an entity
        ("LOC", "e", [4, 5], 0.5),  # a B- after an entity starts a new one
    ]


def head_set_checkpoint(folder: Path, bias: list[float]) -> Path:
    """A tiny model whose classifier ignores the input: every word gets softmax(bias)."""
    labels = ["O", "B-PER", "I-PER"]
    backbone = resolve_backbone("tiny")
    tokenizer = load_tokenizer(backbone)
    model = load_token_classifier(backbone, labels, vocab_size=len(tokenizer))
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor(bias))
    return save_checkpoint(model, tokenizer, folder, {"backbone": "tiny"})


def test_tag_text_reports_the_softmax_of_the_chosen_label(tmp_path):
    every_b = head_set_checkpoint(tmp_path / "b", [0.0, 2.0, 0.0])
    res = tag_text(every_b, "  Anna met Bob  ")
    expected = round(math.exp(2) / (math.exp(2) + 2), 4)  # 0.7869
    assert res["text"] == "Anna met Bob" and res["labels"] == ["O", "B-PER", "I-PER"]
    assert [(w["text"], w["tag"], w["confidence"]) for w in res["words"]] == [
        ("Anna", "B-PER", expected), ("met", "B-PER", expected), ("Bob", "B-PER", expected)
    ]  # fmt: skip
    assert [e["text"] for e in res["entities"]] == ["Anna", "met", "Bob"]

    every_i = head_set_checkpoint(tmp_path / "i", [0.0, 1.0, 3.0])
    res = tag_text(every_i, "王小明在北京")
    (one,) = res["entities"]
    assert (one["type"], one["text"], one["start"], one["end"]) == ("PER", "王小明在北京", 0, 6)
    assert one["confidence"] == pytest.approx(math.exp(3) / (1 + math.e + math.exp(3)), abs=1e-4)


def test_tag_text_refuses_empty_and_huge_text(tmp_path):
    folder = head_set_checkpoint(tmp_path / "c", [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="no text to tag"):
        tag_text(folder, "   ")
    with pytest.raises(ValueError, match="at most 2000"):
        tag_text(folder, "x " * 1500)


@pytest.mark.slow
def test_continual_stages_are_kept_and_tagged_through_the_cli(lab, capsys, tmp_path):
    from engine import api as jobs
    from engine.cli import main
    from storage import queries
    from storage.db import read_session

    config = tiny_config(
        "cl-predict",
        strategy=per_then_loc("naive", 30),
        train={"epochs": 1, "batch_size": 16, "lr": 2e-3},
    )
    run_id = run_through_cli(config, tmp_path, capsys)
    with read_session() as s:
        artifacts = queries.artifacts(s, run_id, "checkpoint")
    assert [a.stage for a in artifacts] == ["task_0", "task_1", "final"]
    assert Path(artifacts[0].path) == lab / "runs" / str(run_id) / "tasks" / "task_0"
    assert [s.name for s in jobs.checkpoint_stages(run_id)] == ["task_0", "task_1", "final"]

    text = "Anna Smith flew to Oslo ."
    first = jobs.predict_text(run_id, "task_0", text)
    last = jobs.predict_text(run_id, None, text)  # default: the last stage
    assert (first["stage"], last["stage"]) == ("task_0", "final")
    assert first["labels"] == ["O", "B-PER", "I-PER"]  # LOC is not known after task 0
    assert last["labels"] == ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    assert [w["text"] for w in first["words"]] == text.split()
    assert all(0 < w["confidence"] <= 1 for w in first["words"] + last["words"])

    with pytest.raises(jobs.PredictError, match=r"no checkpoint 'task_7'; it has: task_0, task_1"):
        jobs.predict_text(run_id, "task_7", text)
    with pytest.raises(jobs.PredictError, match="there is no run 999"):
        jobs.predict_text(999, None, text)

    assert main(["predict", str(run_id), "--stage", "task_1", "--text", text, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["run_id"] == run_id and shown["stage"] == "task_1"


def test_predict_client_turns_a_timeout_into_a_clear_error(lab, monkeypatch):
    import subprocess

    from engine.inference import client as predict_client

    def slow(*args, **kwargs):
        raise subprocess.TimeoutExpired(args[0], kwargs["timeout"])

    monkeypatch.setattr(predict_client.subprocess, "run", slow)
    with pytest.raises(predict_client.PredictError, match="took longer than 5 s"):
        predict_client.predict_text(3, "final", "hello", timeout_s=5)
    with pytest.raises(predict_client.PredictError, match="no text to tag"):
        predict_client.predict_text(3, "final", "  ")


def test_typed_text_splits_like_imported_data():
    from engine.data.char_spans import tokenize

    text = "José (Jose\u0301) met 👨‍🚒 in 🇫🇷, don't-stop 李白！"
    assert split_words(text) == [(t.text, t.start, t.end) for t in tokenize(text)]
    assert [w for w, _, _ in split_words(text)][-4:] == ["don't-stop", "李", "白", "！"]
