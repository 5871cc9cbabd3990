"""Words -> vectors: the encoder every meta method shares, and episodes as tensors.

A word's vector is the encoder's last hidden state at the word's first sub-token (the same
alignment rule as fine-tuning, engine.data.alignment). Episode labels are IO ids: 0 is O and
type i of the episode is i + 1, so one prototype (or head row) stands for a whole type; the
predicted IO ids are turned back into IOB2 (an entity starts at each change of type) for seqeval.

    encoder, tokenizer, model = load_encoder("tiny")
    support = encode_set(episode.support, episode.types, tokenizer, 128)
    vectors = encoder(support.input_ids, support.attention_mask, support.keep)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch

from engine.data.alignment import IGNORE, SpecialIds, Window, encode_sentences
from engine.data.alignment import gather_word_predictions as gather
from engine.data.types import Sentence
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.training.predict import autocast_for
from engine.training.tensors import collate


class WordEncoder(torch.nn.Module):
    """A transformers encoder that returns the vectors of the kept (first sub-token) positions."""

    def __init__(self, base: Any, dtype: torch.dtype = torch.float32):
        super().__init__()
        self.base = base
        self.dtype = dtype

    @property
    def hidden_size(self) -> int:
        return int(self.base.config.hidden_size)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, keep: torch.Tensor
    ) -> torch.Tensor:
        with autocast_for(input_ids.device, self.dtype):
            hidden = self.base(input_ids=input_ids, attention_mask=attention_mask)
        # Distances between vectors want full precision even when the encoder ran in bf16.
        return hidden.last_hidden_state[keep].float()


def load_encoder(backbone_name: str, dtype: torch.dtype = torch.float32) -> tuple[Any, Any, Any]:
    """(WordEncoder, tokenizer, token-classifier wrapper); the wrapper is what a checkpoint
    saves, so the meta-trained encoder can be a later run's backbone."""
    backbone = resolve_backbone(backbone_name)
    tokenizer = load_tokenizer(backbone)
    wrapper = load_token_classifier(backbone, ["O"], vocab_size=len(tokenizer))
    return WordEncoder(wrapper.base_model, dtype), tokenizer, wrapper


def io_label_ids(types: Sequence[str]) -> dict[str, int]:
    """IOB2 tag -> IO id of an episode's types (tags of other types fall back to 0, O)."""
    ids = {"O": 0}
    for i, name in enumerate(types, start=1):
        ids[f"B-{name}"] = ids[f"I-{name}"] = i
    return ids


def io_to_tags(ids: Sequence[int], types: Sequence[str]) -> list[str]:
    """IO ids of one sentence -> IOB2 tags (an entity starts where the type changes)."""
    tags, previous = [], 0
    for i in ids:
        tags.append("O" if i == 0 else f"{'I' if i == previous else 'B'}-{types[i - 1]}")
        previous = i
    return tags


@dataclass(frozen=True)
class EncodedSet:
    """The sentences of one support or query set as one padded batch."""

    sentences: tuple[Sentence, ...]
    windows: tuple[Window, ...]
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    keep: torch.Tensor  # bool, the positions whose vectors are the words' vectors
    targets: torch.Tensor  # IO id of each kept position, in row-major order
    words: tuple[str, ...]  # the word at each kept position

    @property
    def device(self) -> torch.device:
        return self.input_ids.device

    def to(self, device: torch.device) -> EncodedSet:
        return replace(
            self,
            input_ids=self.input_ids.to(device),
            attention_mask=self.attention_mask.to(device),
            keep=self.keep.to(device),
            targets=self.targets.to(device),
        )

    def inputs(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.input_ids, self.attention_mask, self.keep

    def tags(self, predicted: torch.Tensor, types: Sequence[str]) -> list[list[str]]:
        """IOB2 tags per sentence from the predicted IO id of each kept position."""
        flat = predicted.tolist()
        per_window, start = [], 0
        for w in self.windows:
            n = sum(1 for lab in w.labels if lab != IGNORE)
            per_window.append(flat[start : start + n])
            start += n
        ids = gather(self.windows, per_window, [len(s.tokens) for s in self.sentences])
        return [io_to_tags(sent, types) for sent in ids]


def encode_set(
    sentences: Sequence[Sentence], types: Sequence[str], tokenizer: Any, max_length: int
) -> EncodedSet:
    windows = encode_sentences(sentences, tokenizer, io_label_ids(types), max_length)
    batch = collate(windows, SpecialIds.of(tokenizer).pad)
    keep = batch["labels"] != IGNORE
    words = tuple(sentences[w.sentence].tokens[i] for w in windows for i in w.words)
    return EncodedSet(
        tuple(sentences),
        tuple(windows),
        batch["input_ids"],
        batch["attention_mask"],
        keep,
        batch["labels"][keep],
        words,
    )


def concat_sets(a: EncodedSet, b: EncodedSet, pad_id: int) -> EncodedSet:
    """Two sets as one batch (Reptile adapts on support and query together)."""
    width = max(a.input_ids.shape[1], b.input_ids.shape[1])

    def pad(t: torch.Tensor, value: int) -> torch.Tensor:
        return torch.nn.functional.pad(t, (0, width - t.shape[1]), value=value)

    offset = len(a.sentences)
    shifted = tuple(replace(w, sentence=w.sentence + offset) for w in b.windows)
    return EncodedSet(
        a.sentences + b.sentences,
        a.windows + shifted,
        torch.cat([pad(a.input_ids, pad_id), pad(b.input_ids, pad_id)]),
        torch.cat([pad(a.attention_mask, 0), pad(b.attention_mask, 0)]),
        torch.cat([pad(a.keep, False), pad(b.keep, False)]),
        torch.cat([a.targets, b.targets]),
        a.words + b.words,
    )
