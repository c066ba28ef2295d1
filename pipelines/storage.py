"""Storage pipeline: batched idempotent upserts of articles, one run document.

Items are buffered and written with ``bulk_write`` (unordered) when the batch
is full, every ``STORAGE_FLUSH_SECONDS`` and at close, on a worker thread so
the reactor never waits on the database. A write that fails for a transient
reason (network, failover, timeout, a full or locked disk) is retried with
backoff, then appended to a durable spool under ``DATA_DIR/unsaved/`` (fsync'd
JSON lines) that every later flush, and the next run, writes first; replays are
idempotent upserts, so nothing is stored twice. What the spool cannot take
either (a full disk) stays in memory, is tried again at every flush and, at
close, goes to ``STORAGE_FALLBACK_DIR``; the run then reports it unsaved.

A batch the store rejects (a document too large or not encodable, a duplicate
key or validation error) is halved until the records it rejects are found: the
rest is written, those go to ``DATA_DIR/quarantine/<run>.jsonl`` with the
reason, as do spool lines a crash cut short, so no record blocks a crawl twice.
Items that are not well-formed articles are dropped before they are buffered.
An unreachable store or an unwritable ``DATA_DIR`` stops the crawl before it
fetches anything.

Settings: ``STORAGE_ENABLED``, ``MONGO_URI``, ``MONGO_DATABASE``, ``DATA_DIR``,
``STORAGE_BATCH_SIZE``, ``STORAGE_FLUSH_SECONDS``, ``STORAGE_TIMEOUT_SECONDS``,
``STORAGE_RETRIES``, ``STORAGE_KEEP_RAW_HTML``, ``STORAGE_FALLBACK_DIR``,
``STORAGE_SHRINK_RATIO``, ``STORAGE_SHRINK_MIN_CHARS``.
Stats: ``storage/inserted``, ``storage/updated``, ``storage/unchanged``,
``storage/duplicates``, ``storage/checked``, ``storage/batches``, ``storage/retries``,
``storage/spooled``, ``storage/replayed``, ``storage/unsaved`` (not in the store at
close: left in the spool, in the fallback file or lost), ``storage/dropped/malformed``,
``storage/quarantined``, ``storage/spool_corrupt``, ``storage/spool_failed`` (spool
writes the disk refused), ``storage/rescued`` (written to the fallback directory),
``storage/lost``, ``storage/revision_rejected/shrunk``, ``storage/unavailable``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NoReturn, TypeVar

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DropItem, NotConfigured

from crawler.extract.cleanup import content_hash
from crawler.health import DEGRADED, HEALTHY, SKIPPED, Health, Thresholds, assess, skipped
from crawler.items import ArticleChecked, ArticleItem, shape_problem
from crawler.notify import post_health
from crawler.run_record import run_document
from crawler.storage.config import StorageConfig, to_document
from crawler.storage.spool import Entry, claim, load_spool, quarantine, release, spool, writable_problem
from crawler.storage.store import (
    STORE_ERRORS,
    ArticleStore,
    StoreUnavailable,
    WriteCounts,
    describe_error,
    is_transient,
)
from crawler.urls import url_id

logger = logging.getLogger(__name__)
T = TypeVar("T")
CHECK_MARK = "_not_modified"  # buffer entries of 304 revisits, not article documents


def with_hash(item: ArticleItem) -> ArticleItem:
    """``item`` with the body and content hash the cleaning pipeline would have set."""
    body = item.body or "\n\n".join(item.paragraphs)
    return dataclasses.replace(item, body=body, content_hash=content_hash(item.title or "", body))


class StoragePipeline:
    def __init__(self, crawler: Crawler, config: StorageConfig) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.config = config
        self.store: ArticleStore | None = None
        self.run_id = uuid.uuid4().hex
        self.started_at = datetime.now(UTC)
        self._buffer: list[Entry] = []
        self._held: list[Entry] = []  # neither the store nor the spool took these (a full disk)
        self._spool_failing = False
        self._stuck: set[Path] = set()  # spools with corrupt lines the quarantine could not take: left for later
        self._own_claim: IO[str] | None = None  # held for the run's life: see crawler.storage.spool.claim
        self._lock = asyncio.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
        self._ticker: asyncio.Task[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        if not crawler.settings.getbool("STORAGE_ENABLED", True):
            raise NotConfigured
        pipeline = cls(crawler, StorageConfig.from_settings(crawler.settings))
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def open_spider(self) -> None:
        if self._skipped:  # another run holds the site: nothing to write, and its spool is not ours
            await self._open_for_the_run_record()
            return
        problem = await self._call(writable_problem, self.config.unsaved_dir)
        if problem:
            self._refuse(f"DATA_DIR {self.config.target.data_dir} is not writable: cannot write in "
                         f"{self.config.unsaved_dir} ({problem})")
        try:
            self.store = await self._call(ArticleStore.connect, self.config.target)
        except StoreUnavailable as exc:
            self._refuse(str(exc))
        logger.info("Storing articles in %(target)s", {"target": self.config.target.describe()})
        try:  # this run's spool is claimed for its whole life: no other run replays it while it grows
            self._own_claim = await self._call(claim, self.spool_path)
        except OSError as exc:
            self._refuse(f"DATA_DIR {self.config.target.data_dir} is not writable: cannot lock "
                         f"{self.spool_path} ({exc.strerror or exc})")
        async with self._lock:
            await self._replay_spool(self.config.retries)
        self._ticker = asyncio.create_task(self._flush_periodically())

    async def _open_for_the_run_record(self) -> None:
        """A skipped run only records itself: a store that cannot be reached is not its failure."""
        try:
            self.store = await self._call(ArticleStore.connect, self.config.target)
        except StoreUnavailable as exc:
            logger.warning("Skipped run not recorded: %(error)s", {"error": exc})

    def _refuse(self, error: str) -> NoReturn:
        logger.error("%(error)s; not starting the crawl", {"error": error})
        self.stats.set_value("storage/unavailable", 1)
        raise CloseSpider("storage_unavailable")

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem) and not item.content_hash:
            item = with_hash(item)  # CLEANING_ENABLED=0: the record still needs its text's identity
        malformed = shape_problem(item)  # pipelines before this one may be reordered or switched off
        if malformed:
            self.stats.inc_value("storage/dropped/malformed")
            raise DropItem(f"not stored, malformed item: {malformed}")
        if isinstance(item, ArticleChecked):
            check = {"_id": url_id(item.url), "url": item.url, "fetched_at": item.fetched_at, "gone": item.gone,
                     CHECK_MARK: True}
            self._buffer.append((check, None))
            return item
        keep = self.config.keep_raw_html
        doc, raw_html = to_document(item)
        self._buffer.append((doc, raw_html if keep else None))
        if len(self._buffer) >= self.config.batch_size:
            await self.flush()
        return item

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.config.flush_seconds)
            if (self._buffer or self._held or self.spool_path.exists()) and not self._lock.locked():
                # Shielded: stopping the ticker at close must not abandon a batch mid-write.
                await asyncio.shield(self.flush(retries=0))

    async def flush(self, retries: int | None = None) -> bool:
        """Write the spool, then the buffer (after what earlier flushes could not put anywhere). A batch
        that cannot be written goes to the durable spool (append-only, fsync'd) at once, so a crash
        during a storage outage loses nothing. True when everything is in the store (or quarantined)."""
        async with self._lock:
            batch, self._buffer, self._held = [*self._held, *self._buffer], [], []
            retries = self.config.retries if retries is None else retries
            replayed = await self._replay_spool(retries)
            left = batch
            try:
                if replayed:
                    left = await self._write(batch, retries)
            finally:
                if left:  # failed or cancelled: the rest is kept on disk for a later flush or run
                    await asyncio.shield(self._keep(left))
            return replayed and not left

    @property
    def _skipped(self) -> bool:
        """Another run holds the site (``SiteLock``): it is writing, and the spool is not ours to replay."""
        return skipped(self.stats.get_stats())

    @property
    def spool_path(self) -> Path:
        return self.config.unsaved_dir / f"{self.run_id}.jsonl"

    @property
    def quarantine_path(self) -> Path:
        return self.config.quarantine_dir / f"{self.run_id}.jsonl"

    async def _keep(self, batch: list[Entry]) -> None:
        """Spool entries the store did not take; what the spool cannot take stays in memory."""
        try:
            unencodable = await self._call(spool, batch, self.spool_path)
        except OSError as exc:
            self.stats.inc_value("storage/spool_failed")
            level = logging.WARNING if self._spool_failing else logging.ERROR  # an error per episode, not per flush
            self._spool_failing = True
            self._held.extend(batch)
            logger.log(level, "Could not spool %(n)d articles in %(path)s (%(error)s); %(held)d kept in memory",
                       {"n": len(batch), "path": self.spool_path, "error": exc, "held": len(self._held)})
            return
        self._spool_failing = False
        self.stats.inc_value("storage/spooled", len(batch) - len(unencodable))
        await self._reject(unencodable)

    async def _write(self, batch: list[Entry], retries: int) -> list[Entry]:
        """Write a batch, retrying transient failures with backoff; records the store rejects are found
        and quarantined. Returns what is left unwritten (nothing when all is stored or quarantined)."""
        for attempt in range(retries + 1):
            rejected: list[tuple[Entry, str]] = []
            try:
                await self._write_isolating(batch, rejected)
                failure = None
            except Exception as exc:  # transient: the isolation raises nothing else
                failure = exc
            if rejected:
                await self._reject(rejected)
                gone = {id(entry) for entry, _ in rejected}
                batch = [entry for entry in batch if id(entry) not in gone]
            if failure is None:
                return []
            self.stats.inc_value("storage/retries")
            logger.warning("Write of %(n)d articles failed (attempt %(a)d): %(error)s",
                           {"n": len(batch), "a": attempt + 1, "error": describe_error(failure)})
            if attempt < retries:
                await asyncio.sleep(min(0.5 * 2**attempt, 30))
        return batch

    async def _write_isolating(self, batch: list[Entry], rejected: list[tuple[Entry, str]]) -> None:
        """Write ``batch``; records the store rejects are added to ``rejected``. The store names them when
        it can (write errors of a bulk write); otherwise the batch is halved until they are found and the
        rest is written (records a failed attempt had written then count as unchanged). Transient failures
        are raised."""
        try:
            counts = await self._call(self._write_entries, batch)
        except Exception as exc:
            if is_transient(exc):
                raise
            if len(batch) == 1:
                rejected.append((batch[0], describe_error(exc, limit=2000)))
                return
            middle = len(batch) // 2
            await self._write_isolating(batch[:middle], rejected)
            await self._write_isolating(batch[middle:], rejected)
            return
        self.stats.inc_value("storage/batches")
        for name in ("inserted", "updated", "unchanged", "duplicates", "checked"):
            self.stats.inc_value(f"storage/{name}", getattr(counts, name))
        if counts.shrunk:
            self.stats.inc_value("storage/revision_rejected/shrunk", counts.shrunk)
        rejected.extend((entry, counts.rejected[entry[0]["_id"]]) for entry in batch
                        if CHECK_MARK not in entry[0] and entry[0].get("_id") in counts.rejected)

    def _write_entries(self, batch: list[Entry]) -> WriteCounts:
        """On the worker thread: one write of articles, pages and 304/404 checks."""
        assert self.store is not None
        docs = [doc for doc, _ in batch if CHECK_MARK not in doc]
        checks = [doc for doc, _ in batch if CHECK_MARK in doc]
        pages = {doc["_id"]: html for doc, html in batch if html is not None}
        counts = self.store.write_articles(docs, pages, self.config.shrink)
        if checks:
            counts.checked = self.store.mark_checked(checks)
        return counts

    async def _reject(self, rejected: list[tuple[Entry, str]]) -> None:
        """Quarantine records that can never be stored as they are; kept in memory when even that fails."""
        records = [{"reason": reason, "run": self.run_id, "doc": doc, "html": html} for (doc, html), reason in rejected]
        if records and await self._quarantine(records):
            for record in records:
                logger.error("The store rejected %(url)s (%(reason)s); quarantined in %(path)s",
                             {"url": _url_of(record["doc"]), "reason": record["reason"], "path": self.quarantine_path})
        elif records:
            self._held.extend(entry for entry, _ in rejected)

    async def _quarantine(self, records: list[dict[str, Any]]) -> bool:
        try:
            self.stats.inc_value("storage/quarantined", await self._call(quarantine, records, self.quarantine_path))
        except OSError as exc:
            logger.error("Could not write %(n)d records to the quarantine %(path)s: %(error)s",
                         {"n": len(records), "path": self.quarantine_path, "error": exc})
            return False
        return True

    async def _replay_spool(self, retries: int) -> bool:
        """Write every spooled batch (this run's and earlier runs'); True when none is left."""
        for path in sorted(self.config.unsaved_dir.glob("*.jsonl")):
            if path in self._stuck:
                continue
            own = path == self.spool_path
            handle = None if own else await self._call(self._try_claim, path)
            if not own and handle is None:
                continue  # its run is alive (or another run is replaying it)
            try:
                if not await self._replay_one(path, retries):
                    return False
            finally:
                if handle is not None:
                    await self._call(release, path, handle)
        return True

    def _try_claim(self, path: Path) -> IO[str] | None:
        try:
            return claim(path)
        except OSError as exc:
            logger.error("Cannot lock the spool %(path)s: %(error)s", {"path": path, "error": exc})
            self._stuck.add(path)
            return None

    async def _replay_one(self, path: Path, retries: int) -> bool:
        """Write one claimed spool and remove it; False when the store did not take it all."""
        try:
            contents = await self._call(load_spool, path)
        except FileNotFoundError:
            return True  # written and removed by the run that held it before us
        except OSError as exc:
            logger.error("Cannot read the spool %(path)s: %(error)s", {"path": path, "error": exc})
            self._stuck.add(path)
            return True
        if contents.corrupt and not await self._quarantine_lines(path, contents.corrupt):
            self._stuck.add(path)  # kept whole until its bad lines can be moved out
            return True
        if await self._write(contents.entries, retries):
            return False
        path.unlink(missing_ok=True)
        self.stats.inc_value("storage/replayed", len(contents.entries))
        logger.info("Wrote %(n)d spooled articles from %(path)s", {"n": len(contents.entries), "path": path})
        return True

    async def _quarantine_lines(self, path: Path, lines: list[tuple[int, str]]) -> bool:
        """Move unreadable spool lines (a write a crash cut short) to the quarantine, each reported."""
        for number, _ in lines:
            logger.warning("Spool %(path)s line %(line)d is corrupt (cut by a crash?); moving it to %(quarantine)s",
                           {"path": path, "line": number, "quarantine": self.quarantine_path})
        self.stats.inc_value("storage/spool_corrupt", len(lines))
        records = [{"reason": "corrupt spool line", "source": f"{path}:{number}", "line": text}
                   for number, text in lines]
        return await self._quarantine(records)

    async def close_spider(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        if self.store is None or self._skipped:
            return
        await self.flush()
        if self._held:
            await self._rescue()
        spooled = await self._call(self._spooled_count)
        unsaved = spooled + self.stats.get_value("storage/rescued", 0) + self.stats.get_value("storage/lost", 0)
        if unsaved:
            self.stats.set_value("storage/unsaved", unsaved)
        if spooled:
            logger.error("Could not store %(n)d articles; they are spooled in %(dir)s for the next run",
                         {"n": spooled, "dir": self.config.unsaved_dir})
        if self._own_claim is not None:  # from now on the next run may replay what is left
            await self._call(release, self.spool_path, self._own_claim)
            self._own_claim = None

    def _spooled_count(self) -> int:
        """Articles left in this run's spool and in spools no live run holds (the next run writes them)."""
        count = 0
        for path in self.config.unsaved_dir.glob("*.jsonl"):
            handle = None if path == self.spool_path else self._try_claim(path)
            if path != self.spool_path and handle is None:
                continue
            try:
                count += len(load_spool(path).entries)
            except OSError:
                pass  # removed meanwhile, or unreadable (logged where it is replayed)
            finally:
                if handle is not None:
                    release(path, handle)
        return count

    async def _rescue(self) -> None:
        """At close: what neither the store nor the spool took goes to the fallback directory, else it
        is lost; either way an error names the paths and the count."""
        batch, self._held = self._held, []
        path = Path(self.config.fallback_dir) / f"{self.run_id}.jsonl"
        paths = {"store": self.config.target.describe(), "spool": self.spool_path, "path": path}
        try:
            unencodable = await self._call(spool, batch, path)
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

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.store is None:
            self._executor.shutdown(wait=False)
            return
        health = await self._assess_health(spider, reason)
        run = run_document(self.run_id, spider, reason, self.started_at, self.stats.get_stats(),
                           host=socket.gethostname(), pid=os.getpid())
        run["health"] = {"status": health.status, "problems": health.problems, "metrics": health.metrics}
        try:
            await self._call(self.store.record_run, run)
        except STORE_ERRORS as exc:
            logger.error("Could not record the crawl run: %(error)s", {"error": exc})
        webhook = self.crawler.settings.get("MONITOR_WEBHOOK_URL")
        if webhook and health.status not in (HEALTHY, SKIPPED):
            payload = {"run": self.run_id, "spider": spider.name, "site": run["site"], **run["health"]}
            await self._call(post_health, webhook, payload)
        await self._call(self.store.close)
        self._executor.shutdown(wait=False)
        logger.info("Crawl run %(id)s: %(outcome)s, %(health)s",
                    {"id": self.run_id, "outcome": run["outcome"], "health": health.status})

    async def _assess_health(self, spider: Spider, reason: str) -> Health:
        """This run's health against the site's earlier runs; recorded in stats (``health/status``) and the log."""
        assert self.store is not None
        site = getattr(spider, "site", None)
        try:
            earlier = [r.get("stats", {}) for r in await self._call(self.store.latest_runs, 20, spider.name, True)]
            newest = await self._call(self.store.last_new_article, site.name) if site else None
        except STORE_ERRORS:
            earlier, newest = [], None
        stats = {**self.stats.get_stats(), "finish_reason": reason}
        health = assess(stats, earlier, newest, datetime.now(UTC), getattr(site, "monitors", Thresholds()))
        self.stats.set_value("health/status", health.status)
        level = {HEALTHY: logging.INFO, DEGRADED: logging.WARNING}.get(health.status, logging.ERROR)
        for problem in health.problems:
            logger.log(level, "Health %(status)s: %(problem)s", {"status": health.status, "problem": problem})
        return health


def _url_of(doc: Any) -> Any:
    return doc.get("url") if isinstance(doc, dict) else None
