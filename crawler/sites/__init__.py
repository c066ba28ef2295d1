"""Site configurations: one declarative TOML file per news site.

``load_site(name)`` reads ``crawler/sites/<name>.toml``; ``load_site_file(path)``
reads any file, so an operator can add a site without code. A site on a known
platform names it (``platform = "rferl"``) and states only what differs: the
platform file ``crawler/sites/platforms/<platform>.toml`` supplies the rest, its
tables (selectors, politeness, monitors) merged key by key, the site winning
every key it sets. Unknown keys, bad
regexes (nested quantifiers included, see ``crawler.sites.patterns``), unknown time
zones and malformed URLs fail at load with a message naming the file and the key.
``site_for_url(url)`` is the bundled site whose domains hold ``url`` (``www.``/mobile
hosts folded), from an index built once per process.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crawler.health import Thresholds
from crawler.sites.patterns import MAX_URL_LENGTH, has_nested_quantifier
from crawler.urls import ascii_host, host_key, url_key

# Read through importlib.resources so configs load from a Scrapyd egg (a zip) too.
_BUNDLED = resources.files(__name__)
SITES_DIR_NAME = str(Path(__file__).parent)  # on disk, for tools and tests (not in an egg)


class SiteConfigError(ValueError):
    """A site configuration file is invalid."""


@dataclass(frozen=True)
class Edition:
    """One language edition of a site and where to discover its articles."""

    language: str
    timezone: str
    home: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()
    wp_api: str | None = None  # WordPress REST endpoint, e.g. https://site/wp-json/wp/v2/posts
    archive: str | None = None  # date archive template, e.g. https://site/{date:%Y/%m/%d}/
    feed_pages: int = 1  # WordPress paged feeds (?paged=N) read back to -a since
    listing_pages: int = 1  # listing pages followed through "next" links
    zone_known: bool = True  # False: ``timezone`` is a guess (a generic site's): a page's stated offset wins

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Selectors:
    """CSS selectors (parsel syntax, ``::attr()``/``::text`` allowed), tried in order."""

    title: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    published: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    section: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    lead: tuple[str, ...] = ()
    featured_image: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class Politeness:
    """Per-site overrides of Scrapy's per-domain download slot."""

    concurrency: int = 2
    delay: float = 0.5


@dataclass(frozen=True)
class SiteConfig:
    """Everything the crawler knows about one site."""

    name: str
    title: str
    domains: tuple[str, ...]
    editions: tuple[Edition, ...]
    article_url: re.Pattern[str]
    exclude_urls: tuple[re.Pattern[str], ...] = ()
    selectors: Selectors = field(default_factory=Selectors)
    site_names: tuple[str, ...] = ()
    country: str = ""
    platform: str = ""  # the platform template it extends, "" for none
    needs_browser: bool = False
    robots_sitemaps: bool = True  # also read the sitemaps robots.txt lists
    politeness: Politeness = field(default_factory=Politeness)
    monitors: Thresholds = field(default_factory=Thresholds)

    def is_article_url(self, url: str) -> bool:
        """True when ``url`` looks like an article of this site (never for an unfetchably long one)."""
        if len(url) > MAX_URL_LENGTH or any(p.search(url) for p in self.exclude_urls):
            return False
        return self.article_url.search(url) is not None

    def edition_for(self, url: str) -> Edition:
        """The edition whose home URL is the longest prefix of ``url`` (www./mobile hosts folded)."""
        key = url_key(url)
        matches = [e for e in self.editions if key.startswith(url_key(e.home))]
        return max(matches, key=lambda e: len(e.home)) if matches else self.editions[0]


_SITE_KEYS = {
    "name", "title", "domains", "editions", "article_url", "exclude_urls",
    "selectors", "site_names", "country", "platform", "needs_browser", "robots_sitemaps", "politeness",
    "monitors",
}
_REQUIRED = {"name", "domains", "editions", "article_url"}
# What a platform template may set: everything but the site's identity and its editions.
_PLATFORM_KEYS = _SITE_KEYS - {"name", "title", "domains", "editions", "site_names", "country", "platform"}
_MERGED_TABLES = ("selectors", "politeness", "monitors")


def _tuple_of_str(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SiteConfigError(f"{where} must be a list of strings")
    return tuple(value)


def _regex(where: str, pattern: Any) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise SiteConfigError(f"{where} must be a string")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise SiteConfigError(f"{where} is not a valid regex: {exc}") from None
    if has_nested_quantifier(pattern):
        raise SiteConfigError(
            f"{where}: {pattern!r} repeats a part that itself repeats, which can take exponential time on a "
            "long URL; make the inner repeat possessive (++, *+) or atomic ((?>...))")
    return compiled


def _check_keys(where: str, data: dict[str, Any], allowed: set[str], required: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise SiteConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
    missing = sorted(required - set(data))
    if missing:
        raise SiteConfigError(f"{where}: missing key(s) {', '.join(missing)}")


def _check_url(where: str, url: Any, domains: tuple[str, ...]) -> None:
    if not isinstance(url, str):
        raise SiteConfigError(f"{where} must be a string (a URL)")
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 (a port that is no number or out of range raises here, not at the first fetch)
    except ValueError:
        raise SiteConfigError(f"{where}: {url!r} has a bad port") from None
    if parts.scheme not in ("http", "https") or parts.hostname not in domains:
        raise SiteConfigError(f"{where}: {url!r} is not an http(s) URL on {', '.join(domains)}")


# A site's name becomes a spider name, a file name (DATA_DIR/locks/<name>.lock, LOG_DIR/<name>.log)
# and part of Redis keys (news:<name>:...), so it is one plain ASCII word (the generic spider names a site by its
# host's IDNA form), no path or key separator.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")


def _str(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise SiteConfigError(f"{where} must be a string")
    return value


def _name(where: str, value: Any) -> str:
    if not _NAME.fullmatch(_str(where, value)):
        raise SiteConfigError(
            f"{where}: {value!r} is not a site name (letters, digits, '_', '-', '.', at most 200, "
            "starting with a letter or digit)")
    return str(value)


def _int(where: str, value: Any, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise SiteConfigError(f"{where} must be an integer from {low} to {high}")
    return value


def _template(where: str, value: Any, domains: tuple[str, ...]) -> str:
    if not isinstance(value, str) or "{date:" not in value:
        raise SiteConfigError(f"{where} must be a URL template with a {{date:...}} field")
    try:
        _check_url(where, value.format(date=datetime(2000, 1, 2)), domains)
    except (ValueError, KeyError, IndexError) as exc:
        raise SiteConfigError(f"{where}: bad template: {exc}") from None
    return value


_EDITION_KEYS = {"language", "timezone", "home", "feeds", "sitemaps", "listings", "wp_api", "archive",
                 "feed_pages", "listing_pages"}


def _edition(where: str, data: Any, domains: tuple[str, ...]) -> Edition:
    if not isinstance(data, dict):
        raise SiteConfigError(f"{where} must be a table")
    _check_keys(where, data, _EDITION_KEYS, {"language", "timezone", "home"})
    timezone = _str(f"{where}.timezone", data["timezone"])  # a SiteConfigError, a ValueError: not caught below
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SiteConfigError(f"{where}.timezone: unknown time zone {data['timezone']!r}") from None
    if not re.fullmatch(r"[a-z]{2}(-[A-Za-z]{4})?|und", str(data["language"])):
        raise SiteConfigError(f"{where}.language must be an ISO 639-1 code such as 'ru' or 'uz-Cyrl'")
    lists = {k: _tuple_of_str(f"{where}.{k}", data.get(k, [])) for k in ("feeds", "sitemaps", "listings")}
    for key, urls in lists.items():
        for url in urls:
            _check_url(f"{where}.{key}", url, domains)
    _check_url(f"{where}.home", data["home"], domains)
    if "wp_api" in data:
        _check_url(f"{where}.wp_api", data["wp_api"], domains)
    archive = _template(f"{where}.archive", data["archive"], domains) if "archive" in data else None
    return Edition(
        language=data["language"], timezone=data["timezone"], home=data["home"],
        feeds=lists["feeds"], sitemaps=lists["sitemaps"], listings=lists["listings"],
        wp_api=data.get("wp_api"), archive=archive,
        feed_pages=_int(f"{where}.feed_pages", data.get("feed_pages", 1), 1, 100),
        listing_pages=_int(f"{where}.listing_pages", data.get("listing_pages", 1), 1, 100),
    )


def _politeness(where: str, data: Any) -> Politeness:
    if not isinstance(data, dict):
        raise SiteConfigError(f"{where} must be a table")
    _check_keys(where, data, {"concurrency", "delay"}, set())
    delay = data.get("delay", 0.5)
    if not isinstance(delay, int | float) or isinstance(delay, bool) or not 0 <= delay <= 60:
        raise SiteConfigError(f"{where}.delay must be a number of seconds from 0 to 60")
    return Politeness(concurrency=_int(f"{where}.concurrency", data.get("concurrency", 2), 1, 4), delay=float(delay))


def _selectors(where: str, data: Any) -> Selectors:
    if not isinstance(data, dict):
        raise SiteConfigError(f"{where} must be a table")
    allowed = set(Selectors.__dataclass_fields__)
    _check_keys(where, data, allowed, set())
    return Selectors(**{k: _tuple_of_str(f"{where}.{k}", v) for k, v in data.items()})


def platform_names() -> list[str]:
    """Names of the bundled platform templates."""
    folder = _BUNDLED / "platforms"
    return sorted(e.name.removesuffix(".toml") for e in folder.iterdir() if e.name.endswith(".toml"))


def load_platform(name: str) -> dict[str, Any]:
    """The parsed keys of platform template ``name`` (validated as part of a site when one extends it)."""
    entry = _BUNDLED / "platforms" / f"{name}.toml"
    source = f"crawler/sites/platforms/{name}.toml"
    if not re.fullmatch(r"[a-z0-9_-]+", name) or not entry.is_file():
        raise SiteConfigError(f"no platform named {name!r} (known: {', '.join(platform_names())})")
    try:
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SiteConfigError(f"{source}: {exc}") from None
    _check_keys(source, data, _PLATFORM_KEYS, set())
    return data


def _extend(data: dict[str, Any], source: str) -> dict[str, Any]:
    """``data`` with its platform template's keys filled in (the site's own keys win)."""
    name = data.get("platform")
    if name is None:
        return data
    if not isinstance(name, str):
        raise SiteConfigError(f"{source}: platform must be a string")
    try:
        platform = load_platform(name)
    except SiteConfigError as exc:
        raise SiteConfigError(f"{source}: platform: {exc}") from None
    merged = {**platform, **data}
    for table in _MERGED_TABLES:
        base, own = platform.get(table, {}), data.get(table, {})
        if isinstance(base, dict) and isinstance(own, dict) and (base or own):
            merged[table] = {**base, **own}
    return merged


def parse_site(data: dict[str, Any], source: str) -> SiteConfig:
    """Build a validated :class:`SiteConfig` from parsed TOML ``data`` (its platform template applied)."""
    _check_keys(source, data, _SITE_KEYS, set())
    data = _extend(data, source)
    _check_keys(source, data, _SITE_KEYS, _REQUIRED)
    domains = _tuple_of_str(f"{source}: domains", data["domains"])
    for domain in domains:
        if ascii_host(domain) != domain:  # requests carry the IDNA form: the Unicode one would refuse them as offsite
            raise SiteConfigError(f"{source}: domains: write {domain!r} as requests carry it, {ascii_host(domain)!r}, "
                                  "and its URLs' hosts the same way")
    editions = data["editions"]
    if not isinstance(editions, list) or not editions:
        raise SiteConfigError(f"{source}: editions must be a non-empty array of tables")
    name = _name(f"{source}: name", data["name"])
    return SiteConfig(
        name=name,
        title=_str(f"{source}: title", data.get("title", name)),
        domains=domains,
        editions=tuple(_edition(f"{source}: editions[{i}]", e, domains) for i, e in enumerate(editions)),
        article_url=_regex(f"{source}: article_url", data["article_url"]),
        exclude_urls=tuple(
            _regex(f"{source}: exclude_urls", p)
            for p in _tuple_of_str(f"{source}: exclude_urls", data.get("exclude_urls", []))
        ),
        selectors=_selectors(f"{source}: selectors", data.get("selectors", {})),
        site_names=_tuple_of_str(f"{source}: site_names", data.get("site_names", [])),
        country=_str(f"{source}: country", data.get("country", "")),
        platform=data.get("platform", ""),
        needs_browser=_bool(f"{source}: needs_browser", data.get("needs_browser", False)),
        robots_sitemaps=_bool(f"{source}: robots_sitemaps", data.get("robots_sitemaps", True)),
        politeness=_politeness(f"{source}: politeness", data.get("politeness", {})),
        monitors=_monitors(f"{source}: monitors", data.get("monitors", {})),
    )


def _monitors(where: str, data: Any) -> Thresholds:
    if not isinstance(data, dict):
        raise SiteConfigError(f"{where} must be a table")
    _check_keys(where, data, set(Thresholds.__dataclass_fields__), set())
    for key, value in data.items():
        # NaN and inf too (TOML writes both): a run record holding one is no JSON, and SQLite refused the run's record
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < math.inf:
            raise SiteConfigError(f"{where}.{key} must be a finite non-negative number")
    return Thresholds(**{k: float(v) for k, v in data.items()})


def _bool(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SiteConfigError(f"{where} must be true or false")
    return value


def _load(text: str, source: str) -> SiteConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SiteConfigError(f"{source}: {exc}") from None
    return parse_site(data, source)


def load_site_file(path: str | Path) -> SiteConfig:
    """Load and validate one site configuration file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SiteConfigError(f"{path}: {exc}") from None
    return _load(text, str(path))


def site_names() -> list[str]:
    """Names of the bundled site configurations."""
    return sorted(entry.name.removesuffix(".toml") for entry in _BUNDLED.iterdir() if entry.name.endswith(".toml"))


def load_site(name: str) -> SiteConfig:
    """Load the bundled configuration of site ``name``."""
    entry = _BUNDLED / f"{name}.toml"
    if not entry.is_file():
        raise SiteConfigError(f"no site config named {name!r} (known: {', '.join(site_names())})")
    return _load(entry.read_text(encoding="utf-8"), f"crawler/sites/{name}.toml")


@cache
def bundled_sites() -> tuple[SiteConfig, ...]:
    """Every bundled site config, loaded once per process (by name)."""
    return tuple(load_site(name) for name in site_names())


@cache
def _domain_index() -> dict[str, SiteConfig]:
    index: dict[str, SiteConfig] = {}
    for site in bundled_sites():
        for domain in site.domains:
            index.setdefault(host_key(domain), site)  # a domain two sites claim: the first by name (a test forbids it)
    return index


def site_for_url(url: str) -> SiteConfig | None:
    """The bundled site whose domains hold ``url`` (``www.``/``m.`` hosts folded), or None."""
    return _domain_index().get(host_key(url))


class Generic(Enum):
    """The ``site`` that asks extraction for the generic rules even on a configured site's URL."""

    RULES = "generic"


GENERIC = Generic.RULES


def site_rules(site: SiteConfig | Generic | None, url: str) -> SiteConfig | None:
    """The config to extract ``url`` with: ``site`` itself, the bundled site of the URL when ``site`` is
    None, none at all for :data:`GENERIC`."""
    if site is GENERIC:
        return None
    return site if isinstance(site, SiteConfig) else site_for_url(url)
