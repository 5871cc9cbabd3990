"""Figures the reliability tests measure, printed at the end of the run (see conftest.py) and
copied by hand into docs/reliability.md: inputs tried, load held, faults survived."""

from __future__ import annotations

from collections import Counter

TRIED: Counter[str] = Counter()  # fuzzing: examples run per generator
FIGURES: dict[str, str] = {}  # other measurements, one line each


def record(name: str, line: str) -> None:
    FIGURES[name] = line
    print(f"\n[{name}] {line}")
