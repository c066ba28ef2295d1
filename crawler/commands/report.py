"""``scrapy report [--json]``: per site, what the last day brought and how healthy it is.

Columns: articles first stored in the last 24 h, when the last healthy run
finished, the last run's health (``skipped`` when another run held the site),
the generic-fallback share, logged errors and articles it could not store (left
unsaved, or quarantined because the store rejected them: see ``DATA_DIR/quarantine/``)
of the last run that crawled (a skipped run has none), and freshness (hours since
the newest article was published).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.health import LOCKED_REASON, SKIPPED
from crawler.sites import site_names
from crawler.storage.store import ArticleStore
from crawler.store_command import StoreCommand


def site_report(store: ArticleStore, site: str, now: datetime) -> dict[str, Any]:
    runs = store.latest_runs(20, site)
    last = runs[0] if runs else {}
    crawled = next(iter(store.latest_runs(1, site, crawled=True)), {})
    healthy = next((r for r in runs if r.get("health", {}).get("status") == "healthy"), None)
    newest = store.newest_published(site)
    return {
        "site": site,
        "articles_24h": store.count_articles(site, since=now - timedelta(days=1)),
        "last_healthy_run": healthy["finished_at"].isoformat() if healthy else None,
        # Runs recorded before skipped runs had their own status say "failed": the close reason tells.
        "last_health": SKIPPED if last.get("finish_reason") == LOCKED_REASON else last.get("health", {}).get("status"),
        "fallback_share": crawled.get("health", {}).get("metrics", {}).get("fallback_share"),
        "errors": crawled.get("stats", {}).get("log_count/ERROR", 0) if crawled else None,
        "unsaved": crawled.get("stats", {}).get("storage/unsaved", 0) if crawled else None,
        "quarantined": crawled.get("stats", {}).get("storage/quarantined", 0) if crawled else None,
        "freshness_hours": round((now - newest).total_seconds() / 3600, 1) if newest else None,
    }


class Command(StoreCommand):
    def short_desc(self) -> str:
        return "Per-site report: articles in the last day, last healthy run, fallback share, errors, freshness"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--json", action="store_true", help="one JSON object per site")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        store = self.open_store()
        if store is None:
            return
        try:
            rows = [site_report(store, site, datetime.now(UTC)) for site in site_names()]
        finally:
            store.close()
        if opts.json:
            sys.stdout.writelines(json.dumps(row) + "\n" for row in rows)
            return
        columns = ("site", "articles_24h", "last_healthy_run", "last_health", "fallback_share", "errors",
                   "unsaved", "quarantined", "freshness_hours")
        widths = (10, 12, 32, 9, 14, 6, 7, 11, 15)
        sys.stdout.write(" ".join(f"{c:{w}}" for c, w in zip(columns, widths, strict=True)).rstrip() + "\n")
        for row in rows:
            cells = [_cell(row[c], percent=c == "fallback_share") for c in columns]
            sys.stdout.write(" ".join(f"{v:{w}}" for v, w in zip(cells, widths, strict=True)).rstrip() + "\n")


def _cell(value: Any, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.0%}" if percent else str(value)
