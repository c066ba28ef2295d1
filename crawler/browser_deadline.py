"""A deadline on each page rendered in Chromium: every Playwright call made for the page, scrapy-playwright's and
ours, falls under it, from the request's start (a new context, the tab opening) to its tab's close. Its time runs
from the request's start, starts again as its tab opens (and as a tab of a try before closes), and stops while the
request waits for a free tab (:mod:`crawler.browser_tabs`: other pages' deadlines bound that wait). Playwright bounds
the navigation alone; opening a context or a tab, reading the page (``page.content()``, an evaluation in its
renderer), adding the context's init script (sent to every page of the context, a spinning one too) and closing the
tab have no timeout, so a page whose script spun once it had loaded, or a Chromium that stopped answering, held its
request, and so the crawl, forever. Past the deadline the tab is closed (bounded too; its whole context when the tab
will not close), its place among the context's tabs given back, and the request fails."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

if TYPE_CHECKING:
    from crawler.browser_tabs import TabSlot

logger = logging.getLogger(__name__)
T = TypeVar("T")


class PageDeadline:
    """The deadline of one request's page (a try after a crash opens another tab, its time started again)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.page: Page | None = None
        self.slot: TabSlot | None = None  # the request's place among its context's tabs, once it has one
        self._timeout: asyncio.Timeout | None = None  # while the download runs
        self._expired = False

    @staticmethod
    def current() -> PageDeadline | None:
        """The deadline of the download running in this task (scrapy-playwright's calls for it run in it)."""
        return _CURRENT.get()

    async def run(self, download: Awaitable[T]) -> T:
        """``download``'s result; ``TimeoutError`` once its page outlives the deadline (or is ended)."""
        token = _CURRENT.set(self)
        try:
            async with asyncio.timeout(asyncio.get_running_loop().time() + self.seconds) as self._timeout:
                return await download
        finally:
            _CURRENT.reset(token)
            self._expired = self._timeout is not None and self._timeout.expired()
            self._timeout = None

    @contextlib.contextmanager
    def not_counted(self) -> Iterator[None]:
        """Time that is not the page's (the wait for a free tab); its time starts again after."""
        self._reschedule(None)
        try:
            yield
        finally:
            self._reschedule(self.seconds)

    def tab_closed(self, page: Page) -> None:
        """The request's tab closed (a crashed one too, once scrapy-playwright has closed it): another try's time
        starts. A tab of an earlier try that tells of its close late (its browser killed) leaves the later try's time
        running."""
        if page is self.page:
            self._reschedule(self.seconds)

    def opened(self, page: Page) -> None:
        """The request's tab is open: its time starts."""
        self.page = page
        self._reschedule(self.seconds)

    def end_now(self) -> None:
        """Stop the download now (its page is to fail: it went where it may not)."""
        self._reschedule(0)

    def expired(self) -> bool:
        """Whether the download was stopped (once it has ended)."""
        return self._expired

    def _reschedule(self, seconds: float | None) -> None:
        # an expired timeout refuses a new time: a page event (from a Playwright listener) in the moment between the
        # deadline and the download's end would fail
        if self._timeout is not None and not self._timeout.expired():
            self._timeout.reschedule(None if seconds is None else asyncio.get_running_loop().time() + seconds)


_CURRENT: ContextVar[PageDeadline | None] = ContextVar("page_deadline", default=None)


async def close_stuck_page(page: Page, seconds: float) -> bool:
    """Close ``page``, past its deadline, within ``seconds``; failing that its context (the pages it shares it with
    fail, and are tried again). Whether the page closed."""
    with contextlib.suppress(TimeoutError, PlaywrightError):
        await asyncio.wait_for(page.close(), seconds)
    if page.is_closed():
        return True
    logger.warning("A tab past its deadline did not close within %(s).0f s: closing its browser context",
                   {"s": seconds})
    with contextlib.suppress(TimeoutError, PlaywrightError):
        await asyncio.wait_for(page.context.close(), seconds)
    if not page.is_closed():
        logger.error("A tab past its deadline and its browser context did not close within %(s).0f s",
                     {"s": seconds})
    return page.is_closed()


_CLOSING: set[asyncio.Future[Any]] = set()  # closes of late results under way (a task nobody holds may be collected)


async def closed_if_late(opening: Awaitable[T], close: Callable[[T], Awaitable[object]]) -> T:
    """``opening``'s result (a tab). A call cut off at its page's deadline still finishes in Playwright's driver: what
    it opens then is closed at once (``close``), not left open, unseen, until the crawl ends."""
    call = asyncio.ensure_future(opening)
    try:
        return await asyncio.shield(call)
    except asyncio.CancelledError:
        call.add_done_callback(partial(_close_late, close))
        raise


def _close_late(close: Callable[[T], Awaitable[object]], call: asyncio.Future[T]) -> None:
    if call.cancelled() or call.exception() is not None:  # nothing opened (the exception retrieved: no log of it)
        return
    closing = asyncio.ensure_future(close(call.result()))
    _CLOSING.add(closing)
    closing.add_done_callback(_CLOSING.discard)
