"""Less garbage-collector work in a long crawl: the heap alive once the spider opens is frozen and
young collections run less often (:mod:`crawler.heap`; each extraction worker does the same once warm).

Setting: ``GC_TUNING_ENABLED``.
"""

from __future__ import annotations

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.heap import freeze_heap


class GcTuning:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GcTuning:
        if not crawler.settings.getbool("GC_TUNING_ENABLED", True):
            raise NotConfigured
        extension = cls()
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension

    def spider_opened(self) -> None:
        freeze_heap()
