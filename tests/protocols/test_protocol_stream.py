"""A CL-NER protocol as a real run's stream: the config option, the steps (they are
`build_stream`'s), and the published step scores a tiny continual run records."""

from __future__ import annotations

import pytest
import torch

from engine.config import ConfigError, ContinualStrategy, DataConfig, TaskStreamConfig, TrainConfig
from engine.data.alignment import SpecialIds, encode_sentences
from engine.data.sources import load_splits
from engine.data.types import Sentence
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.protocols import cl_ner
from engine.protocols.metrics import Counts, cl_step_score
from engine.protocols.stream import protocol_stream, protocol_summary, step_record
from engine.strategies.continual.loop import labels_until
from engine.strategies.finetune.run import seed_everything
from engine.tracking.tracker import MemoryTracker
from engine.training.predict import predict_tags
from storage.summary import RunSummary
from tests.engine.tiny_training import stream_quietly

DATA = DataConfig(train="builtin:news", max_train_sentences=300)
TASKS = TaskStreamConfig(
    protocol="cl-ner-fg1-pg1", order=[["LOC"], ["PER"]], max_train_sentences=120
)


def test_the_protocol_sets_fg_and_pg_and_refuses_what_it_cannot_be():
    assert TaskStreamConfig(protocol="cl-ner-fg2-pg1").first_types == 2
    two = TaskStreamConfig(protocol="cl-ner-fg2-pg2", types_per_task=1)
    assert (two.first_types, two.types_per_task) == (2, 2)  # the name decides
    again = TaskStreamConfig.model_validate(two.model_dump())
    assert again == two  # a stored config reads back the same
    for bad, message in (
        ({"protocol": "cl-ner-fg0-pg1"}, "unknown protocol"),
        ({"protocol": "cl-ner-fg1-pg1", "fully_labelled": True}, "fully_labelled"),
        ({"protocol": "cl-ner-fg2-pg1", "order": [["A"], ["B"]]}, "2 type"),
        ({"protocol": "cl-ner-fg1-pg1", "by": "datasets", "datasets": ["x"]}, "by: types"),
    ):
        with pytest.raises(ValueError, match=message):
            TaskStreamConfig(**bad)
    assert cl_ner.protocol_named("cl-ner-fg3-pg2").fg == 3
    with pytest.raises(ValueError):
        cl_ner.protocol_named("cl-ner-fg1")


def test_the_stream_is_build_streams_steps():
    stream = protocol_stream(TASKS, DATA, seed=13)
    splits = load_splits(DATA, seed=13)
    built = cl_ner.build_stream(
        cl_ner.cl_ner_protocol(1, 1), splits.train, splits.dev, splits.test, ["LOC", "PER"], 13
    )
    assert [t.types for t in stream.tasks] == [("LOC",), ("PER",)]
    for task, step in zip(stream.tasks, built.steps, strict=True):
        assert task.train == list(step.train[:120]) and task.train_gold == list(
            step.train_gold[:120]
        )
        assert task.dev == list(step.dev) and task.labelled == step.new_types
        assert task.test is stream.tasks[0].test and task.test == list(splits.test)
    # each step's data has only its own type labelled: the background shift of CFNER
    assert {tag[2:] for s in stream.tasks[1].train for tag in s.tags if tag != "O"} == {"PER"}
    with pytest.raises(ConfigError, match="FG-2-PG-2"):
        protocol_stream(TaskStreamConfig(protocol="cl-ner-fg2-pg2"), DATA)  # 5 types


def test_step_record_and_summary_on_a_hand_made_case():
    gold = [["B-A", "O", "B-B"], ["B-B", "I-B", "O"]]
    pred = [["B-A", "O", "O"], ["B-B", "I-B", "O"]]
    first = step_record(cl_step_score(gold, pred, ["A"], 0))
    second = step_record(cl_step_score(gold, pred, ["A", "B"], 1))
    assert (first["mi_f1"], first["ma_f1"]) == (1.0, 1.0)
    # A: 1/1; B: 1 of 2 found -> F1 2/3; micro: tp 2, fp 0, fn 1 -> 0.8
    assert second["counts"] == {"tp": 2, "fp": 0, "fn": 1}
    assert second["mi_f1"] == pytest.approx(0.8) and second["ma_f1"] == pytest.approx(5 / 6)
    summary = protocol_summary("cl-ner-fg1-pg1", [first, second])
    assert summary["mi_f1_mean"] == pytest.approx(0.9)
    assert summary["ma_f1_mean"] == pytest.approx((1 + 5 / 6) / 2)
    typed = RunSummary.model_validate({"protocol": summary}).protocol
    assert typed is not None and typed.steps[1].seen_types == ["A", "B"]
    assert Counts(2, 0, 1).f1 == pytest.approx(0.8)


def test_a_tiny_protocol_run_records_the_published_step_scores():
    stream = protocol_stream(TASKS, DATA, seed=13)
    backbone = resolve_backbone("tiny")
    tokenizer = load_tokenizer(backbone)
    train = TrainConfig(epochs=3, batch_size=16, lr=3e-3, device="cpu", precision="fp32")
    strategy = ContinualStrategy(method="naive", tasks=TASKS, dev_per_task=False)
    seed_everything(13)
    model = load_token_classifier(backbone, labels_until(stream, 0), len(tokenizer))
    pad = SpecialIds.of(tokenizer).pad
    test = stream.tasks[0].test
    windows = encode_sentences(test, tokenizer, None, train.max_length)
    recomputed = []

    def rescore(t: int) -> None:  # the test predictions right after task t, scored afresh
        pred = predict_tags(
            model, test, windows, dict(model.config.id2label), torch.device("cpu"),
            torch.float32, pad,
        )  # fmt: skip
        recomputed.append(cl_step_score([list(s.tags) for s in test], pred, stream.types_until(t)))

    tracker = MemoryTracker()
    res = stream_quietly(model, tokenizer, stream, strategy, train, tracker, on_task_end=rescore)
    steps = [p for kind, _, p in tracker.records if kind == "protocol_step"]
    assert [s["seen_types"] for s in steps] == [["LOC"], ["LOC", "PER"]]
    for step, score in zip(steps, recomputed, strict=True):
        assert step["mi_f1"] == pytest.approx(score.micro_f1)
        assert step["ma_f1"] == pytest.approx(score.macro_f1)
    assert steps[0]["mi_f1"] > 0  # LOC learned: the numbers are not vacuous zeros
    section = tracker.summary["protocol"]
    assert section == res.protocol and section["name"] == "cl-ner-fg1-pg1"
    assert section["mi_f1_mean"] == pytest.approx((steps[0]["mi_f1"] + steps[1]["mi_f1"]) / 2)
    assert "continual" in tracker.summary  # the lab's own R matrix and ACC/BWT stay beside it


def test_sentences_outside_the_order_are_o_everywhere():
    s = Sentence(("a", "b"), ("B-LOC", "B-ORG"))
    stream = cl_ner.build_stream(cl_ner.cl_ner_protocol(1, 1), [s, s], [s], [s], ["LOC", "ORG"])
    assert stream.steps[0].train[0].tags == ("B-LOC", "O")
