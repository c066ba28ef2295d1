"""The crawl runs ``scrapy articles`` lists under the articles: a run whose process died reads ``abandoned``, as
``scrapy report`` says, not ``running`` for ever."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.commands.articles import run_line
from crawler.storage.store import ArticleStore, StoreTarget
from tests.crawling import ROOT

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def _running(run_id: str, updated_ago: timedelta) -> dict[str, Any]:
    """A run record as a crawl keeps it while it runs (rewritten every 60 s)."""
    return {"_id": run_id, "spider": "asiaplus", "site": "asiaplus", "started_at": NOW - timedelta(hours=1),
            "updated_at": NOW - updated_ago, "update_interval": 60.0, "outcome": "running", "finish_reason": None,
            "articles_stored": 4}


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (_running("a" * 32, timedelta(seconds=30)), "run aaaaaaaa asiaplus: running, 4 stored"),
        (_running("b" * 32, timedelta(minutes=10)), "run bbbbbbbb asiaplus: abandoned, 4 stored"),
        ({**_running("c" * 32, timedelta(0)), "outcome": "ok", "finish_reason": "finished"},
         "run cccccccc asiaplus: ok (finished), 4 stored"),
    ],
)
def test_a_run_line_says_what_the_run_is(run: dict[str, Any], expected: str) -> None:
    assert run_line(run, NOW) == f"{expected}, started 2026-12-05T11:00:00+00:00"


@pytest.mark.e2e  # a real `scrapy articles` subprocess
def test_scrapy_articles_shows_a_killed_crawls_run_as_abandoned(tmp_path: Path) -> None:
    """A crawl killed outright (SIGKILL, the OOM killer) left ``run ... asiaplus: running (None)`` in the listing
    while ``scrapy report`` called the same run abandoned."""
    now = datetime.now(UTC)
    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(tmp_path)))
    try:
        store.record_run({**_running("d" * 32, timedelta(0)), "started_at": now - timedelta(hours=1),
                          "updated_at": now - timedelta(minutes=10)})
    finally:
        store.close()
    listing = subprocess.run([sys.executable, "-m", "scrapy", "articles"], cwd=ROOT, text=True, capture_output=True,
                             env={"PATH": "", "DATA_DIR": str(tmp_path)}, timeout=120, stdin=subprocess.DEVNULL)
    assert listing.returncode == 0, listing.stderr
    assert "run dddddddd asiaplus: abandoned, 4 stored, started " in listing.stdout, listing.stdout
