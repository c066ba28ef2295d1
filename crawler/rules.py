"""The rules a stored record follows, built from settings in one place: :class:`RecordRules`.

Its caps (:class:`~crawler.limits.RecordLimits`, ``CLEANING_MAX_<NAME>``) and the bounds of a
possible date (:class:`ValidationConfig`: ``VALIDATION_MIN_YEAR``, ``VALIDATION_FUTURE_SKEW_HOURS``).
The crawl's pipelines, its extraction and ``scrapy reextract`` all read them from here; each default
is written once, below and in ``crawler/limits.py`` (``crawler/settings.py`` takes them from here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from crawler.limits import RecordLimits


@dataclass(frozen=True)
class ValidationConfig:
    """When an article date is impossible: before ``min_year``, or later than ``future_skew`` from now."""

    min_year: int = 1991
    future_skew: timedelta = timedelta(hours=24)

    @classmethod
    def from_settings(cls, settings: Any) -> ValidationConfig:
        """The bounds from ``VALIDATION_MIN_YEAR`` and ``VALIDATION_FUTURE_SKEW_HOURS`` (anything with ``getint``)."""
        return cls(min_year=settings.getint("VALIDATION_MIN_YEAR", cls.min_year),
                   future_skew=timedelta(hours=settings.getfloat("VALIDATION_FUTURE_SKEW_HOURS",
                                                                 cls.future_skew_hours())))

    @classmethod
    def future_skew_hours(cls) -> float:
        """The default skew in hours, as ``VALIDATION_FUTURE_SKEW_HOURS`` gives it."""
        return cls.future_skew.total_seconds() / 3600

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


@dataclass(frozen=True)
class RecordRules:
    """Caps and date bounds of a stored record."""

    limits: RecordLimits = field(default_factory=RecordLimits)
    validation: ValidationConfig = field(default_factory=ValidationConfig)

    @classmethod
    def from_settings(cls, settings: Any) -> RecordRules:
        """The rules from Scrapy settings; raises ValueError on a cap that is not positive."""
        return cls(RecordLimits.from_settings(settings), ValidationConfig.from_settings(settings))
