"""The scheduler of a shared crawl (``REDIS_URL`` set): every request goes through the crawl's queue in
Redis, taken reliably (into this worker's in-flight hash until it left the downloader).

Each article is fetched once across the workers: an article request (``ARTICLE_URL_META``) is queued
only if its canonical URL is new to the crawl (a browser re-render counts apart; retries and
redirects of an admitted one pass); other requests go through a shared fingerprint filter unless
``dont_filter``. Once this worker's spider reached ``-a limit`` (counted per worker), discovery
requests it takes are dropped, as ``DiscoveryLimitScheduler`` does. A request Redis cannot take
(Redis lost, or a callback that is no spider method) stays in this worker's memory.

Stats: ``frontier/pushed``, ``frontier/popped``, ``frontier/duplicates``, ``frontier/local``,
``frontier/bad_requests``, ``discovery/skipped/limit_reached``.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Self

from scrapy import Request, Spider
from scrapy.core.scheduler import BaseScheduler
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.request import request_from_dict
from twisted.internet.defer import Deferred

from crawler.frontier.connection import ERRORS
from crawler.frontier.extension import Frontier
from crawler.middlewares.incremental import ARTICLE_URL_META
from crawler.scheduler import DISCOVERY_META
from crawler.urls import canonical_url

logger = logging.getLogger(__name__)
FRONTIER_ID_META = "frontier_id"  # the request's entry in this worker's in-flight hash
ADMITTED_META = "frontier_admitted"  # an article request the crawl's seen set took (its retries pass)


class FrontierScheduler(BaseScheduler):
    def __init__(self, crawler: Crawler, frontier: Frontier) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.frontier = frontier
        self.local: deque[Request] = deque()
        self.spider: Spider | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        frontier = Frontier.of(crawler)
        if frontier is None:
            raise RuntimeError("FrontierScheduler needs REDIS_URL and the Frontier extension")
        return cls(crawler, frontier)

    def open(self, spider: Spider) -> Deferred[None] | None:
        self.spider = spider
        return None

    def close(self, reason: str) -> Deferred[None] | None:
        return deferred_from_coro(self.frontier.leave())

    def has_pending_requests(self) -> bool:
        if self.local:
            return True
        shared = self.frontier.shared
        if shared is None:
            return False
        try:
            return shared.queued() > 0
        except ERRORS as exc:
            self.frontier.failed(exc)
            return False

    def _admit_key(self, request: Request) -> str | None:
        """The key the crawl's seen set must not hold yet for ``request`` to be queued; None: always queued."""
        if request.meta.get(ADMITTED_META):
            return None
        article = request.meta.get(ARTICLE_URL_META)
        if article:
            return f"a:{canonical_url(article)}" + ("|browser" if request.meta.get("playwright") else "")
        if request.dont_filter:
            return None
        return "f:" + self.crawler.request_fingerprinter.fingerprint(request).hex()

    def enqueue_request(self, request: Request) -> bool:
        shared = self.frontier.shared
        if shared is None:
            self.local.append(request)
            return True
        try:
            key = self._admit_key(request)
            if key is not None and not shared.admit(key):
                self.stats.inc_value("frontier/duplicates")
                return False
            if key is not None and key.startswith("a:"):
                request.meta[ADMITTED_META] = True
            request.meta.pop(FRONTIER_ID_META, None)
            data = request.to_dict(spider=self.spider)
            shared.push(data, request.priority)
        except ValueError as exc:  # a callback that is no method of the spider: cannot travel
            logger.debug("Kept %(request)s in this worker: %(error)s", {"request": request, "error": exc})
            self.stats.inc_value("frontier/local")
            self.local.append(request)
            return True
        except ERRORS as exc:
            self.frontier.failed(exc)
            self.stats.inc_value("frontier/local")
            self.local.append(request)
            return True
        self.stats.inc_value("frontier/pushed")
        return True

    def next_request(self) -> Request | None:
        while True:
            request = self.local.popleft() if self.local else self._pop()
            if request is None:
                return None
            if request.meta.get(DISCOVERY_META) and getattr(self.spider, "limit_reached", False):
                self.stats.inc_value("discovery/skipped/limit_reached")
                self._finished(request)
                continue
            return request

    def _pop(self) -> Request | None:
        shared = self.frontier.shared
        while shared is not None:
            try:
                popped = shared.pop()
            except ERRORS as exc:
                self.frontier.failed(exc)
                return None
            if popped is None:
                return None
            request_id, data = popped
            try:
                request = request_from_dict(data, spider=self.spider)
            except (ValueError, AttributeError, TypeError, KeyError) as exc:  # another version's request
                self.stats.inc_value("frontier/bad_requests")
                logger.warning("Dropped a queued request this worker cannot read: %(error)s", {"error": exc})
                shared.finished(request_id)
                continue
            request.meta[FRONTIER_ID_META] = request_id
            self.stats.inc_value("frontier/popped")
            return request
        return None

    def _finished(self, request: Request) -> None:
        self.frontier.request_left(request, self.spider)  # type: ignore[arg-type]

    def __len__(self) -> int:  # Scrapy's stats and telnet read it
        return len(self.local)


