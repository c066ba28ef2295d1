"""Validation pipeline: :class:`crawler.validation.Validator` on every item (see there for what it does).

Settings: ``VALIDATION_ENABLED``, ``VALIDATION_MIN_YEAR``, ``VALIDATION_FUTURE_SKEW_HOURS``.
Stats: ``validation/dropped/<reason>``, ``validation/cleared/{published,modified}/<reason>``,
``validation/passed``.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.validation import ValidationConfig, Validator


class ValidationPipeline:
    def __init__(self, validator: Validator) -> None:
        self.validator = validator

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidationPipeline:
        if not crawler.settings.getbool("VALIDATION_ENABLED", True):
            raise NotConfigured
        assert crawler.stats is not None
        return cls(Validator(crawler.stats, ValidationConfig.from_settings(crawler.settings)))

    def process_item(self, item: Any) -> Any:
        return self.validator.validate(item)
