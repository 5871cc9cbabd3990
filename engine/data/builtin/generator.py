"""Template filling and split logic shared by every synthetic built-in corpus.

A domain is a `DomainSpec`: pre-tokenised templates (tokens separated by spaces) whose slots are
`{TYPE}` or `{TYPE:variant}` for an entity (upper case, one of the domain's types; a variant such
as `{MONEY:price}` has its own maker) or `{key}` for filler words tagged O (lower case, a key of
`fillers`), plus a maker per entity slot that composes surface forms.
`generate(spec, seed)` fills the templates into train/dev/test lists of `Sentence` with IOB2 tags.

How the splits stay honest:
- each slot's composed forms are split once into a train pool and a held-out pool; train draws
  only from the train pool, dev/test draw a share `HELDOUT_RATE` of their slots from the held-out
  pool (forms train never shows) and the rest from the forms train actually used;
- `anchors` are fixed forms (frequent heads, ambiguous names such as "Jordan") drawn in every split;
- no two sentences in a domain are equal, ignoring case, so no sentence is shared between splits.

    splits = generate(news.SPEC, seed=0)   # {"train": (...), "dev": (...), "test": (...)}
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from engine.data.types import Sentence

SPLITS = ("train", "dev", "test")
Maker = Callable[[random.Random], str]
Splits = dict[str, tuple[Sentence, ...]]

POOL_SIZE = 420  # distinct composed forms sought per entity slot
HELDOUT_SHARE = 0.3  # share of each slot's pool that train never sees
HELDOUT_RATE = 0.4  # share of dev/test entity slots filled from the held-out pool
ANCHOR_RATE = 0.1  # share of entity slots filled with a fixed anchor form
LOWER_RATE = 0.05  # share of sentences written fully lower-cased, like social-media text
MAX_TRIES = 200  # template fillings tried before giving up on a new, unique sentence

_SLOT = re.compile(r"\{(\w+(?::\w+)?)\}")


@dataclass(frozen=True)
class DomainSpec:
    name: str
    entity_types: tuple[str, ...]
    templates: tuple[str, ...]
    makers: Mapping[str, Maker]  # keyed by entity slot: "TYPE" or "TYPE:variant"
    anchors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # keyed like makers
    fillers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sizes: Mapping[str, int] = field(
        default_factory=lambda: {"train": 1400, "dev": 200, "test": 200}
    )

    def __post_init__(self) -> None:
        slots: set[str] = set()
        for template in self.templates:
            for piece in template.split():
                match = _SLOT.fullmatch(piece)
                if match is None:
                    if "{" in piece or "}" in piece:
                        raise ValueError(f"{self.name}: malformed slot {piece!r} in {template!r}")
                    continue
                key = match.group(1)
                slots.add(key)
                known = self.makers if _is_entity(key) else self.fillers
                if key not in known or slot_type(key) not in (*self.entity_types, key):
                    raise ValueError(f"{self.name}: unknown slot {{{key}}} in {template!r}")
        unused = set(self.entity_types) - {slot_type(key) for key in slots}
        if unused:
            raise ValueError(f"{self.name}: no template uses {sorted(unused)}")


def slot_type(key: str) -> str:
    """The entity type of a slot key: "MONEY:price" -> "MONEY"."""
    return key.split(":")[0]


def _is_entity(key: str) -> bool:
    return slot_type(key).isupper()


def fill(
    template: str, entity: Callable[[str], str], filler: Callable[[str], str]
) -> tuple[list[str], list[str]]:
    """Tokens and IOB2 tags of one template, with `entity(slot)` / `filler(key)` in the slots."""
    tokens: list[str] = []
    tags: list[str] = []
    for piece in template.split():
        match = _SLOT.fullmatch(piece)
        if match is None:
            tokens.append(piece)
            tags.append("O")
            continue
        key = match.group(1)
        if _is_entity(key):
            words = entity(key).split()
            etype = slot_type(key)
            tags += [f"B-{etype}"] + [f"I-{etype}"] * (len(words) - 1)
        else:
            words = filler(key).split()
            tags += ["O"] * len(words)
        tokens += words
    return tokens, tags


def form_pools(
    spec: DomainSpec, rng: random.Random
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per entity slot: (train pool, held-out pool) of distinct composed forms, anchors excluded."""
    train_pools: dict[str, list[str]] = {}
    heldout_pools: dict[str, list[str]] = {}
    for slot, maker in spec.makers.items():
        anchors = set(spec.anchors.get(slot, ()))
        forms: dict[str, None] = {}  # insertion-ordered set: deterministic under any hash seed
        for _ in range(POOL_SIZE * 4):
            form = maker(rng)
            if form not in anchors:
                forms[form] = None
            if len(forms) >= POOL_SIZE:
                break
        ordered = list(forms)
        n_heldout = max(1, round(len(ordered) * HELDOUT_SHARE))
        heldout_pools[slot], train_pools[slot] = ordered[:n_heldout], ordered[n_heldout:]
    return train_pools, heldout_pools


def generate(spec: DomainSpec, seed: int) -> Splits:
    """Train/dev/test sentences of one domain; the same (spec, seed) always gives the same ones."""
    rng = random.Random(f"{spec.name}/{seed}")
    train_pools, heldout_pools = form_pools(spec, rng)
    used: dict[str, dict[str, None]] = {slot: {} for slot in spec.makers}
    seen_forms: dict[str, list[str]] = {}  # filled from `used` once train is done
    seen: set[tuple[str, ...]] = set()  # lower-cased token tuples already emitted (any split)
    out: Splits = {}
    for split in SPLITS:

        def entity(slot: str, split: str = split) -> str:
            anchors = spec.anchors.get(slot, ())
            if anchors and rng.random() < ANCHOR_RATE:
                return rng.choice(anchors)
            if split == "train":
                form = rng.choice(train_pools[slot])
                used[slot][form] = None
                return form
            if rng.random() < HELDOUT_RATE or not seen_forms[slot]:
                return rng.choice(heldout_pools[slot])
            return rng.choice(seen_forms[slot])

        def filler(key: str) -> str:
            return rng.choice(spec.fillers[key])

        sentences: list[Sentence] = []
        for line in range(1, spec.sizes[split] + 1):
            for _ in range(MAX_TRIES):
                template = rng.choice(spec.templates)
                tokens, tags = fill(template, entity, filler)
                if template.startswith("{"):  # "mercury is ..." -> "Mercury is ..."
                    tokens[0] = tokens[0][:1].upper() + tokens[0][1:]
                if rng.random() < LOWER_RATE:
                    tokens = [token.lower() for token in tokens]
                key = tuple(token.lower() for token in tokens)
                if key not in seen:
                    seen.add(key)
                    sentences.append(Sentence(tuple(tokens), tuple(tags), line))
                    break
            else:
                raise RuntimeError(f"{spec.name}/{split}: no new sentence after {MAX_TRIES} tries")
        out[split] = tuple(sentences)
        if split == "train":
            seen_forms.update((slot, list(forms)) for slot, forms in used.items())
    return out


def mix(parts: list[Splits], seed: int, name: str = "mixed") -> Splits:
    """The union of several corpora's splits, shuffled deterministically and renumbered."""
    rng = random.Random(f"{name}/{seed}")
    out: Splits = {}
    for split in SPLITS:
        pooled = [sentence for part in parts for sentence in part[split]]
        rng.shuffle(pooled)
        out[split] = tuple(
            Sentence(s.tokens, s.tags, line) for line, s in enumerate(pooled, start=1)
        )
    return out
