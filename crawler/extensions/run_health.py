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

From the start of a run its record exists with ``outcome: running`` (its stats so far, ``updated_at``
and ``update_interval``), rewritten every ``RUN_RECORD_INTERVAL_SECONDS`` (0: no running record) and
replaced by the final record at close (same ``_id``); a record left ``running`` by a killed process is
read as ``abandoned`` once it is not updated for three intervals
(:func:`crawler.run_record.run_state`). A worker of a shared crawl keeps its part of the crawl's document
running the same way, so the crawl reads as running until it ends. A run started by Scrapyd carries its
job id (``job``); every run, the thresholds it is judged by (``thresholds``: its site's ``[monitors]``), which
``scrapy report`` judges the site by too.

Settings: ``HEALTH_ENABLED``, ``MONITOR_WEBHOOK_URL``, ``MONITOR_ALERT_FORMAT``, ``RUN_RECORD_INTERVAL_SECONDS`` (60).
Stats: ``health/status``.
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
from crawler.notify import post_health, webhook_body, webhook_format
from crawler.run_record import (
    RUNNING,
    crawl_base,
    crawl_document,
    current_run,
    run_document,
    running_part,
    worker_part,
)
from crawler.storage.component import Storage
from crawler.storage.store import ArticleStore, describe_error, store_errors

logger = logging.getLogger(__name__)


class RunHealth:
    def __init__(self, crawler: Crawler, webhook: str | None, interval: float = 60.0, form: str = "json") -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.webhook = webhook
        self.form = form  # MONITOR_ALERT_FORMAT
        self.interval = interval  # seconds between rewrites of the running record (0: none)
        self.run = current_run(crawler)
        self.storage: Storage | None = None  # held from spider_opened until the run is recorded
        self._stop = asyncio.Event()
        self._running: asyncio.Task[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunHealth:
        if not crawler.settings.getbool("HEALTH_ENABLED", True):
            raise NotConfigured
        extension = cls(crawler, crawler.settings.get("MONITOR_WEBHOOK_URL") or None,
                        crawler.settings.getfloat("RUN_RECORD_INTERVAL_SECONDS", 60.0),
                        webhook_format(crawler.settings))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self._hold()
        if self.interval > 0 and self.storage is not None:
            self._running = asyncio.ensure_future(self._keep_running_record(spider))

    async def _keep_running_record(self, spider: Spider) -> None:
        """Write the running record now and every ``interval`` until the close (never during the final write)."""
        while not self._stop.is_set():
            await self._write_running(spider)
            try:
                await asyncio.wait_for(self._stop.wait(), self.interval)
            except TimeoutError:
                continue

    async def _write_running(self, spider: Spider) -> None:
        if self.storage is None:
            return
        store = await self.storage.open()
        if store is None or self._stop.is_set():
            return  # the pipeline says why the store is unavailable
        now = datetime.now(UTC)
        run = run_document(self.run.id, spider, RUNNING, self.run.started_at, self.stats.get_stats(),
                           host=socket.gethostname(), pid=os.getpid())
        run.update(outcome=RUNNING, finished_at=None, finish_reason=None, updated_at=now,
                   update_interval=self.interval)
        frontier = Frontier.of(self.crawler)
        try:
            if frontier is not None and frontier.crawl_id is not None:
                part = running_part(worker_part(self.run.id, frontier.worker, RUNNING, self.run.started_at,
                                                self.stats.get_stats(), host=run["host"], pid=run["pid"],
                                                ended=False), self.interval, now)
                base = crawl_base(run)
                await self.storage.call(store.update_run, frontier.crawl_id,
                                        lambda current: crawl_document(current, base, self.run.id, part))
            else:
                await self.storage.call(store.record_run, run)
        except store_errors() as exc:
            logger.warning("Could not update the running record: %(error)s", {"error": describe_error(exc)})

    async def _stop_running_record(self) -> None:
        """Let the last running-record write finish before the final record replaces it."""
        self._stop.set()
        if self._running is not None:
            await self._running
            self._running = None

    def _hold(self) -> None:
        """Keep the store open for the run record: spider_closed handlers run all at once."""
        storage = self.crawler.get_extension(Storage)
        if self.storage is None and storage is not None and storage.retain():
            self.storage = storage

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        self._hold()  # when spider_opened was never sent (a start that failed)
        await self._stop_running_record()
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
            payload = webhook_body({"run": alert_id, "spider": spider.name, "site": run["site"], **alert}, self.form)
            await asyncio.to_thread(post_health, self.webhook, payload)  # in this context: its log lines name the site
        logger.info("Crawl run %(id)s: %(outcome)s, %(health)s",
                    {"id": self.run.id, "outcome": run["outcome"], "health": health.status})

    async def _record_part(self, spider: Spider, reason: str, store: ArticleStore | None, frontier: Frontier,
                           run: dict[str, Any], earlier: list[dict[str, Any]],
                           newest: datetime | None) -> tuple[str, dict[str, Any] | None]:
        """Write this worker's part of the shared crawl's document, the crawl judged on the merged stats;
        the crawl's id and health to alert on when this worker was the last to write (else None)."""
        crawl_id = frontier.crawl_id
        assert crawl_id is not None
        base = crawl_base(run)
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
            except store_errors() as exc:
                logger.error("Could not record the crawl run: %(error)s", {"error": describe_error(exc)})
        last = await frontier.recorded()
        if last is False:
            return crawl_id, None  # a worker still running writes after this one: it alerts for the crawl
        if last and doc is not None and store is not None and self.storage is not None:
            try:  # every part is written now: the whole crawl judged on all of them
                doc = await self.storage.call(store.update_run, crawl_id, judged)
            except store_errors() as exc:
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
        except store_errors() as exc:
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
        except store_errors():
            return [], None
        # Neither this run's own running record nor another run still going teaches a baseline.
        done = [r for r in runs if r.get("_id") not in (crawl_id, self.run.id) and r.get("outcome") != RUNNING]
        return [r.get("stats", {}) for r in done][:20], newest

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
