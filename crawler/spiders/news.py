"""``scrapy crawl news``: any news site, without a bundled config.

``-a url=https://example-news.kg/`` discovers the site's feeds, WordPress API
and sitemaps from its home page and robots.txt and extracts with the generic
rules, storing only pages that declare themselves articles (JSON-LD or
``og:type``). ``-a config=path/to/site.toml`` crawls a site from a config file
exactly as a bundled site, so an operator adds an outlet with no code. A home page announcing more than
``MAX_ANNOUNCED_FEEDS`` feeds has its first read (``discovery/skipped/announced_feeds``, one warning line).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response, TextResponse

from crawler.discovery import Link
from crawler.discovery.html import feed_links, wp_api_root
from crawler.discovery.limits import MAX_ANNOUNCED_FEEDS
from crawler.discovery.wpapi import posts_url
from crawler.extract.zones import country_zone
from crawler.hosts import is_private_host
from crawler.secrets import mask_uri
from crawler.sites import Edition, SiteConfig, SiteConfigError, load_site_file, parse_site
from crawler.spiders.args import SpiderArgumentError
from crawler.spiders.base import SiteSpider
from crawler.urls import ascii_host

logger = logging.getLogger(__name__)

# Without a config, an article URL is one whose last segment is a long slug
# (two or more - or _), carries a numeric id (4+ digits), or sits under a date; the
# page itself must then say it is an article. Links come from pages, so the pattern
# must stay linear in the URL's length: possessive runs (*+) never give characters
# back, the slug test is a lookahead (digits) or a scan to the second separator, and
# each segment is tried as the last one once (a cubic form took 20 s on one link).
GENERIC_ARTICLE_URL = (
    r"^https?://[^/]++/(?:[^?#/]*+/)*?(?:(?=[^/?#]*?\d{4})|[^/?#_-]*+[-_][^/?#_-]*+[-_])[^/?#]*+/?$"
    r"|^https?://[^/]+/(?:[^?#]*/)?(?:19|20)\d\d/\d\d/"
)
GENERIC_EXCLUDES = [
    r"/(?:category|categories|tag|tags|author|authors|page|feed|search|login|wp-admin|wp-json|wp-content|"
    r"comments|attachment)(?:/|$)",
    r"\.(?:jpe?g|png|gif|webp|svg|pdf|docx?|xlsx?|zip|mp[34]|css|js|xml|json)$",
]


def generic_site(url: str) -> SiteConfig:
    """A config for a site known only by its home page URL (its port kept); a private host is refused."""
    try:  # urlsplit refuses an unclosed bracket (``http://[::1/``), .port one past 65535
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        parts, port = urlsplit(""), -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
        raise SpiderArgumentError(f"url must be a site's home page such as https://example.kg/, got {mask_uri(url)!r}")
    host = ascii_host(parts.hostname.lower())  # an internationalised name as requests carry it
    if is_private_host(host):
        raise SpiderArgumentError(
            f"url names a loopback, private or link-local host ({host}), which the crawler never fetches; "
            f"to crawl a mirror or replica served there, name the real site and the mirror: "
            f"-a url=https://real-site.kg{parts.path or '/'} -a base_url={parts.scheme}://{parts.netloc.rpartition('@')[2]}")
    twin = host.removeprefix("www.") if host.startswith("www.") else f"www.{host}"
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    home = f"{parts.scheme}://{netloc}{parts.path or '/'}"
    site = parse_site({
        "name": _site_name(host),
        "domains": [host, twin],
        "article_url": GENERIC_ARTICLE_URL,
        "exclude_urls": GENERIC_EXCLUDES,
        "editions": [{"language": "und", "timezone": country_zone(home) or "UTC", "home": home}],
    }, f"-a url={mask_uri(url)}")
    return replace(site, editions=tuple(replace(e, zone_known=False) for e in site.editions))


def _site_name(host: str) -> str:
    """A generic site's name: its host without ``www.``; an IPv6 address (any spelling) as ``ip6-`` and its
    compressed form with ``-`` for ``:``, which separates Redis key parts."""
    if ":" not in host:
        return host.removeprefix("www.")
    return "ip6-" + ipaddress.IPv6Address(host).compressed.replace(":", "-")


def config_from_args(url: str | None = None, config: str | None = None) -> SiteConfig:
    """The site config that ``-a url=`` or ``-a config=`` names; raises SpiderArgumentError."""
    if bool(url) == bool(config):
        raise SpiderArgumentError("the news spider needs either -a url=https://site/ or -a config=path.toml")
    try:
        return load_site_file(config) if config else generic_site(url or "")
    except SiteConfigError as exc:
        raise SpiderArgumentError(str(exc)) from None


class NewsSpider(SiteSpider):
    """Any news site: ``-a url=HOME`` (discovered, generic rules) or ``-a config=FILE.toml`` (a site config file)."""

    name = "news"
    arguments = (*SiteSpider.arguments, "url", "config")

    def load_config(self) -> SiteConfig:
        return config_from_args(self.args.url, self.args.config)

    @property
    def strict_page_type(self) -> bool:
        """A site known only by its URL is extracted by generic rules: only declared articles are stored."""
        return self.args.config is None

    @classmethod
    def validate_args(cls, spargs: dict[str, str]) -> None:
        config_from_args(spargs.get("url"), spargs.get("config"))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        async for request in super().start():
            yield request
        if self.strict_page_type:  # no config: learn the site from its home page
            for edition in self.site.editions:
                yield self._discovery(edition.home, self.parse_home, edition, source=False)

    def parse_home(self, response: Response, edition: Edition) -> Iterable[scrapy.Request]:
        """Feeds and the WordPress API the home page announces, and the articles it links to."""
        if self._discovery_over(response) or not isinstance(response, TextResponse):
            return
        tree, found = self._page_links(response)
        feeds = feed_links(tree, found.base, MAX_ANNOUNCED_FEEDS)
        if len(feeds) > MAX_ANNOUNCED_FEEDS:
            feeds = feeds[:MAX_ANNOUNCED_FEEDS]
            self._count("discovery/skipped/announced_feeds")
            logger.warning("%(url)s announces more than %(kept)d feeds; read the first %(kept)d",
                           {"url": response.url, "kept": MAX_ANNOUNCED_FEEDS})
        for feed in feeds:
            self._count("discovery/home/feeds")
            yield self._discovery(self.real_url(feed), self.parse_feed, edition, page=1)
        api = wp_api_root(tree, found.base)
        if api:
            self._count("discovery/home/wp_api")
            endpoint = urljoin(self.real_url(api), "wp/v2/posts")
            yield self._discovery(posts_url(endpoint, 1), self.parse_wp_api, edition, page=1)
        yield from self._article_requests([Link(self.real_url(url)) for url in found.urls], "home")
