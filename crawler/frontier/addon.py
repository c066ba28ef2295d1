"""The add-on that turns a crawl into a worker of a shared one when ``REDIS_URL`` is set: the frontier's
scheduler replaces ``crawler.scheduler.DiscoveryLimitScheduler``. Without ``REDIS_URL`` nothing changes.

Settings: ``REDIS_URL``.
"""

from __future__ import annotations

import os

from scrapy.settings import BaseSettings

SCHEDULER = "crawler.frontier.scheduler.FrontierScheduler"


class SharedFrontier:
    def update_settings(self, settings: BaseSettings) -> None:
        """Use the shared frontier's scheduler when ``REDIS_URL`` is set (a ``-s SCHEDULER=`` still wins)."""
        if str(settings.get("REDIS_URL") or os.environ.get("REDIS_URL") or "").strip():
            settings.set("SCHEDULER", SCHEDULER, priority="project")
