"""The ``crawl_runs`` document: one per run, with its outcome and stats."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy import Spider

from crawler.health import LOCKED_REASON, NORMAL_END, SKIPPED
from crawler.secrets import redact


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
