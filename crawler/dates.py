"""Date parsing: the machine-readable forms news sites publish (ISO 8601,
RFC 822 in feeds, dotted day-first dates), made timezone-aware and UTC.

Only dates known to the day are dates here: a year ("2025"), a month ("2025-03", a ``/2025/03/``
permalink) or an ISO week ("2025-W11") is None, never its first day. A naive value is read in
the zone's offset on that day (``ZoneInfo``: Asia/Almaty was UTC+6 until 1 March 2024, UTC+5 since).
An RFC 822 year written with four digits is that year (``01 Jan 0001``: year 1, which validation refuses as too old),
not the two-digit year email.utils takes it for (2001); ``01 Jan 01`` keeps its RFC 2822 meaning, 2001.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

_DOTTED = re.compile(
    r"^(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<y>\d{4})(?:[ ,T]+(?P<H>\d{1,2}):(?P<M>\d{2}))?$"
)
# A four-digit year of an RFC 822 date: not a time's digits nor a zone's (+0500)
_FOUR_DIGIT_YEAR = re.compile(r"(?<![\d:+-])(\d{4})(?![\d:])")
_ISO_WEEK = re.compile(r"^\d{4}-?W\d", re.IGNORECASE)
# A 12-hour clock ("2:05 PM", "12:30 a.m."): email.utils reads the marker as an unknown zone and drops it.
_CLOCK_12H = re.compile(r"(?<!\d)(?P<h>\d{1,2})(?P<rest>:\d{2}(?::\d{2})?)\s{0,3}(?P<half>[AaPp])\.?\s?[Mm]\.?(?!\w)")
# A clock's offset as pages print it ("GMT+5", "(UTC+05:00)", "+05", "+5:30"): email.utils knows only "+0500",
# reads "+05" as five minutes and drops the rest, leaving the site's zone in the printed one's place. Bounded spaces:
# "12:00" and 50,000 spaces took a minute with two unbounded runs.
_CLOCK_OFFSET = re.compile(
    r"(?P<clock>\d{1,2}:\d{2}(?::\d{2})?)\s{0,3}\(?(?:GMT|UTC)?\s{0,3}(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?\)?(?!\w)"
)
_MONTH_DAY = r"(?P<m>0[1-9]|1[0-2])(?P=s)(?P<d>0[1-9]|[12]\d|3[01])"
# A permalink's day: /2025/03/14/, /2025-03-14/ or /2025-03-14-slug, /20250314/ or slug-20250314.html (in the path).
_URL_DATES = (
    re.compile(rf"/(?P<y>(?:19|20)\d{{2}})(?P<s>/){_MONTH_DAY}/"),
    re.compile(rf"/(?P<y>(?:19|20)\d{{2}})(?P<s>-){_MONTH_DAY}(?=[/_.-]|$)"),
    re.compile(rf"[/_-](?P<y>(?:19|20)\d{{2}})(?P<s>){_MONTH_DAY}(?=[/_.-]|$)"),
)


def _aware(value: datetime, tz: tzinfo) -> datetime:
    """Attach ``tz`` to a naive value (the site's local time) and convert to UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def _iso(raw: str) -> datetime | None:
    if _ISO_WEEK.match(raw):  # "2025-W11": a week, not a day
        return None
    try:
        return datetime.fromisoformat(raw.replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", raw) else raw)
    except ValueError:
        return None


def rfc822_datetime(raw: str) -> datetime | None:
    """An RFC 822/2822 date (feeds, sitemaps, HTTP headers), naive when its zone is ``-0000``; None when it is none.
    A year written with four digits is that year: email.utils reads ``0001`` as 2001, as it reads ``01``."""
    raw = _CLOCK_OFFSET.sub(_rfc822_offset, raw)
    clock = _CLOCK_12H.search(raw)
    if clock:
        hour = int(clock["h"])
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if clock["half"] in "Pp" else 0)
        raw = f"{raw[:clock.start()]}{hour:02d}{clock['rest']}{raw[clock.end():]}"
    try:
        value = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    years = [int(year) for year in _FOUR_DIGIT_YEAR.findall(raw)]
    if len(years) == 1 and years[0] < 100 and value.year in (years[0] + 1900, years[0] + 2000):
        try:
            return value.replace(year=years[0])
        except ValueError:  # year 0
            return None
    return value


def _rfc822_offset(match: re.Match[str]) -> str:
    return f"{match['clock']} {match['sign']}{int(match['h']):02d}{match['m'] or '00'}"


def _dotted(raw: str) -> datetime | None:
    match = _DOTTED.match(raw)
    if not match:
        return None
    g = match.groupdict()
    try:
        return datetime(int(g["y"]), int(g["m"]), int(g["d"]), int(g["H"] or 0), int(g["M"] or 0))
    except ValueError:
        return None


def parse_datetime(raw: str | None, tz: tzinfo = UTC) -> datetime | None:
    """Parse a machine-readable date; naive values are read in ``tz``. Returns UTC."""
    if not raw:
        return None
    raw = raw.strip()
    for parser in (_iso, rfc822_datetime, _dotted):
        value = parser(raw)
        if value is not None:
            try:
                return _aware(value, tz)
            except OverflowError:  # a placeholder at the calendar's ends (0001-01-01 east of UTC): no date
                return None
    return None


def date_from_url(url: str, tz: tzinfo = UTC) -> datetime | None:
    """The publication day encoded in a permalink's path: ``/2022/10/19/slug/``, ``/2022-10-19-slug``,
    ``/news/20221019/slug``, ``slug-20221019.html``; never in its host or query (a tracking parameter)."""
    path = urlsplit(url).path
    for pattern in _URL_DATES:
        match = pattern.search(path)
        if match:
            try:
                return _aware(datetime(int(match["y"]), int(match["m"]), int(match["d"])), tz)
            except ValueError:  # 31 February
                return None
    return None
