"""Whether a crawl is stopping: the one test for the components that must not start what a stop would cut short
(the downloader's queues, a wait for a host that is down, the opening stop, a shared crawl's frontier)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


def crawl_stopping(crawler: Crawler) -> bool:
    """Whether ``crawler``'s crawl was stopped (Ctrl-C, SIGTERM, a Scrapyd cancel) or has ended. Scrapy turns
    ``crawling`` off first in ``Crawler.stop_async``, before the engine stops, and also when it lets a stop pass
    while the engine starts (:func:`crawler.opening_stop.passed_by`), so the engine's ``running`` is no guide. An
    object with no ``crawling`` was never stopped."""
    return not getattr(crawler, "crawling", True)
