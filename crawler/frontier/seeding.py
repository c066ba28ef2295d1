"""Only the worker that started a shared crawl runs the spider's ``start()`` (feeds, sitemaps, listings,
API); the others take their work from the crawl's queue. Without ``REDIS_URL``: not installed.

Stats: ``frontier/seeded`` (start requests this worker yielded).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.frontier.connection import shared_crawl_url
from crawler.frontier.extension import Frontier


class FrontierSeeding:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierSeeding:
        if not shared_crawl_url(crawler.settings):
            raise NotConfigured
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """The spider's start requests on the seeding worker; nothing on the others."""
        frontier = Frontier.of(self.crawler)
        if frontier is None or frontier.shared is None or not frontier.shared.seeder:
            return
        assert self.crawler.stats is not None
        async for request in start:
            self.crawler.stats.inc_value("frontier/seeded")
            yield request
