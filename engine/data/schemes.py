"""Tagging schemes: detect IOB1 / IOB2 / IOBES (BILOU) / BMES / IO, and convert any of them to IOB2.

    result = convert_to_iob2(sentences, source="train.txt")
    result.sentences, result.scheme, result.problems   # IOB2 tags, e.g. "IOBES", warnings

Pure functions, no I/O. One rule converts every scheme: a tag starts an entity (B-) when its
prefix says so (B, S, U) or when it cannot continue the previous tag (other type, after O, or
after an entity that ended with E/S/L/U); otherwise it continues it (I-). Repairs (I- with no
B-, unprefixed "PER", "b_PER", "o") are counted and reported as warnings with locations.

A one-letter prefix no scheme uses ("Q-PER", "X-FOO") is an error, one per tag with its line
and the tag it most likely meant (I- when the word before has the same type, else B-). Such a
tag stays as written in the converted sentences until the user picks a repair:

    corpus = resolve_unknown_prefixes(corpus, "suggested")  # or "map_to_o"; "reject" keeps it
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from engine.data.repairs import RepairTally, word_line
from engine.data.types import Corpus, Problem, Sentence

STARTS = frozenset("BSU")  # prefixes that always open an entity
CONTINUES = frozenset("IMEL")  # prefixes that carry on the entity before them
CLOSES = frozenset("ESLU")  # prefixes after which nothing can carry on
PREFIXES = STARTS | CONTINUES
SCHEME_PREFIXES = "B I O E S L U M"  # every prefix letter a scheme here uses, for messages
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

UNKNOWN_PREFIX = "unknown prefix"  # Tag.repair of "Q-PER"; Tag.prefix is then the letter
UNKNOWN_PREFIX_MARK = "unknown tag prefix"  # in the reason of every error about such tags
SHOWN_UNKNOWN = 20  # one error per tag, up to this many per file, then one summary
# What to do with a tag whose prefix no scheme uses: keep the error, use the suggested tag, or O.
UnknownPrefixPolicy = Literal["reject", "suggested", "map_to_o"]
UNKNOWN_PREFIX_POLICIES: tuple[str, ...] = ("reject", "suggested", "map_to_o")
PREFIX_REPAIR_TEMPLATES = {
    "suggested": "{n} tags with an unknown prefix ({examples}) repaired to the suggested B-/I- tag",
    "map_to_o": "{n} tags with an unknown prefix ({examples}) mapped to O",
}


@dataclass(frozen=True)
class Tag:
    """A parsed tag: prefix "O", one of B I E S M L U, or "" for a bare type like "PER"."""

    prefix: str
    type: str = ""
    repair: str = ""  # RepairTally kind when the written form was not standard


@dataclass(frozen=True)
class UnknownPrefix:
    """A tag like "Q-PER" in converted sentences, and the IOB2 tag it most likely meant."""

    sentence: int  # index in the sentence list
    word: int  # index in the sentence
    line: int  # FILE:LINE of the word (of the sentence when words share a line)
    written: str  # "Q-PER"
    suggested: str  # "B-PER", or "I-PER" when the word before has the same type

    @property
    def reason(self) -> str:
        letter = self.written.split("-", 1)[0]
        return (
            f"{UNKNOWN_PREFIX_MARK} {letter!r} in {self.written!r} (prefixes are "
            f"{SCHEME_PREFIXES}); did you mean {self.suggested!r}?"
        )


@dataclass
class Conversion:
    sentences: list[Sentence]
    scheme: str  # IOB1 IOB2 IOBES BILOU BMES IO none, or "mixed: A+B"
    problems: list[Problem]
    prefix_counts: dict[str, int] = field(default_factory=dict)
    unknown_prefixes: list[UnknownPrefix] = field(default_factory=list)


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
    if match is not None and match[2] == "-" and match[1].upper() not in PREFIXES | {"O"}:
        entity_type = match[3].strip()
        if entity_type and not _MULTI_LABEL.search(entity_type):
            return Tag(match[1], entity_type, repair=UNKNOWN_PREFIX)  # "Q-PER": a typo of B-/I-
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
    unknown = find_unknown_prefixes(converted, word_lines=word_lines) if state.unknown else []
    problems = state.errors.problems(ERROR_TEMPLATES, severity="error")
    problems += unknown_prefix_problems(unknown, source)
    problems += _repair_problems(state.repairs, scheme)
    if scheme.startswith("mixed"):
        problems.append(_mixed_problem(source, scheme, state))
    if scheme == "IO":
        reason = (
            "no tag has a B-/I- prefix (IO scheme): each run of one type becomes one entity, "
            "so two adjacent entities of the same type merge"
        )
        problems.append(Problem(source, 0, reason, "warning"))
    return Conversion(converted, scheme, problems, dict(state.prefixes), unknown)


def is_unknown_prefix(tag: str) -> bool:
    """True for a tag like "Q-PER" or "x-foo": one letter no scheme uses, "-", a type."""
    if tag == "O" or tag[:2] in ("B-", "I-"):  # the converted tags: no parsing needed
        return False
    parsed = parse_tag(tag)
    return isinstance(parsed, Tag) and parsed.repair == UNKNOWN_PREFIX


def find_unknown_prefixes(
    sentences: list[Sentence], *, word_lines: bool = True
) -> list[UnknownPrefix]:
    """Every tag with an unknown prefix left in converted (IOB2) sentences, with its suggestion.

    The suggestion is I-TYPE when the word before is tagged with the same type, else B-TYPE.
    """
    found = []
    for number, sentence in enumerate(sentences):
        previous = ""  # the type of the word before ("" = O or none)
        for index, tag in enumerate(sentence.tags):
            if is_unknown_prefix(tag):
                entity_type = tag.split("-", 1)[1]
                prefix = "I-" if previous == entity_type else "B-"
                line = word_line(sentence, index, word_lines)
                found.append(UnknownPrefix(number, index, line, tag, prefix + entity_type))
            previous = "" if tag == "O" else tag.split("-", 1)[1]
    return found


def unknown_prefix_problems(found: list[UnknownPrefix], source: str) -> list[Problem]:
    """One error per tag (the first SHOWN_UNKNOWN), then one summary for the rest."""
    problems = [Problem(source, u.line, u.reason, "error") for u in found[:SHOWN_UNKNOWN]]
    if len(found) > SHOWN_UNKNOWN:
        rest = len(found) - SHOWN_UNKNOWN
        reason = f"... and {rest} more tags with an {UNKNOWN_PREFIX_MARK}"
        problems.append(Problem(source, 0, reason, "error"))
    return problems


def is_unknown_prefix_problem(problem: Problem) -> bool:
    """An error made by unknown_prefix_problems (one that a prefix repair removes)."""
    return problem.severity == "error" and UNKNOWN_PREFIX_MARK in problem.reason


def prefix_repair_choices(found: list[UnknownPrefix]) -> dict[str, str]:
    """The repairs on offer for these tags: policy key -> what it does, for a report or a page."""
    if not found:
        return {}
    pairs = list(dict.fromkeys((u.written, u.suggested) for u in found))
    shown = ", ".join(f"{w!r} -> {s!r}" for w, s in pairs[:3]) + (", ..." if len(pairs) > 3 else "")
    n = len(found)
    return {
        "suggested": f"repair {n} tags with an unknown prefix to the suggested tag ({shown})",
        "map_to_o": f"map {n} tags with an unknown prefix to O",
    }


def resolve_unknown_prefixes(
    corpus: Corpus,
    policy: UnknownPrefixPolicy = "reject",
    *,
    source: str | None = None,
    word_lines: bool = True,
) -> Corpus:
    """`corpus` with its unknown-prefix tags repaired, following `policy`.

    "reject" changes nothing (the errors stay); "suggested" writes each tag's suggestion
    (find_unknown_prefixes); "map_to_o" writes O, and an I- left after it becomes B-. Either
    repair replaces the errors by one warning. `source` names the file in that warning
    (default: the file the errors name); `word_lines` as in convert_to_iob2.
    """
    if policy not in UNKNOWN_PREFIX_POLICIES:
        choices = ", ".join(repr(p) for p in UNKNOWN_PREFIX_POLICIES)
        raise ValueError(f"unknown-prefix policy must be one of {choices}, not {policy!r}")
    if policy == "reject":
        return corpus
    found = find_unknown_prefixes(corpus.sentences, word_lines=word_lines)
    if not found:
        return corpus
    errors = [p for p in corpus.problems if is_unknown_prefix_problem(p)]
    tally = RepairTally(
        source if source is not None else (errors[0].file if errors else corpus.name)
    )
    for unknown in found:
        tally.add(policy, unknown.line, unknown.written)
    touched = {u.sentence for u in found}
    sentences = [
        _resolved(s, policy) if number in touched else s
        for number, s in enumerate(corpus.sentences)
    ]
    kept = [p for p in corpus.problems if not is_unknown_prefix_problem(p)]
    problems = kept + tally.problems({policy: PREFIX_REPAIR_TEMPLATES[policy]})
    return Corpus(corpus.name, sentences, corpus.scheme, problems)


def _resolved(sentence: Sentence, policy: UnknownPrefixPolicy) -> Sentence:
    tags: list[str] = []
    previous = ""  # the type of the word before, as repaired
    for tag in sentence.tags:
        if is_unknown_prefix(tag):
            entity_type = tag.split("-", 1)[1]
            if policy == "map_to_o":
                tag = "O"
            else:
                tag = ("I-" if previous == entity_type else "B-") + entity_type
        elif tag.startswith("I-") and previous != tag[2:]:
            tag = "B-" + tag[2:]  # its entity began with a tag now mapped to O
        tags.append(tag)
        previous = "" if tag == "O" else tag[2:]
    return Sentence(sentence.tokens, tuple(tags), sentence.line)


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
        self.unknown = 0  # tags with an unknown prefix ("Q-PER"), left as written

    def sentence(self, sentence: Sentence) -> Sentence:
        tags: list[str] = []
        entity_last: str | None = None  # prefix of the last tag of the entity in progress
        current = ""  # the type a next tag may continue ("" = none)
        previous = ""  # the type of the word before ("" = O)
        for index, written in enumerate(sentence.tags):
            tag = self._tag(written, sentence, index)
            if tag.repair == UNKNOWN_PREFIX:
                # Kept as written for the user to resolve; read as its suggestion meanwhile
                # (I- after the same type, else B-) so the tags after it convert the same.
                # How it ends the entity is unknown: no evidence for the scheme either way.
                self.unknown += 1
                if tag.type != previous:
                    self._close(entity_last)
                tags.append(f"{tag.prefix}-{tag.type}")
                entity_last, current, previous = None, tag.type, tag.type
                continue
            previous = "" if tag.prefix == "O" else tag.type
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
        if parsed.repair == UNKNOWN_PREFIX:
            return parsed  # no evidence about the scheme; reported by convert_to_iob2
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
