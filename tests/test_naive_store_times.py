"""An embedded store holding records whose times have no zone (written by an older version: the embedded store hands
them back naive) is read as UTC wherever the crawl or the report compares them with the time now: before, the
report ended in a traceback and a crawl lost its sitemaps to a spider error."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import neosqlite
import pytest

from crawler.revisits import is_due, parse_schedule
from crawler.storage.store import ArticleStore, StoreTarget
from tests.crawling import FAST, ROOT, StoreCrawl
from tests.replicas import REPLICAS

NAIVE = datetime(2026, 1, 1, 6, 0)  # no tzinfo, as an older record comes back


def _older_store(data_dir: Path) -> None:
    """An embedded store of an older version: one asiaplus article, its times naive."""
    data_dir.mkdir(parents=True, exist_ok=True)
    db = neosqlite.Connection(str(data_dir / "news.db"))
    try:
        db["articles"].insert_one({"_id": "old", "url": "https://asiaplus.news/old/", "site": "asiaplus",
                                   "language": "ru", "title": "Старая новость", "body": "Вода в Душанбе.",
                                   "published": NAIVE, "last_checked": NAIVE + timedelta(minutes=5)})
    finally:
        db.close()


def test_the_store_hands_back_an_older_records_times_in_utc(tmp_path: Path) -> None:
    _older_store(tmp_path)
    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(tmp_path)))
    try:
        expected = NAIVE.replace(tzinfo=UTC)
        assert store.newest_published("asiaplus") == store.oldest_published("asiaplus") == expected
        [recent] = store.recent_articles("asiaplus", 10)
        assert recent["published"] == expected and recent["last_checked"].tzinfo is not None
    finally:
        store.close()


def test_a_naive_stored_time_can_be_due_for_a_revisit() -> None:
    schedule = parse_schedule("1h")
    assert is_due(NAIVE, NAIVE, NAIVE.replace(tzinfo=UTC) + timedelta(hours=2), schedule) is True


@pytest.mark.e2e  # a real `scrapy report` subprocess
def test_scrapy_report_reads_an_older_store(tmp_path: Path) -> None:
    """It failed with "TypeError: can't subtract offset-naive and offset-aware datetimes" (exit 1, a traceback)."""
    _older_store(tmp_path)
    report = subprocess.run([sys.executable, "-m", "scrapy", "report", "--json"], cwd=ROOT, text=True,
                            capture_output=True, env={"PATH": "", "DATA_DIR": str(tmp_path)}, timeout=120,
                            stdin=subprocess.DEVNULL)
    assert "Traceback" not in report.stderr, report.stderr[-2000:]
    assert report.returncode == 0, report.stderr[-2000:]  # no run in 30 days: not judged
    assert '"site": "asiaplus", "articles_24h": 0' in report.stdout


@pytest.mark.e2e  # a real `scrapy crawl` of the asiaplus replica into the older store
def test_a_crawl_into_an_older_store_reads_its_sitemaps(tmp_path: Path) -> None:
    """The sitemap index failed with "can't compare offset-naive and offset-aware datetimes" (a spider error, the
    run recorded with errors) when the site's newest stored article had a naive date, and the revisits due were
    never looked up when one had a naive last check (an error in the spider's opening)."""
    data_dir = tmp_path / "data"
    _older_store(data_dir)
    crawl = StoreCrawl(None, tmp_path)("asiaplus", "limit=3", replica=REPLICAS / "asiaplus", settings=FAST,
                                       env={"DATA_DIR": str(data_dir)})
    assert "Traceback" not in crawl.log, crawl.log[-3000:]
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert "/sitemap_index.xml" in crawl.requests
