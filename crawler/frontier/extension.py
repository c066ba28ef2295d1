"""A worker of a shared crawl (``REDIS_URL`` set): joins the site's crawl in Redis as it is built (or
stops at once, exit 1, when Redis cannot be reached), beats every second, pushes a dead worker's
requests back, keeps the spider open while any worker has work and closes it (``finished``) once
the whole crawl has been idle ``FRONTIER_IDLE_SECONDS``. Redis lost mid-run: the worker finishes
what it holds (its items are stored), waits ``FRONTIER_REDIS_WAIT_SECONDS`` for Redis to come back (then takes
the crawl's queue again; a warning, not an error, as nothing is lost) and else closes with reason ``frontier_lost``
(an error; the wait lasts until a call on the crawl's reactor answers, not one on the heartbeat's thread only): once
a Redis call failed, the worker asks Redis nothing more on the crawl's reactor (it keeps what it finds) and only its
heartbeat, on a thread, asks again, so a paused or unreachable Redis never freezes the crawl (a call on the reactor
waits ``REACTOR_TIMEOUT`` at most, one on a thread ``SOCKET_TIMEOUT``); so does a worker
whose crawl's keys vanished from a live Redis (restarted without persistence, flushed, evicted): an
empty frontier then is a lost queue, not a finished crawl. The seeder's ``-a since``,
``limit`` and ``sources``, site config and code are the crawl's: a worker started with others does not join,
logs one ERROR and closes with reason ``frontier_args_conflict`` (exit 1; its run recorded as ``skipped``, like one
refused the site lock, so ``scrapy report`` does not call the site failing during a rolling upgrade).

Settings: ``REDIS_URL``, ``FRONTIER_ENABLED``, ``FRONTIER_KEY_PREFIX`` (``news``), ``FRONTIER_IDLE_SECONDS`` (10),
``FRONTIER_WORKER_TIMEOUT`` (15), ``FRONTIER_SETTLE_SECONDS`` (30), ``FRONTIER_KEY_TTL`` (3600),
``FRONTIER_REDIS_WAIT_SECONDS`` (60).
Stats: ``frontier/seeder``, ``frontier/woken`` (an idle engine asked for work the shared queue has),
``frontier/recovered``, ``frontier/requeued_at_close``, ``frontier/redis_errors``, ``frontier/failed_by_stop``,
``frontier/pop_undone`` (a pop that got no answer, run by Redis after all: its request queued again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured

from crawler.frontier.connection import (
    REACTOR_TIMEOUT,
    SOCKET_TIMEOUT,
    connect,
    describe,
    redis_errors,
    shared_crawl_url,
)
from crawler.health import ARGS_CONFLICT_REASON
from crawler.secrets import mask_uri
from crawler.stopping import crawl_stopping

if TYPE_CHECKING:  # crawler.frontier.shared imports redis: loaded once a crawl has REDIS_URL
    from crawler.frontier.shared import FrontierConfig, SharedCrawl

logger = logging.getLogger(__name__)
UNAVAILABLE_REASON = "frontier_unavailable"
LOST_REASON = "frontier_lost"
ARGS_REASON = ARGS_CONFLICT_REASON
BEAT_SECONDS = 1.0
RECORDED_POLL_SECONDS = 0.25  # a worker awaiting the run record parts of workers that left asks again this often
FRONTIER_ID_META = "frontier_id"  # a request's entry in this worker's in-flight hash
T = TypeVar("T")


def _site(spider: Spider) -> str:
    return getattr(getattr(spider, "site", None), "name", None) or spider.name


def crawl_args(spider: Spider) -> dict[str, Any]:
    """What must be the same for every worker of a crawl: the spider arguments ``since``, ``limit`` and ``sources``,
    the site's config and the crawler's code (``crawler.frontier.sameness``)."""
    from crawler.frontier.sameness import code_fingerprint, site_fingerprint

    same = {"code": code_fingerprint(), "site": site_fingerprint(getattr(spider, "site", None))}
    args = getattr(spider, "args", None)
    if args is None:
        return same
    since = getattr(args, "since", None)
    return {"since": since.date().isoformat() if since else None, "limit": getattr(args, "limit", None),
            "sources": sorted(getattr(args, "sources", ())), **same}


def _describe_args(args: dict[str, Any]) -> str:
    return " ".join(f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in sorted(args.items()))


def config_from(crawler: Crawler) -> FrontierConfig:
    """The ``FRONTIER_*`` settings."""
    from crawler.frontier.shared import FrontierConfig

    s = crawler.settings
    defaults = FrontierConfig()
    return FrontierConfig(prefix=s.get("FRONTIER_KEY_PREFIX") or defaults.prefix,
                          idle_seconds=s.getfloat("FRONTIER_IDLE_SECONDS", defaults.idle_seconds),
                          worker_timeout=s.getfloat("FRONTIER_WORKER_TIMEOUT", defaults.worker_timeout),
                          settle_seconds=s.getfloat("FRONTIER_SETTLE_SECONDS", defaults.settle_seconds),
                          key_ttl=s.getfloat("FRONTIER_KEY_TTL", defaults.key_ttl),
                          redis_wait=s.getfloat("FRONTIER_REDIS_WAIT_SECONDS", defaults.redis_wait))


def _drain(pending: deque[T], call: Callable[[T], None]) -> None:
    """``call`` each of ``pending`` in order, each taken off once it returned (one that raises stays, first)."""
    while True:
        try:
            item = pending.popleft()
        except IndexError:
            return
        try:
            call(item)
        except BaseException:
            pending.appendleft(item)
            raise


class Frontier:
    def __init__(self, crawler: Crawler, shared: SharedCrawl | None, background: SharedCrawl | None = None) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        # Asked on the reactor (REACTOR_TIMEOUT); None: Redis unreachable at start, or the worker's arguments conflicted
        self.shared = shared
        self.background = background or shared  # the same crawl, asked on threads (SOCKET_TIMEOUT)
        self.refused = ""  # the close reason when this worker could not join
        self.ended = False  # the shared crawl is over (this worker saw the cluster idle)
        self.lost = False  # the reactor asks Redis nothing (a call failed; the heartbeat asks again)
        self._outage = False  # "Lost Redis" logged, and no call on the reactor answered since
        self.gone = False  # the crawl's keys vanished from Redis: it cannot end as finished
        self._idle_since: float | None = None
        self._lost_idle_since: float | None = None  # out of work while Redis is lost, since
        self._beating: asyncio.Task[None] | None = None
        self._unfinished: deque[str] = deque()  # in-flight entries finished while Redis was lost
        self._undiscarded: deque[bytes | str] = deque()  # in-flight entries to forget (unreadable) once Redis answers
        self._pops = 0  # this worker's pops from the shared queue so far (each pop's token)
        self._pop_in_doubt: int | None = None  # the token of a pop that got no answer, until undone
        self._beat_lock = threading.Lock()  # a beat still on its thread when the worker leaves finishes first
        self._left = False
        self.url = shared_crawl_url(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Frontier:
        url = shared_crawl_url(crawler.settings)
        if not url:
            raise NotConfigured
        from crawler.frontier.shared import ArgsConflict, SharedCrawl

        assert crawler.spider is not None  # extensions are built after the spider
        site = _site(crawler.spider)
        shared = background = None
        refused = UNAVAILABLE_REASON
        mine = crawl_args(crawler.spider)
        try:
            # A worker whose run health is off writes no run record part: the crawl's judgement never awaits it.
            background = SharedCrawl(connect(url), site, config_from(crawler),
                                     writes_part=crawler.settings.getbool("HEALTH_ENABLED", True))
            background.join(mine)
            shared = background.on(connect(url, REACTOR_TIMEOUT, check=False))
        except redis_errors() as exc:
            logger.error("Cannot reach Redis at %(url)s (%(error)s); not starting",
                         {"url": mask_uri(url), "error": describe(exc)})
            shared = None
        except ArgsConflict as exc:
            logger.error("The shared crawl of %(site)s runs with %(theirs)s, this worker has %(mine)s: not joining "
                         "(start it with the crawl's -a values, site config (site=) and code version (code=), or "
                         "after the crawl ends)",
                         {"site": site, "theirs": _describe_args(exc.crawl_args), "mine": _describe_args(mine)})
            shared, refused = None, ARGS_REASON
        extension = cls(crawler, shared, background if shared is not None else None)
        extension.refused = refused if shared is None else ""
        if shared is not None:
            extension.stats.set_value("frontier/seeder", int(shared.seeder))
            logger.info("%(role)s the shared crawl %(id)s of %(site)s as worker %(worker)s",
                        {"role": "Started" if shared.seeder else "Joined", "id": shared.crawl_id,
                         "site": site, "worker": shared.worker})
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(extension.left_downloader, signal=signals.request_left_downloader)
        return extension

    @classmethod
    def of(cls, crawler: Crawler) -> Frontier | None:
        """The crawl's frontier extension; None without ``REDIS_URL``."""
        return crawler.get_extension(cls)

    @property
    def crawl_id(self) -> str | None:
        """The shared crawl's id (the same for every worker of it); None when Redis was unreachable."""
        return self.shared.crawl_id if self.shared is not None else None

    @property
    def reachable(self) -> SharedCrawl | None:
        """The shared crawl to ask on the reactor now; None when this worker did not join or while Redis is lost
        (the heartbeat asks again, on a thread)."""
        return None if self.lost else self.shared

    def failed(self, exc: BaseException) -> None:
        """Count a Redis call that failed mid-run, logged once an outage (until a call on the reactor answers again:
        :meth:`answered`); the crawl's keys found gone are logged once too, even after a connection error (a restarted
        Redis: first the error, then the empty crawl)."""
        from crawler.frontier.shared import CrawlGone

        self.stats.inc_value("frontier/redis_errors")
        if isinstance(exc, CrawlGone) and not self.gone:
            self.lost = self.gone = self._outage = True
            logger.error("Lost the shared crawl (%(error)s): finishing this worker's own requests alone",
                         {"error": describe(exc)})
            return
        self.lost = True
        if not self._outage:  # a warning: Redis back in time, nothing is lost (giving up on it is the error)
            self._outage = True
            logger.warning("Lost Redis (%(error)s): finishing this worker's own requests alone, then waiting for it",
                           {"error": describe(exc)})

    @property
    def worker(self) -> str | None:
        """This worker's id in the shared crawl; None when it did not join."""
        return self.shared.worker if self.shared is not None else None

    def _finish_unfinished(self, shared: SharedCrawl) -> None:
        """Finish (or forget) in Redis the entries finished (or found unreadable) while it was lost (on a thread; an
        entry that fails stays)."""
        _drain(self._unfinished, shared.finished)
        _drain(self._undiscarded, shared.discard)

    async def recorded(self) -> bool | None:
        """This worker's part of the crawl's run record is written: whether it was the last worker to write its
        part (None: unknown, this worker did not join or Redis failed or did not answer in time). Asked again while
        workers that left are awaited, until each wrote or its part was due, and, once the crawl ended, while one still
        in it is (it ends too: then it left, or its heartbeat lapsed), for ``idle + worker_timeout`` at most: a worker
        that left without writing never holds the crawl's judgement (``SharedCrawl.recorded``).
        Asked on a thread, as the store is: a paused or unreachable Redis never holds the crawl's reactor; on a
        connection of its own, since the worker left the crawl, closing its clients, before its run is recorded."""
        from crawler.frontier.shared import LAST, MEMBER_AWAITED

        if self.shared is None or self.background is None:
            return None
        config = self.shared.config
        members_until = time.monotonic() + config.idle_seconds + config.worker_timeout
        failures: tuple[type[Exception], ...] = (TimeoutError, *redis_errors())
        try:
            recover = False
            while True:
                # The client's own socket timeout answers first; this bounds a call that waits on several sockets.
                answer = await asyncio.wait_for(asyncio.to_thread(self._recorded, self.background, recover),
                                                2 * SOCKET_TIMEOUT)
                if answer == MEMBER_AWAITED and (not self.ended or time.monotonic() > members_until):
                    return False  # it writes later and judges
                if answer >= 0 and answer != MEMBER_AWAITED:
                    return answer == LAST
                recover = answer == MEMBER_AWAITED  # one that died is awaited no longer
                await asyncio.sleep(RECORDED_POLL_SECONDS if recover else min(-answer / 1000, RECORDED_POLL_SECONDS))
        except failures as exc:
            self.stats.inc_value("frontier/redis_errors")
            logger.error("Redis did not say whether this worker was the last of the shared crawl %(id)s to record "
                         "its part (%(error)s): alerting on the crawl as recorded so far",
                         {"id": self.shared.crawl_id, "error": describe(exc) if str(exc) else "no answer in "
                          f"{2 * SOCKET_TIMEOUT:g} s"})
            return None

    def _recorded(self, shared: SharedCrawl, recover: bool) -> int:
        """``SharedCrawl.recorded`` (on a thread), dead workers' parts no longer awaited first when ``recover``,
        asked on a client closed after."""
        handle = shared.on(connect(self.url, check=False))
        try:
            if recover:
                handle.recover()
            return handle.recorded()
        finally:
            handle.client.close()

    def spider_opened(self, spider: Spider) -> None:
        if self.shared is None or self.background is None:
            raise CloseSpider(self.refused or UNAVAILABLE_REASON)
        self._beating = asyncio.ensure_future(self._beat_forever(self.background))

    async def _beat_forever(self, shared: SharedCrawl) -> None:
        while True:
            engine = self.crawler.engine
            busy = engine is not None and not (engine.downloader.active == set() and engine.scraper.slot is not None
                                               and engine.scraper.slot.is_idle())
            queued = await self.beat_once(shared, busy)
            if engine is not None and not busy and queued:
                self._wake(engine)
            await asyncio.sleep(BEAT_SECONDS)

    async def beat_once(self, shared: SharedCrawl, busy: bool) -> int:
        """One heartbeat, asked on a thread (a Redis that does not answer holds the beating loop, never the reactor);
        how many requests the shared queue holds (0 when Redis failed). Redis lost, the first beat that reaches it
        again settles what this worker did meanwhile (``_beat``) before the reactor may ask Redis again."""
        try:
            recovered, queued = await asyncio.to_thread(self._beat, shared, busy)
        except redis_errors() as exc:
            self.failed(exc)
            return 0
        if self.lost and self._pop_in_doubt is None:  # a pop that failed as this beat ran is undone by the next
            # The reactor may ask again; the outage (and the wait for Redis) lasts until it answers (``answered``).
            self.lost = False
        self._count_recovered(recovered)
        return queued

    def _beat(self, shared: SharedCrawl, busy: bool) -> tuple[int, int]:
        """One heartbeat (in the beat's thread): the entries finished while Redis was lost, the pop in doubt undone,
        the beat, dead workers' requests pushed back; how many went back and how many are queued."""
        with self._beat_lock:
            if self._left:
                return 0, 0
            self._finish_unfinished(shared)
            self._undo_pop_in_doubt(shared)
            shared.beat(busy)
            return shared.recover(), shared.queued()

    def pop_token(self) -> int:
        """A token for this worker's next pop from the shared queue, greater than the last (:meth:`pop_failed` undoes
        the pop by it)."""
        self._pops += 1
        return self._pops

    def pop_failed(self, token: int, exc: BaseException) -> None:
        """The pop ``token`` got no answer (on the reactor's 1 s timeout): Redis may run it still, once it reads it (a
        paused Redis, resumed), taking the request to this worker's in-flight hash though the worker never got it.
        Nothing would ever finish it: the whole crawl kept it as work in flight and never ended. The first beat that
        reaches Redis again undoes the pop, whether Redis ran it already or not (then it never will)."""
        self._pop_in_doubt = token
        self.failed(exc)

    def _undo_pop_in_doubt(self, shared: SharedCrawl) -> None:
        """Undo the pop that got no answer (in the beat's thread, while the reactor asks Redis nothing)."""
        token = self._pop_in_doubt
        if token is None:
            return
        if shared.undo_pop(token):
            self.stats.inc_value("frontier/pop_undone")
            logger.info("Queued again a request Redis took for this worker after its call had given up")
        self._pop_in_doubt = None

    def _wake(self, engine: Any) -> None:
        """Ask an idle engine for its next request now that the shared queue has work. Scrapy's engine
        asks an empty scheduler again only on its 5-second heartbeat, so a worker that joined before the
        seeder queued anything would wait up to 5 s (no public API: the engine's own ``nextcall``)."""
        nextcall = getattr(getattr(engine, "_slot", None), "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()
            self.stats.inc_value("frontier/woken")

    def _count_recovered(self, recovered: int) -> None:
        """Dead workers' requests pushed back to the queue: counted, logged."""
        if recovered:
            self.stats.inc_value("frontier/recovered", recovered)
            logger.warning("Requeued %(n)d requests of a dead worker", {"n": recovered})

    def finished(self, request: Request) -> None:
        """A request this worker took is done with (answered, failed for good, or queued again as a retry or
        redirect): no longer in flight. Its id leaves its meta, so that it is finished once."""
        self.finished_id(request.meta.pop(FRONTIER_ID_META, None))

    def finished_id(self, request_id: str | None) -> None:
        """The request of this worker's in-flight entry ``request_id`` is done with."""
        if request_id and self.shared is not None:
            self._settle(request_id, self.shared.finished, self._unfinished)

    def discard_id(self, request_id: bytes | str) -> None:
        """This worker's in-flight entry ``request_id`` can make no request: forgotten, never queued again (while
        Redis is lost, by the next heartbeat that reaches it)."""
        if self.shared is not None:
            self._settle(request_id, self.shared.discard, self._undiscarded)

    def _settle(self, request_id: Any, settle: Callable[[Any], object], backlog: deque[Any]) -> None:
        """``settle(request_id)`` in Redis now, or (Redis lost, or failing now) kept in ``backlog`` for the next
        heartbeat that reaches it."""
        if self.lost:
            backlog.append(request_id)
            return
        try:
            settle(request_id)
        except redis_errors() as exc:
            self.failed(exc)
            backlog.append(request_id)

    def stopping(self) -> bool:
        """Whether this worker is being stopped (Ctrl-C, SIGTERM, a Scrapyd cancel)."""
        return crawl_stopping(self.crawler)

    def downloaded(self, request: Request, response: object, spider: Spider) -> None:
        """A response came: the request is done with, whatever a middleware then makes of the response."""
        self.finished(request)

    def left_downloader(self, request: Request, spider: Spider) -> None:
        """A download ended. Finished now, unless it failed while this worker stops: its outcome is then awaited
        (:class:`~crawler.frontier.outcome.FrontierOutcomeMiddleware`)."""
        if not self.stopping():
            self.finished(request)

    def failed_by_stop(self, request: Request) -> bool:
        """Whether ``request`` failed while this worker stops: the stop may be the cause (a SIGTERM to the process
        group closes Chromium under the pages it renders). It then stays in flight, so that leaving the crawl
        hands it back to the other workers (it is in the crawl's seen set: none would fetch it again)."""
        if not request.meta.get(FRONTIER_ID_META) or not self.stopping():
            return False
        self.stats.inc_value("frontier/failed_by_stop")
        logger.info("Handing %(request)s back to the other workers: it failed while this worker stops",
                    {"request": request})
        return True

    def spider_idle(self, spider: Spider) -> None:
        """Keep the worker while the shared crawl has work; end it after the crawl was idle long enough."""
        if self.shared is None:
            return
        if self.lost:  # what this worker held is done, and Redis failed its last call: wait for it, then end
            self._wait_for_redis()
        try:
            self.shared.beat(busy=False)
            self._count_recovered(self.shared.recover())
            busy = self.shared.busy()
        except redis_errors() as exc:
            self.failed(exc)
            self._wait_for_redis()
        self.answered()
        now = time.monotonic()
        if busy:
            self._idle_since = None
            raise DontCloseSpider
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < self.shared.config.idle_seconds:
            raise DontCloseSpider
        self.ended = True
        logger.info("The shared crawl %(id)s is over", {"id": self.shared.crawl_id})

    def answered(self) -> None:
        """Redis answered a call made on the crawl's reactor: the next outage has a wait of its own. Not when only the
        heartbeat reaches it: its thread's connection may live on while the reactor's calls fail for good (their
        connection cut, a new one refused: a process out of descriptors), and each beat restarted the wait, so that
        the worker, flipping between "Lost Redis" and "Reached Redis again", never ended. Nor does the outage end
        then: each beat's "Reached Redis again" and the reactor's next "Lost Redis" came every second."""
        self._lost_idle_since = None
        if self._outage:
            self._outage = False
            logger.warning("Reached Redis again")

    def _wait_for_redis(self) -> None:
        """Keep a worker out of work while Redis is lost, up to ``FRONTIER_REDIS_WAIT_SECONDS``: its heartbeat asks
        again every second, and once Redis answers the worker takes the crawl's queue again. Before, it ended at once
        (exit 1), and so did every worker: an outage of seconds left the queue to a run that might come too late.
        A crawl whose keys are gone (Redis restarted empty) has no queue to come back to: it ends at once."""
        now = time.monotonic()
        if self._lost_idle_since is None:
            self._lost_idle_since = now
        assert self.shared is not None
        if self.gone:
            raise CloseSpider(LOST_REASON)
        if now - self._lost_idle_since >= self.shared.config.redis_wait:
            logger.error("Redis did not come back within %(wait)g s: ending this worker, the shared crawl's queue left "
                         "behind", {"wait": self.shared.config.redis_wait})
            raise CloseSpider(LOST_REASON)
        raise DontCloseSpider

    async def leave(self) -> None:
        """Stop beating, leave the crawl and close both clients (the scheduler calls it at close, after the pipelines'
        flush, on every path: a crawl closed while opening too). The clients' one owner: nothing asks Redis through
        them after, the run record asks on a connection of its own (``recorded``)."""
        if self._beating is not None:
            self._beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beating
            self._beating = None
        if self.shared is not None and self.shared is not self.background:
            self.shared.client.close()  # nothing asks Redis on the reactor after this; the run record uses a thread
        if self.background is None:
            return
        try:  # on a thread, as the beat: Redis may be back, or still not answering
            requeued = await asyncio.to_thread(self._leave, self.background)
        except redis_errors() as exc:
            self.failed(exc)
            return
        finally:
            self.background.client.close()  # a beat still on its thread finished first (``_leave`` took its lock)
        if requeued:
            self.stats.inc_value("frontier/requeued_at_close", requeued)

    def _leave(self, shared: SharedCrawl) -> int:
        """Leave the crawl (on a thread), once no beat runs; no beat after it."""
        with self._beat_lock:
            self._left = True
            self._finish_unfinished(shared)
            self._undo_pop_in_doubt(shared)
            return shared.leave(self.ended)
