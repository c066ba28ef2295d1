"""Scrapy's scheduler, ending discovery at ``-a limit``: once the spider has scheduled its limit
of articles, the feed, sitemap, listing and API requests still queued are dropped unsent.

Dropped here rather than by a downloader middleware: an ``IgnoreRequest`` there would count
as a download error (``downloader/exception_count``) and make the run look unhealthy.

The spider marks discovery requests with ``DISCOVERY_META`` and says when it is done with
``limit_reached``.

With ``JOBDIR``, Scrapy writes a disk queue's header and ``active.json`` only at a clean close: after
an unclean stop (Ctrl-C twice, SIGKILL, a crash) its queue files are unreadable, and a new queue of
the same priority raised ``struct.error`` on every push, so the next run hung. A run that finds no
``active.json`` discards those leftovers (one warning; the store decides what is fetched again), and
one that resumes removes ``active.json`` once read, so a crash of this run leaves no stale state. The
queue directory is held with an ``flock``: a second crawl given the same JOBDIR (one skipped by the
site lock) keeps its queue in memory instead of touching the live run's files.

A request the disk queue cannot take for any reason (Scrapy handles only ``ValueError``: a meta nested
too deep to pickle raises ``RecursionError``, a full disk ``OSError``) is kept in memory
(``scheduler/disk_failed``, one warning per kind of error); one that cannot be queued at all is dropped
(``scheduler/dropped/error``, one warning line each) instead of the exception reaching the engine, which
stops the whole crawl when it comes from ``start()`` and drops the request with a traceback otherwise. A pop
the disk queue fails (it opens its file for each: ``EMFILE`` when the process is out of descriptors) gives no
request this time (``scheduler/disk_pop_failed``, one warning per kind of error; the file is untouched, so the
request is taken on a later call) instead of a traceback from the engine's loop. Pops failing
``SCHEDULER_DISK_POP_MAX_FAILURES`` times in a row (its files gone, descriptors never freed) end the crawl with
reason ``disk_queue_failed`` and one error line: the queue still counts their requests, so the crawl was never idle
and never ended (the default: :data:`crawler.queue_limits.MAX_DISK_POP_FAILURES`).

A newly discovered article request (``article_key`` meta) that finds ``DISCOVERY_MAX_QUEUED_ARTICLES`` requests
queued is dropped (``discovery/skipped/queue_full``, one warning line) and the spider told (``queue_full``): its
discovery ends as at ``-a limit``, so the run does not record its sources as read and the next run goes on from them
(the store skips what this one stored). A hostile sitemap index of 500 sitemaps, each 50,000 fresh links, would
queue 25 million requests (2.5 KB of memory each). Retries, redirects and requests queued again pass (they carry
``queued_once``), and so do revisits (no ``article_key``).

Settings: ``SCHEDULER``, ``SCHEDULER_DISK_POP_MAX_FAILURES``. Stats: ``discovery/skipped/limit_reached``,
``discovery/skipped/queue_full``, ``scheduler/jobdir/discarded`` (leftover queue files of an unclean stop),
``scheduler/jobdir/in_use``, ``scheduler/disk_failed``, ``scheduler/disk_pop_failed``, ``scheduler/dropped/error``.
"""

from __future__ import annotations

import fcntl
import logging
import shutil
from functools import cached_property
from pathlib import Path
from typing import IO

from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.defer import Deferred

from crawler.discovery.limits import DiscoveryLimits
from crawler.middlewares.incremental import ARTICLE_KEY_META
from crawler.queue_limits import MAX_DISK_POP_FAILURES

logger = logging.getLogger(__name__)
DISCOVERY_META = "discovery"  # set on feed, sitemap, listing and API requests
QUEUED_META = "queued_once"  # a request the queue took before: its retry, redirect or requeue is never dropped
_STATE = "active.json"  # Scrapy's record of the queues a clean close left
DISK_QUEUE_FAILED_REASON = "disk_queue_failed"
_LOCK = ".lock"


class DiscoveryLimitScheduler(Scheduler):
    _spider: Spider | None = None
    _jobdir_lock: IO[str] | None = None
    _disk_errors_logged: frozenset[str] = frozenset()
    _disk_pop_failures = 0  # in a row
    _closing: Deferred[None] | None = None

    def enqueue_request(self, request: Request) -> bool:
        """Scrapy's, but a request that cannot be queued is dropped and counted, never raised to the engine, and
        a newly discovered article is dropped when the queue is full."""
        if self._queue_full(request):
            return False
        request.meta[QUEUED_META] = True
        try:
            return super().enqueue_request(request)
        except Exception as exc:  # any error here would stop the crawl (from start()) or vanish in a task
            assert self.stats is not None
            self.stats.inc_value("scheduler/dropped/error")
            logger.warning("Dropped %(request)s: it cannot be queued (%(error)s)",
                           {"request": request, "error": _describe(exc)})
            return False

    def _queue_full(self, request: Request) -> bool:
        """True (counted; the spider told) for a new discovered article when the queue holds its maximum."""
        if ARTICLE_KEY_META not in request.meta or request.meta.get(QUEUED_META) or len(self) < self._max_queued:
            return False
        assert self.stats is not None
        dropped_for_full_queue(self._spider, self.stats, len(self))
        return True

    @cached_property
    def _max_queued(self) -> int:
        assert self.crawler is not None
        return DiscoveryLimits.from_settings(self.crawler.settings).max_queued_articles

    def _dqpush(self, request: Request) -> bool:
        """Into the disk queue; False (kept in memory) when it cannot go there, whatever the error."""
        try:
            return super()._dqpush(request)  # Scrapy counts and logs ValueError (scheduler/unserializable)
        except Exception as exc:  # whatever the disk refused, the memory queue can still take it
            if self._first_disk_error("scheduler/disk_failed", exc):
                logger.warning("Kept %(request)s in memory: the JOBDIR queue cannot take it (%(error)s); "
                               "further %(kind)s errors are only counted (scheduler/disk_failed)",
                               {"request": request, "error": _describe(exc), "kind": type(exc).__name__})
            return False

    def _dqpop(self) -> Request | None:
        """From the disk queue; None (nothing this time) when it cannot be read, whatever the error."""
        try:
            request = super()._dqpop()
        except Exception as exc:  # raised to the engine: a traceback and no request, on each call until it clears
            if self._first_disk_error("scheduler/disk_pop_failed", exc):
                logger.warning("Could not take a request from the JOBDIR queue (%(error)s): it is asked again later; "
                               "further %(kind)s errors are only counted (scheduler/disk_pop_failed)",
                               {"error": _describe(exc), "kind": type(exc).__name__})
            self._disk_pop_failed(exc)
            return None
        self._disk_pop_failures = 0
        return request

    def _disk_pop_failed(self, exc: BaseException) -> None:
        """Count a failed pop; the ``SCHEDULER_DISK_POP_MAX_FAILURES``-th in a row closes the crawl as failed."""
        assert self.crawler is not None
        self._disk_pop_failures += 1
        most = self.crawler.settings.getint("SCHEDULER_DISK_POP_MAX_FAILURES", MAX_DISK_POP_FAILURES)
        if self._disk_pop_failures < most or self._closing is not None or self.crawler.engine is None:
            return
        logger.error("The JOBDIR queue failed %(n)d pops in a row (%(error)s): ending the crawl, %(queued)d requests "
                     "left in it", {"n": self._disk_pop_failures, "error": _describe(exc), "queued": len(self)})
        self._closing = deferred_from_coro(self.crawler.engine.close_spider_async(reason=DISK_QUEUE_FAILED_REASON))

    def _first_disk_error(self, stat: str, exc: BaseException) -> bool:
        """Count a disk queue error under ``stat``; whether it is the first of its kind there (to be logged)."""
        assert self.stats is not None
        self.stats.inc_value(stat)
        kind = f"{stat}:{type(exc).__name__}"
        first = kind not in self._disk_errors_logged
        self._disk_errors_logged |= {kind}
        return first

    def open(self, spider: Spider) -> Deferred[None] | None:
        self._spider = spider
        if self.dqdir:
            self._claim_queue_dir(Path(self.dqdir))
        opened = super().open(spider)
        if self.dqdir:  # read: a crash of this run must not leave it pointing at queues it then changed
            Path(self.dqdir, _STATE).unlink(missing_ok=True)
        return opened

    def close(self, reason: str) -> Deferred[None] | None:
        try:
            return super().close(reason)
        finally:
            if self._jobdir_lock is not None:
                self._jobdir_lock.close()  # releases the flock
                self._jobdir_lock = None

    def _claim_queue_dir(self, directory: Path) -> None:
        """Hold JOBDIR's queue directory; discard what an unclean stop left in it (no ``active.json``)."""
        assert self.stats is not None
        handle = (directory / _LOCK).open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            logger.warning("JOBDIR queue %(dir)s is in use by another crawl: this one keeps its queue in memory",
                           {"dir": directory})
            self.stats.set_value("scheduler/jobdir/in_use", 1)
            self.dqdir = None
            return
        self._jobdir_lock = handle
        if (directory / _STATE).exists():
            return
        leftovers = [path for path in directory.iterdir() if path.name != _LOCK]
        for path in leftovers:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        if leftovers:
            logger.warning("JOBDIR queue %(dir)s was left by an unclean stop (no %(state)s): discarded %(n)d "
                           "entries; the store decides what is fetched again", {"dir": directory, "state": _STATE,
                                                                                 "n": len(leftovers)})
            self.stats.set_value("scheduler/jobdir/discarded", len(leftovers))

    def next_request(self) -> Request | None:
        """The next queued request, skipping discovery requests once the spider's limit is reached."""
        while (request := super().next_request()) is not None:
            if not (request.meta.get(DISCOVERY_META) and getattr(self._spider, "limit_reached", False)):
                return request
            assert self.stats is not None
            self.stats.inc_value("discovery/skipped/limit_reached")
        return None


def dropped_for_full_queue(spider: Spider | None, stats: StatsCollector, queued: int) -> None:
    """Count a newly discovered article dropped for a full queue; the first ends the spider's discovery (logged)."""
    stats.inc_value("discovery/skipped/queue_full")
    if not getattr(spider, "queue_full", True):
        spider.queue_full = True  # type: ignore[union-attr]
        logger.warning("%(n)d requests are queued (DISCOVERY_MAX_QUEUED_ARTICLES): discovery ends for this run, "
                       "the next run goes on from its sources", {"n": queued})


def _describe(exc: BaseException) -> str:
    """An exception in a few words (its text may be a whole pickled structure)."""
    text = str(exc)
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
