"""Tagging schemes: detect IOB1 / IOB2 / IOBES (BILOU) / BMES / IO, and convert any of them to IOB2.

    result = convert_to_iob2(sentences, source="train.txt")
    result.sentences, result.scheme, result.problems   # IOB2 tags, e.g. "IOBES", warnings

Pure functions, no I/O. One rule converts every scheme: a tag starts an entity (B-) when its
prefix says so (B, S, U) or when it cannot continue the previous tag (other type, after O, or
after an entity that ended with E/S/L/U); otherwise it continues it (I-). Repairs (I- with no
B-, unprefixed "PER", "b_PER", "o") are counted and reported as warnings with locations.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from engine.data.repairs import RepairTally, word_line
from engine.data.types import Problem, Sentence

STARTS = frozenset("BSU")  # prefixes that always open an entity
CONTINUES = frozenset("IMEL")  # prefixes that carry on the entity before them
CLOSES = frozenset("ESLU")  # prefixes after which nothing can carry on
PREFIXES = STARTS | CONTINUES
O_VARIANTS = frozenset({"o", "0", "O-", "-", "_"})
_PREFIXED = re.compile(r"([A-Za-z])([-_])(.*)", re.DOTALL)
_MULTI_LABEL = re.compile(r"[,|;][BIESLMU][-_]")  # "B-corporation,B-person" (wnut17 raw test)

REPAIR_TEMPLATES = {
    "orphan": "{n} entities start with a continuation tag and no B- ({examples}); converted to B-",
    "unprefixed": "{n} tags have no B-/I- prefix ({examples}); read as B- at an entity "
    "start and I- inside it",
    "prefix form": "{n} tags in a non-standard form ({examples}); normalised to 'B-TYPE'",
    "o variant": "{n} tags like {examples} read as O",
}
ERROR_TEMPLATES = {
    "empty": "{n} empty tags",
    "no type": "{n} tags with a prefix but no entity type ({examples})",
    "multi": "{n} tags hold several labels ({examples}); one label per word is required",
    "numeric": "{n} tags are numbers ({examples}); use tag names, or JSONL ids with a label list",
}


@dataclass(frozen=True)
class Tag:
    """A parsed tag: prefix "O", one of B I E S M L U, or "" for a bare type like "PER"."""

    prefix: str
    type: str = ""
    repair: str = ""  # RepairTally kind when the written form was not standard


@dataclass
class Conversion:
    sentences: list[Sentence]
    scheme: str  # IOB1 IOB2 IOBES BILOU BMES IO none, or "mixed: A+B"
    problems: list[Problem]
    prefix_counts: dict[str, int] = field(default_factory=dict)


def parse_tag(tag: str) -> Tag | str:
    """Parse one written tag; a str result is the error kind (see ERROR_TEMPLATES)."""
    text = tag.strip()
    if text == "O":
        return Tag("O")
    if text in O_VARIANTS:
        return Tag("O", repair="o variant")
    if not text:
        return "empty"
    if text.isdigit():  # ids without their label list: a bare "3" is no entity type
        return "numeric"
    match = _PREFIXED.fullmatch(text)
    if match is None or match[1].upper() not in PREFIXES:
        return Tag("", text, repair="unprefixed")
    letter, separator, entity_type = match[1], match[2], match[3].strip()
    if not entity_type:
        return "no type"
    if _MULTI_LABEL.search(entity_type):
        return "multi"
    standard = letter.isupper() and separator == "-"
    return Tag(letter.upper(), entity_type, repair="" if standard else "prefix form")


def detect_scheme(sentences: list[Sentence]) -> str:
    """The scheme the tags are written in (see Conversion.scheme)."""
    return convert_to_iob2(sentences).scheme


def convert_to_iob2(
    sentences: list[Sentence], *, source: str = "", word_lines: bool = True
) -> Conversion:
    """Convert to IOB2. `word_lines`: word i of a sentence is on line sentence.line + i."""
    state = _Walk(RepairTally(source), RepairTally(source), word_lines)
    converted = [state.sentence(s) for s in sentences]
    scheme = state.scheme()
    problems = state.errors.problems(ERROR_TEMPLATES, severity="error")
    problems += _repair_problems(state.repairs, scheme)
    if scheme.startswith("mixed"):
        problems.append(_mixed_problem(source, scheme, state))
    if scheme == "IO":
        reason = (
            "no tag has a B-/I- prefix (IO scheme): each run of one type becomes one entity, "
            "so two adjacent entities of the same type merge"
        )
        problems.append(Problem(source, 0, reason, "warning"))
    return Conversion(converted, scheme, problems, dict(state.prefixes))


def _repair_problems(repairs: RepairTally, scheme: str) -> list[Problem]:
    templates = dict(REPAIR_TEMPLATES)
    if scheme in ("IOB1", "IO"):
        # I- at an entity start is how IOB1 is written, and bare types are the IO scheme:
        # normal, not repairs.
        templates.pop("orphan")
    if scheme == "IO":
        templates.pop("unprefixed")
    return repairs.problems(templates)


def _mixed_problem(source: str, scheme: str, walk: _Walk) -> Problem:
    counts = ", ".join(f"{p}-: {n}" for p, n in sorted(walk.prefixes.items()) if p not in ("O", ""))
    reason = (
        f"tagging schemes mixed in one file ({scheme.removeprefix('mixed: ')}; {counts}; "
        f"{walk.open_ends} entities end without E-/S-/L-/U-); converted to IOB2"
    )
    return Problem(source, 0, reason, "warning")


class _Walk:
    """One pass over all sentences: IOB2 tags, plus the evidence that names the scheme."""

    def __init__(self, repairs: RepairTally, errors: RepairTally, word_lines: bool):
        self.repairs = repairs
        self.errors = errors
        self.word_lines = word_lines
        self.cache: dict[str, Tag | str] = {}  # a corpus has few distinct tags: parse each once
        self.prefixes: Counter[str] = Counter()
        self.b_starts = 0  # entities opened by B- (IOB2 style)
        self.i_starts = 0  # entities opened by I- (IOB1 style, or an IOB2 error)
        self.open_ends = 0  # entities ending without E/S/L/U (IOB style)

    def sentence(self, sentence: Sentence) -> Sentence:
        tags: list[str] = []
        entity_last: str | None = None  # prefix of the last tag of the entity in progress
        current = ""  # the type a next tag may continue ("" = none)
        for index, written in enumerate(sentence.tags):
            tag = self._tag(written, sentence, index)
            if tag.prefix == "O":
                self._close(entity_last)
                entity_last, current = None, ""
                tags.append("O")
                continue
            if tag.prefix in STARTS or tag.type != current:
                self._close(entity_last)
                self._opened(tag, written, sentence, index)
                tags.append("B-" + tag.type)
            else:
                tags.append("I-" + tag.type)
            entity_last = tag.prefix
            current = "" if tag.prefix in CLOSES else tag.type
        self._close(entity_last)
        new_tags = tuple(tags)
        if new_tags == sentence.tags:
            return sentence
        return Sentence(sentence.tokens, new_tags, sentence.line)

    def scheme(self) -> str:
        letters = {p for p in self.prefixes if p not in ("O", "")}
        if not letters:
            return "IO" if self.prefixes[""] else "none"
        iob = "IOB1" if self.i_starts > self.b_starts else "IOB2"
        families = []
        if "M" in letters:
            families.append("BMES")
        elif letters & {"E", "S"}:
            families.append("IOBES")
        if letters & {"L", "U"}:
            families.append("BILOU")
        if not families:
            return iob
        if self.open_ends or ("M" in letters and "I" in letters):
            families.insert(0, iob)  # entities written IOB-style next to E/S-closed ones
        return families[0] if len(families) == 1 else "mixed: " + "+".join(families)

    def _tag(self, written: str, sentence: Sentence, index: int) -> Tag:
        parsed = self.cache.get(written)
        if parsed is None:
            parsed = self.cache[written] = parse_tag(written)
        if isinstance(parsed, str):
            self.errors.add(parsed, word_line(sentence, index, self.word_lines), written)
            return Tag("O")
        self.prefixes[parsed.prefix] += 1
        if parsed.repair:
            self.repairs.add(parsed.repair, word_line(sentence, index, self.word_lines), written)
        return parsed

    def _opened(self, tag: Tag, written: str, sentence: Sentence, index: int) -> None:
        if tag.prefix == "B":
            self.b_starts += 1
        elif tag.prefix in CONTINUES:
            self.i_starts += tag.prefix == "I"
            self.repairs.add("orphan", word_line(sentence, index, self.word_lines), written)

    def _close(self, entity_last: str | None) -> None:
        if entity_last is not None and entity_last not in CLOSES:
            self.open_ends += 1
