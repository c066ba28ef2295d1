"""The add-on that turns a crawl into a worker of a shared one when ``REDIS_URL`` is set: the frontier's
scheduler replaces ``crawler.scheduler.DiscoveryLimitScheduler``. Without ``REDIS_URL`` nothing changes.

Settings: ``REDIS_URL``, ``FRONTIER_ENABLED``.
"""

from __future__ import annotations

from scrapy.settings import BaseSettings

from crawler.frontier.connection import shared_crawl_url

SCHEDULER = "crawler.frontier.scheduler.FrontierScheduler"


class SharedFrontier:
    def update_settings(self, settings: BaseSettings) -> None:
        """Use the shared frontier's scheduler when ``REDIS_URL`` is set (a ``-s SCHEDULER=`` still wins)."""
        if shared_crawl_url(settings):
            settings.set("SCHEDULER", SCHEDULER, priority="project")
