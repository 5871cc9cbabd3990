"""A progress bar with tokens/s on stderr, for `python -m engine predict --input FILE`.

    bar = Progress(total_tokens)
    bar(512)             # 512 more tokens done: redraws "[#####.....] 512/1,024 tokens ..."
    bar.finish("wrote pre.json")

On a terminal the bar redraws in place; otherwise (a log file, a pipe) it prints a line at most
every 10% so logs stay short. stdout is left alone: the predictions may be going there.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 24


class Progress:
    def __init__(self, total: int, *, stream: TextIO | None = None, quiet: bool = False):
        self.total = max(0, total)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.started = time.perf_counter()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._shown_tenths = -1

    def restart(self) -> None:
        """Start the clock now (after loading the model: tokens/s counts tagging only)."""
        self.started = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    @property
    def rate(self) -> float:
        """Tokens per second so far."""
        return self.done / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        share = self.done / self.total if self.total else 1.0
        filled = round(WIDTH * share)
        bar = "#" * filled + "." * (WIDTH - filled)
        return (
            f"predict [{bar}] {self.done:,}/{self.total:,} tokens "
            f"({share:.0%}), {self.rate:,.0f} tokens/s"
        )

    def __call__(self, tokens: int) -> None:
        self.done = min(self.total, self.done + tokens) if self.total else self.done + tokens
        if self.quiet:
            return
        if self.tty:
            self.stream.write("\r" + self.line())
            self.stream.flush()
            return
        tenths = int(10 * self.done / self.total) if self.total else 10
        if tenths != self._shown_tenths:
            self._shown_tenths = tenths
            print(self.line(), file=self.stream, flush=True)

    def finish(self, what: str) -> str:
        """The summary line (also printed unless quiet): tokens, seconds, tokens/s, `what`."""
        summary = (
            f"predicted {self.done:,} tokens in {self.seconds:.1f} s "
            f"({self.rate:,.0f} tokens/s); {what}"
        )
        if not self.quiet:
            if self.tty:
                self.stream.write("\r" + self.line() + "\n")
            print(summary, file=self.stream, flush=True)
        return summary
