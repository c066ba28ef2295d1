"""Discovery callbacks shared by every site spider: feeds (paged back to
``-a since``), sitemaps and sitemap indexes (also from robots.txt), the
WordPress REST API, listing pages with pagination and date archives. Every
source yields article links, newest first, through ``_article_requests``.

Stats: ``discovery/<source>/links``, ``discovery/articles/<source>``,
``discovery/skipped/<reason>``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor

from crawler.discovery import Link
from crawler.discovery.feeds import parse_feed
from crawler.discovery.html import next_page, robots_sitemaps
from crawler.discovery.sitemaps import parse_sitemap
from crawler.discovery.wpapi import parse_posts, posts_url
from crawler.sites import Edition, SiteConfig

logger = logging.getLogger(__name__)

DISCOVERY_PRIORITY = 1_000_000  # feeds and sitemaps before any article
MAX_ARCHIVE_DAYS = 3660


def paged_feed_url(url: str, page: int) -> str:
    """WordPress feed page ``page``: ``/feed/?paged=N``."""
    return f"{url}{'&' if urlsplit(url).query else '?'}paged={page}"


class DiscoveryMixin:
    """Needs ``site``, ``args``, ``fetch_url``, ``real_url``, ``_count``, ``_article_requests`` and
    ``download_failed``."""

    site: SiteConfig
    args: Any
    fetch_url: Callable[[str], str]
    real_url: Callable[[str], str]
    _count: Callable[..., None]
    _article_requests: Callable[[list[Link], str], Iterable[scrapy.Request]]
    download_failed: Callable[..., None]

    def discovery_requests(self) -> Iterator[scrapy.Request]:
        """The first requests of a crawl, for every edition of the site."""
        sources = self.args.sources
        for edition in self.site.editions:
            if "feeds" in sources:
                yield from (self._discovery(url, self.parse_feed, edition, page=1) for url in edition.feeds)
            if "sitemaps" in sources:
                yield from (self._discovery(url, self.parse_sitemap, edition) for url in edition.sitemaps)
            if "listings" in sources:
                yield from (self._discovery(url, self.parse_listing, edition, page=1) for url in edition.listings)
            if edition.wp_api and "api" in sources:
                yield self._discovery(posts_url(edition.wp_api, 1), self.parse_wp_api, edition, page=1)
            if edition.archive and self.args.since and "archive" in sources:
                yield from self._archive_requests(edition)
        if self.site.robots_sitemaps and "sitemaps" in sources:
            hosts = dict.fromkeys(f"{urlsplit(e.home).scheme}://{urlsplit(e.home).netloc}" for e in self.site.editions)
            for origin in hosts:
                yield self._discovery(f"{origin}/robots.txt", self.parse_robots, self.site.editions[0])

    def _discovery(self, url: str, callback: Callable[..., Any], edition: Edition, **kwargs: Any) -> scrapy.Request:
        return scrapy.Request(self.fetch_url(url), callback=callback, priority=DISCOVERY_PRIORITY,
                              cb_kwargs={"edition": edition, **kwargs}, errback=self.download_failed)

    def _is_recent(self, link: Link) -> bool:
        return self.args.since is None or link.date is None or link.date >= self.args.since

    def _wants_older(self, links: list[Link], page: int, max_pages: int) -> bool:
        """Read the next page only when backfilling and this page is all newer than ``since``."""
        return bool(self.args.since and links and page < max_pages
                    and all(link.date and link.date >= self.args.since for link in links))

    # -- feeds, sitemaps, robots.txt --------------------------------------
    def parse_feed(self, response: Response, edition: Edition, page: int = 1) -> Iterable[scrapy.Request]:
        links = parse_feed(response.body, edition.tz)
        if not links:
            logger.warning("Feed %(url)s has no items", {"url": response.url})
            self._count("discovery/feed/empty")
        self._count("discovery/feed/links", len(links))
        yield from self._article_requests(links, "feed")
        if self._wants_older(links, page, edition.feed_pages):
            feed = self.real_url(response.url).split("?paged=")[0].split("&paged=")[0]
            yield self._discovery(paged_feed_url(feed, page + 1), self.parse_feed, edition, page=page + 1)

    def parse_sitemap(self, response: Response, edition: Edition) -> Iterable[scrapy.Request]:
        sitemap = parse_sitemap(response.body, edition.tz)
        if sitemap is None:
            logger.warning("Not a sitemap: %(url)s", {"url": response.url})
            self._count("discovery/sitemap/invalid")
            return
        if not sitemap.is_index:
            self._count("discovery/sitemap/links", len(sitemap.links))
            yield from self._article_requests(sitemap.links, "sitemap")
            return
        high_water = getattr(self, "high_water_mark", None)  # set by the incremental middleware
        for link in sitemap.links:
            if not self._is_recent(link):
                self._count("discovery/skipped/old_sitemap")
            elif high_water and link.date and link.date < high_water:
                self._count("discovery/skipped/below_high_water")
            else:
                url = self.real_url(link.url)
                yield self._discovery(url, self.parse_sitemap, self.site.edition_for(url))

    def parse_robots(self, response: Response, edition: Edition) -> Iterable[scrapy.Request]:
        text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        for url in robots_sitemaps(text):
            real = self.real_url(url)
            if (urlsplit(real).hostname or "") in self.site.domains:
                self._count("discovery/robots/sitemaps")
                yield self._discovery(real, self.parse_sitemap, self.site.edition_for(real))

    # -- WordPress REST API ----------------------------------------------
    def parse_wp_api(self, response: Response, edition: Edition, page: int = 1) -> Iterable[scrapy.Request]:
        links = parse_posts(response.body)
        if links is None:
            logger.warning("Not a WordPress post list: %(url)s", {"url": response.url})
            self._count("discovery/wp_api/invalid")
            return
        self._count("discovery/wp_api/links", len(links))
        yield from self._article_requests(links, "wp_api")
        if edition.wp_api and self._wants_older(links, page, edition.feed_pages):
            yield self._discovery(posts_url(edition.wp_api, page + 1), self.parse_wp_api, edition, page=page + 1)

    # -- listings and date archives ----------------------------------------
    def parse_listing(self, response: Response, edition: Edition, page: int = 1) -> Iterable[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        urls = [self.real_url(link.url) for link in LinkExtractor().extract_links(response)]
        self._count("discovery/listing/links", len(urls))
        yield from self._article_requests([Link(url) for url in urls], "listing")
        if page < edition.listing_pages:
            following = next_page(response.selector, response.url)
            if following:
                yield self._discovery(self.real_url(following), self.parse_listing, edition, page=page + 1)

    def _archive_requests(self, edition: Edition) -> Iterator[scrapy.Request]:
        """One archive page per day, from today back to ``-a since``."""
        assert edition.archive and self.args.since
        day = datetime.now(edition.tz).date()
        last = max(self.args.since.date(), day - timedelta(days=MAX_ARCHIVE_DAYS))
        while day >= last:
            url = edition.archive.format(date=datetime(day.year, day.month, day.day, tzinfo=UTC))
            yield self._discovery(url, self.parse_listing, edition, page=1)
            day -= timedelta(days=1)
