"""The crawl's final stats as one JSON object in a file, for the process that started the crawl
(``scrapy crawlall --processes N`` reads each site's numbers from it for its summary).

Written once the engine has stopped (after the health monitors and the storage's last flush have
counted), through a temporary file renamed into place, so a reader sees the whole object or none.

Setting: ``STATS_FILE`` (a path; empty, the default: off).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class StatsFile:
    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsFile:
        path = crawler.settings.get("STATS_FILE")
        if not path:
            raise NotConfigured
        extension = cls(crawler, Path(path))
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        """Write the stats (values JSON cannot hold, such as datetimes, as text)."""
        assert self.crawler.stats is not None
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        partial.write_text(json.dumps(self.crawler.stats.get_stats(), default=str), encoding="utf-8")
        partial.replace(self.path)
