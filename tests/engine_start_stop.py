"""A test extension that stops the crawl at the moment Scrapy let a stop pass by: from its ``engine_started``
handler it sends its own process ``SIGTERM_AT_ENGINE_START`` (a signal number) and holds the signal's dispatch
until Scrapy has handled the stop, as a slow ``engine_started`` handler (the egress proxy's) holds it. The stop
lands after ``OpeningStop``'s ``engine_started`` check and before the engine runs. Enabled by
:func:`stop_at_engine_start`."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import time

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)
SENT = "Signal sent at engine_started"


class StopAtEngineStart:
    def __init__(self, crawler: Crawler, signum: int) -> None:
        self.crawler = crawler
        self.signum = signum

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StopAtEngineStart:
        if not crawler.settings.getint("SIGTERM_AT_ENGINE_START"):
            raise NotConfigured
        extension = cls(crawler, crawler.settings.getint("SIGTERM_AT_ENGINE_START"))
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        return extension

    async def engine_started(self) -> None:
        logger.info(SENT)
        os.kill(os.getpid(), self.signum)
        deadline = time.monotonic() + 30
        while self.crawler.crawling and time.monotonic() < deadline:  # until Scrapy's Crawler.stop_async ran
            await asyncio.sleep(0.01)


def stop_at_engine_start(signum: int = signal.SIGTERM) -> list[str]:
    """The ``-s`` settings of a crawl stopped by ``signum`` as its engine starts: the project's extensions and this."""
    from crawler import settings

    extensions = {**settings.EXTENSIONS, f"{__name__}.StopAtEngineStart": 900}
    return [f"EXTENSIONS={json.dumps(extensions)}", f"SIGTERM_AT_ENGINE_START={int(signum)}"]
