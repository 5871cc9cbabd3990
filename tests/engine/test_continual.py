"""The continual loop's pieces on their own: head growth, replay, EWC, LwF, mapping, joint.

A recorded run and the strategies' effect on a stream are in test_continual_runs.py."""

from __future__ import annotations

import copy
from collections import Counter

import pytest
import torch
import torch.nn.functional as F

from engine.config import ContinualStrategy, TrainConfig
from engine.data.alignment import IGNORE, SpecialIds
from engine.data.builtin import load_builtin
from engine.data.tasks import class_incremental, sentence_types
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.models.head import grow_head
from engine.strategies.continual.ewc import EwcPlugin, ewc_penalty
from engine.strategies.continual.joint import JointPlugin
from engine.strategies.continual.loop import make_plugins
from engine.strategies.continual.lwf import LwfPlugin, distillation_loss
from engine.strategies.continual.mapping import MappingPlugin, alignment_loss
from engine.strategies.continual.plugin import TaskState
from engine.strategies.continual.replay import ReplayBuffer, ReplayPlugin
from engine.tracking.tracker import MemoryTracker
from tests.engine.tiny_training import stream_quietly

OLD = ["O", "B-PER", "I-PER"]
NEW = [*OLD, "B-LOC", "I-LOC"]


@pytest.fixture(scope="module")
def tiny():
    backbone = resolve_backbone("tiny")
    tokenizer = load_tokenizer(backbone)

    def make(labels=OLD):
        torch.manual_seed(0)
        return load_token_classifier(backbone, list(labels), len(tokenizer)).eval()

    return make, tokenizer


def batch(labels: list[list[int]]) -> dict[str, torch.Tensor]:
    ids = torch.tensor([[101] + [2000 + i for i in range(len(row) - 2)] + [102] for row in labels])
    return {
        "input_ids": ids,
        "attention_mask": torch.ones_like(ids),
        "labels": torch.tensor(labels),
    }


BATCH = batch([[IGNORE, 1, 2, 0, 0, IGNORE], [IGNORE, 0, 1, 0, 0, IGNORE]])


def state_for(model, stream, t=0) -> TaskState:
    return TaskState(
        t,
        stream.tasks[t],
        stream,
        model,
        NEW,
        torch.device("cpu"),
        torch.float32,
        0,
        4,
        0,
        encode=lambda s: [],
    )


# ---- head growth --------------------------------------------------------------------------


def test_head_growth_keeps_old_rows_and_old_logits_exactly(tiny):
    make, _ = tiny
    model = make()
    weight, bias = model.classifier.weight.clone(), model.classifier.bias.clone()
    before = model(input_ids=BATCH["input_ids"]).logits
    grow_head(model, NEW)
    assert model.classifier.out_features == 5 and model.num_labels == 5
    assert torch.equal(model.classifier.weight[:3], weight)
    assert torch.equal(model.classifier.bias[:3], bias)
    assert model.config.id2label[3] == "B-LOC" and model.config.label2id["I-LOC"] == 4
    after = model(input_ids=BATCH["input_ids"]).logits
    assert torch.allclose(after[..., :3], before, atol=1e-6)
    assert model(**batch([[IGNORE, 4, 3, 0, IGNORE]])).loss.isfinite()
    with pytest.raises(ValueError, match="must start with"):
        grow_head(model, ["O", "B-LOC", "I-LOC"])


# ---- replay -------------------------------------------------------------------------------


def _sentences(tag: str, n: int, start: int = 0):
    from engine.data.types import Sentence

    return [Sentence((f"w{start + i}",), (tag,)) for i in range(n)]


def test_reservoir_memory_keeps_its_size_and_samples_every_task():
    buffer = ReplayBuffer(30, "reservoir", seed=1)
    tasks = [_sentences(tag, 100, k * 100) for k, tag in enumerate(["B-PER", "B-LOC", "B-ORG"])]
    for sents in tasks:
        buffer.add(sents)
        assert len(buffer.sentences) == 30
    assert buffer.seen == 300
    per_task = Counter(s.tags[0] for s in buffer.sentences)
    assert set(per_task) == {"B-PER", "B-LOC", "B-ORG"}
    assert all(5 <= n <= 16 for n in per_task.values())  # about 10 each, fixed seed
    assert len({s.tokens for s in buffer.sentences}) == 30
    again = ReplayBuffer(30, "reservoir", seed=1)
    for sents in tasks:
        again.add(sents)
    assert again.sentences == buffer.sentences


def test_type_balanced_memory_gives_each_type_the_same_share():
    buffer = ReplayBuffer(12, "type_balanced", seed=0)
    buffer.add(_sentences("B-PER", 50))
    assert len(buffer.sentences) == 12
    buffer.add(_sentences("B-LOC", 50, 50) + _sentences("B-ORG", 5, 100))
    counts = Counter(s.tags[0] for s in buffer.sentences)
    assert counts == {"B-PER": 4, "B-LOC": 4, "B-ORG": 4}
    buffer.add(_sentences("B-MISC", 1, 200))
    counts = Counter(s.tags[0] for s in buffer.sentences)
    assert counts["B-MISC"] == 1 and sum(counts.values()) == 12


def test_replay_plugin_appends_the_memory_of_earlier_tasks():
    plugin = ReplayPlugin(3, "reservoir", seed=0)
    stream = class_incremental(
        _sentences("B-PER", 5) + _sentences("B-LOC", 5, 5), [], [], [["PER"], ["LOC"]], seed=0
    )
    state = state_for(None, stream, 0)
    assert plugin.training_data(state, ["current"]) == ["current"]
    plugin.after_task(state)
    extra = plugin.training_data(state_for(None, stream, 1), [])
    assert len(extra) == 3 and all(s.tags == ("B-PER",) for s in extra)


# ---- EWC ----------------------------------------------------------------------------------


def test_ewc_penalty_is_zero_at_the_anchor_and_grows_away_from_it(tiny):
    make, _ = tiny
    model = make()
    fisher = {n: torch.ones_like(p) for n, p in model.named_parameters()}
    anchor = {n: p.detach().clone() for n, p in model.named_parameters()}
    assert ewc_penalty(model, fisher, anchor).item() == 0.0
    grow_head(model, NEW)  # new rows have no anchor: still zero
    assert ewc_penalty(model, fisher, anchor).item() == 0.0
    with torch.no_grad():
        model.classifier.weight[4] += 1.0  # a new row: free to move
    assert ewc_penalty(model, fisher, anchor).item() == 0.0
    with torch.no_grad():
        model.classifier.weight[1] += 0.5  # an old row: 128 weights moved by 0.5
    assert ewc_penalty(model, fisher, anchor).item() == pytest.approx(128 * 0.25)


def test_ewc_plugin_estimates_a_fisher_and_penalises_moves(tiny):
    make, tokenizer = tiny
    model = make()
    train = load_builtin("news", "train")[:24]
    stream = class_incremental(train, [], [], [["PER"], ["LOC"]], seed=0)
    label2id = {lab: i for i, lab in enumerate(OLD)}
    from engine.data.alignment import encode_sentences

    state = state_for(model, stream, 0)
    state.train_windows = encode_sentences(stream.tasks[0].train, tokenizer, label2id, 64)
    state.pad_id = SpecialIds.of(tokenizer).pad
    plugin = EwcPlugin(lam=10.0, fisher_batches=3)
    assert plugin.extra_loss(model, BATCH, None) is None  # nothing to protect yet
    plugin.after_task(state)
    assert all((f >= 0).all() for f in plugin.fisher.values())
    assert sum(float(f.sum()) for f in plugin.fisher.values()) > 0
    assert plugin.extra_loss(model, BATCH, None).item() == 0.0
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01)
    assert plugin.extra_loss(model, BATCH, None).item() > 0.0


# ---- LwF ----------------------------------------------------------------------------------


def test_distillation_is_zero_when_the_student_matches_the_teacher():
    logits = torch.randn(2, 6, 3)
    mask = torch.ones(2, 6, dtype=torch.bool)
    assert float(distillation_loss(logits, logits.clone(), mask, 2.0)) == pytest.approx(0, abs=1e-6)
    assert float(distillation_loss(logits + torch.randn(2, 6, 3), logits, mask, 2.0)) > 0
    # new labels: probability the student puts on them is a mismatch too
    grown = torch.cat([logits, torch.full((2, 6, 2), -30.0)], dim=-1)
    assert float(distillation_loss(grown, logits, mask, 1.0)) == pytest.approx(0, abs=1e-5)
    grown[..., 3:] = 5.0
    assert float(distillation_loss(grown, logits, mask, 1.0)) > 0.5


def test_lwf_swaps_the_hard_o_loss_for_the_teachers_soft_labels(tiny):
    make, _ = tiny
    model = make()
    plugin = LwfPlugin(temperature=2.0, weight=1.0)
    outputs = model(**BATCH)
    assert plugin.extra_loss(model, BATCH, outputs) is None  # first task: no teacher
    plugin.teacher = copy.deepcopy(model)
    total = outputs.loss + plugin.extra_loss(model, BATCH, outputs)
    # the teacher agrees with the student, so only the entity tokens' cross-entropy is left
    labels = BATCH["labels"]
    entity = (labels != IGNORE) & (labels != 0)
    expected = F.cross_entropy(outputs.logits[entity], labels[entity], reduction="sum")
    assert total.item() == pytest.approx((expected / (labels != IGNORE).sum()).item(), rel=1e-4)


# ---- mapping ------------------------------------------------------------------------------


def test_alignment_loss_is_zero_for_identical_representations():
    h = torch.randn(2, 5, 8)
    mask = torch.ones(2, 5, dtype=torch.bool)
    assert float(alignment_loss(h, h.clone(), mask, "l2")) == 0.0
    assert float(alignment_loss(h, h.clone(), mask, "cosine")) == pytest.approx(0, abs=1e-6)
    assert float(alignment_loss(3 * h, h, mask, "cosine")) == pytest.approx(0, abs=1e-6)
    assert float(alignment_loss(h + 1.0, h, mask, "l2")) == pytest.approx(1.0)
    mask[:, 2:] = False  # masked tokens do not count
    moved = h.clone()
    moved[:, 2:] += 10
    assert float(alignment_loss(moved, h, mask, "l2")) == 0.0


def test_mapping_plugin_pins_the_encoder_to_the_previous_tasks(tiny):
    make, _ = tiny
    model = make()
    stream = class_incremental(
        _sentences("B-PER", 2) + _sentences("B-LOC", 2, 2), [], [], [["PER"], ["LOC"]], seed=0
    )
    plugin = MappingPlugin(weight=2.0, distance="l2")
    plugin.before_task(state_for(model, stream, 0))
    assert plugin.extra_loss(model, BATCH, model(**BATCH)) is None  # first task
    plugin.after_task(state_for(model, stream, 0))
    plugin.before_task(state_for(model, stream, 1))
    assert plugin.extra_loss(model, BATCH, model(**BATCH)).item() == pytest.approx(0, abs=1e-6)
    with torch.no_grad():
        model.bert.encoder.layer[1].output.dense.bias.add_(0.5)
    loss = plugin.extra_loss(model, BATCH, model(**BATCH))
    assert loss.item() > 0 and loss.requires_grad
    assert not any(p.requires_grad for p in plugin.teacher.parameters())


# ---- joint and the plugin registry --------------------------------------------------------


def test_joint_trains_on_every_task_so_far_with_every_seen_type():
    train = load_builtin("news", "train")[:90]
    stream = class_incremental(train, [], [], [["PER"], ["LOC"], ["ORG"]], seed=0)
    data = JointPlugin().training_data(state_for(None, stream, 1), [])
    assert len(data) == len(stream.tasks[0].train) + len(stream.tasks[1].train)
    assert set().union(*(sentence_types(s) for s in data)) == {"PER", "LOC"}


def test_each_method_gets_its_plugins():
    kinds = {
        m: [type(p).__name__ for p in make_plugins(ContinualStrategy(method=m), 0)]
        for m in ("naive", "replay", "ewc", "lwf", "mapping", "joint")
    }
    assert kinds == {
        "naive": [],
        "replay": ["ReplayPlugin"],
        "ewc": ["EwcPlugin"],
        "lwf": ["LwfPlugin"],
        "mapping": ["MappingPlugin", "ReplayPlugin"],
        "joint": ["JointPlugin"],
    }
    plugins = make_plugins(ContinualStrategy(method="mapping", mapping_replay=False), 0)
    assert [type(p).__name__ for p in plugins] == ["MappingPlugin"]


def test_a_stop_request_ends_the_stream_without_a_summary(tiny):
    make, tokenizer = tiny
    train = load_builtin("news", "train")[:40]
    stream = class_incremental(train, [], train[:5], [["PER"], ["LOC"]], seed=0)
    tracker = MemoryTracker(stop_requested=True)
    model = make(["O", "B-PER", "I-PER"])
    train = TrainConfig(device="cpu")
    res = stream_quietly(model, tokenizer, stream, ContinualStrategy(), train, tracker)
    assert res.stopped and res.matrix == [] and res.summary is None
    assert [c[1] for c in tracker.matrix_cells if c[0] == "f1"] == [-1, -1]  # baseline only
    assert "continual" not in tracker.summary
