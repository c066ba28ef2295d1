"""Validation of an article item: it is stored whole or not at all.

Drops anything that is not a well-formed article item (a plain dict or a
field of the wrong type, e.g. from another spider: ``malformed``) and articles
without a title or a body. An impossible date (before
``VALIDATION_MIN_YEAR`` or more than ``VALIDATION_FUTURE_SKEW_HOURS`` in the
future, e.g. a theme printing 2099) is cleared, not trusted, and the article is
kept: its raw date string stays in ``published_raw``.

Settings (read by ``ValidationConfig.from_settings``): ``VALIDATION_MIN_YEAR``, ``VALIDATION_FUTURE_SKEW_HOURS``.
Stats: ``validation/dropped/<reason>``, ``validation/cleared/published/<reason>``,
``validation/cleared/modified/<reason>``, ``validation/passed``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem
from scrapy.settings import BaseSettings

from crawler.counts import Counter
from crawler.items import ArticleItem, shape_problem

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ValidationConfig:
    min_year: int = 1991
    future_skew: timedelta = timedelta(hours=24)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ValidationConfig:
        return cls(min_year=settings.getint("VALIDATION_MIN_YEAR", cls.min_year),
                   future_skew=timedelta(hours=settings.getfloat("VALIDATION_FUTURE_SKEW_HOURS",
                                                                 cls.future_skew.total_seconds() / 3600)))

    def date_problem(self, value: datetime | None, now: datetime) -> str | None:
        """Why ``value`` cannot be a real article date, or None when it can."""
        if value is None:
            return None
        if value.tzinfo is None:
            return "naive"
        if value.year < self.min_year:
            return "too_old"
        if value > now + self.future_skew:
            return "future"
        return None


def problem(item: ItemAdapter, config: ValidationConfig, now: datetime) -> str | None:
    """The reason to drop ``item``, or None when it may be stored."""
    if not item.get("title"):
        return "missing/title"
    if not item.get("paragraphs"):
        return "missing/body"
    return None


class Validator:
    """Drops items that may not be stored (``DropItem``) and clears impossible dates, counting
    both into ``counter``."""

    def __init__(self, counter: Counter, config: ValidationConfig | None = None) -> None:
        self.counter = counter
        self.config = config or ValidationConfig()

    def validate(self, item: Any) -> Any:
        malformed = shape_problem(item, need_hash=False)  # the hash is the cleaning pipeline's to set
        if malformed:
            self.counter.inc_value("validation/dropped/malformed")
            raise DropItem(f"malformed item: {malformed}")
        if not isinstance(item, ArticleItem):  # ArticleChecked: nothing to validate
            return item
        adapter = ItemAdapter(item)
        now = datetime.now(UTC)
        reason = problem(adapter, self.config, now)
        if reason:
            self.counter.inc_value(f"validation/dropped/{reason}")
            raise DropItem(f"{reason}: {adapter.get('url')}")
        for field in ("published", "modified"):
            date_problem = self.config.date_problem(adapter.get(field), now)
            if date_problem:
                logger.info("Impossible %(field)s date %(value)s (%(problem)s) cleared: %(url)s",
                            {"field": field, "value": adapter[field], "problem": date_problem,
                             "url": adapter.get("url")})
                adapter[field] = None
                self.counter.inc_value(f"validation/cleared/{field}/{date_problem}")
        self.counter.inc_value("validation/passed")
        return item
