"""The buffered article writer: batched idempotent upserts through the crawl's :class:`Storage`.

Items are buffered and written (``crawler.storage.batches``) when the batch is full (in items, or
in the characters of its pages' HTML and text: what bounds the crawl's memory), every
``STORAGE_FLUSH_SECONDS`` and at close, on the storage thread so the reactor never waits on the
database. A batch that cannot be written goes to a durable spool under ``DATA_DIR/unsaved/``
(fsync'd JSON lines) that every later flush, and the next run, writes first
(``crawler.storage.replay``); replays are idempotent upserts, so nothing is stored twice. What
the spool cannot take either (a full disk) stays in memory, is tried again at every flush and,
at close, goes to ``STORAGE_FALLBACK_DIR``; the run then reports it unsaved. An unreachable
store or an unwritable ``DATA_DIR`` refuses the open (``StoreUnavailable``).

Once a flush leaves articles unwritten the store is taken as down: a full buffer goes to the spool without asking it,
and only the periodic flush asks it again, once (no retries), until the store takes everything. ``STORAGE_RETRIES``
with backoff is for a glitch, not an outage: each full round cost about 75 s with the defaults, so items waited in the
pipeline for minutes and a Ctrl-C during an outage took minutes (past systemd's stop timeout) to close the crawl. Nor
is a batch retried once the crawl is stopping.

Settings: ``STORAGE_BATCH_SIZE``, ``STORAGE_BATCH_MAX_MB``, ``STORAGE_FLUSH_SECONDS``, ``STORAGE_RETRIES``,
``STORAGE_KEEP_RAW_HTML``, ``STORAGE_FALLBACK_DIR``, ``STORAGE_SHRINK_RATIO``, ``STORAGE_SHRINK_MIN_CHARS``.
Stats: ``storage/spooled``, ``storage/spool_failed``, ``storage/rescued``, ``storage/lost``,
``storage/unsaved`` (not in the store at close: left in the spool, in the fallback file or lost).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from scrapy.statscollectors import StatsCollector

from crawler.items import ArticleChecked
from crawler.storage.batches import CHECK_MARK, BatchWriter
from crawler.storage.component import Storage
from crawler.storage.config import to_document
from crawler.storage.replay import SpoolReplay
from crawler.storage.spool import Entry, claim, release, spool, writable_problem
from crawler.storage.store import StoreUnavailable
from crawler.urls import url_id

logger = logging.getLogger(__name__)
DOWN_PROBE_MAX_SECONDS = 60.0  # the longest wait between two tries of a store that is down


class ArticleWriter:
    def __init__(self, storage: Storage, stats: StatsCollector, run_id: str,
                 stopping: Callable[[], bool] = lambda: False) -> None:
        self.storage = storage
        self.config = storage.config
        self.stats = stats
        self.spool_path = self.config.unsaved_dir / f"{run_id}.jsonl"
        self.fallback_path = Path(self.config.fallback_dir) / f"{run_id}.jsonl"
        self.batches = BatchWriter(storage, stats, run_id, stopping)
        self.replay = SpoolReplay(self.batches, self.spool_path)
        self.opened = False
        self._buffer: list[Entry] = []
        self._buffered_chars = 0
        self._max_chars = int(self.config.batch_max_mb * 1_000_000)
        self._spool_failing = False
        self._down = False  # the last flush that asked the store left articles unwritten
        self._own_claim: IO[str] | None = None  # held for the run's life: see crawler.storage.spool.claim
        self._lock = asyncio.Lock()
        self._ticker: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Open the store, claim this run's spool, write what earlier runs left; raises StoreUnavailable."""
        data_dir = self.config.target.data_dir
        problem = await self.storage.call(writable_problem, self.config.unsaved_dir)
        if problem:
            raise StoreUnavailable(f"DATA_DIR {data_dir} is not writable: cannot write in "
                                   f"{self.config.unsaved_dir} ({problem})")
        if await self.storage.open() is None:
            raise StoreUnavailable(self.storage.error)
        self.opened = True
        logger.info("Storing articles in %(target)s", {"target": self.config.target.describe()})
        try:  # this run's spool is claimed for its whole life: no other run replays it while it grows
            self._own_claim = await self.storage.call(claim, self.spool_path)
        except OSError as exc:
            raise StoreUnavailable(f"DATA_DIR {data_dir} is not writable: cannot lock "
                                   f"{self.spool_path} ({exc.strerror or exc})") from None
        async with self._lock:
            await self.replay.replay(self.config.retries)
        self._ticker = asyncio.create_task(self._flush_periodically())

    async def add(self, item: Any) -> None:
        """Buffer a well-formed article (or a revisit's check: 304, gone, moved); a full buffer is written."""
        if isinstance(item, ArticleChecked):
            check = {"_id": url_id(item.url), "url": item.url, "fetched_at": item.fetched_at, "gone": item.gone,
                     "reason": item.reason, "location": item.location,
                     "location_id": url_id(item.location) if item.location and not item.gone else None,
                     CHECK_MARK: True}
            self._buffer.append((check, None))
            return
        doc, raw_html = to_document(item)
        raw_html = raw_html if self.config.keep_raw_html else None
        self._buffer.append((doc, raw_html))
        self._buffered_chars += len(raw_html or "") + len(doc.get("body") or "")
        if len(self._buffer) >= self.config.batch_size or self._buffered_chars >= self._max_chars:
            await self.flush(ask_store=None)  # to the spool at once while the store is down

    async def _flush_periodically(self) -> None:
        wait = self.config.flush_seconds
        while True:
            await asyncio.sleep(wait)
            if self._down and self.batches.stopping():
                continue  # the close spools what is left: a store that is down is not asked again
            if (self._buffer or self.batches.held or self.spool_path.exists()) and not self._lock.locked():
                # Shielded: stopping the ticker at close must not abandon a batch mid-write.
                await asyncio.shield(self.flush(retries=0))
            # Each try of a store that is down holds the storage thread (the spool's writes, the lease's renewal)
            # for its timeout: it is asked less and less often, up to DOWN_PROBE_MAX_SECONDS apart.
            wait = min(wait * 2, DOWN_PROBE_MAX_SECONDS) if self._down else self.config.flush_seconds

    async def flush(self, retries: int | None = None, ask_store: bool | None = True) -> bool:
        """Write the spool, then the buffer (after what earlier flushes could not put anywhere). A batch
        that cannot be written goes to the durable spool (append-only, fsync'd) at once, so a crash
        during a storage outage loses nothing. ``retries`` default to ``STORAGE_RETRIES``, none while the store is
        down; ``ask_store`` False puts the buffer in the spool, None asks the store unless it is down (decided once
        the lock is held: the flush before may have found it down). True when everything is in the store (or
        quarantined)."""
        async with self._lock:
            ask_store = not self._down if ask_store is None else ask_store
            batch, self._buffer, self.batches.held = [*self.batches.held, *self._buffer], [], []
            self._buffered_chars = 0
            if self._down or self.batches.stopping():
                retries = 0
            elif retries is None:
                retries = self.config.retries
            replayed = ask_store and await self.replay.replay(retries)
            left = batch
            try:
                if replayed:
                    left = await self.batches.write(batch, retries)
            finally:
                if left:  # failed or cancelled: the rest is kept on disk for a later flush or run
                    await asyncio.shield(self._keep(left))
            done = replayed and not left
            if ask_store and done and self._down:
                logger.info("The store takes articles again")
            elif ask_store and not done and not self._down:
                logger.warning("The store is down: articles go to the spool, and the store is asked again at "
                               "growing intervals (up to %(s)gs)", {"s": DOWN_PROBE_MAX_SECONDS})
            self._down = not done if ask_store else self._down
            return done

    async def _keep(self, batch: list[Entry]) -> None:
        """Spool entries the store did not take; what the spool cannot take stays in memory."""
        try:
            unencodable = await self.storage.call(spool, batch, self.spool_path)
        except OSError as exc:
            self.stats.inc_value("storage/spool_failed")
            level = logging.WARNING if self._spool_failing else logging.ERROR  # an error per episode, not per flush
            self._spool_failing = True
            self.batches.held.extend(batch)
            logger.log(level, "Could not spool %(n)d articles in %(path)s (%(error)s); %(held)d kept in memory",
                       {"n": len(batch), "path": self.spool_path, "error": exc, "held": len(self.batches.held)})
            return
        self._spool_failing = False
        self.stats.inc_value("storage/spooled", len(batch) - len(unencodable))
        await self.batches.reject(unencodable)

    async def close(self) -> None:
        """Write what is left; count and report what could not be stored; free this run's spool."""
        if self._ticker is not None:
            self._ticker.cancel()
        if not self.opened:
            return
        await self.flush(ask_store=None if self.batches.stopping() else True)
        if self.batches.held:
            await self._rescue()
        spooled = await self.storage.call(self.replay.spooled_count)
        unsaved = spooled + self.stats.get_value("storage/rescued", 0) + self.stats.get_value("storage/lost", 0)
        if unsaved:
            self.stats.set_value("storage/unsaved", unsaved)
        if spooled:
            logger.error("Could not store %(n)d articles; they are spooled in %(dir)s for the next run",
                         {"n": spooled, "dir": self.config.unsaved_dir})
        if self._own_claim is not None:  # from now on the next run may replay what is left
            await self.storage.call(release, self.spool_path, self._own_claim)
            self._own_claim = None

    async def _rescue(self) -> None:
        """At close: what neither the store nor the spool took goes to the fallback directory, else it
        is lost; either way an error names the paths and the count."""
        batch, self.batches.held = self.batches.held, []
        path = self.fallback_path
        paths = {"store": self.config.target.describe(), "spool": self.spool_path, "path": path}
        try:
            unencodable = await self.storage.call(spool, batch, path)
        except OSError as exc:
            self.stats.inc_value("storage/lost", len(batch))
            logger.error("Lost %(n)d articles: neither the store (%(store)s), the spool %(spool)s nor %(path)s "
                         "could take them (%(error)s)", {"n": len(batch), "error": exc, **paths})
            return
        self.stats.inc_value("storage/rescued", len(batch) - len(unencodable))
        self.stats.inc_value("storage/lost", len(unencodable))
        logger.error("Neither the store (%(store)s) nor the spool %(spool)s could take %(n)d articles; they are in "
                     "%(path)s: move it into %(dir)s once there is space, for the next run to store them",
                     {"n": len(batch) - len(unencodable), "dir": self.config.unsaved_dir, **paths})
