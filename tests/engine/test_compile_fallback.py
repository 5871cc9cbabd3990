"""train.compile falls back cleanly: no compiler, or a compile that fails, warns and trains
eagerly with the very losses of a run without compile; the loss stays on the device."""

from __future__ import annotations

import pytest
import torch

from engine.config import TrainConfig
from engine.data.alignment import Window
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.tracking.tracker import MemoryTracker
from engine.training import compiled
from engine.training.loop import fit

CPU = torch.device("cpu")
LABELS = ["O", "B-X", "I-X"]


def windows() -> list[Window]:
    rows = []
    for i in range(12):
        n = 5 + i % 4
        ids = tuple(1000 + (i * 7 + j) % 50 for j in range(n))
        rows.append(Window(i, ids, tuple((i + j) % 3 for j in range(n)), ()))
    return rows


def run(cfg: TrainConfig) -> list[float]:
    torch.manual_seed(3)
    backbone = resolve_backbone("tiny")
    model = load_token_classifier(backbone, LABELS, len(load_tokenizer(backbone)))
    tracker = MemoryTracker()
    fit(model, windows(), cfg=cfg, device=CPU, dtype=torch.float32, pad_id=0,
        tracker=tracker, progress=False)  # fmt: skip
    return tracker.series("train_loss")


def config(**kw) -> TrainConfig:
    return TrainConfig(batch_size=4, max_steps=4, log_every=1, seed=3, **kw)


def test_without_a_compiler_the_run_warns_and_trains_eagerly(monkeypatch):
    eager = run(config())
    monkeypatch.setattr(compiled.shutil, "which", lambda name: None)
    with pytest.warns(RuntimeWarning, match="no C\\+\\+ compiler on PATH"):
        losses = run(config(compile=True))
    assert losses == eager
    assert len(losses) == 4 and all(loss > 0 for loss in losses)


def test_a_failing_compile_falls_back_at_the_first_step(monkeypatch):
    eager = run(config())

    def broken(module, **kwargs):
        def call(**batch):
            raise RuntimeError("inductor could not build the kernel")

        return call

    monkeypatch.setattr(compiled.shutil, "which", lambda name: "/usr/bin/g++")
    monkeypatch.setattr(torch, "compile", broken)
    with pytest.warns(RuntimeWarning, match="RuntimeError: inductor could not build"):
        losses = run(config(compile=True))
    assert losses == eager


class Compiled(torch.nn.Module):
    """Stands in for torch.compile's OptimizedModule: counts its calls, and like it hands
    len() to the wrapped model (which has none), so a truth test on it raises."""

    def __init__(self, inner: torch.nn.Module):
        super().__init__()
        self.inner = inner
        self.calls = 0

    def __len__(self) -> int:
        raise TypeError(f"{type(self.inner).__name__} does not support len()")

    def forward(self, **batch):
        self.calls += 1
        return self.inner(**batch)


def test_a_working_compile_trains_through_the_compiled_module(monkeypatch):
    eager = run(config())
    made: list[Compiled] = []

    def fake_compile(module, **kwargs):
        made.append(Compiled(module))
        return made[-1]

    monkeypatch.setattr(compiled.shutil, "which", lambda name: "/usr/bin/g++")
    monkeypatch.setattr(torch, "compile", fake_compile)
    assert run(config(compile=True)) == eager
    assert made[0].calls == 4  # every step went through it; no fallback


def test_compile_is_off_unless_asked_for():
    assert TrainConfig().compile is False
    assert compiled.compiler_problem(torch.device("mps")) == "torch.compile is not used on mps"
