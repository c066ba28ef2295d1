"""A test extension that holds the spider's opening, as a big store's migrations or another writer's lock
hold it, until the test lets it go: once the site's lease is taken, its ``spider_opened`` logs "Opening held"
and waits until the file ``OPENING_GATE`` names exists (a minute at most). Enabled by :func:`gate_settings`."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.extensions.site_lock import settled

logger = logging.getLogger(__name__)
HELD = "Opening held"


class OpeningGate:
    def __init__(self, crawler: Crawler, gate: Path) -> None:
        self.crawler = crawler
        self.gate = gate

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OpeningGate:
        if not crawler.settings.get("OPENING_GATE"):
            raise NotConfigured
        extension = cls(crawler, Path(crawler.settings["OPENING_GATE"]))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension

    async def spider_opened(self) -> None:
        await settled(self.crawler)
        logger.info("%(held)s until %(gate)s exists", {"held": HELD, "gate": self.gate})
        deadline = time.monotonic() + 60
        while not self.gate.exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)


def gate_settings(gate: Path) -> list[str]:
    """The ``-s`` settings of a crawl whose opening waits for ``gate``: the project's extensions and this one."""
    from crawler import settings

    extensions = {**settings.EXTENSIONS, f"{__name__}.OpeningGate": 350}
    return [f"EXTENSIONS={json.dumps(extensions)}", f"OPENING_GATE={gate}"]
