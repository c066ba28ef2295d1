"""Scrapy's scheduler, ending discovery at ``-a limit``: once the spider has scheduled its limit
of articles, the feed, sitemap, listing and API requests still queued are dropped unsent.

Dropped here rather than by a downloader middleware: an ``IgnoreRequest`` there would count
as a download error (``downloader/exception_count``) and make the run look unhealthy.

The spider marks discovery requests with ``DISCOVERY_META`` and says when it is done with
``limit_reached``. Setting: ``SCHEDULER``. Stats: ``discovery/skipped/limit_reached``.
"""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler
from twisted.internet.defer import Deferred

DISCOVERY_META = "discovery"  # set on feed, sitemap, listing and API requests


class DiscoveryLimitScheduler(Scheduler):
    _spider: Spider | None = None

    def open(self, spider: Spider) -> Deferred[None] | None:
        self._spider = spider
        return super().open(spider)

    def next_request(self) -> Request | None:
        """The next queued request, skipping discovery requests once the spider's limit is reached."""
        while (request := super().next_request()) is not None:
            if not (request.meta.get(DISCOVERY_META) and getattr(self._spider, "limit_reached", False)):
                return request
            assert self.stats is not None
            self.stats.inc_value("discovery/skipped/limit_reached")
        return None
