"""Validation of an article item, so that it is stored whole or not at all: :func:`validate`.

Rejects (:class:`Invalid`) anything that is not a well-formed article item (a plain dict or a
field of the wrong type, e.g. from another spider: ``malformed``) and articles
without a title or a body. An impossible date (before
``VALIDATION_MIN_YEAR`` or more than ``VALIDATION_FUTURE_SKEW_HOURS`` in the
future, e.g. a theme printing 2099) is cleared, not trusted, and the article is
kept: its raw date string stays in ``published_raw``.

Settings (read by ``RecordRules.from_settings``): ``VALIDATION_MIN_YEAR``, ``VALIDATION_FUTURE_SKEW_HOURS``.
Stats (added by the validation pipeline): ``validation/dropped/<reason>``, ``validation/cleared/published/<reason>``,
``validation/cleared/modified/<reason>``, ``validation/passed``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from itemadapter import ItemAdapter

from crawler.items import ArticleItem, shape_problem
from crawler.rules import ValidationConfig

__all__ = ["Invalid", "ValidationConfig", "ValidationReport", "problem", "validate"]

logger = logging.getLogger(__name__)


class Invalid(Exception):
    """An item that may not be stored; ``reason`` is ``malformed``, ``missing/title`` or ``missing/body``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    @property
    def stat(self) -> str:
        """The stat that counts it: ``validation/dropped/<reason>``."""
        return f"validation/dropped/{self.reason}"


@dataclass(frozen=True)
class ValidationReport:
    """What validation did to an item it passed: the dates it cleared, as (field, reason)."""

    cleared: tuple[tuple[str, str], ...] = ()
    passed: bool = True  # False for what it does not validate (an ``ArticleChecked``)

    def stats(self) -> dict[str, int]:
        """The report as stats: ``validation/cleared/<field>/<reason>`` and ``validation/passed``."""
        stats = {f"validation/cleared/{name}/{reason}": 1 for name, reason in self.cleared}
        return {**stats, "validation/passed": 1} if self.passed else stats


def problem(item: ItemAdapter, config: ValidationConfig, now: datetime) -> str | None:
    """The reason to drop ``item``, or None when it may be stored."""
    if not item.get("title"):
        return "missing/title"
    if not item.get("paragraphs"):
        return "missing/body"
    return None


def validate(item: Any, config: ValidationConfig, now: datetime) -> tuple[Any, ValidationReport]:
    """``item`` with its impossible dates cleared, and what was cleared; raises :class:`Invalid`."""
    malformed = shape_problem(item, need_hash=False)  # the hash is cleaning's to set
    if malformed:
        raise Invalid("malformed", f"malformed item: {malformed}")
    if not isinstance(item, ArticleItem):  # ArticleChecked: nothing to validate
        return item, ValidationReport(passed=False)
    adapter = ItemAdapter(item)
    reason = problem(adapter, config, now)
    if reason:
        raise Invalid(reason, f"{reason}: {adapter.get('url')}")
    cleared = []
    for name in ("published", "modified"):
        date_problem = config.date_problem(adapter.get(name), now)
        if date_problem:
            logger.info("Impossible %(field)s date %(value)s (%(problem)s) cleared: %(url)s",
                        {"field": name, "value": adapter[name], "problem": date_problem, "url": adapter.get("url")})
            adapter[name] = None
            cleared.append((name, date_problem))
    return item, ValidationReport(tuple(cleared))
