"""Writing one batch of articles and 304/404 checks: retried with backoff while the failure is
transient; a batch the store rejects is halved until the records it rejects are found, the rest
written and those quarantined in ``DATA_DIR/quarantine/<run>.jsonl`` with the reason (a duplicate
``_id`` is another writer's race, transient, never a rejection).

Stats: ``storage/inserted``, ``storage/updated``, ``storage/unchanged``, ``storage/duplicates``,
``storage/checked``, ``storage/corrected`` (the same text, its publication date or byline corrected),
``storage/batches``, ``storage/retries``, ``storage/quarantined``,
``storage/revision_rejected/shrunk``, ``storage/revision_rejected/stale`` (a replayed version fetched
before the stored one, or an earlier version served at another URL than the article's: the newer text stays),
``storage/checked/stale`` (a replayed 304/404 check made before the article's last check: ``last_checked`` is
never set back, nor a later-seen article marked gone),
``storage/merged/moved`` (a moved story's record stored under its new URL before the move was seen, merged into
the record it moved from).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrapy.statscollectors import StatsCollector

from crawler.sanitize import InertUtf8, inert_html
from crawler.storage.component import Storage
from crawler.storage.spool import Entry, quarantine
from crawler.storage.store import WriteCounts, describe_error, is_transient

logger = logging.getLogger(__name__)
CHECK_MARK = "_not_modified"  # buffer entries of 304 revisits, not article documents


class BatchWriter:
    def __init__(self, storage: Storage, stats: StatsCollector, run_id: str,
                 stopping: Callable[[], bool] = lambda: False) -> None:
        self.storage = storage
        self.stats = stats
        self.run_id = run_id
        self.stopping = stopping  # whether the crawl is stopping: no more retries, the spool takes the rest
        self.held: list[Entry] = []  # neither the store nor the spool nor the quarantine took these

    @property
    def quarantine_path(self) -> Path:
        return self.storage.config.quarantine_dir / f"{self.run_id}.jsonl"

    async def write(self, batch: list[Entry], retries: int) -> list[Entry]:
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
                await self.reject(rejected)
                gone = {id(entry) for entry, _ in rejected}
                batch = [entry for entry in batch if id(entry) not in gone]
            if failure is None:
                return []
            self.stats.inc_value("storage/retries")
            logger.warning("Write of %(n)d articles failed (attempt %(a)d): %(error)s",
                           {"n": len(batch), "a": attempt + 1, "error": describe_error(failure)})
            if attempt < retries and self.stopping():
                break
            if attempt < retries:
                await asyncio.sleep(min(0.5 * 2**attempt, 30))
        return batch

    async def _write_isolating(self, batch: list[Entry], rejected: list[tuple[Entry, str]]) -> None:
        """Write ``batch``; records the store rejects are added to ``rejected``. The store names them when
        it can (write errors of a bulk write); otherwise the batch is halved until they are found and the
        rest is written (records a failed attempt had written then count as unchanged). Transient failures
        are raised."""
        try:
            counts = await self.storage.call(self._write_entries, batch)
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
        if counts.corrected:
            self.stats.inc_value("storage/corrected", counts.corrected)
        if counts.shrunk:
            self.stats.inc_value("storage/revision_rejected/shrunk", counts.shrunk)
        if counts.stale:
            self.stats.inc_value("storage/revision_rejected/stale", counts.stale)
        if counts.stale_checks:
            self.stats.inc_value("storage/checked/stale", counts.stale_checks)
        if counts.merged:
            self.stats.inc_value("storage/merged/moved", counts.merged)
        if counts.claims_refused:
            self.stats.inc_value("storage/canonical_refused", counts.claims_refused)
        rejected.extend((entry, counts.rejected[entry[0]["_id"]]) for entry in batch
                        if CHECK_MARK not in entry[0] and entry[0].get("_id") in counts.rejected)

    def _write_entries(self, batch: list[Entry]) -> WriteCounts:
        """On the storage thread: one write of articles, pages and 304/404 checks."""
        store = self.storage.store
        assert store is not None
        docs = [doc for doc, _ in batch if CHECK_MARK not in doc]
        checks = [doc for doc, _ in batch if CHECK_MARK in doc]
        refused = store.settle_claims(docs)  # before the pages are keyed: a refused claim's page is its own
        for url, claimed in refused:
            logger.warning("Stored %(url)s under its own URL: its canonical link names %(claimed)s, which holds "
                           "another text", {"url": url, "claimed": claimed})
        pages = {doc["_id"]: html for doc, html in batch if html is not None}
        counts = store.write_articles(docs, pages, self.storage.config.shrink)
        counts.claims_refused = len(refused)
        if checks:
            counts.checked = store.mark_checked(checks, counts)
        return counts

    async def reject(self, rejected: list[tuple[Entry, str]]) -> None:
        """Quarantine records that can never be stored as they are; kept in memory when even that fails."""
        records = [{"reason": reason, "run": self.run_id, "doc": doc,
                    "html": inert_html(html) if isinstance(html, InertUtf8) else html}
                   for (doc, html), reason in rejected]
        if records and await self.quarantine(records):
            for record in records:
                logger.error("The store rejected %(url)s (%(reason)s); quarantined in %(path)s",
                             {"url": _url_of(record["doc"]), "reason": record["reason"], "path": self.quarantine_path})
        elif records:
            self.held.extend(entry for entry, _ in rejected)

    async def quarantine(self, records: list[dict[str, Any]]) -> bool:
        try:
            self.stats.inc_value("storage/quarantined", await self.storage.call(quarantine, records,
                                                                                self.quarantine_path))
        except OSError as exc:
            logger.error("Could not write %(n)d records to the quarantine %(path)s: %(error)s",
                         {"n": len(records), "path": self.quarantine_path, "error": exc})
            return False
        return True


def _url_of(doc: Any) -> Any:
    return doc.get("url") if isinstance(doc, dict) else None
