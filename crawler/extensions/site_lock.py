"""One crawl per site at a time on a host, whoever starts it (cron, a person, Scrapyd).

Takes an exclusive ``flock`` on ``DATA_DIR/locks/<site>.lock`` when the spider
opens and holds it until the process ends; a second crawl of the same site
closes at once with reason ``site_locked`` (exit code 75); one that cannot
create the lock file (an unwritable ``DATA_DIR``) closes with reason
``site_lock_unavailable`` (exit code 1). Point cron and
Scrapyd at the same ``DATA_DIR`` for the lock to cover both.

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

logger = logging.getLogger(__name__)
LOCKED_REASON = "site_locked"
UNLOCKABLE_REASON = "site_lock_unavailable"


class SiteLock:
    def __init__(self, crawler: Crawler, directory: Path) -> None:
        self.crawler = crawler
        self.directory = directory
        self._handle: IO[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteLock:
        if not crawler.settings.getbool("SITE_LOCK_ENABLED", True):
            raise NotConfigured
        extension = cls(crawler, Path(crawler.settings.get("DATA_DIR") or "data") / "locks")
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        site = getattr(getattr(spider, "site", None), "name", spider.name)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle = (self.directory / f"{site}.lock").open("w")
        except OSError as exc:  # an unwritable DATA_DIR: one clear line, no traceback
            logger.error("Cannot take the lock of %(site)s in %(dir)s (%(error)s); not starting",
                         {"site": site, "dir": self.directory, "error": exc.strerror or exc})
            raise CloseSpider(UNLOCKABLE_REASON) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("site_lock/refused", 1)
            logger.error("Another crawl of %(site)s is running on this host; not starting", {"site": site})
            raise CloseSpider(LOCKED_REASON) from None
        self._handle = handle

    def spider_closed(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file releases the lock
            self._handle = None
