"""Plain data types shared by every reader, validator and training component.

A `Sentence` is words plus one tag per word; `line` is where it starts in its source file so a
problem can always be reported as FILE:LINE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Sentence:
    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    line: int = 0  # 1-based first line in the source file; 0 when unknown

    def __post_init__(self) -> None:
        if len(self.tokens) != len(self.tags):
            raise ValueError(f"{len(self.tokens)} tokens but {len(self.tags)} tags")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int  # 0 = about the whole file
    reason: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class DataError(Exception):
    """Input that cannot be used; carries the problems that say why (FILE:LINE: reason)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:5]))


@dataclass
class Corpus:
    """Sentences read from one source, converted to IOB2, plus what was noticed on the way."""

    name: str
    sentences: list[Sentence]
    scheme: str = "IOB2"  # the scheme detected in the source before conversion
    problems: list[Problem] = field(default_factory=list)

    @property
    def entity_types(self) -> list[str]:
        return sorted({t[2:] for s in self.sentences for t in s.tags if t != "O"})
