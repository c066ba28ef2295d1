"""Progress of a long run: every ``PROGRESS_INTERVAL_SECONDS`` (default 60; 0: off) and at the close,
one line naming the site: articles stored, requests queued (in the scheduler or the downloader),
articles stored a minute over the last interval and, for a backfill with an end (``-a since``), how
far back the stored articles' publication dates have come and the time left at that pace::

    [asiaplus] Progress: 120 articles stored, 35 requests queued, 12.0 articles/min,
    back to 2024-01-01: at 2024-06-30, about 3 h left   (one line in the log)
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from crawler.reporting import aware, human_duration

logger = logging.getLogger(__name__)


class Backfill:
    """Where a backfill to ``since`` stands, from the publication dates of the articles stored so far."""

    def __init__(self, since: datetime) -> None:
        self.since = since
        self.newest: datetime | None = None
        self.oldest: datetime | None = None
        self.first_seen_at: float | None = None  # monotonic time of the first dated article

    def saw(self, published: datetime, now: float) -> None:
        self.first_seen_at = self.first_seen_at if self.first_seen_at is not None else now
        self.newest = max(self.newest or published, published)
        self.oldest = min(self.oldest or published, published)

    def describe(self, now: float) -> str:
        if self.oldest is None or self.newest is None or self.first_seen_at is None:
            return f"back to {self.since:%Y-%m-%d}: no dated article yet"
        where = f"back to {self.since:%Y-%m-%d}: at {self.oldest:%Y-%m-%d}"
        left = (self.oldest - self.since).total_seconds()
        if left <= 0:
            return f"{where}, reached"
        covered = (self.newest - self.oldest).total_seconds()
        if covered <= 0 or now <= self.first_seen_at:
            return f"{where}, time left unknown"
        seconds = (now - self.first_seen_at) * left / covered
        return f"{where}, {'less than a minute' if seconds < 60 else 'about ' + human_duration(seconds)} left"


class Progress:
    def __init__(self, crawler: Crawler, interval: float) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.interval = interval
        self.backfill: Backfill | None = None
        self.previous = 0
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL_SECONDS", 60.0)
        if interval <= 0:
            raise NotConfigured
        progress = cls(crawler, interval)
        crawler.signals.connect(progress.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(progress.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(progress.spider_closed, signal=signals.spider_closed)
        return progress

    def spider_opened(self, spider: Spider) -> None:
        since = getattr(getattr(spider, "args", None), "since", None)
        self.backfill = Backfill(since) if since is not None else None
        self.task = create_looping_call(self.log, spider)
        self.task.start(self.interval, now=False)

    def item_scraped(self, item: Any) -> None:
        published = aware(item.get("published") if isinstance(item, dict) else getattr(item, "published", None))
        if self.backfill is not None and published is not None:
            self.backfill.saw(published, time.monotonic())

    def spider_closed(self, spider: Spider) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        self.log(spider)

    def stored(self) -> int:
        return int(self.stats.get_value("storage/inserted", 0)) + int(self.stats.get_value("storage/updated", 0))

    def queued(self) -> int:
        """Requests waiting in the scheduler plus those in the downloader."""
        engine = self.crawler.engine
        if engine is None:
            return 0
        scheduler = engine.scheduler
        waiting = len(scheduler) if scheduler is not None and hasattr(scheduler, "__len__") else 0
        return waiting + len(engine.downloader.active)

    def log(self, spider: Spider) -> None:
        stored = self.stored()
        rate = (stored - self.previous) * 60 / self.interval
        self.previous = stored
        queued = self.queued()
        tail = f", {self.backfill.describe(time.monotonic())}" if self.backfill else ""
        site = str(getattr(getattr(spider, "site", None), "name", spider.name)).replace("%", "%%")
        # The site is part of the message itself, so crawler.sitelog does not name it twice.
        logger.info(f"[{site}] Progress: %(stored)d articles stored, %(queued)d requests queued, "
                    "%(rate).1f articles/min%(tail)s",
                    {"stored": stored, "queued": queued, "rate": rate, "tail": tail}, extra={"spider": spider})
