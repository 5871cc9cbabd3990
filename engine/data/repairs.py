"""Count repairs made while cleaning data, and report each kind once with its first locations.

    tally = RepairTally("train.txt")
    tally.add("zero-width", line=12)
    problems = tally.problems({"zero-width": "{n} tokens had invisible characters removed"})

One warning per kind ("train.txt:120: 14 I- tags ... (also at train.txt:340, ...)") reads
better than 14 warnings, and stays small on a 10^5-sentence file. The Problem's own FILE:LINE is
the first place; the reason lists only the other lines, so no location is printed twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.data.types import Problem, Sentence, Severity

SHOWN_LOCATIONS = 5


def word_line(sentence: Sentence, index: int, word_lines: bool) -> int:
    """Line of word `index`: CoNLL puts one word per line, JSONL a whole sentence on one."""
    if word_lines and sentence.line:
        return sentence.line + index
    return sentence.line


@dataclass
class _Kind:
    count: int = 0
    lines: list[int] = field(default_factory=list)  # distinct, the first SHOWN_LOCATIONS
    more_lines: bool = False  # a further distinct line was seen
    examples: list[str] = field(default_factory=list)


class RepairTally:
    """Per-kind counts, first lines and first distinct examples."""

    def __init__(self, source: str):
        self.source = source
        self.kinds: dict[str, _Kind] = {}

    def add(self, kind: str, line: int, example: str = "") -> None:
        entry = self.kinds.setdefault(kind, _Kind())
        entry.count += 1
        if line not in entry.lines:
            if len(entry.lines) < SHOWN_LOCATIONS:
                entry.lines.append(line)
            else:
                entry.more_lines = True
        if example and len(entry.examples) < 3 and example not in entry.examples:
            entry.examples.append(example)

    def count(self, kind: str) -> int:
        return self.kinds[kind].count if kind in self.kinds else 0

    def problem(self, kind: str, template: str, severity: Severity = "warning") -> Problem:
        """One Problem for `kind`; template fields: {n} count, {examples} repr list."""
        entry = self.kinds[kind]
        examples = ", ".join(repr(e) for e in entry.examples)
        reason = template.format(n=entry.count, examples=examples)
        first = entry.lines[0] if entry.lines else 0
        others = entry.lines[1:]
        if others or entry.more_lines:
            # The Problem already starts with the full path and the first line; the list names
            # the other lines, with the bare file name.
            short = self.source.replace("\\", "/").rsplit("/", 1)[-1]
            where = ", ".join(f"{short}:{line}" for line in others)
            more = ", ..." if entry.more_lines else ""  # SHOWN_LOCATIONS > 1: `where` is set
            reason = f"{reason} (also at {where}{more})"
        return Problem(self.source, first, reason, severity)

    def problems(self, templates: dict[str, str], severity: Severity = "warning") -> list[Problem]:
        """Problems for every kind seen, in the order of `templates`."""
        return [self.problem(k, t, severity) for k, t in templates.items() if k in self.kinds]
