"""The crawl's HTTP(S) download handler: Scrapy's own for plain pages, and scrapy-playwright's
(:class:`crawler.browser_handler.BrowserDownloadHandler`) only once a page is to be rendered.

scrapy-playwright and Playwright (about 10 MB and half a second of imports) are imported only
for a site that ``needs_browser`` (when the crawl starts: its pages are all rendered) or on the
first request with ``meta["playwright"]`` (a site found serving script shells); a crawl of
plain-HTTP sites never loads them.

Scrapy's TLS modules name three deprecated aliases by ``inspect.stack()`` (the source line of every
frame, each found by a walk of ``sys.modules``: 0.1-0.3 s of the crawl's CPU at start); they are
imported here with a stack of the same frames, read without source.

Plain pages' header sections are bounded (:mod:`crawler.header_limit`).

Settings: ``DOWNLOAD_MAX_HEADER_BYTES``; those of :mod:`crawler.browser_handler`, read when it is built.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

if TYPE_CHECKING:
    from crawler.browser_handler import BrowserDownloadHandler


def _stack_without_source(context: int = 1) -> list[inspect.FrameInfo]:
    """``inspect.stack()``'s frames, names and line numbers, without their source lines."""
    frames = []
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        frames.append(inspect.FrameInfo(frame, code.co_filename, frame.f_lineno, code.co_name, None, None))
        frame = frame.f_back
    return frames


@contextmanager
def _stack_read_without_source() -> Iterator[None]:
    """``inspect.stack`` as :func:`_stack_without_source` while importing (Scrapy's
    ``create_deprecated_class`` reads only the caller's frame from it, to name its module)."""
    original = inspect.stack
    inspect.stack = _stack_without_source
    try:
        yield
    finally:
        inspect.stack = original


with _stack_read_without_source():
    from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

    from crawler.header_limit import DEFAULT_MAX_HEADER_BYTES, bounded_factory  # imports Scrapy's TLS modules too


class DownloadHandler(HTTP11DownloadHandler):
    lazy = False  # built at start: a site that needs the browser starts it with the engine

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.crawler = crawler
        budget = crawler.settings.getint("DOWNLOAD_MAX_HEADER_BYTES", DEFAULT_MAX_HEADER_BYTES)
        self._pool._factory = bounded_factory(budget)
        self.browser: BrowserDownloadHandler | None = None
        self._proxy_started: asyncio.Future[None] | None = None  # a browser built after engine start
        if getattr(crawler.spider, "use_browser", False):
            self.browser = self._build_browser()  # before engine start: its signals fire as usual

    def _build_browser(self) -> BrowserDownloadHandler:
        from crawler.browser_handler import BrowserDownloadHandler  # imports scrapy-playwright

        return BrowserDownloadHandler(self.crawler)

    async def download_request(self, request: Request) -> Response:
        """A rendered page through the browser handler (built on first use), any other with Scrapy's."""
        if not request.meta.get("playwright"):
            plain: Response = await super().download_request(request)
            return plain
        if self.browser is None:
            self.browser = self._build_browser()
            # The engine has started: the browser handler's engine_started receivers will not run.
            self._proxy_started = asyncio.ensure_future(self.browser.proxy.start())
        if self._proxy_started is not None:
            await asyncio.shield(self._proxy_started)  # every page waits for it, the first one's cancel aside
        rendered: Response = await self.browser.download_request(request)
        return rendered

    async def close(self) -> None:
        try:
            await super().close()
        finally:  # Chromium and the egress proxy never outlive the crawl
            if self.browser is not None:
                await self.browser.close()
