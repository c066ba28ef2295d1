"""A test pipeline that stops the crawl while its spider closes after it finished: from its ``close_spider`` (the
close's pipelines step, before the run record is written) it sends its own process ``SIGNAL_AT_CLOSE`` (a signal
number) and holds the close until Scrapy has handled the stop, and a second more, as a slow final flush to a far
store holds it. Enabled by :func:`signal_at_close`."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.stopping import crawl_stopping

logger = logging.getLogger(__name__)
SENT = "Signal sent as the spider closes"


class SignalAtClose:
    def __init__(self, crawler: Crawler, signum: int) -> None:
        self.crawler = crawler
        self.signum = signum

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SignalAtClose:
        if not crawler.settings.getint("SIGNAL_AT_CLOSE"):
            raise NotConfigured
        return cls(crawler, crawler.settings.getint("SIGNAL_AT_CLOSE"))

    def process_item(self, item: Any) -> Any:
        return item

    async def close_spider(self) -> None:
        logger.info(SENT)
        os.kill(os.getpid(), self.signum)
        deadline = time.monotonic() + 30
        while not crawl_stopping(self.crawler) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(1)  # Scrapy's stop has run its course: it returned at once, the close still going


def signal_at_close(signum: int) -> list[str]:
    """The ``-s`` settings of a crawl that gets ``signum`` as its spider closes: the project's pipelines and this."""
    from crawler import settings

    pipelines = {**settings.ITEM_PIPELINES, f"{__name__}.SignalAtClose": 950}
    return [f"ITEM_PIPELINES={json.dumps(pipelines)}", f"SIGNAL_AT_CLOSE={signum}"]
