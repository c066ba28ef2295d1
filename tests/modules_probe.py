"""Test extension: which modules a real crawl process imported, as stats ``test/imported/<module>``
(1 or 0) for each module named in the ``TEST_WATCH_MODULES`` setting, counted once the spider closes."""

from __future__ import annotations

import sys

from scrapy import signals
from scrapy.crawler import Crawler


class ImportedModules:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.watched = crawler.settings.getlist("TEST_WATCH_MODULES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ImportedModules:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self) -> None:
        assert self.crawler.stats is not None
        for name in self.watched:
            self.crawler.stats.set_value(f"test/imported/{name}", int(name in sys.modules))


def settings_with_probe(*watched: str) -> list[str]:
    """``-s`` values that add this extension to the project's own and watch ``watched``."""
    import json

    from crawler import settings

    extensions = {**settings.EXTENSIONS, f"{__name__}.ImportedModules": 999}
    return [f"EXTENSIONS={json.dumps(extensions)}", f"TEST_WATCH_MODULES={','.join(watched)}"]
