"""Problems of one file for the span readers: capped per severity, with named counters.

    log = IssueLog("export.json")
    log.add(12, "task 3: span 4-9 'ew Yo' (LOC) has an edge inside the word 'New' (3-6)")
    log.counts["snapped"] += 1
    problems = log.problems()

Unlike CappedProblems (whose overflow line is an error), warnings past the cap are summed up in
a warning: a file with 10^4 snapped spans stays usable.
"""

from __future__ import annotations

from collections import Counter

from engine.data.types import Problem, Severity

SHOWN_CHARS = 40  # longer span texts are cut in messages


class IssueLog:
    """Problems of one file, the first `limit` of each severity kept, plus named counters."""

    def __init__(self, name: str, limit: int = 20):
        self.name = name
        self.limit = limit
        self.kept: list[Problem] = []
        self.dropped: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()

    def add(self, line: int, reason: str, severity: Severity = "error") -> None:
        if sum(p.severity == severity for p in self.kept) < self.limit:
            self.kept.append(Problem(self.name, line, reason, severity))
        else:
            self.dropped[severity] += 1

    def problems(self) -> list[Problem]:
        out = list(self.kept)
        severities: tuple[Severity, ...] = ("error", "warning")
        for severity in severities:
            if self.dropped[severity]:
                reason = f"... and {self.dropped[severity]} more {severity}s like these"
                out.append(Problem(self.name, 0, reason, severity))
        return out


def shown(text: str) -> str:
    """repr of `text`, cut to SHOWN_CHARS so one long span cannot flood a report."""
    return repr(text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…")


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """ "1 task" / "3 tasks": summaries read as sentences."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"
