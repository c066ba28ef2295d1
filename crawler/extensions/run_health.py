"""Run health, watched apart from the work (as Spidermon's monitors are): when the spider closes,
the run is judged (``crawler.health.assess``, against the site's earlier runs and newest article
when there is a store), its problems are logged, its ``crawl_runs`` record is written through
the crawl's :class:`crawler.storage.component.Storage`, and a degraded or failed run is POSTed
to ``MONITOR_WEBHOOK_URL``. With storage off, or the store unreachable, the run is still judged
and alerted on; it only goes unrecorded (said once in the log). ``scrapy crawl``'s exit code
reads ``health/status``.

Settings: ``HEALTH_ENABLED``, ``MONITOR_WEBHOOK_URL``. Stats: ``health/status``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.health import DEGRADED, HEALTHY, SKIPPED, Health, Thresholds, assess, skipped
from crawler.notify import post_health
from crawler.run_record import current_run, run_document
from crawler.storage.component import Storage
from crawler.storage.store import STORE_ERRORS, ArticleStore

logger = logging.getLogger(__name__)


class RunHealth:
    def __init__(self, crawler: Crawler, webhook: str | None) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.webhook = webhook
        self.run = current_run(crawler)
        self.storage: Storage | None = None  # held from spider_opened until the run is recorded

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunHealth:
        if not crawler.settings.getbool("HEALTH_ENABLED", True):
            raise NotConfigured
        extension = cls(crawler, crawler.settings.get("MONITOR_WEBHOOK_URL") or None)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        self._hold()

    def _hold(self) -> None:
        """Keep the store open for the run record: spider_closed handlers run all at once."""
        storage = self.crawler.get_extension(Storage)
        if self.storage is None and storage is not None and storage.retain():
            self.storage = storage

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        self._hold()  # when spider_opened was never sent (a start that failed)
        try:
            store = await self._open_store()
            health = await self._judge(spider, reason, store)
            run = run_document(self.run.id, spider, reason, self.run.started_at, self.stats.get_stats(),
                               host=socket.gethostname(), pid=os.getpid())
            run["health"] = {"status": health.status, "problems": health.problems, "metrics": health.metrics}
            if store is not None:
                await self._record(store, run)
        finally:
            if self.storage is not None:
                self.storage.release()
                self.storage = None
        if self.webhook and health.status not in (HEALTHY, SKIPPED):
            payload = {"run": self.run.id, "spider": spider.name, "site": run["site"], **run["health"]}
            await asyncio.get_running_loop().run_in_executor(None, post_health, self.webhook, payload)
        logger.info("Crawl run %(id)s: %(outcome)s, %(health)s",
                    {"id": self.run.id, "outcome": run["outcome"], "health": health.status})

    async def _open_store(self) -> ArticleStore | None:
        """The store for the run record, or None (said once: why the run goes unrecorded)."""
        if self.storage is None:
            logger.info("Crawl run %(id)s not recorded: storage is off", {"id": self.run.id})
            return None
        reported = self.storage.error is not None and self.stats.get_value("storage/unavailable")
        store = await self.storage.open()
        if store is not None:
            return store
        if skipped(self.stats.get_stats()):
            logger.warning("Skipped run not recorded: %(error)s", {"error": self.storage.error})
        elif reported:  # the storage pipeline said why when it stopped the crawl
            logger.info("Crawl run %(id)s not recorded: the store is unavailable", {"id": self.run.id})
        else:
            logger.warning("Crawl run %(id)s not recorded: %(error)s", {"id": self.run.id, "error": self.storage.error})
        return None

    async def _record(self, store: ArticleStore, run: dict[str, Any]) -> None:
        assert self.storage is not None
        try:
            await self.storage.call(store.record_run, run)
        except STORE_ERRORS as exc:
            logger.error("Could not record the crawl run: %(error)s", {"error": exc})

    async def _judge(self, spider: Spider, reason: str, store: ArticleStore | None) -> Health:
        """This run's health against the site's earlier runs; recorded in stats (``health/status``) and the log."""
        site = getattr(spider, "site", None)
        earlier: list[dict[str, Any]] = []
        newest = None
        if store is not None and self.storage is not None:
            try:
                runs = await self.storage.call(store.latest_runs, 20, spider.name, True)
                earlier = [r.get("stats", {}) for r in runs]
                newest = await self.storage.call(store.last_new_article, site.name) if site else None
            except STORE_ERRORS:
                earlier, newest = [], None
        stats = {**self.stats.get_stats(), "finish_reason": reason}
        health = assess(stats, earlier, newest, datetime.now(UTC), getattr(site, "monitors", Thresholds()))
        self.stats.set_value("health/status", health.status)
        level = {HEALTHY: logging.INFO, DEGRADED: logging.WARNING}.get(health.status, logging.ERROR)
        for problem in health.problems:
            logger.log(level, "Health %(status)s: %(problem)s", {"status": health.status, "problem": problem})
        return health
