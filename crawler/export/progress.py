"""A one-line progress bar on a terminal: articles written out of the total, rate, time left."""

from __future__ import annotations

import time
from typing import TextIO

WIDTH = 30  # characters of the bar itself


class Progress:
    """Redrawn at most every ``interval`` seconds on ``out`` (stderr), ended with a newline."""

    def __init__(self, out: TextIO, total: int, interval: float = 0.2) -> None:
        self.out, self.total, self.interval = out, total, interval
        self.done = 0
        self._started = self._drawn = time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count
        if time.monotonic() - self._drawn >= self.interval:
            self._draw()

    def finish(self) -> None:
        self._draw()
        self.out.write("\n")
        self.out.flush()

    def _draw(self) -> None:
        self._drawn = now = time.monotonic()
        share = self.done / self.total if self.total else 1.0
        filled = int(WIDTH * min(share, 1.0))
        rate = self.done / max(now - self._started, 1e-6)
        left = f", {max(self.total - self.done, 0) / rate:.0f} s left" if rate and self.done < self.total else ""
        bar = "#" * filled + "-" * (WIDTH - filled)
        self.out.write(f"\r[{bar}] {self.done:,}/{self.total:,} articles, {rate:,.0f}/s{left}  ")
        self.out.flush()
