"""The tabs of a browser context (``PLAYWRIGHT_MAX_PAGES_PER_CONTEXT``), scrapy-playwright's semaphore, each place
held by one request's page. A request's wait for a free place is no part of its page's deadline
(:mod:`crawler.browser_deadline`); a place is given back once, by whichever comes first: its tab closing or
crashing, its tab failing to open, or the request giving its tab up past the deadline (a Chromium that closes neither
the tab nor its context). scrapy-playwright gave a place back on each of its tab's close and crash events (twice for a
crashed tab: one tab more than the setting each time) and on those alone: a tab that never closed kept its place, and
after as many as the context has the crawl waited for ever."""

from __future__ import annotations

import asyncio
from typing import Literal

from crawler.browser_deadline import PageDeadline


class TabSlot:
    """One request's place among its context's tabs."""

    def __init__(self, tabs: Tabs) -> None:
        self.tabs = tabs
        self._held = True

    def release(self) -> None:
        """Give the place back (once: a crashed tab tells of its crash, then of its close)."""
        if self._held:
            self._held = False
            self.tabs.give_back()


class Tabs(asyncio.Semaphore):
    """A context's places for tabs. ``acquire`` and ``release`` are scrapy-playwright's calls, made in the task of the
    request whose page opens: the place is that request's (its deadline's ``slot``)."""

    async def acquire(self) -> Literal[True]:
        deadline = PageDeadline.current()
        if deadline is None:
            return await super().acquire()
        with deadline.not_counted():
            await super().acquire()
        deadline.slot = TabSlot(self)
        return True

    def release(self) -> None:
        """scrapy-playwright's, when the tab failed to open: the request's place, once."""
        deadline = PageDeadline.current()
        if deadline is not None and deadline.slot is not None and deadline.slot.tabs is self:
            deadline.slot.release()
        else:
            super().release()

    def give_back(self) -> None:
        super().release()
