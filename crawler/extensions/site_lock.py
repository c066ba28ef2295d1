"""One crawl per site at a time across every host sharing the store, whoever starts it (cron,
systemd, a person, Scrapyd), whatever its ``DATA_DIR``.

With storage on, the lock is a lease in the store (``crawler.storage.lease``): taken before the
storage pipeline opens (it waits on :func:`settled`, so a refused run never replays a spool),
renewed every third of ``SITE_LEASE_SECONDS`` while the crawl runs, released when the spider
closes, after the pipeline's final flush. A host that dies leaves a lease that lapses
``SITE_LEASE_SECONDS`` after its last renewal; the next run anywhere then takes the site. A run
whose lease another run took over (its renewals failed past the expiry) stops with reason
``site_lease_lost``. With storage off (``STORAGE_ENABLED=0``) the lock is an exclusive ``flock``
on ``DATA_DIR/locks/<site>.lock``, taken as the crawler is built (one host, one ``DATA_DIR``).

A run stopped hard (Ctrl-C twice, SIGKILL, an out-of-memory kill) leaves its lease unexpired: the next run on the
same host, in the same pid namespace, finds the holder's process gone and takes the site over at once, where it was
refused as "running" until the lease lapsed (and its spool waited). A holder on another host, or in another pid
namespace (a container whose host name is this one's), is never judged from here.

A second crawl of a held site closes at once with reason ``site_locked``: its run is recorded as
``skipped`` and raises no alert, and ``scrapy crawl`` exits 75. One that cannot take the lock (the
store unreachable, an unwritable ``DATA_DIR`` for the file) closes with reason
``site_lock_unavailable`` or the storage pipeline's ``storage_unavailable`` (exit code 1).
This is the only lock: ``deploy/run-crawl`` takes none. With ``REDIS_URL`` the workers of one shared
crawl (``crawler.frontier``) hold the lease together (its holder is the crawl's id): they never refuse
each other, a worker leaving before the crawl ends keeps it, and another crawl of the site still gets 75;
a worker that could not join its shared crawl takes no lease and closes with the frontier's reason.

Settings: ``SITE_LOCK_ENABLED``, ``SITE_LEASE_SECONDS``, ``DATA_DIR``.
Stats: ``site_lock/refused``, ``site_lock/renew_failed``, ``site_lock/lost``, ``site_lock/taken_over``.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
from pathlib import Path
from typing import IO

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured

from crawler.frontier.extension import Frontier
from crawler.health import LOCKED_REASON
from crawler.run_record import current_run
from crawler.storage import lease as leases
from crawler.storage.component import Storage
from crawler.storage.config import data_dir
from crawler.storage.store import StoreUnavailable, describe_error, store_errors

__all__ = ["LOCKED_REASON", "SiteLock", "settled"]
logger = logging.getLogger(__name__)
UNLOCKABLE_REASON = "site_lock_unavailable"
SHARED_HOLDER = "shared-crawl:"  # the holder of every worker of a shared crawl (REDIS_URL): its id follows
LOST_REASON = "site_lease_lost"


def _no_lease() -> tuple[type[BaseException], ...]:
    """A failed store call, or no store."""
    return (*store_errors(), StoreUnavailable)


def _site(spider: Spider) -> str:
    return getattr(getattr(spider, "site", None), "name", None) or spider.name


async def settled(crawler: Crawler) -> None:
    """Wait until the crawl knows whether it holds its site (at once with no lock or a file lock)."""
    lock = crawler.get_extension(SiteLock)
    if lock is not None:
        await lock.claim()


class SiteLock:
    def __init__(self, crawler: Crawler, directory: Path, lease_seconds: float, use_lease: bool) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.directory = directory
        self.lease_seconds = lease_seconds
        self.use_lease = use_lease
        self._handle: IO[str] | None = None
        self._refused: str | None = None  # the close reason when this run may not crawl
        self._claiming = asyncio.Lock()
        self._decided = not use_lease  # the file lock is decided as the crawler is built
        self._lease: leases.Lease | None = None  # held
        self._storage: Storage | None = None  # retained while the lease is held
        self._renewing: asyncio.Task[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteLock:
        settings = crawler.settings
        if not settings.getbool("SITE_LOCK_ENABLED", True):
            raise NotConfigured
        seconds = settings.getfloat("SITE_LEASE_SECONDS", 300.0)
        if seconds <= 0:
            raise ValueError(f"SITE_LEASE_SECONDS must be positive, not {seconds}")
        extension = cls(crawler, Path(data_dir(settings)) / "locks", seconds,
                        use_lease=settings.getbool("STORAGE_ENABLED", True))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        # Extensions are built after the spider, before the engine and pipelines. The lease needs the
        # store (another extension, reachable only once all are built): it is taken by claim().
        if crawler.spider is not None and not extension.use_lease:
            extension.acquire(crawler.spider)
        return extension

    # -- the lease (storage on) -------------------------------------------------------------------
    async def claim(self) -> None:
        """Take the site's lease once (the storage pipeline and spider_opened both wait on it)."""
        async with self._claiming:
            if not self._decided:
                assert self.crawler.spider is not None
                await self._take_lease(_site(self.crawler.spider))
                self._decided = True

    async def _take_lease(self, site: str) -> None:
        frontier = Frontier.of(self.crawler)
        if frontier is not None and frontier.refused:  # it could not join its shared crawl: it closes, taking nothing
            self._refused = frontier.refused
            return
        storage = Storage.of(self.crawler)
        if storage is None or not storage.retain():  # STORAGE_ENABLED was read from the same settings
            self._refused = UNLOCKABLE_REASON
            return
        self._storage = storage
        lease = leases.Lease(site, self._holder(), self.lease_seconds, PID_NAMESPACE)
        store = await storage.open()
        try:
            if store is None:  # the storage pipeline logs why, once
                raise StoreUnavailable("the store cannot be opened")
            taken = await storage.call(leases.acquire, store, lease)
            other = None if taken else await storage.call(leases.holder, store, site)
            if other is not None and died_here(other):
                taken = await storage.call(leases.take_over, store, lease, other["holder"])
                if taken:
                    logger.warning("Took over the lease of %(site)s from %(dead)s: that run of this host is gone "
                                   "(stopped hard) and never gave the site back",
                                   {"site": site, "dead": other["holder"]})
                    self.stats.set_value("site_lock/taken_over", 1)
            now = 0.0 if taken else await storage.call(leases.store_time, store)  # the clock of its expiry
        except _no_lease() as exc:
            logger.warning("Cannot take the lease of %(site)s (%(error)s); not starting",
                           {"site": site, "error": str(exc) if store is None else describe_error(exc)})
            self._refused = UNLOCKABLE_REASON
            self._let_go()
            return
        if not taken:
            self._refuse(site, _describe_holder(other, now))
            self._let_go()
            return
        self._lease = lease
        logger.info("Took the lease of %(site)s for %(seconds)gs as %(holder)s",
                    {"site": site, "seconds": lease.seconds, "holder": lease.holder})

    def _holder(self) -> str:
        """Who holds the lease: this run, or every worker of its shared crawl (``REDIS_URL``) alike."""
        frontier = Frontier.of(self.crawler)
        if frontier is not None and frontier.crawl_id:
            return f"{SHARED_HOLDER}{frontier.crawl_id}"
        return f"{socket.gethostname()}:{os.getpid()}:{current_run(self.crawler).id}"

    def _shared(self) -> Frontier | None:
        frontier = Frontier.of(self.crawler)
        return frontier if frontier is not None and frontier.crawl_id else None

    async def _renew_forever(self, lease: leases.Lease) -> None:
        """Renew every third of the lease; a failed renewal is retried at the next; a lost lease stops the crawl."""
        assert self._storage is not None
        while True:
            await asyncio.sleep(lease.seconds / 3)
            store = self._storage.store
            if store is None:  # closing: spider_closed releases the lease
                return
            try:
                # Workers of one shared crawl hold one lease: a renewal retakes it if a stopped worker let it go.
                renew = leases.acquire if lease.holder.startswith(SHARED_HOLDER) else leases.renew
                renewed = await self._storage.call(renew, store, lease)
            except store_errors() as exc:  # the next renewal may get through before the lease lapses
                self.stats.inc_value("site_lock/renew_failed")
                logger.warning("Could not renew the lease of %(site)s: %(error)s",
                               {"site": lease.site, "error": describe_error(exc)})
                continue
            if not renewed:
                self._lease = None
                self.stats.set_value("site_lock/lost", 1)
                logger.error("Lost the lease of %(site)s to another crawl (ours lapsed); stopping this one",
                             {"site": lease.site})
                self._renewing = None  # spider_closed must not cancel the close this task is waiting on
                assert self.crawler.engine is not None
                await self.crawler.engine.close_spider_async(reason=LOST_REASON)
                return

    def _let_go(self) -> None:
        if self._storage is not None:
            self._storage.release()
            self._storage = None

    # -- the file lock (storage off) --------------------------------------------------------------
    def acquire(self, spider: Spider) -> None:
        """Take the site's lock file, or note (stat, log) that another crawl holds it."""
        site = _site(spider)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle = (self.directory / f"{site}.lock").open("w")
        except OSError as exc:  # an unwritable DATA_DIR: one clear line, no traceback
            logger.error("Cannot take the lock of %(site)s in %(dir)s (%(error)s); not starting",
                         {"site": site, "dir": self.directory, "error": exc.strerror or exc})
            self._refused = UNLOCKABLE_REASON
            return
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            self._refuse(site, "on this host")
            return
        self._handle = handle

    # -- both -------------------------------------------------------------------------------------
    def _refuse(self, site: str, where: str) -> None:
        self._refused = LOCKED_REASON
        self.stats.set_value("site_lock/refused", 1)
        # A warning, not an error: overlapping schedules are expected and the run is recorded as skipped.
        logger.warning("Another crawl of %(site)s is running %(where)s; skipping this one",
                       {"site": site, "where": where})

    async def spider_opened(self, spider: Spider) -> None:
        if self.use_lease:
            await self.claim()
        elif self._handle is None and not self._refused:
            self.acquire(spider)
        if self._refused:
            raise CloseSpider(self._refused)
        if self._lease is not None and self._renewing is None:
            self._renewing = asyncio.ensure_future(self._renew_forever(self._lease))

    async def spider_closed(self) -> None:
        """Stop renewing and give the site up: the pipeline's final flush is done by now."""
        if self._renewing is not None:
            self._renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewing
            self._renewing = None
        lease, self._lease = self._lease, None
        shared = self._shared()
        if shared is not None and not shared.ended:
            lease = None  # the shared crawl goes on without this worker: its lease stays, renewed by the others
        if lease is not None and self._storage is not None:
            try:
                store = self._storage.store
                if store is not None:
                    await self._storage.call(leases.release, store, lease)
            except store_errors() as exc:  # it lapses by itself
                logger.warning("Could not release the lease of %(site)s (it lapses in %(seconds)gs): %(error)s",
                               {"site": lease.site, "seconds": lease.seconds, "error": describe_error(exc)})
        self._let_go()
        if self._handle is not None:
            self._handle.close()  # closing the file releases the lock
            self._handle = None


def _pid_namespace() -> str | None:
    try:
        return os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]"
    except OSError:
        return None


PID_NAMESPACE = _pid_namespace()


def _host_and_pid(holder: str) -> tuple[str, str]:
    """The host and pid a run's holder names (``host:pid:run``)."""
    host, _, rest = holder.partition(":")
    return host, rest.partition(":")[0]


def died_here(document: dict[str, object]) -> bool:
    """Whether a lease's holder was a run of this host, in this pid namespace, whose process is gone."""
    holder = str(document.get("holder", ""))
    host, pid = _host_and_pid(holder)
    if holder.startswith(SHARED_HOLDER) or host != socket.gethostname() or not pid.isdigit() \
            or PID_NAMESPACE is None or document.get("pid_namespace") != PID_NAMESPACE or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):  # another user's process (alive), or no pid at all
        return False
    return False


def _describe_holder(document: dict[str, object] | None, now: float) -> str:
    """Where the site's holder runs, for the refusal's log line."""
    if not document:
        return "elsewhere"
    if str(document.get("holder", "")).startswith(SHARED_HOLDER):
        return f"as another shared crawl ({document['holder']})"
    host, pid = _host_and_pid(str(document.get("holder", "")))
    expires = document.get("expires")
    left = f", its lease ends in {expires - now:.0f}s" if isinstance(expires, (int, float)) else ""
    return f"on {host} (pid {pid}{left})"
