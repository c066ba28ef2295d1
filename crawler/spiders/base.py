"""The spider every configured site uses: discovery from the site's feeds,
sitemaps and listing pages, newest first, then article pages into items.

Arguments: ``-a base_url=`` (crawl a mirror: the site's hosts are rewritten to
it), ``-a since=YYYY-MM-DD``, ``-a limit=N``. Stats: ``discovery/*``,
``articles/*``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor

from crawler.discovery import Link
from crawler.discovery.feeds import parse_feed
from crawler.discovery.sitemaps import parse_sitemap
from crawler.extract.article import extract_article
from crawler.items import ArticleItem
from crawler.sites import Edition, SiteConfig, load_site
from crawler.spiders.args import SpiderArgs
from crawler.urls import Mirror, canonical_url

logger = logging.getLogger(__name__)

DISCOVERY_PRIORITY = 1_000_000  # feeds and sitemaps before any article


class SiteSpider(scrapy.Spider):
    site_name: ClassVar[str]

    def __init__(self, *args: Any, base_url: str | None = None, since: str | None = None,
                 limit: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site: SiteConfig = load_site(self.site_name)
        self.args = SpiderArgs.parse(base_url, since, limit)
        self.mirror = (
            Mirror.for_site(self.args.base_url, self.site.domains, self.site.editions[0].home)
            if self.args.base_url else None
        )
        self.allowed_domains = [*self.site.domains, *([self.mirror.host] if self.mirror else [])]
        self._scheduled: set[str] = set()  # in-run pre-filter only; the store is the truth

    # -- URL mapping -------------------------------------------------------
    def fetch_url(self, url: str) -> str:
        """The URL to request for a real site URL (the mirror's, when crawling one)."""
        return self.mirror.to_mirror(url) if self.mirror else url

    def real_url(self, url: str) -> str:
        """The real site URL of a fetched (possibly mirror) URL."""
        return self.mirror.to_real(url) if self.mirror else url

    def _count(self, key: str, n: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, n)

    # -- discovery ---------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        for edition in self.site.editions:
            for urls, callback in ((edition.feeds, self.parse_feed), (edition.sitemaps, self.parse_sitemap),
                                   (edition.listings, self.parse_listing)):
                for url in urls:
                    yield self._discovery_request(url, callback, edition)

    def _discovery_request(self, url: str, callback: Callable[..., Any], edition: Edition) -> scrapy.Request:
        return scrapy.Request(self.fetch_url(url), callback=callback, priority=DISCOVERY_PRIORITY,
                              cb_kwargs={"edition": edition}, dont_filter=False)

    def parse_feed(self, response: Response, edition: Edition) -> Iterable[scrapy.Request]:
        links = parse_feed(response.body, edition.tz)
        if not links:
            logger.warning("Feed %(url)s has no items", {"url": response.url})
            self._count("discovery/feed/empty")
        self._count("discovery/feed/links", len(links))
        yield from self._article_requests(links, "feed")

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
        for link in sitemap.links:
            if self._is_recent(link):
                yield self._discovery_request(self.real_url(link.url), self.parse_sitemap, edition)
            else:
                self._count("discovery/skipped/old_sitemap")

    def parse_listing(self, response: Response, edition: Edition) -> Iterable[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        urls = [self.real_url(link.url) for link in LinkExtractor().extract_links(response)]
        self._count("discovery/listing/links", len(urls))
        yield from self._article_requests([Link(url) for url in urls], "listing")

    def _is_recent(self, link: Link) -> bool:
        return self.args.since is None or link.date is None or link.date >= self.args.since

    def _article_requests(self, links: list[Link], source: str) -> Iterable[scrapy.Request]:
        """Requests for the article links among ``links``, newest first."""
        for link in sorted(links, key=lambda lk: lk.date or datetime.min.replace(tzinfo=UTC), reverse=True):
            url = self.real_url(link.url)
            key = canonical_url(url)
            if not self.site.is_article_url(key):
                self._count("discovery/skipped/not_article_url")
            elif not self._is_recent(link):
                self._count("discovery/skipped/old")
            elif key in self._scheduled:
                self._count("discovery/skipped/seen")
            elif self.args.limit is not None and len(self._scheduled) >= self.args.limit:
                self._count("discovery/skipped/limit")
            else:
                self._scheduled.add(key)
                self._count(f"discovery/articles/{source}")
                priority = int(link.date.timestamp() // 60) if link.date else 0
                yield scrapy.Request(self.fetch_url(url), callback=self.parse_article, priority=priority,
                                     cb_kwargs={"seen_as": url})

    # -- articles ----------------------------------------------------------
    def parse_article(self, response: Response, seen_as: str) -> Iterable[ArticleItem]:
        url = self.real_url(response.url)
        if not isinstance(response, TextResponse):
            logger.warning("Not an HTML page: %(url)s", {"url": url})
            self._count("articles/skipped/not_html")
            return
        try:
            record = extract_article(response.text, url, self.site)
        except Exception:
            logger.exception("Extraction failed for %(url)s", {"url": url})
            self._count("articles/errors/extract")
            return
        if record["page_type"] == "listing":
            self._count("articles/skipped/not_article")
            return
        item = self._item(record, response, url, seen_as)
        if self.args.since and item.published and item.published < self.args.since:
            self._count("articles/skipped/before_since")
            return
        self._count(f"extract/body/{record['sources']['body']}")
        yield item

    def _item(self, record: dict[str, Any], response: Response, url: str, seen_as: str) -> ArticleItem:
        canonical = self.real_url(record.pop("url"))
        if not self.site.is_article_url(canonical_url(canonical)):
            canonical = url  # a canonical link off the site or to a non-article is not trusted
        fields = {k: v for k, v in record.items() if k in ArticleItem.__dataclass_fields__}
        return ArticleItem(
            **fields,
            url=canonical_url(canonical),
            urls=list(dict.fromkeys([seen_as, url, canonical])),
            site=self.site.name,
            edition=self.site.edition_for(url).language,
            fetched_at=datetime.now(UTC),
            http_status=response.status,
            raw_html=response.text,
        )
