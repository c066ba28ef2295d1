"""The ``crawl_runs`` document: one per run, with its outcome and stats; and the run itself
(:func:`current_run`: its id names the run document and the run's spool and quarantine files).

A shared crawl (``REDIS_URL``) has one document for all its workers (``_id``: the crawl id): each
worker's part under ``workers.<run id>`` (its host, pid, times, close reason, outcome, health and
stats) and, at the top, the whole crawl so far (:func:`crawl_document`): the parts' stats merged
(counts summed; peaks, ``start_time`` and ``finish_time`` as the extremes), the close reason of the
worker that saw the crawl end (else of the last to close), the outcome of those, and the articles
stored by all.

While a worker runs, its part is a running one (``outcome: running``, ``updated_at``,
``update_interval``, rewritten periodically) and the whole crawl reads as running until a worker
saw it end: its stats so far count in the merged stats, so a dashboard sees a shared crawl's progress."""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler

from crawler.health import NORMAL_END, REFUSED_REASONS, SKIPPED, Thresholds
from crawler.secrets import redact


@dataclass(frozen=True)
class Run:
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))


RUNNING, ABANDONED = "running", "abandoned"
# A running record not updated for this many of its update intervals belongs to a process that died
# without closing (SIGKILL, OOM, a lost host): it is shown as abandoned, not running. Three, not one:
# a busy or paused reactor (a long extraction, a store timeout) may miss an update or two.
STALE_INTERVALS = 3

_RUNS: weakref.WeakKeyDictionary[Crawler, Run] = weakref.WeakKeyDictionary()


def current_run(crawler: Crawler) -> Run:
    """The crawl's run, made by its first caller: storage and run health share one id per crawl."""
    return _RUNS.setdefault(crawler, Run())


def outcome(reason: str, stats: dict[str, Any]) -> str:
    """``ok``, ``errors`` (finished, but errors were logged or items unsaved), ``failed``, or
    ``skipped`` (another run of the site held its lock, or its shared crawl refused it)."""
    if reason in REFUSED_REASONS:
        return SKIPPED
    if reason not in NORMAL_END:
        return "failed"
    if stats.get("log_count/ERROR", 0) or stats.get("storage/unsaved", 0):
        return "errors"
    return "ok"


def run_state(run: dict[str, Any], now: datetime) -> str | None:
    """What a run record says of its run: ``running`` (updated within ``STALE_INTERVALS`` of its update
    interval), ``abandoned`` (a running record left by a process that died), ``skipped``, else its health
    status (None: not judged)."""
    if run.get("outcome") == RUNNING:
        updated = run.get("updated_at") or run.get("started_at")
        if isinstance(updated, datetime) and updated.tzinfo is None:
            updated = updated.replace(tzinfo=UTC)  # the embedded store may hand back naive UTC
        interval = timedelta(seconds=float(run.get("update_interval") or 60))
        fresh = isinstance(updated, datetime) and now - updated <= STALE_INTERVALS * interval
        return RUNNING if fresh else ABANDONED
    if run.get("finish_reason") in REFUSED_REASONS:
        return SKIPPED
    status = run.get("health", {}).get("status")
    return str(status) if status else None


def _safe_stats(stats: dict[str, Any]) -> dict[str, Any]:
    """Stats with keys MongoDB accepts (no dots, no leading ``$``) and masked values."""
    safe = {}
    for key, value in stats.items():
        key = key.replace(".", "_").lstrip("$")
        safe[key] = redact(value) if isinstance(value, str) else value
    return safe


def thresholds(spider: Spider) -> dict[str, float]:
    """The health thresholds the run judges itself by (its site config's ``[monitors]``, defaults filled in):
    recorded, so ``scrapy report`` judges the site by them too, even one crawled from a config file."""
    return asdict(getattr(getattr(spider, "site", None), "monitors", Thresholds()))


def run_document(run_id: str, spider: Spider, reason: str, started_at: datetime,
                 stats: dict[str, Any], host: str, pid: int) -> dict[str, Any]:
    args = getattr(spider, "args", None)
    return {
        "_id": run_id,
        "spider": spider.name,
        "site": getattr(getattr(spider, "site", None), "name", spider.name),
        "started_at": started_at,
        "finished_at": datetime.now(UTC),
        "finish_reason": reason,
        "outcome": outcome(reason, stats),
        "articles_stored": stats.get("storage/inserted", 0) + stats.get("storage/updated", 0),
        "args": {k: redact(str(v)) for k, v in vars(args).items() if v is not None} if args else {},
        "host": host,
        "pid": pid,
        "job": getattr(spider, "_job", None),  # Scrapyd's job id (it starts each job with -a _job=<id>)
        "thresholds": thresholds(spider),
        "stats": _safe_stats(stats),
    }


def crawl_base(run: dict[str, Any]) -> dict[str, Any]:
    """What a shared crawl's document takes from a worker's run document (:func:`crawl_document`'s ``base``)."""
    return {key: run[key] for key in ("spider", "site", "args", "thresholds")}


def worker_part(run_id: str, worker: str | None, reason: str, started_at: datetime, stats: dict[str, Any],
                host: str, pid: int, ended: bool) -> dict[str, Any]:
    """One worker's part of a shared crawl's document (its own close reason, outcome and stats)."""
    return {
        "run": run_id,
        "worker": worker,
        "host": host,
        "pid": pid,
        "started_at": started_at,
        "finished_at": datetime.now(UTC),
        "finish_reason": reason,
        "ended": ended,  # this worker saw the whole crawl over
        "outcome": outcome(reason, stats),
        "articles_stored": stats.get("storage/inserted", 0) + stats.get("storage/updated", 0),
        "stats": _safe_stats(stats),
    }


def _peak(key: str) -> bool:
    """A stat that is one worker's peak or span, merged as the largest, not a sum."""
    return key.endswith("/max") or key in ("memusage/startup", "elapsed_time_seconds")


def merge_stats(parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Stats of the whole crawl from its workers' (oldest part first): numbers summed, peaks and
    ``finish_time`` the largest, ``start_time`` the smallest, anything else the last part's."""
    merged: dict[str, Any] = {}
    for stats in parts:
        for key, value in stats.items():
            old = merged.get(key)
            if old is None or isinstance(value, bool) or isinstance(old, bool):
                merged[key] = value
            elif isinstance(value, datetime) and isinstance(old, datetime):
                merged[key] = min(old, value) if key == "start_time" else max(old, value)
            elif isinstance(value, (int, float)) and isinstance(old, (int, float)):
                merged[key] = max(old, value) if _peak(key) else old + value
            else:
                merged[key] = value
    return merged


def running_part(part: dict[str, Any], interval: float, now: datetime) -> dict[str, Any]:
    """``part`` (:func:`worker_part`) as the part of a worker still running: rewritten every ``interval``."""
    return {**part, "finished_at": None, "finish_reason": None, "ended": False, "outcome": RUNNING,
            "updated_at": now, "update_interval": interval}


def _part_time(part: dict[str, Any]) -> datetime:
    """When a part was last written: finished, else last updated."""
    time: datetime = part.get("finished_at") or part.get("updated_at") or part["started_at"]
    return time


def _live(part: dict[str, Any], now: datetime) -> bool:
    """A running part rewritten lately: its worker is alive (as :func:`run_state` reads a run record)."""
    updated = part.get("updated_at")
    if isinstance(updated, datetime) and updated.tzinfo is None:
        updated = updated.replace(tzinfo=UTC)
    interval = timedelta(seconds=float(part.get("update_interval") or 60))
    return isinstance(updated, datetime) and now - updated <= STALE_INTERVALS * interval


def crawl_document(current: dict[str, Any] | None, base: dict[str, Any], key: str | None = None,
                   part: dict[str, Any] | None = None, now: datetime | None = None) -> dict[str, Any]:
    """A shared crawl's document with ``part`` stored as ``workers.<key>`` (none: as it is), the top fields
    recomputed from all parts; ``base`` (:func:`crawl_base`) gives ``spider``, ``site``, ``args`` and
    ``thresholds``. The crawl is running while a worker's part is, unless a finished worker saw the crawl end or
    every running part is a dead worker's (not rewritten for ``STALE_INTERVALS`` of its interval at ``now``) and
    another worker finished."""
    now = now or datetime.now(UTC)
    parts = dict((current or {}).get("workers", {}))
    if key is not None and part is not None:
        parts[key] = part
    ordered = sorted(parts.values(), key=_part_time)
    stats = merge_stats(p["stats"] for p in ordered)
    finished = [p for p in ordered if p.get("outcome") != RUNNING]
    running = [p for p in ordered if p.get("outcome") == RUNNING]
    if finished and not any(_live(p, now) for p in running):
        running = []  # the dead workers' stats still count; the finished ones say how the crawl ended
    ending = [p for p in finished if p.get("ended")]
    doc = {
        **base,
        "started_at": min((p["started_at"] for p in ordered), default=datetime.now(UTC)),
        "articles_stored": sum(p["articles_stored"] for p in ordered),
        "workers": parts,
        **({"health": current["health"]} if current and "health" in current else {}),
    }
    if running and not ending:
        stats["finish_reason"] = None
        return {**doc, "finished_at": None, "finish_reason": None, "outcome": RUNNING, "stats": stats,
                "updated_at": max(p["updated_at"] for p in running),
                "update_interval": max(float(p.get("update_interval") or 60) for p in running)}
    reason = (ending or finished)[-1]["finish_reason"] if finished else "unknown"
    stats["finish_reason"] = reason
    return {**doc, "finished_at": max((_part_time(p) for p in ordered), default=datetime.now(UTC)),
            "finish_reason": reason, "outcome": outcome(reason, stats), "stats": stats}
