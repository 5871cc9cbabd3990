"""Meta-batches: B episodes per update with their gradients averaged (checked against the
single-episode updates under plain SGD), the episode and time budgets of meta-training, and
the budget a meta run resolves for a CPU and for a GPU (Few-NERD's regime)."""

from __future__ import annotations

import copy

import pytest
import torch

from engine.config import MetaStrategy, TrainConfig
from engine.data.types import Sentence
from engine.strategies.meta.config import meta_budget
from engine.strategies.meta.encoder import encode_set
from engine.strategies.meta.learner import EpisodeTensors
from engine.strategies.meta.loop import meta_batch_step, meta_train
from engine.strategies.meta.maml import Maml
from engine.strategies.meta.protonet import ProtoNet
from engine.tracking.tracker import MemoryTracker
from tests.engine.word_tokenizer import WordTokenizer


class TinyEncoder(torch.nn.Module):
    """Embedding + linear, no dropout: an update is a deterministic function of the data."""

    hidden_size = 3

    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(40, 4)
        self.proj = torch.nn.Linear(4, self.hidden_size)

    def forward(self, input_ids, attention_mask, keep):
        return self.proj(self.embed(input_ids))[keep]


def sent(text: str, tags: str) -> Sentence:
    return Sentence(tuple(text.split()), tuple(tags.split()))


def episodes(tok: WordTokenizer) -> list[EpisodeTensors]:
    types = ("A", "B")
    pairs = [
        ([sent("amy ate apples", "B-A O O"), sent("bob baked", "B-B O")],
         [sent("ann and ben", "B-A O B-B"), sent("the box", "O B-B")]),
        ([sent("the ace won", "O B-A O"), sent("big bill ran", "B-B I-B O")],
         [sent("al met bo", "B-A O B-B"), sent("an apple", "O B-A")]),
    ]  # fmt: skip
    return [
        EpisodeTensors(types, encode_set(s, types, tok, 32), encode_set(q, types, tok, 32))
        for s, q in pairs
    ]


def make(kind: str, encoder: torch.nn.Module):
    if kind == "protonet":
        learner = ProtoNet(encoder, lr=0.1, grad_clip=1e9)
    else:
        learner = Maml(encoder, lr=0.1, inner_lr=0.05, inner_steps=1, grad_clip=1e9)
    params = [p for p in encoder.parameters() if p.requires_grad]
    learner.optimizer = torch.optim.SGD(params, lr=0.1)  # linear in the gradient
    return learner


def update(kind: str, start: torch.nn.Module, batch: list[EpisodeTensors]) -> list[torch.Tensor]:
    """The change of every weight after one meta_batch_step from `start`'s weights."""
    encoder = copy.deepcopy(start)
    before = [p.detach().clone() for p in encoder.parameters()]
    meta_batch_step(make(kind, encoder), batch)
    return [p.detach() - b for p, b in zip(encoder.parameters(), before, strict=True)]


@pytest.mark.parametrize("kind", ["protonet", "maml"])
def test_two_episodes_per_update_average_their_gradients(kind):
    torch.manual_seed(0)
    tok = WordTokenizer()
    first, second = episodes(tok)
    start = TinyEncoder()
    one, two = update(kind, start, [first]), update(kind, start, [second])
    both = update(kind, start, [first, second])
    for d1, d2, d in zip(one, two, both, strict=True):
        assert torch.allclose(d, (d1 + d2) / 2, atol=1e-6)
    assert not all(torch.allclose(a, b) for a, b in zip(one, two, strict=True))  # they differ


class CountingSampler:
    def __init__(self, tensors: list[EpisodeTensors]) -> None:
        self.tensors, self.asked = tensors, []

    def episode(self, i: int) -> EpisodeTensors:
        self.asked.append(i)
        return self.tensors[i % len(self.tensors)]


def test_meta_train_counts_episodes_and_updates_and_keeps_to_the_time_budget():
    torch.manual_seed(0)
    tensors = episodes(WordTokenizer())
    learner = make("protonet", TinyEncoder())
    steps = []
    real_step = learner.optimizer.step
    learner.optimizer.step = lambda *a, **k: steps.append(1) or real_step()
    sampler, tracker = CountingSampler(tensors), MemoryTracker()
    res = meta_train(learner, sampler, 5, lambda e: e, tracker, log_every=2, say=lambda _: None,
                     episodes_per_batch=2)  # fmt: skip
    assert (res.episodes, res.updates, len(steps)) == (5, 3, 3)  # 2 + 2 + 1 episodes
    assert sampler.asked == [0, 1, 2, 3, 4]
    assert [s for s, k, _, _ in tracker.metrics if k == "meta_train_loss"] == [2, 4, 5]
    late = meta_train(learner, CountingSampler(tensors), 5, lambda e: e, MemoryTracker(),
                      log_every=1, say=lambda _: None, time_budget_s=1e-9)  # fmt: skip
    assert late.out_of_time and late.updates == 0 and not late.stopped


def test_the_budget_is_the_labs_on_a_cpu_and_few_nerds_on_a_gpu():
    train = TrainConfig()
    cpu = meta_budget(MetaStrategy(), train, gpu=False)
    assert (cpu.regime, cpu.episodes_per_batch, cpu.train_episodes, cpu.test_episodes) == (
        "lab",
        1,
        200,
        100,
    )
    assert (cpu.lr, cpu.max_length) == (train.lr, train.max_length)
    gpu = meta_budget(MetaStrategy(), train, gpu=True)  # Few-NERD README, 5-way 1~2 shot
    assert (gpu.regime, gpu.episodes_per_batch, gpu.train_episodes) == ("few-nerd", 8, 80_000)
    assert (gpu.test_episodes, gpu.lr, gpu.max_length) == (5_000, 1e-4, 64)
    ten = meta_budget(MetaStrategy(n_way=10, k_shot=1), train, gpu=True)
    assert (ten.episodes_per_batch, ten.train_episodes) == (4, 40_000)
    given = MetaStrategy(episodes={"train": 20, "test": 10}, episodes_per_batch=2, time_budget_s=60)
    mine = meta_budget(given, TrainConfig(lr=3e-5, max_length=96), gpu=True)
    assert (mine.episodes_per_batch, mine.train_episodes, mine.test_episodes) == (2, 20, 10)
    assert (mine.lr, mine.max_length, mine.time_budget_s) == (3e-5, 96, 60)
    assert meta_budget(MetaStrategy(budget="lab"), train, gpu=True).regime == "lab"
    assert meta_budget(MetaStrategy(budget="few-nerd"), train, gpu=False).train_episodes == 80_000
