"""Print what the reliability tests measured at the end of the session (docs/reliability.md)."""

from __future__ import annotations

from tests.reliability.figures import FIGURES, TRIED


def pytest_terminal_summary(terminalreporter) -> None:
    if not TRIED and not FIGURES:
        return
    terminalreporter.section("reliability figures")
    if TRIED:
        parts = ", ".join(f"{name} {n}" for name, n in sorted(TRIED.items()))
        terminalreporter.write_line(f"fuzzing: {sum(TRIED.values())} inputs tried ({parts})")
    for name, line in FIGURES.items():
        terminalreporter.write_line(f"{name}: {line}")
