"""One crawl per site at a time on a host, whoever starts it (cron, a person, Scrapyd).

Takes an exclusive ``flock`` on ``DATA_DIR/locks/<site>.lock`` as soon as the
crawler is built, before any pipeline opens (so a refused run never touches the
store's spool), and holds it until the spider closes or the process ends. A
second crawl of the same site closes at once with reason ``site_locked``: its run
is recorded as ``skipped`` and raises no alert, and ``scrapy crawl`` exits 75. One
that cannot create the lock file (an unwritable ``DATA_DIR``) closes with reason
``site_lock_unavailable`` (exit code 1).
This is the only lock: point cron (``deploy/run-crawl``) and Scrapyd at the same
``DATA_DIR`` for it to cover both.

Settings: ``SITE_LOCK_ENABLED``, ``DATA_DIR``. Stats: ``site_lock/refused``.
"""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path
from typing import IO

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured

from crawler.health import LOCKED_REASON

__all__ = ["LOCKED_REASON", "SiteLock"]
logger = logging.getLogger(__name__)
UNLOCKABLE_REASON = "site_lock_unavailable"


def _site(spider: Spider) -> str:
    return getattr(getattr(spider, "site", None), "name", None) or spider.name


class SiteLock:
    def __init__(self, crawler: Crawler, directory: Path) -> None:
        self.crawler = crawler
        self.directory = directory
        self._handle: IO[str] | None = None
        self._refused: str | None = None  # the close reason when this run may not crawl

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteLock:
        if not crawler.settings.getbool("SITE_LOCK_ENABLED", True):
            raise NotConfigured
        extension = cls(crawler, Path(crawler.settings.get("DATA_DIR") or "data") / "locks")
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        if crawler.spider is not None:  # extensions are built after the spider, before the engine and pipelines
            extension.acquire(crawler.spider)
        return extension

    def acquire(self, spider: Spider) -> None:
        """Take the site's lock, or note (stat, log) that another crawl holds it."""
        site = _site(spider)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle = (self.directory / f"{site}.lock").open("w")
        except OSError as exc:  # an unwritable DATA_DIR: one clear line, no traceback
            logger.error("Cannot take the lock of %(site)s in %(dir)s (%(error)s); not starting",
                         {"site": site, "dir": self.directory, "error": exc.strerror or exc})
            self._refused = UNLOCKABLE_REASON
            return
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            self._refused = LOCKED_REASON
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("site_lock/refused", 1)
            # A warning, not an error: overlapping schedules are expected and the run is recorded as skipped.
            logger.warning("Another crawl of %(site)s is running on this host; skipping this one", {"site": site})
            return
        self._handle = handle

    def spider_opened(self, spider: Spider) -> None:
        if self._handle is None and not self._refused:
            self.acquire(spider)
        if self._refused:
            raise CloseSpider(self._refused)

    def spider_closed(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file releases the lock
            self._handle = None
