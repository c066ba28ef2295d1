"""Discovery callbacks shared by every site spider: feeds (paged back to
``-a since``), sitemaps and sitemap indexes (also from robots.txt), the
WordPress REST API, listing pages with pagination and date archives. Every
source yields article links, newest first, through ``_article_requests``.

Every loop is bounded: sitemaps by ``DiscoveryLimits`` (documents per run, index
depth, entries per sitemap, items per feed page; each sitemap URL read once per run), paged feeds and
API pages by ``feed_pages``, listings by ``listing_pages``, archives by
``MAX_ARCHIVE_DAYS``; a next page that repeats the page before it is not followed,
and nothing more is discovered once ``-a limit`` articles are scheduled, or once the scheduler's queue held
``DISCOVERY_MAX_QUEUED_ARTICLES`` articles (``crawler.scheduler``).

A feed, sitemap, listing or API page answered 304 (asked with the validators it had when last read:
``crawler.middlewares.conditional``) is not read: ``discovery/not_modified``.

Stats: ``discovery/<source>/links``, ``discovery/articles/<source>``, ``discovery/not_modified``,
``discovery/skipped/<reason>`` (``sitemap_depth``, ``sitemap_count``,
``sitemap_entries``, ``feed_entries``, ``sitemap_seen``, ``repeated_page``, ``limit_reached``, ``invalid_url``,
``invalid_base`` (a listing or home page whose ``<base href>`` names no URL: its links resolve against its own URL),
``offsite_sitemap`` (a robots.txt ``Sitemap:`` line naming another host) among them),
``discovery/feed/too_large`` and ``discovery/sitemap/too_large`` (a gzipped document that expands past
``MAX_XML_BYTES``: what was read before the limit is kept), ``discovery/feed/broken_gzip`` and
``discovery/sitemap/broken_gzip`` (a gzipped document whose data fails part-way: what was read before the fault is
kept; before, bad deflate data raised out of the callback and the whole document was lost)),
``discovery/feed/charset_fixed`` and ``discovery/sitemap/charset_fixed`` (UTF-8 under a windows-1251 declaration).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urldefrag, urlsplit

import scrapy
from parsel import Selector
from scrapy.http import Response, TextResponse

from crawler.discovery import Link
from crawler.discovery.feeds import read_feed
from crawler.discovery.html import PageLinks, next_page, page_links, robots_sitemap_lines
from crawler.discovery.limits import DiscoveryLimits
from crawler.discovery.sitemaps import parse_sitemap
from crawler.discovery.wpapi import posts_url, read_posts
from crawler.htmltree import html_selector
from crawler.middlewares.conditional import CONDITIONAL_META, SOURCE_META
from crawler.middlewares.incremental import PAGE_LINKS_META, SITEMAP_LASTMOD_META
from crawler.scheduler import DISCOVERY_META
from crawler.sites import Edition, SiteConfig
from crawler.urls import too_long

logger = logging.getLogger(__name__)

DISCOVERY_PRIORITY = 1_000_000  # feeds and sitemaps before any article
MAX_ARCHIVE_DAYS = 3660
SITEMAP_KEY_META = "sitemap_key"  # the sitemap's key in ``_sitemaps`` (its real URL, no fragment)


def paged_feed_url(url: str, page: int) -> str:
    """WordPress feed page ``page``: ``/feed/?paged=N``."""
    return f"{url}{'&' if urlsplit(url).query else '?'}paged={page}"


class DiscoveryMixin:
    """Needs ``site``, ``args``, ``crawler``, ``fetch_url``, ``real_url``, ``link_url``, ``is_article_url``, ``_count``,
    ``_article_requests``, ``download_failed`` and the sets ``_scheduled`` and ``_sitemaps``."""

    site: SiteConfig
    args: Any
    crawler: Any
    fetch_url: Callable[[str], str]
    real_url: Callable[[str], str]
    link_url: Callable[[str], tuple[str, str] | None]
    is_article_url: Callable[[str], bool]
    _count: Callable[..., None]
    _article_requests: Callable[[list[Link], str], Iterable[scrapy.Request]]
    download_failed: Callable[..., None]
    _scheduled: set[str]  # article URLs requested this run
    _sitemaps: set[str]  # sitemap URLs requested this run

    @cached_property
    def discovery_limits(self) -> DiscoveryLimits:
        return DiscoveryLimits.from_settings(self.crawler.settings)

    queue_full = False  # set by the scheduler once DISCOVERY_MAX_QUEUED_ARTICLES article requests waited at once

    @property
    def limit_reached(self) -> bool:
        """True once ``-a limit`` article requests are scheduled, or the queue was full: discovery then ends."""
        return self.queue_full or (self.args.limit is not None and len(self._scheduled) >= self.args.limit)

    def discovery_requests(self) -> Iterator[scrapy.Request]:
        """The first requests of a crawl, for every edition of the site."""
        sources = self.args.sources
        for edition in self.site.editions:
            if "feeds" in sources:
                yield from (self._discovery(url, self.parse_feed, edition, page=1) for url in edition.feeds)
            if "sitemaps" in sources:
                yield from filter(None, (self._sitemap_request(url, 0, edition=edition) for url in edition.sitemaps))
            if "listings" in sources:
                yield from (self._discovery(url, self.parse_listing, edition, page=1) for url in edition.listings)
            if edition.wp_api and "api" in sources:
                yield self._discovery(posts_url(edition.wp_api, 1), self.parse_wp_api, edition, page=1)
            if edition.archive and self.args.since and "archive" in sources:
                yield from self._archive_requests(edition)
        if self.site.robots_sitemaps and "sitemaps" in sources:
            hosts = dict.fromkeys(f"{urlsplit(e.home).scheme}://{urlsplit(e.home).netloc}" for e in self.site.editions)
            for origin in hosts:
                yield self._discovery(f"{origin}/robots.txt", self.parse_robots, self.site.editions[0],
                                      source=False)

    def _discovery(self, url: str, callback: Callable[..., Any], edition: Edition, *, rank: int = 0,
                   source: bool = True, **kwargs: Any) -> scrapy.Request:
        """A request for the discovery page at real ``url``; a ``source`` (feed, sitemap, listing or API page,
        not robots.txt or a home page) may be asked conditionally (``crawler.middlewares.conditional``)."""
        meta: dict[str, Any] = {DISCOVERY_META: True, **({SOURCE_META: urldefrag(url)[0]} if source else {})}
        return scrapy.Request(self.fetch_url(url), callback=callback, priority=DISCOVERY_PRIORITY - rank,
                              meta=meta, cb_kwargs={"edition": edition, **kwargs}, errback=self.download_failed)

    def _next_page(self, url: str, callback: Callable[..., Any], edition: Edition, links: list[Link],
                   **kwargs: Any) -> scrapy.Request:
        """The request for the next (older) page of a feed, API or listing, carrying the article URLs of this
        page: the incremental middleware does not follow it when the store holds all of them."""
        request = self._discovery(url, callback, edition, **kwargs)
        urls = (real[1] for real in map(self.link_url, (link.url for link in links)) if real is not None)
        request.meta[PAGE_LINKS_META] = list(dict.fromkeys(u for u in urls if self.is_article_url(u)))
        return request

    def _discovery_over(self, response: Response) -> bool:
        """True (counted) for a 304 (the source is as it was when last read: nothing new in it), and once
        ``-a limit`` articles are scheduled: a discovery page that arrives then is not read."""
        if response.status == 304:
            self._count("discovery/not_modified")
            return True
        if self.limit_reached:
            self._count("discovery/skipped/limit_reached")
        return self.limit_reached

    def _capped(self, reason: str, url: str, limit: int) -> None:
        key = f"discovery/skipped/{reason}"
        self._count(key)
        if self.crawler.stats.get_value(key) == 1:  # one line per run, not one per skipped sitemap
            logger.warning("Sitemap cap %(reason)s=%(limit)d reached at %(url)s; skipping such sitemaps this run",
                           {"reason": reason, "limit": limit, "url": url})

    def _sitemap_request(self, url: str, depth: int, rank: int = 0, edition: Edition | None = None,
                         lastmod: datetime | None = None) -> scrapy.Request | None:
        """A request for the sitemap at real ``url``, ``depth`` index levels below a configured or
        robots.txt one; None (counted) when it was requested already this run or is past a cap. A child
        of an index carries its ``lastmod`` for the incremental middleware's high-water mark."""
        limits = self.discovery_limits
        key = urldefrag(url)[0]
        if key in self._sitemaps:
            self._count("discovery/skipped/sitemap_seen")
            return None
        if depth > limits.max_sitemap_depth:
            self._capped("sitemap_depth", url, limits.max_sitemap_depth)
            return None
        if len(self._sitemaps) >= limits.max_sitemaps:
            self._capped("sitemap_count", url, limits.max_sitemaps)
            return None
        self._sitemaps.add(key)
        request = self._discovery(url, self.parse_sitemap, edition or self.site.edition_for(url), rank=rank,
                                  depth=depth)
        request.meta[SITEMAP_KEY_META] = key
        if lastmod is not None:
            request.meta[SITEMAP_LASTMOD_META] = lastmod
        return request

    def _page_key(self, links: list[Link]) -> str:
        """A fingerprint of the article links on a page of a feed, listing or API."""
        urls = sorted({real[1] for real in map(self.link_url, (link.url for link in links)) if real is not None})
        text = "\n".join(url for url in urls if self.is_article_url(url))
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()

    def _next_page_wanted(self, key: str, previous: str | None, url: str) -> bool:
        """False when the limit is reached or this page repeats the one before it (a server that
        serves the same page under every page number: counted ``repeated_page``)."""
        if self.limit_reached:
            return False
        if key == previous:
            self._count("discovery/skipped/repeated_page")
            logger.info("%(url)s repeats the page before it; not following its next page", {"url": url})
            return False
        return True

    def _is_recent(self, link: Link) -> bool:
        return self.args.since is None or link.date is None or link.date >= self.args.since

    def _wants_older(self, links: list[Link], page: int, max_pages: int) -> bool:
        """Read the next page only when backfilling and this page is all newer than ``since``."""
        return bool(self.args.since and links and page < max_pages
                    and all(link.date and link.date >= self.args.since for link in links))

    # -- feeds, sitemaps, robots.txt --------------------------------------
    def parse_feed(self, response: Response, edition: Edition, page: int = 1,
                   previous: str | None = None) -> Iterable[scrapy.Request]:
        if self._discovery_over(response):
            return
        parsed = read_feed(response.body, edition.tz, self.discovery_limits.max_feed_entries,
                           base_url=self.real_url(response.url))
        links = parsed.links
        if parsed.too_large:
            self._count("discovery/feed/too_large")  # the reader logged it; kept: the items before the limit
        if parsed.broken_gzip:
            self._count("discovery/feed/broken_gzip")  # as too_large
        if parsed.charset_fixed:
            self._count("discovery/feed/charset_fixed")  # UTF-8 whose declaration says windows-1251
        if parsed.skipped:
            self._count("discovery/skipped/feed_entries", parsed.skipped)
            kept = self.discovery_limits.max_feed_entries
            logger.warning("Feed %(url)s lists %(total)d items; read the first %(kept)d",
                           {"url": response.url, "total": parsed.skipped + kept, "kept": kept})
        if not links:
            logger.warning("Feed %(url)s has no items", {"url": response.url})
            self._count("discovery/feed/empty")
        self._count("discovery/feed/links", len(links))
        yield from self._article_requests(links, "feed")
        key = self._page_key(links)
        if self._wants_older(links, page, edition.feed_pages) and self._next_page_wanted(key, previous, response.url):
            feed = self.real_url(response.url).split("?paged=")[0].split("&paged=")[0]
            yield self._next_page(paged_feed_url(feed, page + 1), self.parse_feed, edition, links, page=page + 1,
                                  previous=key)

    def parse_sitemap(self, response: Response, edition: Edition, depth: int = 0) -> Iterable[scrapy.Request]:
        if self._discovery_over(response):
            return
        sitemap = parse_sitemap(response.body, edition.tz, self.discovery_limits.max_sitemap_entries,
                                base_url=self.real_url(response.url))
        if sitemap is None:
            logger.warning("Not a sitemap: %(url)s", {"url": response.url})
            self._count("discovery/sitemap/invalid")
            return
        if sitemap.too_large:
            self._count("discovery/sitemap/too_large")  # the reader logged it; kept: the entries before the limit
        if sitemap.broken_gzip:
            self._count("discovery/sitemap/broken_gzip")  # as too_large
        if sitemap.charset_fixed:
            self._count("discovery/sitemap/charset_fixed")  # as a feed's
        if sitemap.skipped:
            self._count("discovery/skipped/sitemap_entries", sitemap.skipped)
            logger.warning("Sitemap %(url)s lists %(total)d entries; read the newest %(kept)d",
                           {"url": response.url, "total": len(sitemap.links) + sitemap.skipped,
                            "kept": len(sitemap.links)})
        if not sitemap.is_index:
            self._count("discovery/sitemap/links", len(sitemap.links))
            yield from self._article_requests(sitemap.links, "sitemap")
            return
        if response.request is not None and any(link.date is None for link in sitemap.links):
            response.meta[CONDITIONAL_META] = False  # a child may change while the index stays the same
        yield from self._child_sitemaps(sitemap.links, depth + 1)

    def _child_sitemaps(self, links: list[Link], depth: int) -> Iterator[scrapy.Request]:
        """Requests for an index's child sitemaps, the newest first (in date, then in priority), each
        marked with its lastmod for the incremental middleware, which drops those it knows hold nothing new."""
        rank = 0
        for link in sorted(links, key=lambda lk: lk.date or datetime.min.replace(tzinfo=UTC), reverse=True):
            if not self._is_recent(link):
                self._count("discovery/skipped/old_sitemap")
                continue
            if too_long(link.url):
                self._count("discovery/skipped/url_too_long")  # as an article link of its length is
                continue
            real = self.link_url(link.url)
            if real is None:
                self._count("discovery/skipped/invalid_url")
                continue
            request = self._sitemap_request(real[0], depth, rank, lastmod=link.date)
            rank += 1
            if request is not None:
                yield request

    def forget_sitemap(self, request: scrapy.Request) -> None:
        """A sitemap the incremental middleware dropped: it was never requested, so it takes no cap."""
        self._sitemaps.discard(request.meta[SITEMAP_KEY_META])

    def parse_robots(self, response: Response, edition: Edition) -> Iterable[scrapy.Request]:
        if self._discovery_over(response):
            return
        lines = robots_sitemap_lines(response.body, base_url=response.url)
        long = sum(1 for url in lines if url is not None and too_long(url))
        if long:
            self._count("discovery/skipped/url_too_long", long)
        checked = [self.link_url(url) for url in dict.fromkeys(url for url in lines
                                                                if url is not None and not too_long(url))]
        invalid = lines.count(None) + checked.count(None)
        if invalid:  # one line for the file, however many bad lines it has
            self._count("discovery/skipped/invalid_url", invalid)
            logger.info("%(url)s: %(n)d Sitemap lines name no URL a request can be made of",
                        {"url": response.url, "n": invalid})
        offsite = 0
        for real, _ in filter(None, checked):
            if (urlsplit(real).hostname or "") not in self.site.domains:
                offsite += 1  # another host's sitemap (a CDN's, a sister site's): not this site's to read
                continue
            self._count("discovery/robots/sitemaps")
            request = self._sitemap_request(real, 0)
            if request is not None:
                yield request
        if offsite:  # one line for the file, however many such lines it has
            self._count("discovery/skipped/offsite_sitemap", offsite)
            logger.info("%(url)s: %(n)d Sitemap lines name another host's sitemap; not read",
                        {"url": response.url, "n": offsite})

    # -- WordPress REST API ----------------------------------------------
    def parse_wp_api(self, response: Response, edition: Edition, page: int = 1,
                     previous: str | None = None) -> Iterable[scrapy.Request]:
        if self._discovery_over(response):
            return
        kept = self.discovery_limits.max_feed_entries
        posts = read_posts(response.body, kept)
        if posts is None:
            logger.warning("Not a WordPress post list: %(url)s", {"url": response.url})
            self._count("discovery/wp_api/invalid")
            return
        links, skipped = posts
        if skipped:  # asked for PAGE_SIZE posts: a page of more is a flood, each a request
            self._count("discovery/skipped/feed_entries", skipped)
            logger.warning("API page %(url)s lists %(total)d posts; read the first %(kept)d",
                           {"url": response.url, "total": skipped + kept, "kept": kept})
        self._count("discovery/wp_api/links", len(links))
        yield from self._article_requests(links, "wp_api")
        key = self._page_key(links)
        if (edition.wp_api and self._wants_older(links, page, edition.feed_pages)
                and self._next_page_wanted(key, previous, response.url)):
            yield self._next_page(posts_url(edition.wp_api, page + 1), self.parse_wp_api, edition, links,
                                  page=page + 1, previous=key)

    # -- listings and date archives ----------------------------------------
    def parse_listing(self, response: Response, edition: Edition, page: int = 1,
                      previous: str | None = None) -> Iterable[scrapy.Request]:
        if self._discovery_over(response) or not isinstance(response, TextResponse):
            return
        # Links resolve against the page's real URL: on a mirror, a root-relative href of a site's second host
        # (kaz.zakon.kz's "/6471215-...html") must stay on that host, not land on the mirror's root host.
        tree, found = self._page_links(response)
        links = [Link(self.real_url(url)) for url in found.urls]
        self._count("discovery/listing/links", len(links))
        yield from self._article_requests(links, "listing")
        following = next_page(tree, found.base) if page < edition.listing_pages else None
        key = self._page_key(links)
        if following and self._next_page_wanted(key, previous, response.url):
            yield self._next_page(self.real_url(following), self.parse_listing, edition, links, page=page + 1,
                                  previous=key)

    def _page_links(self, response: TextResponse) -> tuple[Selector, PageLinks]:
        """A listing or home page, parsed, and its links resolved against its real URL and its ``<base href>``: a
        broken base is ignored and each href no URL can be made of skipped, both counted, neither the end of the
        reading of the page (Scrapy's ``response.selector`` raises on a broken base: the page is parsed here)."""
        tree = html_selector(response.text)  # its markup bounded: parsed in the crawl process, no tag may take minutes
        limit = self.discovery_limits.max_page_links
        found = page_links(tree, self.real_url(response.url), response.encoding, limit)
        if found.capped:
            self._count("discovery/skipped/page_links", found.capped)
            logger.warning("%(url)s links to %(total)d pages; read the first %(kept)d",
                           {"url": response.url, "total": found.capped + limit, "kept": limit})
        if found.skipped:
            self._count("discovery/skipped/invalid_url", found.skipped)
        if found.too_long:
            self._count("discovery/skipped/url_too_long", found.too_long)
        if found.broken_base:
            self._count("discovery/skipped/invalid_base")
            logger.info("%(url)s: its <base href> names no URL (%(base)r); its links resolve against its own URL",
                        {"url": response.url, "base": (tree.css("base::attr(href)").get() or "")[:200]})
        return tree, found

    def _archive_requests(self, edition: Edition) -> Iterator[scrapy.Request]:
        """One archive page per day, from today back to ``-a since``."""
        assert edition.archive and self.args.since
        day = datetime.now(edition.tz).date()
        last = max(self.args.since.date(), day - timedelta(days=MAX_ARCHIVE_DAYS))
        while day >= last:
            url = edition.archive.format(date=datetime(day.year, day.month, day.day, tzinfo=UTC))
            yield self._discovery(url, self.parse_listing, edition, page=1)
            day -= timedelta(days=1)
