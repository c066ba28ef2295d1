"""The ``crawl_runs`` document: one per run, with its outcome and stats; and the run itself
(:func:`current_run`: its id names the run document and the run's spool and quarantine files)."""

from __future__ import annotations

import uuid
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler

from crawler.health import LOCKED_REASON, NORMAL_END, SKIPPED
from crawler.secrets import redact


@dataclass(frozen=True)
class Run:
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))


_RUNS: weakref.WeakKeyDictionary[Crawler, Run] = weakref.WeakKeyDictionary()


def current_run(crawler: Crawler) -> Run:
    """The crawl's run, made by its first caller: storage and run health share one id per crawl."""
    return _RUNS.setdefault(crawler, Run())


def outcome(reason: str, stats: dict[str, Any]) -> str:
    """``ok``, ``errors`` (finished, but errors were logged or items unsaved), ``failed``, or
    ``skipped`` (another run of the site held its lock)."""
    if reason == LOCKED_REASON:
        return SKIPPED
    if reason not in NORMAL_END:
        return "failed"
    if stats.get("log_count/ERROR", 0) or stats.get("storage/unsaved", 0):
        return "errors"
    return "ok"


def _safe_stats(stats: dict[str, Any]) -> dict[str, Any]:
    """Stats with keys MongoDB accepts (no dots, no leading ``$``) and masked values."""
    safe = {}
    for key, value in stats.items():
        key = key.replace(".", "_").lstrip("$")
        safe[key] = redact(value) if isinstance(value, str) else value
    return safe


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
        "stats": _safe_stats(stats),
    }
