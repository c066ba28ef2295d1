"""What cleaning and validation count into: Scrapy's stats collector in a crawl, a plain
:class:`Counts` when they run on their own (re-extraction, tools)."""

from __future__ import annotations

from collections import Counter as _Counter
from typing import Protocol


class Counter(Protocol):
    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...


class Counts(_Counter[str]):
    """A :class:`Counter` that keeps its counts in memory."""

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self[key] += count
