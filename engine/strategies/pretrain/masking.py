"""Documents -> masked-LM examples: windows of whole words, and BERT's masking rule.

`encode_documents` cuts each document into windows of at most `max_length` sub-tokens at word
boundaries (engine.data.alignment's pure functions) and remembers which word each sub-token
belongs to. `mask_example` picks round(mask_prob x tokens) positions to predict (at least one):
with whole-word masking it picks words and takes every sub-token of each; each picked position
becomes [MASK] 80% of the time, a random token 10%, and stays 10%. Labels are the original ids
at picked positions and -100 elsewhere, so the loss is the loss of the picked tokens only.

    examples = encode_documents(docs, tokenizer, max_length=128)
    ids, labels = mask_example(examples[0], rng, MaskSpec.of(tokenizer, 0.15, True))
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.data.alignment import IGNORE, SpecialIds, split_windows, word_pieces

NO_WORD = -1  # [CLS], [SEP]


@dataclass(frozen=True)
class MlmExample:
    input_ids: tuple[int, ...]
    word_of: tuple[int, ...]  # word index within the window per position; NO_WORD for specials

    @property
    def length(self) -> int:
        return len(self.input_ids)


@dataclass(frozen=True)
class MaskSpec:
    mask_id: int
    vocab_size: int
    mask_prob: float
    whole_word: bool
    never_random: frozenset[int]  # special ids a random replacement must not pick

    @classmethod
    def of(cls, tokenizer: Any, mask_prob: float, whole_word: bool) -> MaskSpec:
        if tokenizer.mask_token_id is None:
            raise ValueError("the tokenizer has no [MASK] token: it cannot be used for MLM")
        return cls(
            tokenizer.mask_token_id,
            len(tokenizer),
            mask_prob,
            whole_word,
            frozenset(tokenizer.all_special_ids),
        )


def encode_documents(
    docs: Sequence[Sequence[str]], tokenizer: Any, max_length: int
) -> list[MlmExample]:
    special = SpecialIds.of(tokenizer)
    budget = max(1, max_length - len(special.prefix) - len(special.suffix))
    examples: list[MlmExample] = []
    for pieces in word_pieces(tokenizer, docs, special.unk):
        for start, end in split_windows(pieces, budget):
            ids, words = list(special.prefix), [NO_WORD] * len(special.prefix)
            for w in range(start, end):
                p = list(pieces[w])[:budget]
                ids += p
                words += [w - start] * len(p)
            ids += special.suffix
            words += [NO_WORD] * len(special.suffix)
            examples.append(MlmExample(tuple(ids), tuple(words)))
    return examples


def pick_positions(example: MlmExample, rng: random.Random, spec: MaskSpec) -> list[int]:
    """Positions to predict: about mask_prob of the word positions, never fewer than one."""
    candidates = [i for i, w in enumerate(example.word_of) if w != NO_WORD]
    if not candidates:
        return []
    target = max(1, round(spec.mask_prob * len(candidates)))
    if not spec.whole_word:
        return sorted(rng.sample(candidates, target))
    by_word: dict[int, list[int]] = {}
    for i in candidates:
        by_word.setdefault(example.word_of[i], []).append(i)
    words = list(by_word)
    rng.shuffle(words)
    picked: list[int] = []
    for w in words:
        if picked and len(picked) + len(by_word[w]) > target:
            continue  # a long word would overshoot; a shorter one later may still fit
        picked += by_word[w]
        if len(picked) >= target:
            break
    return sorted(picked)


def mask_example(
    example: MlmExample, rng: random.Random, spec: MaskSpec
) -> tuple[list[int], list[int]]:
    """(input ids with masks applied, labels: original id at picked positions, else -100)."""
    ids = list(example.input_ids)
    labels = [IGNORE] * len(ids)
    for i in pick_positions(example, rng, spec):
        labels[i] = ids[i]
        roll = rng.random()
        if roll < 0.8:
            ids[i] = spec.mask_id
        elif roll < 0.9:
            ids[i] = random_token(rng, spec)
    return ids, labels


def random_token(rng: random.Random, spec: MaskSpec) -> int:
    while True:
        tok = rng.randrange(spec.vocab_size)
        if tok not in spec.never_random:
            return tok


def collate_masked(
    examples: Sequence[MlmExample], rng: random.Random, spec: MaskSpec, pad_id: int
) -> dict[str, Any]:
    """A padded batch (torch tensors) with fresh masks drawn from `rng`."""
    import torch

    width = max(e.length for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    attention = torch.zeros((len(examples), width), dtype=torch.long)
    for row, example in enumerate(examples):
        masked, lab = mask_example(example, rng, spec)
        n = example.length
        ids[row, :n] = torch.tensor(masked)
        labels[row, :n] = torch.tensor(lab)
        attention[row, :n] = 1
    return {"input_ids": ids, "attention_mask": attention, "labels": labels}
