"""The scheduler of a shared crawl (``REDIS_URL`` set): every request goes through the crawl's queue in
Redis, taken reliably (into this worker's in-flight hash until its download's outcome is known:
:class:`~crawler.frontier.outcome.FrontierOutcomeMiddleware`).

Each article is fetched once across the workers: an article request (``ARTICLE_URL_META``) is queued
only if its canonical URL is new to the crawl (a browser re-render counts apart; retries and
redirects of an admitted one pass); other requests go through a shared fingerprint filter unless
``dont_filter``. ``-a limit`` holds for the whole crawl: an article request is admitted only while the
crawl admitted fewer than ``limit`` articles (counted in Redis, atomically with the seen set; browser
re-renders, retries and redirects of an admitted one do not count), so the workers together fetch at
most ``limit`` article pages; past it the request is dropped (``discovery/skipped/limit``), and so are the
discovery requests workers take (as ``DiscoveryLimitScheduler`` does). So is a newly discovered article
(``ARTICLE_KEY_META``) that finds ``DISCOVERY_MAX_QUEUED_ARTICLES`` requests in the crawl's queue in Redis (whatever
worker queued them; judged in the admission script, no extra round trip): ``discovery/skipped/queue_full``, and
the worker's spider ends its discovery (``queue_full``, one warning line). Retries and redirects of an admitted
article, re-renders, revisits and requests pushed back from a dead or leaving worker pass. A request Redis cannot take
(Redis lost, a callback that is no spider method, a meta that cannot be pickled: ``frontier/unserializable``,
one warning line each) stays in this worker's memory, never an exception to the engine. That memory queue has the
same cap: while Redis is lost, a newly discovered article not yet admitted finding ``DISCOVERY_MAX_QUEUED_ARTICLES``
requests held there is dropped as the shared queue would drop it (``discovery/skipped/queue_full``, discovery
ends), so a site giving endless links during an outage does not grow the worker without bound; an admitted article
(in the crawl's seen set: no other worker would fetch it), a retry or a redirect is kept whatever the count.

Stats: ``frontier/pushed``, ``frontier/popped``, ``frontier/duplicates``, ``frontier/local``,
``frontier/unserializable``, ``frontier/unreadable`` (a queued entry that is no request's dict: corrupt, or pickled by
another version whose classes are gone), ``frontier/bad_requests`` (a request's dict this code cannot make a request
of), ``discovery/skipped/limit_reached``,
``discovery/skipped/limit``, ``discovery/skipped/queue_full``.
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

from crawler.discovery.limits import DiscoveryLimits
from crawler.frontier.connection import redis_errors
from crawler.frontier.extension import FRONTIER_ID_META, Frontier
from crawler.frontier.shared import UnreadableEntry
from crawler.middlewares.incremental import ARTICLE_KEY_META, ARTICLE_URL_META, article_key
from crawler.scheduler import DISCOVERY_META, QUEUED_META, dropped_for_full_queue

logger = logging.getLogger(__name__)
ADMITTED_META = "frontier_admitted"  # an article request the crawl's seen set took (its retries pass)
QUEUE_FULL = -2  # what admission answers for a newly discovered article finding the crawl's queue full


class FrontierScheduler(BaseScheduler):
    def __init__(self, crawler: Crawler, frontier: Frontier) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.frontier = frontier
        self.local: deque[Request] = deque()
        self.spider: Spider | None = None
        self.limit: int | None = None  # -a limit: article pages for the whole crawl
        self.limit_reached = False  # the whole crawl admitted ``limit`` articles
        self.max_queued = DiscoveryLimits.from_settings(crawler.settings).max_queued_articles

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        frontier = Frontier.of(crawler)
        if frontier is None:
            raise RuntimeError("FrontierScheduler needs REDIS_URL and the Frontier extension")
        return cls(crawler, frontier)

    def open(self, spider: Spider) -> Deferred[None] | None:
        self.spider = spider
        self.limit = getattr(getattr(spider, "args", None), "limit", None)
        return None

    def close(self, reason: str) -> Deferred[None] | None:
        return deferred_from_coro(self.frontier.leave())

    def has_pending_requests(self) -> bool:
        if self.local:
            return True
        shared = self.frontier.reachable
        if shared is None:
            return False
        try:
            return shared.queued() > 0
        except redis_errors() as exc:
            self.frontier.failed(exc)
            return False

    def _admit_key(self, request: Request) -> str | None:
        """The key the crawl's seen set must not hold yet for ``request`` to be queued; None: always queued."""
        if request.meta.get(ADMITTED_META):
            return None
        article = request.meta.get(ARTICLE_URL_META)
        if article:
            return f"a:{article_key(request)}" + ("|browser" if request.meta.get("playwright") else "")
        if request.dont_filter:
            return None
        return "f:" + self.crawler.request_fingerprinter.fingerprint(request).hex()

    def _admit(self, key: str, request: Request) -> int:
        """1: ``key`` is new to the crawl (now seen); 0: seen already; -1: an article past the crawl's limit;
        -2: a newly discovered article (``ARTICLE_KEY_META``) finding the crawl's queue full."""
        shared = self.frontier.shared
        assert shared is not None
        if not key.startswith("a:"):
            return int(shared.admit(key))
        max_queued = self.max_queued if ARTICLE_KEY_META in request.meta else 0
        # a re-render is the same article: it does not count against the limit
        return shared.admit_article(key, self.limit, max_queued, counted=not key.endswith("|browser"))

    def _crawl_limit_reached(self) -> bool:
        """Whether the whole crawl admitted ``-a limit`` articles (asked of Redis until it did)."""
        shared = self.frontier.reachable
        if self.limit_reached or self.limit is None or shared is None:
            return self.limit_reached
        try:
            self.limit_reached = shared.articles() >= self.limit
        except redis_errors() as exc:
            self.frontier.failed(exc)
        return self.limit_reached

    def enqueue_request(self, request: Request) -> bool:
        taken = request.meta.pop(FRONTIER_ID_META, None)  # a retry or redirect of a request this worker took
        try:
            return self._enqueue(request)
        finally:
            self.frontier.finished_id(taken)  # queued again (or a duplicate): the entry it came from is done

    def _enqueue(self, request: Request) -> bool:
        shared = self.frontier.shared
        if shared is None:
            self.local.append(request)
            return True
        if self.frontier.lost:  # this worker keeps what it finds until Redis answers its heartbeat again
            return self._keep(request)
        try:
            key = self._admit_key(request)
            admitted = 1 if key is None else self._admit(key, request)
            if admitted == 0:
                self.stats.inc_value("frontier/duplicates")
                return False
            if admitted == QUEUE_FULL:
                dropped_for_full_queue(self.spider, self.stats, self.max_queued)
                return False
            if admitted < 0:
                self.limit_reached = True
                self.stats.inc_value("discovery/skipped/limit")
                return False
            if key is not None and key.startswith("a:"):
                request.meta[ADMITTED_META] = True
            data = request.to_dict(spider=self.spider)
            shared.push(data, request.priority)
            self.frontier.answered()
        except ValueError as exc:  # a callback that is no method of the spider: cannot travel
            logger.debug("Kept %(request)s in this worker: %(error)s", {"request": request, "error": exc})
            return self._keep(request)
        except redis_errors() as exc:
            self.frontier.failed(exc)
            return self._keep(request)
        except Exception as exc:  # raised to the engine, it would stop the crawl (from start()) or vanish in a task
            # A meta that cannot be pickled (a lock, a nesting too deep) or read: the request may be admitted
            # in Redis already (no other worker will take it), so this worker keeps it.
            self.stats.inc_value("frontier/unserializable")
            logger.warning("Kept %(request)s in this worker: it cannot be shared (%(error)s)",
                           {"request": request, "error": f"{type(exc).__name__}: {str(exc)[:200]}"})
            return self._keep(request)
        self.stats.inc_value("frontier/pushed")
        return True

    def _keep(self, request: Request) -> bool:
        """Hold ``request`` in this worker's memory (``frontier/local``), unless it is a newly discovered article the
        crawl has not admitted and the memory queue holds ``DISCOVERY_MAX_QUEUED_ARTICLES`` requests: dropped then, as
        the shared queue drops it (discovery ends; the next run reads the sources again)."""
        meta = request.meta
        newly_discovered = ARTICLE_KEY_META in meta and not (meta.get(ADMITTED_META) or meta.get(QUEUED_META))
        if newly_discovered and len(self.local) >= self.max_queued:
            dropped_for_full_queue(self.spider, self.stats, len(self.local))
            return False
        meta[QUEUED_META] = True  # its retries and redirects are kept
        self.stats.inc_value("frontier/local")
        self.local.append(request)
        return True

    def next_request(self) -> Request | None:
        while True:
            request = self.local.popleft() if self.local else self._pop()
            if request is None:
                return None
            if request.meta.get(DISCOVERY_META) and (getattr(self.spider, "limit_reached", False)
                                                     or self._crawl_limit_reached()):
                self.stats.inc_value("discovery/skipped/limit_reached")
                self._finished(request)
                continue
            return request

    def _pop(self) -> Request | None:
        while (shared := self.frontier.reachable) is not None:  # a failed discard makes it None
            token = self.frontier.pop_token()
            try:
                popped = shared.pop(token)
            except UnreadableEntry as exc:
                self.frontier.answered()
                self._drop("frontier/unreadable", exc.request_id, str(exc))
                continue
            except redis_errors() as exc:
                self.frontier.pop_failed(token, exc)
                return None
            self.frontier.answered()
            if popped is None:
                return None
            request_id, data = popped
            try:
                request = request_from_dict(data, spider=self.spider)
            except Exception as exc:  # another version's request (its callback, or its class's module, gone)
                self._drop("frontier/bad_requests", request_id, f"{type(exc).__name__}: {str(exc)[:200]}")
                continue
            request.meta[FRONTIER_ID_META] = request_id
            self.stats.inc_value("frontier/popped")
            return request
        return None

    def _drop(self, stat: str, request_id: bytes | str, error: str) -> None:
        """An entry popped from the shared queue that makes no request: counted, logged (its error, never its
        content), forgotten. Raised to the engine, it was a traceback and stayed in flight: the crawl never ended."""
        self.stats.inc_value(stat)
        logger.warning("Dropped a queued request this worker cannot read (%(error)s)", {"error": error})
        self.frontier.discard_id(request_id)

    def _finished(self, request: Request) -> None:
        self.frontier.finished(request)

    def __len__(self) -> int:  # Scrapy's stats and telnet read it
        return len(self.local)


