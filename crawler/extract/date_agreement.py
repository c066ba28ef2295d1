"""Whether a date the page prints beside its headline can be the declared (JSON-LD, meta) publication or
modification date.

A declared instant and a printed day agree when some time zone on Earth (UTC-12 to UTC+14) puts the instant on
that day: "Dec 18, 2025" agrees with ``2025-12-19T03:05:00Z`` (evening of the 18th in California), not with
``2025-12-19T22:02:58Z`` (the 19th or the 20th everywhere). A declared value without a time of day is a day, read as
agreeing with the day before and after (time zones again). A numeric date that reads both ways ("09.10.2024": 9
October in Europe, 10 September in the United States) agrees in either reading.

Pure: datetimes in, a bool out.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo

from crawler.extract.visible_dates import Dateline

__all__ = ["agrees", "printed_days"]

EARLIEST_OFFSET = timedelta(hours=-12)  # Baker Island
LATEST_OFFSET = timedelta(hours=14)  # Kiribati, Line Islands
_TIME_OF_DAY = re.compile(r"\d:\d\d")
_NUMERIC = re.compile(r"^\s*\d{1,2}[./-]\d{1,2}[./-]\d{4}(?!\d)")


def _stated(raw: str) -> datetime | None:
    """``raw`` as an ISO 8601 value with the offset it states, else None."""
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def printed_days(printed: Dateline, tz: tzinfo) -> tuple[date, ...]:
    """The calendar days a printed date can name: in the offset it states, else in the site's zone; both readings
    of a numeric date whose day could be its month."""
    stated = _stated(printed.raw)
    day = stated.date() if stated is not None else printed.value.astimezone(tz).date()
    if day.day <= 12 and day.day != day.month and _NUMERIC.match(printed.raw):
        return day, day.replace(month=day.day, day=day.month)
    return (day,)


def agrees(printed: Dateline, declared: datetime, declared_raw: str | None, tz: tzinfo) -> bool:
    """Whether the printed date can be the declared one (the same day somewhere on Earth)."""
    days = printed_days(printed, tz)
    if not isinstance(declared_raw, str) or not _TIME_OF_DAY.search(declared_raw):
        return any(abs(day - declared.astimezone(tz).date()) <= timedelta(days=1) for day in days)
    utc = declared.astimezone(UTC)
    try:
        earliest, latest = (utc + EARLIEST_OFFSET).date(), (utc + LATEST_OFFSET).date()
    except OverflowError:  # a placeholder at the calendar's ends (0001-01-01, 9999-12-31) is no one's day
        return False
    return any(earliest <= day <= latest for day in days)
