"""429/503 with Retry-After: the crawler waits as asked, then gets the page."""

from __future__ import annotations

import json
import re
import shutil
import signal
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.bench.replica_server import serve
from crawler.middlewares.retry_after import retry_after_seconds
from tests.crawling import MongoTarget, StoreCrawl
from tests.replicas import REPLICAS, expected_articles

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "seconds"), [
    (b"120", 120.0), ("5", 5.0), (b"Fri, 27 Nov 2026 12:00:30 GMT", 30.0), ("Fri, 27 Nov 2026 11:00:00 GMT", 0.0),
    (None, None), (b"", None), (b"soon", None),
    (b"\xb2", None), (b"1\xb9", None),  # superscript digits (Latin-1): str.isdigit() takes them, float() does not
])
def test_retry_after_values(value: bytes | str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


def test_throttled_article_is_fetched_after_the_wait(tmp_path: Path, mongo: MongoTarget,
                                                     crawl_into_store: StoreCrawl) -> None:
    replica = tmp_path / "asiaplus"
    shutil.copytree(REPLICAS / "asiaplus", replica)
    csto = next(u for u in expected_articles("asiaplus") if "csto" in u)
    (replica / "_server.json").write_text(json.dumps({"throttle": {urlsplit(csto).path: 2}}))
    result = crawl_into_store("asiaplus", replica=replica)
    served = result.paths
    assert result.returncode == 0, result.stderr[-3000:]
    assert served.count(urlsplit(csto).path) == 3  # 429, 429, 200
    assert mongo.db.articles.count_documents({"url": csto}) == 1
    stats = mongo.db.crawl_runs.find_one()["stats"]
    assert stats["retry_after/waited"] == 2 and stats["retry_after/seconds"] == 2


def test_a_retry_after_no_clock_reads_is_a_wait_without_one(tmp_path: Path, mongo: MongoTarget,
                                                              crawl_into_store: StoreCrawl) -> None:
    """``Retry-After: ²`` on a 503 is waited as a missing header (the backoff's second), then the article is fetched;
    it failed the request (``download/failed/other``) and the article was lost."""
    replica = tmp_path / "asiaplus"
    shutil.copytree(REPLICAS / "asiaplus", replica)
    csto = next(u for u in expected_articles("asiaplus") if "csto" in u)
    shape = {"status": 503, "times": 1, "headers": {"Retry-After": "\u00b2"}}
    (replica / "_server.json").write_text(json.dumps({"paths": {urlsplit(csto).path: shape}}))
    result = crawl_into_store("asiaplus", replica=replica)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.paths.count(urlsplit(csto).path) == 2  # 503, 200
    assert mongo.db.articles.count_documents({"url": csto}) == 1
    stats = mongo.db.crawl_runs.find_one()["stats"]
    assert stats["retry_after/waited"] == 1 and "download/failed/other" not in stats


@pytest.mark.e2e
def test_a_stop_ends_a_retry_after_wait_and_the_next_run_fetches_the_page(tmp_path: Path, mongo: MongoTarget) -> None:
    """A 503 asking for 100 s (under ``RETRY_AFTER_MAX_SECONDS``, 120) was waited out after Ctrl-C or SIGTERM:
    the crawl took some 95 s to close, past many a stop timeout. The stop now ends the wait, the retry is kept in
    JOBDIR unsent, and the resumed run fetches the page."""
    from tests.test_faults import start_crawl, wait_for

    replica = tmp_path / "asiaplus"
    shutil.copytree(REPLICAS / "asiaplus", replica)
    csto = next(u for u in expected_articles("asiaplus") if "csto" in u)
    shape = {"status": 503, "times": 1, "headers": {"Retry-After": "100"}}
    (replica / "_server.json").write_text(json.dumps({"paths": {urlsplit(csto).path: shape}}))
    job = f"JOBDIR={tmp_path / 'job'}"
    with serve(replica) as server:
        base_url = f"http://127.0.0.1:{server.server_port}"
        first = start_crawl(base_url, mongo.uri, tmp_path / "data", job, database=mongo.database)
        wait_for(lambda: (urlsplit(csto).path, 503) in server.answers)
        time.sleep(1)  # into the wait
        first.send_signal(signal.SIGINT)
        output, _ = first.communicate(timeout=60)  # the wait it ended was 100 s
        assert "Spider closed (shutdown)" in output, output[-3000:]
        assert re.search(r"'retry_after/waited': 1\b", output), output[-3000:]
        assert re.search(r"'downloader/not_sent_stopping/kept': [1-9]", output), output[-3000:]
        assert "download/failed/http_503" not in output, output[-3000:]  # not given up: kept for the next run
        second = start_crawl(base_url, mongo.uri, tmp_path / "data", job, database=mongo.database)
        output, _ = second.communicate(timeout=120)
        assert second.returncode == 0, output[-3000:]
    assert mongo.db.articles.count_documents({"url": csto}) == 1
