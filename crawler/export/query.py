"""Which stored articles a command asks for: sites, publication dates, languages, story originals and
words of the title or body, as one store filter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.extract.language import LANGUAGE_CODE

_DAY = re.compile(r"\d{4}-\d\d-\d\d")


class QueryError(ValueError):
    """An option value that names no date, no language code, or a date range that is empty."""


def parse_when(value: str, option: str) -> tuple[datetime, bool]:
    """A ``YYYY-MM-DD`` day or an ISO 8601 time (UTC unless it says otherwise), and whether it was a day."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{option} must be a date (YYYY-MM-DD) or an ISO 8601 time, got {value!r}") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC), bool(_DAY.fullmatch(value))


def names(value: str | None) -> tuple[str, ...]:
    """``a,b`` as ``("a", "b")``; nothing for an empty value."""
    return tuple(dict.fromkeys(n.strip() for n in (value or "").split(",") if n.strip()))


def no_names(option: str, value: str, what: str) -> str:
    """The usage error of an option given a value that names nothing (``--site ""``)."""
    return f"{option} {value!r} names no {what}: leave {option} out for all"


@dataclass(frozen=True)
class ArticleQuery:
    """Stored articles of ``sites`` in ``languages`` (all when empty), published from ``since`` up to
    ``until`` (inclusive), only story originals with ``originals_only``, matching the words of ``search``."""

    sites: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    until_day: bool = False  # ``until`` was a day: the whole day is in
    originals_only: bool = False
    search: str | None = None

    @classmethod
    def from_options(cls, *, site: str | None = None, language: str | None = None, since: str | None = None,
                     until: str | None = None, originals_only: bool = False,
                     search: str | None = None) -> ArticleQuery:
        """The query of a command's options; raises QueryError on a value that is not a date."""
        start = parse_when(since, "--since")[0] if since else None
        end, day = parse_when(until, "--until") if until else (None, False)
        if start is not None and end is not None and (start >= end + timedelta(days=1) if day else start > end):
            raise QueryError(f"--since {since} is after --until {until}: no article can match")
        for value, option, what in ((site, "--site", "site"), (language, "--language", "language")):
            if value is not None and not names(value):  # an unset shell variable: read as no filter, it matched all
                raise QueryError(no_names(option, value, what))
        languages = tuple(n.lower() for n in names(language))
        for code in languages:
            if not LANGUAGE_CODE.fullmatch(code):
                raise QueryError(f"--language takes ISO 639-1 codes such as ru,kk,uz, got {code!r}")
        return cls(names(site), languages, start, end, day, originals_only, (search or "").strip() or None)

    def filter(self) -> dict[str, Any]:
        """The filter of this query, in the MongoDB query language both stores speak."""
        query: dict[str, Any] = {}
        for field, values in (("site", self.sites), ("language", self.languages)):
            if values:
                query[field] = values[0] if len(values) == 1 else {"$in": list(values)}
        published: dict[str, datetime] = {}
        if self.since is not None:
            published["$gte"] = self.since
        if self.until is not None:
            published.update({"$lt": self.until + timedelta(days=1)} if self.until_day else {"$lte": self.until})
        if published:
            query["published"] = published
        if self.originals_only:  # a record stored before story clusters existed has no flag: it is its own story
            query["story_original"] = {"$ne": False}
        if self.search:
            query["$text"] = {"$search": self.search}
        return query
