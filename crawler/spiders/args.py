"""Spider arguments (``-a name=value``), validated once at start into one frozen ``SpiderArgs``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

# Discovery sources a run can be limited to with -a sources=feeds,api (cheap frequent runs).
SOURCES = frozenset({"feeds", "sitemaps", "listings", "api", "archive"})
SITE_ARGS = ("base_url", "since", "limit", "sources")  # what every site spider takes
# Taken, never named in errors: Scrapyd adds -a _job=<id> to each job it starts; Scrapy reads the
# others as spider attributes.
PASSED_THROUGH = frozenset({"_job", "download_delay", "download_timeout", "user_agent"})


class SpiderArgumentError(ValueError):
    """A ``-a`` argument has a value the spider cannot use."""


@dataclass(frozen=True)
class SpiderArgs:
    base_url: str | None = None  # crawl a mirror/replica of the site instead of the live host
    since: datetime | None = None  # skip articles published before this day (UTC)
    limit: int | None = None  # fetch at most this many article pages
    sources: frozenset[str] = SOURCES  # discovery sources to read this run
    url: str | None = None  # news spider: a site known only by its home page URL
    config: str | None = None  # news spider: a site config file, crawled as a bundled site

    NAMES: ClassVar[tuple[str, ...]] = ("base_url", "since", "limit", "sources", "url", "config")

    @classmethod
    def parse(cls, base_url: str | None = None, since: str | None = None, limit: str | int | None = None,
              sources: str | None = None, url: str | None = None, config: str | None = None) -> SpiderArgs:
        return cls(base_url=_base_url(base_url), since=_since(since), limit=_limit(limit), sources=_sources(sources),
                   url=url or None, config=config or None)

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> SpiderArgs:
        """The arguments named in ``NAMES`` among a spider's keyword arguments; raises SpiderArgumentError."""
        return cls.parse(**{name: kwargs.get(name) for name in cls.NAMES})


def validate_spargs(spargs: Mapping[str, str], known: Iterable[str] = SITE_ARGS) -> SpiderArgs:
    """Check the ``-a`` names (``known`` ones only) and values; raises SpiderArgumentError. An empty value is refused:
    ``-a base_url=$MIRROR`` with the variable unset crawled the live site, ``-a since=$(date ...)`` whose command
    failed the whole site, ``-a limit=`` without a limit."""
    check_names(spargs, known)
    for name in SpiderArgs.NAMES:
        if name in spargs and not str(spargs[name]).strip():
            raise SpiderArgumentError(f"-a {name}= is empty (an unset shell variable?): give it a value, "
                                      f"or leave -a {name} out")
    return SpiderArgs.from_kwargs(spargs)


def check_names(spargs: Iterable[str], known: Iterable[str] = SITE_ARGS) -> None:
    """Refuse an ``-a`` name the spider does not take (a typo would otherwise crawl the whole live site)."""
    known = tuple(known)
    for name in sorted(set(spargs) - set(known) - PASSED_THROUGH):
        close = difflib.get_close_matches(name.replace("-", "_").lower(), known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        if name in ("url", "config"):
            hint = " (a site from its URL or a config file is crawled by the news spider: scrapy crawl news)"
        raise SpiderArgumentError(f"unknown spider argument -a {name}=...{hint}; this spider takes "
                                  f"{', '.join(known)} (Scrapy settings go in -s NAME=VALUE)")


def _sources(value: str | None) -> frozenset[str]:
    if not value:
        return SOURCES
    chosen = frozenset(part.strip() for part in value.split(",") if part.strip())
    unknown = sorted(chosen - SOURCES)
    if unknown or not chosen:
        raise SpiderArgumentError(f"sources must be a comma-separated subset of {', '.join(sorted(SOURCES))}, "
                                  f"got {value!r}")
    return chosen


def _base_url(value: str | None) -> str | None:
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise SpiderArgumentError(f"base_url must start with http:// or https://, got {value!r}")
    try:  # urlsplit refuses an unclosed bracket, .port one past 65535: a traceback once the crawl had started
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- read for its check
    except ValueError:
        parts = None
    if parts is None or not parts.hostname:
        raise SpiderArgumentError(f"base_url must be a mirror's origin such as http://127.0.0.1:8080, got {value!r}")
    return value.rstrip("/")


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise SpiderArgumentError(f"since must be a date as YYYY-MM-DD, got {value!r}") from None


def _limit(value: str | int | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        limit = int(value)
    except ValueError:
        raise SpiderArgumentError(f"limit must be a positive integer, got {value!r}") from None
    if limit < 1:
        raise SpiderArgumentError(f"limit must be a positive integer, got {value!r}")
    return limit
