"""Validation pipeline: :func:`crawler.validation.validate` on every item (see there for what it
does); an invalid item is dropped (``DropItem``), and both outcomes are counted.

Settings: ``VALIDATION_ENABLED``, ``VALIDATION_MIN_YEAR``, ``VALIDATION_FUTURE_SKEW_HOURS``.
Stats: ``validation/dropped/<reason>``, ``validation/cleared/{published,modified}/<reason>``,
``validation/passed``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector

from crawler.rules import RecordRules, ValidationConfig
from crawler.validation import Invalid, validate


class ValidationPipeline:
    def __init__(self, stats: StatsCollector, config: ValidationConfig) -> None:
        self.stats, self.config = stats, config

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidationPipeline:
        if not crawler.settings.getbool("VALIDATION_ENABLED", True):
            raise NotConfigured
        assert crawler.stats is not None
        return cls(crawler.stats, RecordRules.from_settings(crawler.settings).validation)

    def process_item(self, item: Any) -> Any:
        try:
            item, report = validate(item, self.config, datetime.now(UTC))
        except Invalid as invalid:
            self.stats.inc_value(invalid.stat)
            raise DropItem(str(invalid)) from None
        for key, n in report.stats().items():
            self.stats.inc_value(key, n)
        return item
