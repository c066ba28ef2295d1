"""Cleaning pipeline: :class:`crawler.cleaning.Cleaner` on every item (see there for what it does).

Settings: ``CLEANING_ENABLED``, ``CLEANING_MAX_<NAME>`` (one per cap in ``crawler/limits.py``).
Stats: ``cleaning/removed/<rule>``, ``cleaning/credit_moved``, ``cleaning/truncated/<field>``.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.cleaning import Cleaner
from crawler.limits import RecordLimits


class CleaningPipeline:
    def __init__(self, cleaner: Cleaner) -> None:
        self.cleaner = cleaner

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleaningPipeline:
        if not crawler.settings.getbool("CLEANING_ENABLED", True):
            raise NotConfigured
        assert crawler.stats is not None
        return cls(Cleaner(crawler.stats, RecordLimits.from_settings(crawler.settings)))

    def process_item(self, item: Any) -> Any:
        return self.cleaner.clean(item)
