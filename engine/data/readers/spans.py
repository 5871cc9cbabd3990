"""Character spans from annotation tools -> one IOB2 Sentence per record, every mismatch reported.

    converter = SpanConverter("export.json", policy="snap", labels=None)
    sentence = converter.sentence(Record(text, [RawSpan(0, 3, "PER")], line=4, where="task 1: "))
    problems = converter.problems()

Shared by the Label Studio, doccano and Prodigy readers. Text is tokenised by the rule in
engine.data.char_spans unless the record brings its own tokens. A span edge inside a token is
snapped outward to the token edges (policy "snap", a warning) or refused ("reject", an error);
of overlapping spans the longest is kept and the others reported; bad offsets and labels are
errors naming the record. Nothing in a record raises: every fault becomes a Problem.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from engine.data.char_spans import Token, TokenIndex, tokenize
from engine.data.readers.issues import IssueLog, counted, shown
from engine.data.readers.offsets import UNITS, relocate
from engine.data.readers.records import json_records
from engine.data.readers.source import read_text
from engine.data.types import Problem, Sentence

SpanPolicy = Literal["snap", "reject"]
SPAN_POLICIES = ("snap", "reject")


@dataclass(frozen=True)
class RawSpan:
    """One span as the file wrote it: any value may be missing or of the wrong type."""

    start: Any = None
    end: Any = None
    label: Any = None
    quote: Any = None  # the span's own copy of its text (Label Studio `value.text`)
    token_start: Any = None  # Prodigy: first token, and last token (inclusive)
    token_end: Any = None


@dataclass
class Record:
    text: str
    spans: list[RawSpan]
    line: int  # 1-based line the record starts on
    where: str = ""  # "task 3 (id 17): " when the line alone does not name the record
    tokens: list[Token] | None = None  # the file's own tokenisation, when it has one


@dataclass(frozen=True)
class _Placed:
    first: int
    stop: int
    label: str
    start: int
    end: int


class SpanConverter:
    def __init__(self, name: str, policy: str = "snap", labels: Sequence[str] | None = None):
        if policy not in SPAN_POLICIES:
            raise ValueError(f"span_policy must be one of {SPAN_POLICIES}, not {policy!r}")
        self.log = IssueLog(name)
        self.policy = policy
        self.types = _allowed_types(labels)

    def sentence(self, record: Record) -> Sentence | None:
        """The record's tokens and IOB2 tags, or None (logged) when it has no words."""
        tokens = [t for t in (record.tokens or tokenize(record.text)) if t.text.strip()]
        if not tokens:
            self.log.add(record.line, f"{record.where}no words in the text; skipped", "warning")
            return None
        index = TokenIndex(tokens)
        placed = [p for raw in record.spans if (p := self._place(record, index, raw))]
        tags = ["O"] * len(tokens)
        for span in self._resolve_overlaps(record, placed):
            tags[span.first] = "B-" + span.label
            tags[span.first + 1 : span.stop] = ["I-" + span.label] * (span.stop - span.first - 1)
        return Sentence(tuple(t.text for t in tokens), tuple(tags), record.line)

    def problems(self, summary: Sequence[str] = ()) -> list[Problem]:
        """Everything logged, then one line-0 warning summing up the file (when there is news)."""
        parts = list(summary)
        counts = self.log.counts
        if counts["snapped"]:
            parts.append(f"{counted(counts['snapped'], 'span')} snapped to word edges")
        for unit, count in sorted(counts.items()):
            if unit in UNITS:
                spans = counted(count, "span")
                parts.append(f"{spans} had offsets counted {UNITS[unit]}; converted")
        if counts["overlap"]:
            overlapping = counted(counts["overlap"], "overlapping span")
            parts.append(f"{overlapping} dropped (the longest kept)")
        problems = self.log.problems()
        if parts:
            problems.append(Problem(self.log.name, 0, "; ".join(parts), "warning"))
        return problems

    def _place(self, record: Record, index: TokenIndex, raw: RawSpan) -> _Placed | None:
        where = record.where
        label = self._label(raw.label)
        offsets = self._offsets(record, raw, label or "?")
        if offsets is None:
            return None
        start, end = offsets
        described = f"{where}span {start}-{end} {shown(record.text[start:end])}"
        if label is None:
            self.log.add(record.line, f"{described}: {self._label_problem(raw.label)}")
            return None
        found = index.range(start, end)
        if found is None:
            self.log.add(record.line, f"{described} ({label}) covers no word; dropped")
            return None
        first, stop = found
        cut = [t for t in (index.tokens[first], index.tokens[stop - 1]) if _cuts(t, start, end)]
        if cut:
            if not self._cut_word(record, described, label, cut, index.tokens[first:stop]):
                return None
            start, end = index.tokens[first].start, index.tokens[stop - 1].end
        return _Placed(first, stop, label, start, end)

    def _cut_word(
        self,
        record: Record,
        described: str,
        label: str,
        cut: list[Token],
        covered: Sequence[Token],
    ) -> bool:
        cut = list(dict.fromkeys(cut))  # both edges may be inside the same word
        words = ", ".join(f"{shown(t.text)} ({t.start}-{t.end})" for t in cut)
        noun = "word" if len(cut) == 1 else "words"
        reason = f"{described} ({label}) has an edge inside the {noun} {words}"
        if self.policy == "reject":
            self.log.add(record.line, f"{reason}; rejected (span_policy='reject')")
            return False
        start, end = covered[0].start, covered[-1].end
        snapped = f"{start}-{end} {shown(record.text[start:end])}"
        self.log.add(record.line, f"{reason}; snapped to {snapped}", "warning")
        self.log.counts["snapped"] += 1
        return True

    def _offsets(self, record: Record, raw: RawSpan, label: str) -> tuple[int, int] | None:
        """Checked character offsets of `raw` (from its token indices when it has them)."""
        if raw.token_start is not None or raw.token_end is not None:
            return self._token_offsets(record, raw, label)
        start, end, text = raw.start, raw.end, record.text
        where = f"{record.where}span {start!r}-{end!r} ({label})"
        if not (_is_int(start) and _is_int(end)):
            self.log.add(record.line, f"{where}: start and end must be integers")
            return None
        in_range = 0 <= start < end <= len(text)
        if isinstance(raw.quote, str) and (not in_range or text[start:end] != raw.quote):
            moved = relocate(text, start, end, raw.quote)
            if moved is not None:  # counted in other units: the quote says where it really is
                self.log.counts[moved[2]] += 1
                return moved[0], moved[1]
        if not in_range:
            reason = f"{where}: offsets out of range for a text of {len(text)} characters"
            if start >= end:
                reason = f"{where}: start must be less than end"
            self.log.add(record.line, reason)
            return None
        if isinstance(raw.quote, str) and text[start:end] != raw.quote:
            found, quote = shown(text[start:end]), shown(raw.quote)
            reason = f"{where}: the text there is {found} but the file says {quote}; offsets used"
            self.log.add(record.line, reason, "warning")
        return start, end

    def _token_offsets(self, record: Record, raw: RawSpan, label: str) -> tuple[int, int] | None:
        tokens, first, last = record.tokens or [], raw.token_start, raw.token_end
        where = f"{record.where}span tokens {first!r}-{last!r} ({label})"
        if not (_is_int(first) and _is_int(last) and 0 <= first <= last < len(tokens)):
            reason = f"{where}: token_start/token_end must be indices 0 <= start <= end < "
            self.log.add(record.line, reason + f"{len(tokens)} (the number of tokens)")
            return None
        start, end = tokens[first].start, tokens[last].end
        if (raw.start, raw.end) not in ((None, None), (start, end)):
            reason = (
                f"{where} covers {start}-{end} {shown(record.text[start:end])} but start/end say "
                f"{raw.start!r}-{raw.end!r}; the tokens were used"
            )
            self.log.add(record.line, reason, "warning")
        return start, end

    def _label(self, value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return None
        label = value.strip()
        return label if self.types is None or label in self.types else None

    def _label_problem(self, value: Any) -> str:
        if isinstance(value, str) and value.strip() and self.types is not None:
            return f"unknown label {value.strip()!r} (labels: {', '.join(sorted(self.types))})"
        return f"the label must be a non-empty string, not {value!r}"

    def _resolve_overlaps(self, record: Record, placed: list[_Placed]) -> list[_Placed]:
        """Non-overlapping spans: longest first, then leftmost; duplicates go silently."""
        kept: list[_Placed] = []
        taken: dict[int, _Placed] = {}
        for span in sorted(placed, key=lambda s: (s.start - s.end, s.start)):
            clash = next((taken[i] for i in range(span.first, span.stop) if i in taken), None)
            if clash is None:
                kept.append(span)
                taken.update(dict.fromkeys(range(span.first, span.stop), span))
            elif (clash.first, clash.stop, clash.label) != (span.first, span.stop, span.label):
                self._overlap(record, span, clash)
        return kept

    def _overlap(self, record: Record, span: _Placed, kept: _Placed) -> None:
        text = record.text
        reason = (
            f"{record.where}span {span.start}-{span.end} {shown(text[span.start : span.end])} "
            f"({span.label}) overlaps {kept.start}-{kept.end} "
            f"{shown(text[kept.start : kept.end])} ({kept.label}); the longer one was kept"
        )
        self.log.add(record.line, reason, "warning")
        self.log.counts["overlap"] += 1


# (object, its first line, "item N: " or "", the converter) -> its record, or None once logged
RecordOf = Callable[[Any, int, str, "SpanConverter"], Record | None]


def is_text_object(obj: Any, line: int, where: str, log: IssueLog, holding: str) -> bool:
    """Whether `obj` is an object with a 'text' string; when not, log that it should be one
    (with 'text' and `holding`, the key of its spans)."""
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return True
    got = type(obj).__name__ if not isinstance(obj, dict) else "no 'text' string"
    log.add(line, f"{where}expected an object with 'text' and {holding!r} ({got})")
    return False


def read_span_export(
    path: Path,
    labels: list[str] | None,
    span_policy: str,
    record_of: RecordOf,
    skip: Callable[[Any], bool] = lambda obj: False,
) -> tuple[list[Sentence], SpanConverter, int]:
    """The sentences of a JSON Lines (or JSON array) export of one record per object, the
    converter holding what was noticed, and how many objects the file had. `skip` leaves an
    object out before it is read (it counts what it skips)."""
    name = str(path)
    converter = SpanConverter(name, span_policy, labels)
    records, is_array = json_records(read_text(path), name, converter.log)
    sentences = []
    for number, (line, obj) in enumerate(records, start=1):
        if skip(obj):
            continue
        where = f"item {number}: " if is_array else ""
        record = record_of(obj, line, where, converter)
        if record is not None and (sentence := converter.sentence(record)) is not None:
            sentences.append(sentence)
    return sentences, converter, len(records)


def _cuts(token: Token, start: int, end: int) -> bool:
    return token.start < start < token.end or token.start < end < token.end


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _allowed_types(labels: Sequence[str] | None) -> frozenset[str] | None:
    """Entity types named by a label list: "B-PER"/"I-PER" and plain "PER" alike; "O" is none."""
    if labels is None:
        return None
    types = {label[2:] if label[:2] in ("B-", "I-") else label for label in labels}
    return frozenset(types - {"O", ""})
