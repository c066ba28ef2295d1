"""The time zone of a page's naive dates when the site's zone is not configured.

A configured site names its zone. One crawled by its home page alone (``-a url=``) was read in UTC: a naive
``datePublished`` of "2025-12-05T01:30:00" on a Bishkek site became the 5th at 01:30 UTC, six hours and sometimes
a day off. Its zone is now, in order: the offset its page states on its machine-readable dates (``<time
datetime>``, meta, JSON-LD, the most common one), else the zone of the region's country whose top-level domain
holds it, else UTC. A page extracted on its own, of no known site, is still read in UTC.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta, timezone, tzinfo
from itertools import islice
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

# The region's countries by top-level domain: one zone each (Kazakhstan's since March 2024, ZoneInfo knows).
COUNTRY_ZONES = {"kz": "Asia/Almaty", "qaz": "Asia/Almaty", "kg": "Asia/Bishkek", "tj": "Asia/Dushanbe",
                 "uz": "Asia/Tashkent", "tm": "Asia/Ashgabat"}

# A machine-readable time with an explicit offset, as attributes and JSON carry it ("2025-12-05T14:05:00+06:00").
_STATED = re.compile(r"(?<!\d)(?:19|20)\d\d-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?"
                     r"([+-])([01]\d):?([0-5]\d)(?!\d)")
_TEXT_CHARS = 20_000  # of one value: a JSON-LD block's dates are near its start; a huge one adds nothing
_READ = 50  # stated times counted at most


def country_zone(url: str) -> str | None:
    """The zone of the region's country whose top-level domain holds ``url``'s host, or None."""
    host = (urlsplit(url).hostname or "").rstrip(".")
    return COUNTRY_ZONES.get(host.rpartition(".")[2])


def stated_offset(texts: Iterable[str]) -> tzinfo | None:
    """The offset most of the machine-readable times in ``texts`` state (``<time datetime>`` values, meta contents,
    JSON-LD blocks; the first of equals), when it is not UTC's: a page that states "+00:00" may print its local
    time so (a common template bug), which says nothing."""
    counts: Counter[timedelta] = Counter()
    stated = (match for text in texts for match in _STATED.finditer(text, 0, _TEXT_CHARS))
    for sign, hours, minutes in (match.groups() for match in islice(stated, _READ)):
        offset = timedelta(hours=int(hours), minutes=int(minutes)) * (-1 if sign == "-" else 1)
        if offset and abs(offset) < timedelta(hours=15):
            counts[offset] += 1
    return timezone(counts.most_common(1)[0][0]) if counts else None


def page_zone(texts: Iterable[str], guess: str) -> tzinfo:
    """The zone of a page of a site whose zone is a ``guess`` (:func:`country_zone`, else "UTC"): the offset the
    page states (``texts``: its date-bearing values, for :func:`stated_offset`), else the guess."""
    return stated_offset(texts) or ZoneInfo(guess)
