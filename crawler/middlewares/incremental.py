"""Incremental crawling: the store decides which article pages are worth a request.

A spider middleware that collects the article requests a callback yields (a
feed, sitemap or listing page's worth, ``LOOKUP_BATCH`` at a time), asks the
store which of those articles it already holds, and drops them unless they are
due for a revisit (``REVISIT_SCHEDULE`` steps after publication, e.g. 1 h, 6 h,
24 h, 7 d). The site's recent stored articles that are due are also asked for after the spider's
start requests (``spider.revisit_request``), so a revisit never waits for a feed or sitemap that
answered 304 to list its article again. Because the state
is in the store, cron runs, manual runs and Scrapyd jobs share it: the crawl's one store and
storage thread (``crawler.storage.component.Storage``). If the store cannot be reached, or a
lookup fails, the middleware lets those requests through (the storage pipeline reports an
outage; stored articles are not stored twice).

It also prunes sitemaps: a child sitemap the spider marks with its lastmod
(``SITEMAP_LASTMOD_META``) older than the high-water mark (the site's newest stored
article less the longest revisit step) holds nothing new and is dropped; the spider
hears of it through the ``sitemap_pruned`` signal, so the drop costs no sitemap cap. Not after a run cut short
(``-a limit``, a full queue, failures, a stop): it read the newest sitemaps first, and what it dropped from older ones
would never be read again.

And it ends walks back through paged feeds, API pages and listings: a next page (the spider marks it
with the article URLs of the page before, ``PAGE_LINKS_META``) is not followed when the store holds
every article of that page, unless ``-a since`` reaches back beyond the site's oldest stored article
(a backfill: older pages may hold articles the store never had).

Settings: ``INCREMENTAL_ENABLED``, ``REVISIT_SCHEDULE``, ``STORAGE_ENABLED`` (off: so is this).
Stats: ``incremental/new``, ``incremental/known``, ``incremental/revisit``, ``incremental/unavailable``
(the store could not be opened), ``incremental/lookup_failed`` (lookups that failed),
``incremental/high_water_mark`` (ISO time), ``incremental/high_water_off`` (after a run cut short),
``discovery/skipped/below_high_water`` (sitemaps pruned),
``discovery/skipped/known_page`` (next pages not followed).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.revisits import DEFAULT_SCHEDULE, is_due, parse_schedule
from crawler.storage.component import Storage
from crawler.storage.store import ArticleStore, describe_error
from crawler.urls import canonical_id, canonical_url, url_id
from crawler.validators import conditional_headers

logger = logging.getLogger(__name__)
T = TypeVar("T")
ARTICLE_URL_META = "article_url"  # set by the spider on article requests: the article's real URL
ARTICLE_KEY_META = "article_key"  # and, on a discovered one, its canonical form: the link is canonicalised once
REVISIT_META = "revisit_of"  # set here on a revisit: the ``_id`` of the stored article it looks at again
SITEMAP_LASTMOD_META = "sitemap_lastmod"  # set by the spider on child-sitemap requests: the index's lastmod
sitemap_pruned = object()  # signal(request): a child sitemap was dropped below the high-water mark
PAGE_LINKS_META = "page_links"  # set by the spider on a next-page request: the article URLs of the page before
REVISIT_STATUSES = (304, 404, 410)  # a revisit's answers the spider reads: unchanged, taken down


def revisit_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The meta that makes a request a revisit of a stored article (empty for any other request): a retry of a
    revisit (a script shell rendered in Chromium) copies it, so that its 304/404/410 is still read as the stored
    article's answer."""
    if REVISIT_META not in meta:
        return {}
    return {REVISIT_META: meta[REVISIT_META],
            "handle_httpstatus_list": list(meta.get("handle_httpstatus_list", REVISIT_STATUSES))}


def walk_marker(site: str) -> str:
    """The ``sources`` record saying whether the site's last run fetched everything its sources listed
    (``complete``): only then does the store hold every article older than those it holds; and whether it was cut
    short (``cut_short``: a limit, a full queue, failures; a shared crawl's is never ``complete`` but may be whole),
    when the next run prunes no sitemap below the high-water mark."""
    return f"walked:{site}"


LOOKUP_BATCH = 1_000  # article requests looked up together: memory stays flat over a sitemap of any size
RECENT_ARTICLES = 2_000  # the site's newest stored articles checked for due revisits when the spider opens


class IncrementalMiddleware:
    high_water_mark: datetime | None = None  # sitemaps last modified before it hold nothing new
    stop_at_known: bool = False  # a page whose articles are all stored ends a walk back through pages

    def __init__(self, crawler: Crawler, storage: Storage, schedule: tuple[timedelta, ...]) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.signals = crawler.signals
        self.storage = storage
        self.schedule = schedule
        self.store: ArticleStore | None = None
        self.spider: Spider | None = None
        self.due: list[dict[str, Any]] = []  # recent stored articles due for a revisit

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        settings = crawler.settings
        if not settings.getbool("INCREMENTAL_ENABLED", True) or (storage := Storage.of(crawler)) is None:
            raise NotConfigured
        schedule = parse_schedule(settings.get("REVISIT_SCHEDULE") or DEFAULT_SCHEDULE)
        middleware = cls(crawler, storage, schedule)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        return await self.storage.call(fn, *args)

    async def spider_opened(self, spider: Spider) -> None:
        self.store = await self.storage.open()
        if self.store is None:
            self.stats.set_value("incremental/unavailable", 1)
            return
        site = getattr(getattr(spider, "site", None), "name", None)
        newest = await self._call(self.store.newest_published, site) if site else None
        self.spider = spider
        if site and newest is not None:
            self.due = await self._due_revisits(site)
        since = getattr(getattr(spider, "args", None), "since", None)
        # A run cut short (-a limit, a full queue, a failed download, Ctrl-C) may have left older articles behind a
        # page of stored ones: a walk stops at such a page only after a complete run.
        last_walk = await self._last_walk(site) if site is not None else {}
        complete = bool(last_walk.get("complete"))
        if site and since is not None and complete:
            oldest = await self._call(self.store.oldest_published, site)
            self.stop_at_known = oldest is not None and oldest <= since
        else:
            self.stop_at_known = complete
        if newest is not None and last_walk.get("cut_short"):
            # Its older sitemaps may hold what it dropped (the newest are read first): none is pruned this run.
            self.stats.set_value("incremental/high_water_off", 1)
        elif newest is not None:
            # Sitemaps not modified since (newest article - longest revisit step) hold nothing new to fetch.
            self.high_water_mark = newest - max(self.schedule, default=timedelta(0))
            self.stats.set_value("incremental/high_water_mark", self.high_water_mark.isoformat())

    async def _last_walk(self, site: str) -> dict[str, Any]:
        """How the site's last run ended (its :func:`walk_marker` record: ``complete``, ``cut_short``); when that
        cannot be read, the safe answers: not complete, cut short."""
        assert self.store is not None
        try:
            marker = (await self._call(self.store.sources, site)).get(walk_marker(site))
        except Exception as exc:  # unknown: walking every page, every sitemap is the safe answer
            logger.warning("Could not read how the last run of %(site)s ended: %(error)s",
                           {"site": site, "error": describe_error(exc)})
            return {"complete": False, "cut_short": True}
        return marker or {}

    async def _due_revisits(self, site: str) -> list[dict[str, Any]]:
        """The site's recent stored articles due for a revisit, read newest first a growing batch at a time
        until one is older than the longest revisit step (at most ``RECENT_ARTICLES``)."""
        assert self.store is not None
        now = datetime.now(UTC)
        oldest_due = now - max(self.schedule, default=timedelta(0))
        limit = 100
        while True:
            recent = await self._call(self.store.recent_articles, site, limit)
            last = recent[-1].get("published") if recent else None
            if len(recent) < limit or limit >= RECENT_ARTICLES or not isinstance(last, datetime) or last < oldest_due:
                break
            limit = min(limit * 4, RECENT_ARTICLES)
        return [doc for doc in recent if isinstance(doc.get("published"), datetime)
                and isinstance(doc.get("last_checked"), datetime)
                and is_due(doc["published"], doc["last_checked"], now, self.schedule)]

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """The spider's start requests, then (on the worker that has any: the seeder of a shared crawl)
        a conditional request for each recent stored article due for a revisit."""
        seeded = False
        async for element in start:
            seeded = True
            yield element
        revisit = getattr(self.spider, "revisit_request", None)
        due, self.due = self.due, []
        if not seeded or revisit is None:
            return
        for doc in due:
            request = revisit(doc.get("moved_to") or doc["url"])  # a moved article is asked where it lives now
            if request is not None:
                self.stats.inc_value("incremental/revisit")
                yield _conditional(request, doc)

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        pending: list[Request] = []
        next_pages: list[Request] = []
        async for element in result:
            if isinstance(element, Request) and self._below_high_water(element):
                continue
            if isinstance(element, Request) and PAGE_LINKS_META in element.meta:
                next_pages.append(element)  # decided once the page's articles are looked up
                continue
            # A revisit's retry (in the browser) is decided already: no second lookup, no second count.
            if not (isinstance(element, Request) and ARTICLE_URL_META in element.meta) or REVISIT_META in element.meta:
                yield element
                continue
            pending.append(element)
            if len(pending) >= LOOKUP_BATCH:
                for request in await self._worth_fetching(pending):
                    yield request
                pending = []
        for request in await self._worth_fetching(pending):
            yield request
        for request in next_pages:
            if not await self._all_known(request.meta.pop(PAGE_LINKS_META)):
                yield request

    async def _all_known(self, urls: list[str]) -> bool:
        """True (counted) when the store holds every article of a page: the pages after it are older still."""
        if not urls or not self.stop_at_known or self.store is None:
            return False
        try:
            known = await self._call(self.store.known, [url_id(u) for u in urls], urls)
        except Exception as exc:  # an outage or a query the server refuses: following the page is the safe answer
            logger.warning("Could not look up a page's %(n)d articles: %(error)s",
                           {"n": len(urls), "error": describe_error(exc)})
            self.stats.inc_value("incremental/lookup_failed")
            return False
        stored = {url for doc in known.values() for url in doc.get("urls", [])}
        if not all(url_id(u) in known or u in stored for u in urls):
            return False
        self.stats.inc_value("discovery/skipped/known_page")
        return True

    def _below_high_water(self, request: Request) -> bool:
        """True (counted, and signalled to the spider) for a child sitemap last modified before the mark."""
        lastmod = request.meta.get(SITEMAP_LASTMOD_META)
        if self.high_water_mark is None or lastmod is None or lastmod >= self.high_water_mark:
            return False
        self.stats.inc_value("discovery/skipped/below_high_water")
        self.signals.send_catch_log(sitemap_pruned, request=request)
        return True

    async def _worth_fetching(self, requests: list[Request]) -> list[Request]:
        """The requests for articles the store lacks or that are due for a revisit."""
        if not requests or self.store is None:
            return requests
        urls = [r.meta[ARTICLE_URL_META] for r in requests]
        ids = [article_id(r) for r in requests]
        try:
            known = await self._call(self.store.known, ids, urls)
        except Exception as exc:  # an outage or a query the server refuses: fetching is the safe answer
            logger.warning("Could not look up %(n)d articles in the store, fetching them all: %(error)s",
                           {"n": len(urls), "error": describe_error(exc)})
            self.stats.inc_value("incremental/lookup_failed")
            return requests
        by_url = {url: doc for doc in known.values() for url in doc.get("urls", [])}
        now = datetime.now(UTC)
        keep = []
        for request, url, id_ in zip(requests, urls, ids, strict=True):
            doc = known.get(id_) or by_url.get(url)
            if doc is None:
                self.stats.inc_value("incremental/new")
                keep.append(request)
            # an undated record is revisited by when it was first stored: a page that lost its date (a maintenance
            # page taken for a revision) was never asked again
            elif is_due(doc.get("published") or doc.get("first_seen"), doc.get("last_checked"), now, self.schedule):
                self.stats.inc_value("incremental/revisit")
                keep.append(_conditional(request, doc))
            else:
                self.stats.inc_value("incremental/known")
        return keep


def article_id(request: Request) -> str:
    """The storage key of an article request's article, from the canonical form discovery handed along if any."""
    key = request.meta.get(ARTICLE_KEY_META)
    return canonical_id(key) if key else url_id(request.meta[ARTICLE_URL_META])


def article_key(request: Request) -> str:
    """The canonical form of an article request's article, as discovery handed it along, else computed."""
    key = request.meta.get(ARTICLE_KEY_META)
    return key if key else canonical_url(request.meta[ARTICLE_URL_META])


def _conditional(request: Request, doc: dict[str, Any]) -> Request:
    """A revisit asks the server to answer 304 when the page has not changed since it was stored,
    and lets 404/410 through to the spider, which marks the article gone; it names the stored article,
    so that the spider can tell where a redirect sent it (moved, gone, off the site)."""
    request.headers.update(conditional_headers(doc))
    request.meta.update(revisit_meta({REVISIT_META: doc["_id"]}))
    return request
