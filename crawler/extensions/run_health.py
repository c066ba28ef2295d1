"""Run health, watched apart from the work (as Spidermon's monitors are): when the spider closes,
the run is judged (``crawler.health.assess``, against the site's earlier runs and newest article
when there is a store), its problems are logged, its ``crawl_runs`` record is written through
the crawl's :class:`crawler.storage.component.Storage`, and a degraded or failed run is POSTed
to ``MONITOR_WEBHOOK_URL``. With storage off, or the store unreachable, the run is still judged
and alerted on; it only goes unrecorded (said once in the log). ``scrapy crawl``'s exit code
reads ``health/status``.

A worker of a shared crawl (``REDIS_URL``) writes its part into the crawl's one document
(:func:`crawler.run_record.crawl_document`, ``_id`` the crawl id) and judges the crawl on the merged
stats of the parts written so far (the document's ``health``); its own ``health/status`` and exit
code still judge its own part (without the zero-articles check: another worker may have taken every
article). The last worker to write its part (counted in Redis) judges the whole crawl again on every
part, exits failed when the crawl failed and alone POSTs it to the webhook: one alert per crawl (when
Redis cannot tell, the worker posts its own verdict rather than none).

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

from crawler.frontier.extension import Frontier
from crawler.health import DEGRADED, FAILED, HEALTHY, SKIPPED, Health, Thresholds, assess, skipped
from crawler.notify import post_health
from crawler.run_record import crawl_document, current_run, run_document, worker_part
from crawler.storage.component import Storage
from crawler.storage.store import STORE_ERRORS, ArticleStore, describe_error

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
        frontier = Frontier.of(self.crawler)
        shared = frontier is not None and frontier.crawl_id is not None
        try:
            store = await self._open_store()
            earlier, newest = await self._history(spider, store, frontier.crawl_id if frontier else None)
            health = self._judge(spider, reason, earlier, newest, part=shared)
            run = run_document(self.run.id, spider, reason, self.run.started_at, self.stats.get_stats(),
                               host=socket.gethostname(), pid=os.getpid())
            run["health"] = _health_doc(health)
            alert_id, alert = self.run.id, run["health"]
            if shared and frontier is not None:
                alert_id, alert = await self._record_part(spider, reason, store, frontier, run, earlier, newest)
            elif store is not None:
                await self._record(store, run)
        finally:
            if self.storage is not None:
                self.storage.release()
                self.storage = None
        if self.webhook and alert and alert["status"] not in (HEALTHY, SKIPPED):
            payload = {"run": alert_id, "spider": spider.name, "site": run["site"], **alert}
            await asyncio.get_running_loop().run_in_executor(None, post_health, self.webhook, payload)
        logger.info("Crawl run %(id)s: %(outcome)s, %(health)s",
                    {"id": self.run.id, "outcome": run["outcome"], "health": health.status})

    async def _record_part(self, spider: Spider, reason: str, store: ArticleStore | None, frontier: Frontier,
                           run: dict[str, Any], earlier: list[dict[str, Any]],
                           newest: datetime | None) -> tuple[str, dict[str, Any] | None]:
        """Write this worker's part of the shared crawl's document, the crawl judged on the merged stats;
        the crawl's id and health to alert on when this worker was the last to write (else None)."""
        crawl_id = frontier.crawl_id
        assert crawl_id is not None
        base = {"spider": run["spider"], "site": run["site"], "args": run["args"]}
        part = worker_part(self.run.id, frontier.worker, reason, self.run.started_at, self.stats.get_stats(),
                           host=run["host"], pid=run["pid"], ended=frontier.ended)
        part["health"] = run["health"]
        site = getattr(spider, "site", None)
        thresholds = getattr(site, "monitors", Thresholds())

        def judged(current: dict[str, Any] | None, key: str | None = None) -> dict[str, Any]:
            doc = crawl_document(current, base, key, part if key else None)
            health = assess(doc["stats"], earlier, newest, datetime.now(UTC), thresholds)
            doc["stats"]["health/status"] = health.status
            doc["health"] = _health_doc(health)
            return doc

        doc: dict[str, Any] | None = None
        if store is not None and self.storage is not None:
            try:
                doc = await self.storage.call(store.update_run, crawl_id, lambda current: judged(current, self.run.id))
            except STORE_ERRORS as exc:
                logger.error("Could not record the crawl run: %(error)s", {"error": describe_error(exc)})
        last = frontier.recorded()
        if last is False:
            return crawl_id, None  # a worker still running writes after this one: it alerts for the crawl
        if last and doc is not None and store is not None and self.storage is not None:
            try:  # every part is written now: the whole crawl judged on all of them
                doc = await self.storage.call(store.update_run, crawl_id, judged)
            except STORE_ERRORS as exc:
                logger.error("Could not record the crawl run: %(error)s", {"error": describe_error(exc)})
        if doc is not None:
            logger.info("Shared crawl %(id)s: %(outcome)s, %(health)s (%(n)d workers recorded)",
                        {"id": crawl_id, "outcome": doc["outcome"], "health": doc["health"]["status"],
                         "n": len(doc["workers"])})
            if last and doc["health"]["status"] == FAILED:  # the last worker's exit code says the crawl failed
                for problem in doc["health"]["problems"]:
                    logger.error("Shared crawl %(id)s failed: %(problem)s", {"id": crawl_id, "problem": problem})
                self.stats.set_value("health/status", FAILED)
        return crawl_id, doc["health"] if doc is not None else run["health"]

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
            logger.error("Could not record the crawl run: %(error)s", {"error": describe_error(exc)})

    async def _history(self, spider: Spider, store: ArticleStore | None,
                       crawl_id: str | None) -> tuple[list[dict[str, Any]], datetime | None]:
        """The site's earlier runs' stats (newest first; not the shared crawl ``crawl_id`` itself) and when
        its newest article was first stored."""
        site = getattr(spider, "site", None)
        if store is None or self.storage is None:
            return [], None
        try:
            runs = await self.storage.call(store.latest_runs, 21, spider.name, True)
            newest = await self.storage.call(store.last_new_article, site.name) if site else None
        except STORE_ERRORS:
            return [], None
        return [r.get("stats", {}) for r in runs if r.get("_id") != crawl_id][:20], newest

    def _judge(self, spider: Spider, reason: str, earlier: list[dict[str, Any]], newest: datetime | None,
               *, part: bool) -> Health:
        """This run's health against the site's earlier runs; recorded in stats (``health/status``) and the log."""
        site = getattr(spider, "site", None)
        stats = {**self.stats.get_stats(), "finish_reason": reason}
        health = assess(stats, earlier, newest, datetime.now(UTC), getattr(site, "monitors", Thresholds()), part=part)
        self.stats.set_value("health/status", health.status)
        level = {HEALTHY: logging.INFO, DEGRADED: logging.WARNING}.get(health.status, logging.ERROR)
        for problem in health.problems:
            logger.log(level, "Health %(status)s: %(problem)s", {"status": health.status, "problem": problem})
        return health


def _health_doc(health: Health) -> dict[str, Any]:
    return {"status": health.status, "problems": health.problems, "metrics": health.metrics}
