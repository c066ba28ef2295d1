"""When a stored article is due for another look (edits happen soon after publication)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

DEFAULT_SCHEDULE = "1h,6h,24h,7d"
_STEP = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_schedule(text: str) -> tuple[timedelta, ...]:
    """``"1h,6h,24h,7d"`` -> ascending steps after publication; a bad step raises ValueError."""
    steps = []
    for raw in filter(None, (part.strip() for part in text.split(","))):
        match = _STEP.match(raw)
        if not match:
            raise ValueError(f"REVISIT_SCHEDULE step {raw!r} is not like 30m, 6h or 7d")
        steps.append(timedelta(**{_UNITS[match[2]]: int(match[1])}))
    return tuple(sorted(steps))


def is_due(published: datetime | None, last_checked: datetime | None, now: datetime,
           schedule: tuple[timedelta, ...]) -> bool:
    """True when a revisit step after ``published`` has passed since the article was last checked."""
    if published is None or last_checked is None:
        return False
    published, last_checked = _utc(published), _utc(last_checked)
    passed = [published + step for step in schedule if published + step <= now]
    return bool(passed) and last_checked < passed[-1]


def _utc(value: datetime) -> datetime:
    """A stored time, UTC when it has no zone (an older record in the embedded store)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
