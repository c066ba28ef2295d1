"""Settings that components read as they start (the record caps, the revisit schedule, the shrink guard, the log
level): each is read from its environment variable as the README's table says, and a bad value there or in ``-s``
is one usage error naming it (exit 2) before anything starts, not a traceback from the component."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.storage.store import ArticleStore, StoreTarget
from tests.crawling import FAST, ROOT, StoreCrawl
from tests.replicas import REPLICAS

# Nothing is fetched: the check comes first, and a crawl that got past it would find nothing on port 1.
NOWHERE = ["-a", "base_url=http://127.0.0.1:1"]


def _scrapy(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, text=True, capture_output=True,
                          env={"PATH": "", "DATA_DIR": str(tmp_path), **(env or {})}, timeout=120,
                          stdin=subprocess.DEVNULL)


@pytest.mark.e2e  # real `scrapy` subprocesses (a second each)
@pytest.mark.parametrize(
    ("args", "env", "error"),
    [
        (["-s", "CLEANING_MAX_TITLE_CHARS=abc"], {}, "-s CLEANING_MAX_TITLE_CHARS=abc: CLEANING_MAX_TITLE_CHARS must "
                                                     "be an integer"),
        (["-s", "CLEANING_MAX_BODY_CHARS=0"], {}, "-s CLEANING_MAX_BODY_CHARS=0: CLEANING_MAX_BODY_CHARS must be >= 1"),
        ([], {"CLEANING_MAX_TITLE_CHARS": "many"}, "environment variable CLEANING_MAX_TITLE_CHARS must be an "
                                                   "integer, got 'many'"),
        (["-s", "STORAGE_SHRINK_RATIO=2"], {}, "-s STORAGE_SHRINK_RATIO=2: STORAGE_SHRINK_RATIO must be <= 1"),
        (["-s", "REVISIT_SCHEDULE=1h,7x"], {}, "-s REVISIT_SCHEDULE=1h,7x: REVISIT_SCHEDULE step '7x' is not like "
                                               "30m, 6h or 7d"),
        ([], {"REVISIT_SCHEDULE": "daily"}, "environment variable REVISIT_SCHEDULE step 'daily' is not like 30m, 6h "
                                            "or 7d"),
        ([], {"LOG_LEVEL": "verbose"}, "environment variable LOG_LEVEL must be one of CRITICAL, ERROR, WARNING, INFO, "
                                       "DEBUG, got 'verbose'"),
        (["-s", "LOG_LEVEL=debug"], {}, "-s LOG_LEVEL=debug: LOG_LEVEL must be one of CRITICAL, ERROR, WARNING, INFO, "
                                        "DEBUG, got 'debug'"),
    ],
)
def test_a_bad_value_is_one_usage_error(tmp_path: Path, args: list[str], env: dict[str, str], error: str) -> None:
    """Each was a traceback and exit 1 (a crawl's component raised ValueError as it was built; Scrapy's logging
    refused the level), or, from the environment, no error at all for the caps: they were not read there."""
    crawl = _scrapy(tmp_path, "crawl", "asiaplus", *NOWHERE, *args, env=env)
    assert crawl.returncode == 2, crawl.stderr[-2000:]
    assert crawl.stderr.splitlines()[-1].endswith(f": error: {error}"), crawl.stderr[-2000:]
    assert "Traceback" not in crawl.stderr


@pytest.mark.e2e  # a real `scrapy crawl` of the asiaplus replica
def test_a_cap_in_the_environment_takes_effect(tmp_path: Path) -> None:
    """``CLEANING_MAX_TITLE_CHARS=20`` in the environment (``/etc/news-crawler/env``) was ignored: the titles were
    stored whole."""
    crawl = StoreCrawl(None, tmp_path)("asiaplus", "limit=3", replica=REPLICAS / "asiaplus", settings=FAST,
                                       env={"CLEANING_MAX_TITLE_CHARS": "20"}, expect=0)
    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(crawl.data_dir)))
    try:
        titles = [doc["title"] for doc in store.latest_articles(limit=10, query={})]
    finally:
        store.close()
    assert titles and all(len(title.removesuffix("…")) <= 20 for title in titles), titles  # cut, then "…"
    assert any(title.endswith("…") for title in titles), titles


@pytest.mark.e2e  # a real `scrapy crawl` of the asiaplus replica
def test_stats_file_in_the_environment_takes_effect(tmp_path: Path) -> None:
    """``STATS_FILE`` in the environment was ignored (only ``-s`` set it): no file was written."""
    stats_file = tmp_path / "stats.json"
    StoreCrawl(None, tmp_path)("asiaplus", "limit=1", replica=REPLICAS / "asiaplus", settings=FAST,
                               env={"STATS_FILE": str(stats_file)}, expect=0)
    assert json.loads(stats_file.read_text(encoding="utf-8"))["finish_reason"] == "finished"
