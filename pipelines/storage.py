"""Storage pipeline: batched idempotent upserts of articles, one run document.

Items are buffered and written with ``bulk_write`` (unordered) when the batch
is full, every ``STORAGE_FLUSH_SECONDS`` and at close, on a worker thread so
the reactor never waits on the database. A failed write is retried with
backoff, then appended to a durable spool under ``DATA_DIR/unsaved/`` (fsync'd
JSON lines) that every later flush, and the next run, writes first; replays are
idempotent upserts, so nothing is stored twice. An unreachable store
stops the crawl before it fetches anything.

Settings: ``STORAGE_ENABLED``, ``MONGO_URI``, ``MONGO_DATABASE``, ``DATA_DIR``,
``STORAGE_BATCH_SIZE``, ``STORAGE_FLUSH_SECONDS``, ``STORAGE_TIMEOUT_SECONDS``,
``STORAGE_RETRIES``, ``STORAGE_KEEP_RAW_HTML``.
Stats: ``storage/inserted``, ``storage/updated``, ``storage/unchanged``,
``storage/duplicates``, ``storage/checked``, ``storage/batches``, ``storage/retries``,
``storage/spooled``, ``storage/replayed``, ``storage/unsaved`` (left in the spool at close).
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.settings import BaseSettings

from crawler.health import DEGRADED, HEALTHY, SKIPPED, Health, Thresholds, assess, skipped
from crawler.items import ArticleChecked
from crawler.urls import url_id
from pipelines.notify import post_health
from pipelines.run_record import run_document
from pipelines.store import STORE_ERRORS, ArticleStore, StoreTarget, StoreUnavailable, load_spool, mask_uri, spool

logger = logging.getLogger(__name__)
T = TypeVar("T")
CHECK_MARK = "_not_modified"  # buffer entries of 304 revisits, not article documents


@dataclass(frozen=True)
class StorageConfig:
    target: StoreTarget
    batch_size: int = 100
    flush_seconds: float = 5.0
    retries: int = 5
    keep_raw_html: bool = True

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> StorageConfig:
        timeout = settings.getfloat("STORAGE_TIMEOUT_SECONDS", 10.0)
        batch_size = settings.getint("STORAGE_BATCH_SIZE", 100)
        if batch_size < 1 or timeout <= 0:
            raise ValueError("STORAGE_BATCH_SIZE must be >= 1 and STORAGE_TIMEOUT_SECONDS > 0")
        target = StoreTarget(
            uri=settings.get("MONGO_URI") or "",
            database=settings.get("MONGO_DATABASE") or "news",
            data_dir=settings.get("DATA_DIR") or "data",
            timeout=timeout,
        )
        return cls(target, batch_size, settings.getfloat("STORAGE_FLUSH_SECONDS", 5.0),
                   settings.getint("STORAGE_RETRIES", 5), settings.getbool("STORAGE_KEEP_RAW_HTML", True))

    @property
    def unsaved_dir(self) -> Path:
        return Path(self.target.data_dir) / "unsaved"


def to_document(item: Any) -> tuple[dict[str, Any], str | None]:
    """The stored record of an item, and its raw HTML kept apart."""
    if dataclasses.is_dataclass(item):  # a shallow copy: asdict() would deep-copy every paragraph
        data = {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
    else:
        data = ItemAdapter(item).asdict()
    raw_html = data.pop("raw_html", None)
    return {"_id": url_id(data["url"]), **data}, raw_html


class StoragePipeline:
    def __init__(self, crawler: Crawler, config: StorageConfig) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.config = config
        self.store: ArticleStore | None = None
        self.run_id = uuid.uuid4().hex
        self.started_at = datetime.now(UTC)
        self._buffer: list[tuple[dict[str, Any], str | None]] = []
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
        try:
            self.store = await self._call(ArticleStore.connect, self.config.target)
        except StoreUnavailable as exc:
            logger.error("%(error)s; not starting the crawl", {"error": exc})
            self.stats.set_value("storage/unavailable", 1)
            raise CloseSpider("storage_unavailable") from None
        logger.info("Storing articles in %(target)s", {"target": self.config.target.describe()})
        if self._skipped:
            return
        async with self._lock:
            await self._replay_spool(self.config.retries)
        self._ticker = asyncio.create_task(self._flush_periodically())

    async def process_item(self, item: Any) -> Any:
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
            if (self._buffer or self.spool_path.exists()) and not self._lock.locked():
                # Shielded: stopping the ticker at close must not abandon a batch mid-write.
                await asyncio.shield(self.flush(retries=0))

    async def flush(self, retries: int | None = None) -> bool:
        """Write the spool, then the buffer. A batch that cannot be written goes to the
        durable spool (append-only, fsync'd) at once, so a crash during a storage
        outage loses nothing. True when everything is in the store."""
        async with self._lock:
            batch, self._buffer = self._buffer, []
            retries = self.config.retries if retries is None else retries
            spooled = await self._replay_spool(retries)
            if not batch:
                return spooled
            written = False
            try:
                written = spooled and await self._write(batch, retries)
            finally:
                if not written:  # failed or cancelled: the batch is kept on disk for a later flush or run
                    n = await asyncio.shield(self._call(spool, batch, self.spool_path))
                    self.stats.inc_value("storage/spooled", n)
            return written

    @property
    def _skipped(self) -> bool:
        """Another run holds the site (``SiteLock``): it is writing, and the spool is not ours to replay."""
        return skipped(self.stats.get_stats())

    @property
    def spool_path(self) -> Path:
        return self.config.unsaved_dir / f"{self.run_id}.jsonl"

    async def _write(self, batch: list[tuple[dict[str, Any], str | None]], retries: int) -> bool:
        assert self.store is not None
        docs = [doc for doc, _ in batch if CHECK_MARK not in doc]
        checks = [doc for doc, _ in batch if CHECK_MARK in doc]
        pages = {doc["_id"]: html for doc, html in batch if html is not None}
        for attempt in range(retries + 1):
            try:
                counts = await self._call(self.store.write_articles, docs, pages)
                if checks:
                    counts.checked = await self._call(self.store.mark_checked, checks)
            except STORE_ERRORS as exc:
                self.stats.inc_value("storage/retries")
                logger.warning("Write of %(n)d articles failed (attempt %(a)d): %(error)s",
                               {"n": len(docs), "a": attempt + 1, "error": mask_uri(str(exc))[:300]})
                if attempt < retries:
                    await asyncio.sleep(min(0.5 * 2**attempt, 30))
                continue
            self.stats.inc_value("storage/batches")
            for name in ("inserted", "updated", "unchanged", "duplicates", "checked"):
                self.stats.inc_value(f"storage/{name}", getattr(counts, name))
            return True
        return False

    async def _replay_spool(self, retries: int) -> bool:
        """Write every spooled batch (this run's and earlier runs'); True when none is left."""
        for path in sorted(self.config.unsaved_dir.glob("*.jsonl")):
            batch = await self._call(load_spool, path)
            if not await self._write(batch, retries):
                return False
            path.unlink()
            self.stats.inc_value("storage/replayed", len(batch))
            logger.info("Wrote %(n)d spooled articles from %(path)s", {"n": len(batch), "path": path})
        return True

    async def close_spider(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        if self.store is None or self._skipped or await self.flush():
            return
        left = sum(len(load_spool(path)) for path in self.config.unsaved_dir.glob("*.jsonl"))
        self.stats.set_value("storage/unsaved", left)
        logger.error("Could not store %(n)d articles; they are spooled in %(dir)s for the next run",
                     {"n": left, "dir": self.config.unsaved_dir})

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
