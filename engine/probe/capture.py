"""Token representations of a probe set, captured at each stage of a run.

The probe set is the first `mapping.probe_sentences` dev sentences; of their words at most
`mapping.max_tokens` are kept (entity words first, then O words in order). For each kept word
the representation of its first sub-token is read from hidden layer `mapping.layer` (-1: the
last), together with the type the model predicts for it when the model is a token classifier.
Strategies call three things (engine.probe.report turns the stages into points and stats):

    capture = start_mapping(ctx, splits.dev, tokenizer)   # a no-op when mapping is disabled
    capture.capture(model, "initial")
    ... train ...
    capture.capture(model, "final")
    summary["mapping"] = capture.finish()
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from engine.config import ConfigError, MappingConfig
from engine.data.alignment import IGNORE, SpecialIds, Window, encode_sentences
from engine.data.batching import sorted_batches
from engine.data.tasks import TaskStream
from engine.data.types import Sentence
from engine.metrics.confusion import tag_type
from engine.probe.report import report_mapping
from engine.probe.stats import UMAP_HINT
from engine.tracking.tracker import Tracker
from engine.training.predict import autocast_for
from engine.training.tensors import collate

BATCH = 32


def select_words(sentences: Sequence[Sentence], max_tokens: int) -> list[tuple[int, int]]:
    """(sentence, word) pairs to probe: every entity word first, then O words, in text order."""
    entity: list[tuple[int, int]] = []
    other: list[tuple[int, int]] = []
    for s, sent in enumerate(sentences):
        for w, tag in enumerate(sent.tags):
            (other if tag == "O" else entity).append((s, w))
    return sorted((entity + other)[:max_tokens])


@dataclass
class ProbeSet:
    sentences: list[Sentence]
    windows: list[Window]
    picks: list[tuple[int, int]]  # (sentence, word) of each probed token

    @property
    def gold(self) -> list[str]:
        return [tag_type(self.sentences[s].tags[w]) for s, w in self.picks]

    @classmethod
    def build(
        cls, sentences: Sequence[Sentence], tokenizer: Any, cfg: MappingConfig, max_length: int
    ) -> ProbeSet:
        chosen = list(sentences[: cfg.probe_sentences])
        windows = encode_sentences(chosen, tokenizer, None, max_length)
        return cls(chosen, windows, select_words(chosen, cfg.max_tokens))


def pick_layer(hidden_states: Sequence[torch.Tensor], layer: int) -> torch.Tensor:
    """hidden_states = (embeddings, layer 1, ..., layer N); -1 is layer N."""
    if layer > len(hidden_states) - 1:
        raise ConfigError(
            f"mapping.layer: {layer} but the model has {len(hidden_states) - 1} layers"
        )
    return hidden_states[layer]


def is_token_classifier(model: Any) -> bool:
    """A model with a token-classification head (LoRA-wrapped ones forward the attribute)."""
    return hasattr(model, "classifier") and bool(getattr(model.config, "id2label", None))


@torch.inference_mode()
def extract(
    model: Any, probe: ProbeSet, layer: int, device: torch.device, dtype, pad_id: int
) -> tuple[np.ndarray, list[str] | None]:
    """(tokens x dims float32 representations, predicted type per token or None)."""
    was_training = model.training
    model.eval()
    classify = is_token_classifier(model)
    id2label = model.config.id2label if classify else {}
    where: dict[tuple[int, int], tuple[np.ndarray, str]] = {}
    for batch in sorted_batches([w.length for w in probe.windows], BATCH):
        tensors = collate([probe.windows[i] for i in batch], pad_id)
        with autocast_for(device, dtype):
            out = model(
                input_ids=tensors["input_ids"].to(device),
                attention_mask=tensors["attention_mask"].to(device),
                output_hidden_states=True,
            )
        hidden = pick_layer(out.hidden_states, layer).float().cpu().numpy()
        best = out.logits.argmax(-1).cpu().numpy() if classify else None
        for row, i in enumerate(batch):
            window = probe.windows[i]
            positions = [p for p, lab in enumerate(window.labels) if lab != IGNORE]
            for p, w in zip(positions, window.words, strict=True):
                pred = tag_type(id2label[int(best[row, p])]) if best is not None else ""
                where[(window.sentence, w)] = (hidden[row, p], pred)
    model.train(was_training)
    reps = np.stack([where[k][0] for k in probe.picks]).astype(np.float32)
    preds = [where[k][1] for k in probe.picks] if classify else None
    return reps, preds


@dataclass
class MappingCapture:
    cfg: MappingConfig
    probe: ProbeSet
    tracker: Tracker
    device: torch.device
    dtype: torch.dtype
    pad_id: int
    seed: int
    say: Any = print
    stages: list[str] = field(default_factory=list)
    reps: list[np.ndarray] = field(default_factory=list)
    preds: list[list[str] | None] = field(default_factory=list)

    def capture(self, model: Any, stage: str) -> None:
        reps, preds = extract(
            model, self.probe, self.cfg.layer, self.device, self.dtype, self.pad_id
        )
        self.stages.append(stage)
        self.reps.append(reps)
        self.preds.append(preds)

    def finish(self) -> dict[str, Any] | None:
        """Project all stages at once, log points and statistics; the summary for show --json."""
        if not self.stages:
            return None
        summary = report_mapping(self)
        self.tracker.update_summary(mapping=summary)
        return summary


class NoCapture:
    """What start_mapping returns when mapping is off or there is no probe data."""

    def capture(self, model: Any, stage: str) -> None:
        return None

    def finish(self) -> None:
        return None


def start_mapping(ctx: Any, sentences: Sequence[Sentence] | None, tokenizer: Any):
    """A MappingCapture for this run, or NoCapture (mapping disabled, no labelled probe data)."""
    cfg: MappingConfig = ctx.config.mapping
    if not cfg.enabled:
        return NoCapture()
    if not sentences:
        ctx.say("mapping: no dev sentences to probe; embedding mappings skipped")
        return NoCapture()
    if cfg.projection == "umap" and importlib.util.find_spec("umap") is None:
        raise ConfigError(f"mapping.projection: umap needs umap-learn ({UMAP_HINT})")
    probe = ProbeSet.build(sentences, tokenizer, cfg, ctx.config.train.max_length)
    if not probe.picks:
        return NoCapture()
    pad = SpecialIds.of(tokenizer).pad
    return MappingCapture(
        cfg, probe, ctx.tracker, ctx.device, ctx.dtype, pad, ctx.config.train.seed, ctx.say
    )


def stream_probe(stream: TaskStream) -> list[Sentence]:
    """Probe sentences of a continual run, with every type labelled: the data's dev split for a
    class-incremental stream (its tasks' dev data hide the other tasks' types), else the tasks'
    dev sentences taken in turn."""
    if stream.by == "types":
        return list(stream.dev)
    devs = [list(task.dev) for task in stream.tasks]
    longest = max((len(d) for d in devs), default=0)
    return [d[i] for i in range(longest) for d in devs if i < len(d)]
