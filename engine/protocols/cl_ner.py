"""Continual NER in the FG-a-PG-b settings, with tasks built exactly as CFNER's code builds them.

Read from zzz47zzz/CFNER (Zheng et al., EMNLP 2022): `src/dataloader.py` (`spilt_dataset`,
`NER_dataloader.get_dataloader`), `main_CL.py` (`main_cl`), `src/trainer.py` (`evaluate`), the
defaults in `src/config.py` and the CoNLL-03 configs `config/conll2003/fg_*_pg_*/*.yaml`.

- Types and steps: the types in a fixed order (CFNER's lists are alphabetical: CoNLL-03 is
  location, misc, organisation, person); step 0 teaches the first a types, every later step
  the next b. (T - a) must be a multiple of b.
- Which training sentence goes to which step (`greedy_split`, CFNER's "greedy sampling"): each
  step gets a quota of int(N * types_in_step / T) of the N training sentences. In file order,
  a sentence goes to the step of its rarest type (fewest B- tags over the whole training set)
  whose quota is not used up, else of its next rarest, and so on. A sentence with no entity,
  or whose types' steps are all full, goes to a random step that still has room; when every
  step is full it is used nowhere. Every sentence is in at most one step.
- What is relabelled O: in step t's training sentences every entity not of step t's types is
  O (old and future types alike; CFNER's default `extra_annotate_type: none`). Sentences left
  with no entity stay (`is_filter_O` is off) and keep their file order.
- Dev: the whole dev set, with only step t's new types labelled; CFNER keeps the epoch with
  the best dev micro-F1 on those types (10 epochs per step on CoNLL-03, `early_stop: 100`).
- Test: the whole test set with every type seen up to step t labelled (the rest O), scored by
  micro- and macro-F1 over those types; the table reports their mean over all steps
  (`engine.protocols.metrics.cl_scores`).

Differences: CFNER draws the random step with NumPy's global generator, unseeded by its split
script; here `random.Random(seed)` draws it, so a split is reproducible. CFNER breaks a tie in
type frequency by Python's set order of type indices; here by the type order (ties in whole-
corpus counts are rare). Types outside the order are O everywhere and never taught.

    protocol = cl_ner_protocol(fg=1, pg=1)                 # "cl-ner-fg1-pg1", version 1
    stream = build_stream(protocol, train, dev, test, types=["LOC", "MISC", "ORG", "PER"])
    stream.steps[1].train, stream.steps[1].dev, stream.test_for(1)
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from engine.data.tasks import keep_types
from engine.data.types import Sentence

CFNER = "Zheng et al. 2022, CFNER (EMNLP); code: github.com/zzz47zzz/CFNER, src/dataloader.py"


class ClNerProtocol(BaseModel):
    """A named, versioned CL-NER setting and the budget its published rows were trained with."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: int = 1
    family: str = "cl-ner"
    fg: int = Field(ge=1, description="types taught in the first step (a of FG-a-PG-b)")
    pg: int = Field(ge=1, description="types taught in every later step (b)")
    source: str = CFNER
    backbone: str = "bert-base-cased"
    epochs_per_step: int = 10
    batch_size: int = 8
    # config/conll2003/*.yaml and main_CL.py: SGD (momentum 0.9, weight decay 5e-4)
    lr_first_step: float = 2e-3
    lr_later_steps: float = 4e-4
    metrics: tuple[str, ...] = ("mi_f1", "ma_f1")


def cl_ner_protocol(fg: int, pg: int) -> ClNerProtocol:
    return ClNerProtocol(name=f"cl-ner-fg{fg}-pg{pg}", fg=fg, pg=pg)


def protocol_named(name: str) -> ClNerProtocol:
    """The protocol of a name like cl-ner-fg2-pg1 (any a and b, not only CFNER's settings)."""
    match = re.fullmatch(r"cl-ner-fg([1-9][0-9]*)-pg([1-9][0-9]*)", name)
    if match is None:
        raise ValueError(f"unknown CL-NER protocol {name!r}; e.g. cl-ner-fg1-pg1")
    return PROTOCOLS.get(name) or cl_ner_protocol(int(match[1]), int(match[2]))


# the settings CFNER's configs ship (CoNLL-03: the first two; I2B2 and OntoNotes5: the rest)
PROTOCOLS = {
    p.name: p for p in (cl_ner_protocol(a, b) for a, b in ((1, 1), (2, 1), (2, 2), (8, 1), (8, 2)))
}


@dataclass(frozen=True)
class Step:
    index: int
    new_types: tuple[str, ...]
    seen_types: tuple[str, ...]
    train: tuple[Sentence, ...]  # this step's sentences, only `new_types` labelled
    train_gold: tuple[Sentence, ...]  # the same sentences as the source annotates them
    dev: tuple[Sentence, ...]  # the whole dev set, only `new_types` labelled


@dataclass(frozen=True)
class ClNerStream:
    protocol: ClNerProtocol
    types: tuple[str, ...]
    steps: tuple[Step, ...]
    test: tuple[Sentence, ...]  # gold, every type
    unassigned: int  # training sentences no step had room for

    def test_for(self, step: int) -> list[Sentence]:
        """The whole test set as step `step` is scored: every type seen so far labelled."""
        seen = self.steps[step].seen_types
        return [keep_types(s, seen) for s in self.test]


def type_groups(types: Sequence[str], fg: int, pg: int) -> list[tuple[str, ...]]:
    """The types of each step: the first `fg`, then `pg` at a time."""
    if len(set(types)) != len(types):
        raise ValueError("the type order names a type twice")
    if fg > len(types) or (len(types) - fg) % pg:
        raise ValueError(
            f"{len(types)} types cannot be split FG-{fg}-PG-{pg}: "
            f"{fg} first, then groups of {pg} with none left over"
        )
    rest = types[fg:]
    return [tuple(types[:fg]), *(tuple(rest[i : i + pg]) for i in range(0, len(rest), pg))]


def split_quotas(n_sentences: int, groups: Sequence[Sequence[str]]) -> list[int]:
    """int(N * |group| / T) sentences per step, as CFNER sizes its splits."""
    n_types = sum(len(g) for g in groups)
    return [int(n_sentences * (len(g) / n_types)) for g in groups]


def mention_frequency(sentences: Sequence[Sentence]) -> Counter[str]:
    """B- tags per type over the corpus (CFNER's `get_label_distribution(count=True)`)."""
    return Counter(t[2:] for s in sentences for t in s.tags if t.startswith("B-"))


def greedy_split(
    sentences: Sequence[Sentence], groups: Sequence[Sequence[str]], seed: int = 13
) -> tuple[list[list[int]], int]:
    """Sentence indices of each step (file order) and how many sentences went nowhere."""
    rng = random.Random(seed)
    order = [t for g in groups for t in g]
    step_of = {t: i for i, g in enumerate(groups) for t in g}
    freq = mention_frequency(sentences)
    room = split_quotas(len(sentences), groups)
    assigned: list[list[int]] = [[] for _ in groups]
    unassigned = 0
    for i, sentence in enumerate(sentences):
        present = {t[2:] for t in sentence.tags if t != "O" and t[2:] in step_of}
        rarest_first = sorted(present, key=lambda t: (freq[t], order.index(t)))
        target = next((step_of[t] for t in rarest_first if room[step_of[t]] > 0), None)
        if target is None:
            open_steps = [s for s, left in enumerate(room) if left > 0]
            if not open_steps:
                unassigned += 1
                continue
            target = rng.choice(open_steps)
        assigned[target].append(i)
        room[target] -= 1
    return assigned, unassigned


def build_stream(
    protocol: ClNerProtocol,
    train: Sequence[Sentence],
    dev: Sequence[Sentence],
    test: Sequence[Sentence],
    types: Sequence[str] | None = None,
    seed: int = 13,
) -> ClNerStream:
    """The protocol's steps on this data; `types` is the order (default: sorted train types)."""
    order = list(types) if types is not None else sorted(mention_frequency(train))
    groups = type_groups(order, protocol.fg, protocol.pg)
    split, unassigned = greedy_split(train, groups, seed)
    steps = []
    for t, (group, ids) in enumerate(zip(groups, split, strict=True)):
        gold = tuple(train[i] for i in ids)
        steps.append(
            Step(
                index=t,
                new_types=group,
                seen_types=tuple(x for g in groups[: t + 1] for x in g),
                train=tuple(keep_types(s, group) for s in gold),
                train_gold=gold,
                dev=tuple(keep_types(s, group) for s in dev),
            )
        )
    return ClNerStream(protocol, tuple(order), tuple(steps), tuple(test), unassigned)
