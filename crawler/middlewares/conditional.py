"""Conditional discovery: a feed, sitemap or listing page unchanged since the last run costs one 304.

A spider middleware. When the spider opens, it reads from the store what the site's sources (the
discovery requests the spider marks with ``SOURCE_META``, their real URL) were like when last read:
their ``ETag`` and ``Last-Modified`` and, for a child sitemap, the ``<lastmod>`` its index gave it.
A source is then asked with ``If-None-Match`` / ``If-Modified-Since`` (the spider reads nothing from
a 304 and counts ``discovery/not_modified``), and a child sitemap whose ``<lastmod>`` is not newer
than when it was last read is not requested (the spider hears of it through ``sitemap_pruned``, so
it takes no sitemap cap). A server that ignores the validators answers 200 and is read as before.

What was read is written to the store when the run ends ``finished`` without reaching ``-a limit``, without
a download that failed for any but a lasting reason (404, 410, too large, refused), an article that could not
be extracted or an item left unsaved: a run cut short may not have fetched every article a source listed, so
it leaves the old record and the next run reads the source in full (``discovery/sources/not_saved``). The
site's ``walked:<site>`` record says which it was (``complete``): a walk back through paged listings stops at
a page of stored articles only after a complete run (``crawler.middlewares.incremental``). A worker of a
shared crawl saves nothing (another worker may have lost what a source listed); because the state is in the
store, cron runs and Scrapyd jobs share it.
A sitemap index that lists children without a ``<lastmod>`` is never asked conditionally: an
unchanged index does not mean unchanged children (the spider marks it with ``CONDITIONAL_META``).

No validator is sent for a site with no stored article (its articles purged: a 304 would hide them all),
nor one last read in full over ``DISCOVERY_CONDITIONAL_MAX_AGE_HOURS`` ago, nor one read by a run whose ``-a since``
stopped later than this run's: that run skipped what the source listed before its day, so a backfill reaching
further back reads the source in full (it got a 304 and fetched nothing).

Settings: ``DISCOVERY_CONDITIONAL_ENABLED`` (default on), ``DISCOVERY_CONDITIONAL_MAX_AGE_HOURS`` (24),
``INCREMENTAL_ENABLED`` and ``STORAGE_ENABLED`` (off: so is this).
Stats: ``discovery/conditional`` (requests sent with validators), ``discovery/skipped/sitemap_unchanged``,
``discovery/sources/saved``, ``discovery/sources/not_saved``, ``discovery/sources/unavailable`` (the store
could not be read or written).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.frontier.extension import Frontier
from crawler.middlewares.incremental import SITEMAP_LASTMOD_META, sitemap_pruned, walk_marker
from crawler.storage.component import Storage
from crawler.storage.store import as_utc, describe_error, store_errors
from crawler.validators import conditional_headers, etag, last_modified

logger = logging.getLogger(__name__)
SOURCE_META = "source_url"  # set by the spider on feed, sitemap, listing and API requests: the real URL
CONDITIONAL_META = "conditional"  # set False by the spider on a response a 304 must never stand for
# Download failures a later run would meet again (``download/failed/<kind>``, see crawler.failures): every
# other kind (timeouts, 5xx, 403, a browser that was down) may pass, and its articles must be asked again.
LASTING_FAILURES = ("http_404", "http_410", "too_large", "decompression_bomb", "egress_refused", "redirect_loop",
                    "too_many_redirects")
# Articles fetched but not stored: extraction errors and time-outs, items the store never took.
LOSSES = ("articles/errors/", "storage/unsaved", "storage/lost", "storage/spool_failed", "storage/unavailable")


class ConditionalDiscovery:
    def __init__(self, crawler: Crawler, storage: Storage, max_age: timedelta = timedelta(hours=24)) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.signals = crawler.signals
        self.storage = storage
        self.max_age = max_age  # DISCOVERY_CONDITIONAL_MAX_AGE_HOURS: validators older than this are not sent
        self.site: str | None = None
        self.since: datetime | None = None  # the run's -a since: the sources' articles before it are not fetched
        self.known: dict[str, dict[str, Any]] = {}  # URL -> the source as last read, from the store
        self.read: dict[str, dict[str, Any]] = {}  # URL -> the source as read in this run
        self._held = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalDiscovery:
        # INCREMENTAL_ENABLED=0 asks for everything again: a 304 would hide what a source lists.
        if (not crawler.settings.getbool("DISCOVERY_CONDITIONAL_ENABLED", True)
                or not crawler.settings.getbool("INCREMENTAL_ENABLED", True)
                or (storage := Storage.of(crawler)) is None):
            raise NotConfigured
        middleware = cls(crawler, storage,
                         timedelta(hours=crawler.settings.getfloat("DISCOVERY_CONDITIONAL_MAX_AGE_HOURS", 24.0)))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    async def spider_opened(self, spider: Spider) -> None:
        store = await self.storage.open()
        self.site = getattr(getattr(spider, "site", None), "name", None)
        self.since = getattr(getattr(spider, "args", None), "since", None)
        if store is None or self.site is None or not self.storage.retain():
            return
        self._held = True  # the store stays open for the write at the close
        try:
            known = await self.storage.call(store.sources, self.site)
            stored = await self.storage.call(store.last_new_article, self.site)
        except store_errors() as exc:  # read every source in full: the safe answer
            self._unavailable("read", exc)
            return
        if stored is None:  # the site's articles are gone (purged, a new store): a 304 would hide every one
            return
        # Validators stand for what was stored when they were read, for a while: a source not read in full
        # for longer is read again (a server that answers 304 wrongly, a lastmod once set in the future).
        fresh = datetime.now(UTC) - self.max_age
        self.known = {url: doc for url, doc in known.items()
                      if (as_utc(doc.get("read_at")) or fresh) > fresh and self._reached(doc)}

    def _reached(self, source: dict[str, Any]) -> bool:
        """Whether the run that read ``source`` fetched what it listed as far back as this run would: it had no
        ``-a since`` (a record of before the field is such a run's), or one no later than this run's."""
        read_since = as_utc(source.get("since"))
        return read_since is None or (self.since is not None and self.since >= read_since)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for element in start:
            yield self._prepare(element) if isinstance(element, Request) else element

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for element in result:
            if isinstance(element, Request):
                if self._unchanged_sitemap(element):
                    continue
                element = self._prepare(element)
            yield element
        self._remember(response)  # only once the whole page was read

    def _prepare(self, request: Request) -> Request:
        """The request with the validators its source had when last read, if any."""
        known = self.known.get(request.meta.get(SOURCE_META, ""))
        if not known or not known.get("conditional", True):
            return request
        headers = conditional_headers(known)
        if headers:
            request.headers.update(headers)
            request.meta["handle_httpstatus_list"] = [*request.meta.get("handle_httpstatus_list", []), 304]
            self.stats.inc_value("discovery/conditional")
        return request

    def _unchanged_sitemap(self, request: Request) -> bool:
        """True (counted, signalled to the spider) for a child sitemap whose lastmod is what it was when read."""
        lastmod = request.meta.get(SITEMAP_LASTMOD_META)
        known = self.known.get(request.meta.get(SOURCE_META, ""))
        read = as_utc(known.get("lastmod")) if known else None
        if lastmod is None or read is None or lastmod > read:
            return False
        self.stats.inc_value("discovery/skipped/sitemap_unchanged")
        self.signals.send_catch_log(sitemap_pruned, request=request)
        return True

    def _remember(self, response: Response) -> None:
        """Note how a source read in full (200) or found unchanged (304) is now, for the next run."""
        url = response.meta.get(SOURCE_META)
        lastmod = response.meta.get(SITEMAP_LASTMOD_META)
        if not url or self.site is None:
            return
        if response.status == 304 and url in self.known:  # an index that dates a child anew, the file as it was
            self.read[url] = {**self.known[url], "lastmod": lastmod or self.known[url].get("lastmod")}
        elif response.status == 200:
            self.read[url] = {"_id": url, "site": self.site, "etag": etag(response),
                              "last_modified": last_modified(response), "lastmod": lastmod,
                              "conditional": response.meta.get(CONDITIONAL_META, True), "read_at": datetime.now(UTC),
                              "since": self.since}

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        if not self._held:
            return
        try:
            if self.site is None:
                return
            shared = (frontier := Frontier.of(self.crawler)) is not None and frontier.crawl_id is not None
            cut_short = self._cut_short(spider, reason)
            complete = not shared and not cut_short
            marker = {"_id": walk_marker(self.site), "site": self.site, "complete": complete, "cut_short": cut_short,
                      "read_at": datetime.now(UTC)}
            store = await self.storage.open()
            if store is None:
                return
            if complete:
                await self.storage.call(store.save_sources, [*self.read.values(), marker])
                self.stats.inc_value("discovery/sources/saved", len(self.read))
            else:
                self.stats.inc_value("discovery/sources/not_saved", len(self.read))
                await self.storage.call(store.save_sources, [marker])
        except store_errors() as exc:  # the next run reads these sources in full
            self._unavailable("write", exc)
        finally:
            self.storage.release()
            self._held = False

    def _cut_short(self, spider: Spider, reason: str) -> bool:
        """True (logged) when the run may have left articles its sources listed unfetched or unstored."""
        prefix = "download/failed/"
        stats = self.stats.get_stats()
        failed = sum(v for k, v in stats.items()
                     if k.startswith(prefix) and not k.removeprefix(prefix).startswith(LASTING_FAILURES))
        lost = sum(v for k, v in stats.items() if k.startswith(LOSSES) and isinstance(v, int))
        if reason == "finished" and not getattr(spider, "limit_reached", False) and not failed and not lost:
            return False
        logger.info("Not recording how %(n)d sources of %(site)s were read (run %(reason)s, %(failed)d passing "
                    "download failures, %(lost)d articles not stored): the next run reads them in full",
                    {"n": len(self.read), "site": self.site, "reason": reason, "failed": failed, "lost": lost})
        return True

    def _unavailable(self, what: str, exc: BaseException) -> None:
        self.stats.inc_value("discovery/sources/unavailable")
        logger.warning("Could not %(what)s the discovery sources of %(site)s: %(error)s",
                       {"what": what, "site": self.site, "error": describe_error(exc)})
