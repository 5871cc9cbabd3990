"""Pseudo-labels: the previous model relabels the O tokens it is sure are an old type, alone
and with LwF on the rest; on a 2-task class-incremental stream it keeps the old type that
naive fine-tuning loses to the background shift."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from engine.config import ContinualStrategy, DataConfig, TaskStreamConfig, TrainConfig
from engine.data.alignment import IGNORE
from engine.data.tasks import build_stream
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.strategies.continual.loop import make_plugins
from engine.strategies.continual.pseudo import PseudoLabelPlugin, pseudo_targets
from tests.engine.tiny_training import race_on

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


@pytest.fixture(autouse=True)
def one_thread():
    """Small models: two torch threads on a busy 2-core machine spin on each other."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def backbone():
    found = resolve_backbone("tiny")
    return found, load_tokenizer(found)


def test_confident_old_types_replace_o_and_nothing_else():
    labels = torch.tensor([[0, 0, 3, IGNORE, 0]])
    old = torch.full((1, 5, 3), -5.0)
    old[0, 0, 1] = 5.0  # sure it is B-PER
    old[0, 1, 0] = 5.0  # sure it is O
    old[0, 2, 1] = 5.0  # sure, but the token is labelled LOC: keeps its label
    old[0, 4, 1] = 0.0  # B-PER at about 0.5: below the threshold
    old[0, 4, 2] = 0.0
    guess, relabel = pseudo_targets(labels, old, threshold=0.9)
    assert relabel.tolist() == [[True, False, False, False, False]]
    assert guess[0, 0].item() == 1


def test_the_loss_is_the_cross_entropy_with_the_old_models_labels(backbone):
    found, tokenizer = backbone
    torch.manual_seed(0)
    model = load_token_classifier(found, LABELS, len(tokenizer)).eval()
    teacher = copy.deepcopy(model)
    with torch.no_grad():  # a teacher sure that every word is B-PER (an old label)
        teacher.classifier.bias[1] = 50.0
    ids = torch.tensor([[101, 2000, 2001, 2002, 2003, 102]])
    batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids),
             "labels": torch.tensor([[IGNORE, 0, 3, 0, 4, IGNORE]])}  # fmt: skip
    plugin = PseudoLabelPlugin(threshold=0.9)
    outputs = model(**batch)
    assert plugin.extra_loss(model, batch, outputs) is None  # first task: no old model
    plugin.teacher = teacher
    total = outputs.loss + plugin.extra_loss(model, batch, outputs)
    target = torch.tensor([1, 3, 1, 4])  # the O words become B-PER, LOC keeps its labels
    expected = F.cross_entropy(outputs.logits[0, 1:5], target)
    assert total.item() == pytest.approx(expected.item(), rel=1e-4)
    assert plugin.relabelled == 2


def test_both_methods_are_registered_with_their_plugins():
    plain, = make_plugins(ContinualStrategy(method="pseudo_label"), 0)  # fmt: skip
    assert isinstance(plain, PseudoLabelPlugin) and plain.temperature is None
    assert plain.threshold == 0.9
    strategy = ContinualStrategy(method="pseudo_lwf", params={"threshold": 0.8, "weight": 2})
    (both,) = make_plugins(strategy, 0)
    assert (both.threshold, both.temperature, both.weight) == (0.8, 2.0, 2.0)


# ---- the effect on a stream ------------------------------------------------------------------

# Measured (seeds 13, 1, 2; news PER | LOC, 300 sentences per task, 5 epochs, tiny): PER F1 after
# the LOC task: naive 0.000 / 0.000 / 0.000, pseudo_label 0.535 / 0.543 / 0.455, pseudo_lwf
# 0.585 / 0.502 / 0.491 (PER before it: 0.58 / 0.57 / 0.53); LOC learned by all (0.46-0.54).
EFFECT_SEED = 13
MARGIN = 0.3  # the smallest measured gain over naive was 0.455


@pytest.mark.slow
def test_pseudo_labels_recover_the_old_type_naive_loses():
    stream = build_stream(
        TaskStreamConfig(order=[["PER"], ["LOC"]], max_train_sentences=300),
        DataConfig(train="builtin:news"),
        seed=EFFECT_SEED,
    )
    train = TrainConfig(epochs=5, batch_size=16, lr=2e-3, seed=EFFECT_SEED, device="cpu",
                        precision="fp32")  # fmt: skip
    methods = ("naive", "pseudo_label", "pseudo_lwf")
    strategies = {m: ContinualStrategy(method=m, dev_per_task=False) for m in methods}
    results = {m: r.matrix for m, r in race_on(stream, train, strategies).items()}
    print({m: [[round(x, 3) for x in row] for row in r] for m, r in results.items()})
    old_type = {m: r[1][0] for m, r in results.items()}  # PER (task 1) after the LOC task
    assert results["naive"][0][0] > 0.4  # PER was learned before the LOC task
    assert old_type["naive"] < 0.05  # background shift: naive forgets PER entirely
    for method in ("pseudo_label", "pseudo_lwf"):
        assert old_type[method] > old_type["naive"] + MARGIN, method
        assert results[method][1][1] > 0.3, method  # and LOC is still learned
