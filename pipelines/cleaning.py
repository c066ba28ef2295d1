"""Cleaning pipeline: :func:`crawler.cleaning.clean` on every item (see there for what it does),
its report added to the stats.

Settings: ``CLEANING_ENABLED``, ``CLEANING_MAX_<NAME>`` (one per cap in ``crawler/limits.py``).
Stats: ``cleaning/removed/<rule>``, ``cleaning/credit_moved``, ``cleaning/truncated/<field>``.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from crawler.cleaning import clean
from crawler.limits import RecordLimits
from crawler.rules import RecordRules


class CleaningPipeline:
    def __init__(self, stats: StatsCollector, limits: RecordLimits) -> None:
        self.stats, self.limits = stats, limits

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleaningPipeline:
        if not crawler.settings.getbool("CLEANING_ENABLED", True):
            raise NotConfigured
        assert crawler.stats is not None
        return cls(crawler.stats, RecordRules.from_settings(crawler.settings).limits)

    def process_item(self, item: Any) -> Any:
        item, report = clean(item, self.limits)
        for key, n in report.stats().items():
            self.stats.inc_value(key, n)
        return item
