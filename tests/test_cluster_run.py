"""One crawl, many workers, one run (``REDIS_URL``): real ``scrapy crawl`` workers of one site, a real
``redis-server`` and nx-27017. The crawl has ONE ``crawl_runs`` document with each worker's part and the
merged stats, is judged and alerted on once as a whole, ``-a limit`` bounds the whole crawl (not each
worker), and a worker started with other ``-a`` values than the crawl's does not join it."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from crawler.bench.replica_server import running
from crawler.commands.report import site_report
from crawler.run_record import crawl_document, run_state
from crawler.storage.store import ArticleStore, StoreTarget
from tests import endless_site as site
from tests.crawling import FAST, ROOT, STORE_VARIABLES, MongoTarget, started
from tests.test_frontier import WORKER, finish, stored
from tests.test_run_health import webhook

pytestmark = pytest.mark.e2e

SITEMAPS = 20  # urlsets of site.ARTICLES_PER_SITEMAP articles each: many discovery pages, shared out
SITEMAP_SECONDS = 0.5  # slow enough that every worker takes some of them
PAGE_SECONDS = 0.1
# No worker dies here: on a loaded machine a worker missing beats for 3 s must not be taken for dead
# (its requests would be handed out again and fetched twice).
SETTINGS = [*WORKER, "CONCURRENT_REQUESTS_PER_DOMAIN=4", "FRONTIER_WORKER_TIMEOUT=15"]


class Handler(site.EndlessHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/sitemap/"):
            time.sleep(self.server.sitemap_seconds)  # type: ignore[attr-defined]
        elif self.path.startswith("/news/"):
            time.sleep(PAGE_SECONDS)
        super().do_GET()


@contextmanager
def served(sitemap_seconds: float = SITEMAP_SECONDS) -> Iterator[tuple[str, Counter[str]]]:
    """The generated site with ``SITEMAPS`` sitemaps: its base URL and requests per path."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.sitemap_seconds = sitemap_seconds  # type: ignore[attr-defined]
    server.requests = Counter()  # type: ignore[attr-defined]
    server.big = b""  # type: ignore[attr-defined]
    with running(server):
        yield f"http://127.0.0.1:{server.server_port}", server.requests  # type: ignore[attr-defined]


def config(tmp_path: Path, monitors: str = "") -> Path:
    urls = ", ".join(f'"https://{site.DOMAIN}/sitemap/urls-{n}.xml"' for n in range(1, SITEMAPS + 1))
    path = site.write_config(tmp_path, f"sitemaps = [{urls}]", robots=False)
    if monitors:
        path.write_text(path.read_text(encoding="utf-8") + f"[monitors]\n{monitors}\n", encoding="utf-8")
    return path


def worker(config: Path, base_url: str, env: dict[str, str], *args: str,
           settings: tuple[str, ...] = (), code: Path = ROOT) -> subprocess.Popen[str]:
    """One worker: the real ``scrapy crawl news`` of the checkout ``code`` with its own DATA_DIR and ``-a`` ``args``,
    in the background."""
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"config={config}", "-a", f"base_url={base_url}"]
    for arg in ("since=2020-01-01", *args):
        command += ["-a", arg]
    for setting in [*FAST, *SETTINGS, *settings]:
        command += ["-s", setting]
    full_env = {k: v for k, v in os.environ.items() if k not in STORE_VARIABLES}
    full_env.update(DATA_DIR=tempfile.mkdtemp(prefix="crawl-data-"), **env)
    return started(subprocess.Popen(command, cwd=code, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True, stdin=subprocess.DEVNULL))


def all_urls() -> set[str]:
    first = 1000 + site.ARTICLES_PER_SITEMAP
    return {f"https://{site.DOMAIN}/news/{n}/" for n in range(first, first + SITEMAPS * site.ARTICLES_PER_SITEMAP)}


def test_workers_of_one_crawl_write_one_run_record_and_alert_once(
    redis_url: str, mongo: MongoTarget, tmp_path: Path
) -> None:
    with webhook() as (hook, received), served() as (base_url, _):
        env = mongo.env(REDIS_URL=redis_url, MONITOR_WEBHOOK_URL=hook)
        # stale_hours = 0: the newest article is always "stale", so every run is degraded (and alerted).
        path = config(tmp_path, "stale_hours = 0")
        results = finish([worker(path, base_url, env) for _ in range(3)])
    for code, log in results:
        assert code == 3, log[-3000:]  # each worker's own verdict: degraded
        assert "Traceback" not in log, log[-5000:]
    documents = stored(mongo)
    assert set(documents) == all_urls()
    [run] = list(mongo.db.crawl_runs.find())
    parts = list(run["workers"].values())
    assert len(parts) == 3
    assert len({p["pid"] for p in parts}) == 3 and all(p["host"] and p["worker"] for p in parts)
    assert all(p["finish_reason"] == "finished" and p["outcome"] == "ok" for p in parts)
    assert sum(p["ended"] for p in parts) >= 1
    stats = run["stats"]
    assert stats["item_scraped_count"] == sum(p["stats"].get("item_scraped_count", 0) for p in parts) == len(documents)
    assert run["articles_stored"] == stats["storage/inserted"] == len(documents)
    assert stats["frontier/seeder"] == 1
    assert stats["downloader/request_count"] == sum(p["stats"].get("downloader/request_count", 0) for p in parts)
    assert stats["start_time"] == min(p["stats"]["start_time"] for p in parts)
    assert run["finish_reason"] == "finished" and run["outcome"] == "ok"
    assert run["started_at"] == min(p["started_at"] for p in parts)
    assert run["health"]["status"] == "degraded" and run["health"]["metrics"]["articles"] == len(documents)
    assert run["args"]["since"].startswith("2020-01-01")
    [alert] = received  # one alert for the crawl, not one per worker
    assert alert["run"] == run["_id"] and alert["status"] == "degraded"
    assert alert["metrics"]["articles"] == len(documents)
    store = ArticleStore.connect(StoreTarget(mongo.uri, mongo.database, str(tmp_path)))
    try:  # `scrapy report` reads the crawl's document as it read a run's
        report = site_report(store, run["site"], datetime.now(UTC))  # a config file's site, by its name
    finally:
        store.close()
    assert report["last_health"] == "degraded" and report["errors"] == 0 and report["unsaved"] == 0


def test_a_shared_crawl_reads_as_running_until_it_ends(redis_url: str, mongo: MongoTarget, tmp_path: Path) -> None:
    """Each worker keeps its part of the crawl's one document running: a dashboard (``scrapy report``) sees the
    crawl in progress with every worker's stats so far, and the final parts replace the running ones."""
    with served() as (base_url, _):
        env = mongo.env(REDIS_URL=redis_url)
        path = config(tmp_path)
        workers = [worker(path, base_url, env, settings=("RUN_RECORD_INTERVAL_SECONDS=1",)) for _ in range(2)]
        try:
            deadline = time.monotonic() + 60
            seen: dict[str, Any] | None = None
            while time.monotonic() < deadline and seen is None:
                run = mongo.db.crawl_runs.find_one()
                parts = list((run or {}).get("workers", {}).values())
                if (run and run["outcome"] == "running" and len(parts) == 2
                        and run["stats"].get("item_scraped_count", 0) > 0):
                    seen = run
                time.sleep(0.2)
        finally:
            results = finish(workers)
    assert seen is not None, "the crawl never read as running with both workers' parts"
    assert seen["finished_at"] is None and seen["update_interval"] == 1
    assert all(p["outcome"] == "running" and p["updated_at"] for p in seen["workers"].values())
    assert seen["stats"]["item_scraped_count"] == sum(p["stats"].get("item_scraped_count", 0)
                                                       for p in seen["workers"].values())
    assert run_state(seen, seen["updated_at"]) == "running"
    for code, log in results:
        assert code == 0, log[-3000:]
    [run] = list(mongo.db.crawl_runs.find())
    assert run["outcome"] == "ok" and run["finished_at"] is not None
    assert [p["outcome"] for p in run["workers"].values()] == ["ok", "ok"]
    assert run["articles_stored"] == len(stored(mongo)) == len(all_urls())


def test_limit_holds_for_the_whole_crawl(redis_url: str, mongo: MongoTarget, tmp_path: Path) -> None:
    limit = 10
    # Each worker holds at most 2 requests and a sitemap takes 1 s: both workers read sitemaps before
    # either has scheduled its `limit` articles (alone, each would schedule that many).
    with served(sitemap_seconds=1.0) as (base_url, requests):
        env = mongo.env(REDIS_URL=redis_url)
        results = finish([worker(config(tmp_path), base_url, env, f"limit={limit}", settings=("CONCURRENT_REQUESTS=2",))
                          for _ in range(2)])
        fetched = Counter({p: c for p, c in requests.items() if p.startswith("/news/")})
    for code, log in results:
        assert code == 0, log[-3000:]
        assert "Traceback" not in log, log[-5000:]
    documents = stored(mongo)
    assert len(documents) == limit, documents  # exactly: admitted in Redis, atomically with the seen set
    assert sum(fetched.values()) == limit, fetched
    [run] = list(mongo.db.crawl_runs.find())
    parts = list(run["workers"].values())
    # Both workers read sitemaps (each alone would have scheduled its own `limit`).
    assert all(p["stats"].get("frontier/popped", 0) > 0 for p in parts), parts
    assert run["stats"].get("discovery/skipped/limit", 0) + run["stats"].get("discovery/skipped/limit_reached", 0) > 0


def test_a_worker_with_other_arguments_does_not_join(redis_url: str, mongo: MongoTarget, tmp_path: Path) -> None:
    with served() as (base_url, requests):
        env = mongo.env(REDIS_URL=redis_url)
        first = worker(config(tmp_path), base_url, env)
        deadline = time.monotonic() + 60
        while not any(p.startswith("/sitemap/") for p in requests):  # the crawl runs, with the first's args
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        [(code, log)] = finish([worker(config(tmp_path), base_url, env, "limit=3", "sources=sitemaps")])
        [(first_code, first_log)] = finish([first])
    assert code == 1, log[-3000:]
    assert "Traceback" not in log, log[-5000:]
    [line] = [line for line in log.splitlines() if "not joining" in line]
    assert "ERROR" in line and "limit=None" in line and "limit=3" in line
    assert "frontier_args_conflict" in log
    assert "skipping this one" not in log and "'site_lock/refused'" not in log  # refused by its crawl, not the lock
    assert first_code == 0, first_log[-3000:]
    assert set(stored(mongo)) == all_urls()  # the other worker's limit never applied to the crawl
    runs = list(mongo.db.crawl_runs.find())
    [crawl] = [r for r in runs if "workers" in r]
    assert len(crawl["workers"]) == 1 and crawl["outcome"] == "ok"
    [refused] = [r for r in runs if "workers" not in r]
    assert refused["finish_reason"] == "frontier_args_conflict"
    assert refused["outcome"] == "skipped" and refused["health"]["status"] == "skipped", refused  # not a failing site


@pytest.mark.parametrize("embedded", [False, True])
def test_parts_written_at_once_by_many_workers_are_all_kept_and_merged(
    embedded: bool, mongo: MongoTarget, tmp_path: Path
) -> None:
    workers = 8
    target = StoreTarget("" if embedded else mongo.uri, mongo.database, str(tmp_path))
    # Processes, as workers are (each with its own connection and one storage thread): eight threads
    # sharing one embedded file inside a single process could stall in SQLite's busy handler.
    start = multiprocessing.get_context("fork").Barrier(workers)
    base = {"spider": "news", "site": "endless", "args": {}}

    def write(n: int) -> None:
        now = datetime.now(UTC)
        part = {"run": f"r{n}", "started_at": now, "finished_at": now, "finish_reason": "finished", "ended": n == 0,
                "outcome": "ok", "articles_stored": n, "stats": {"item_scraped_count": n, "memusage/max": n,
                                                                  "start_time": now}}
        store = ArticleStore.connect(target)  # its own connection, as each worker has
        try:
            start.wait()
            store.update_run("crawl1", lambda current: crawl_document(current, base, f"r{n}", part))
        finally:
            store.close()

    processes = [multiprocessing.get_context("fork").Process(target=write, args=(n,)) for n in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [process.exitcode for process in processes] == [0] * workers
    store = ArticleStore.connect(target)
    try:
        [run] = store.latest_runs()
    finally:
        store.close()
    assert sorted(run["workers"]) == sorted(f"r{n}" for n in range(workers))
    assert run["stats"]["item_scraped_count"] == run["articles_stored"] == sum(range(workers))
    assert run["stats"]["memusage/max"] == workers - 1  # a peak, not a sum
    assert run["version"] == workers and run["finish_reason"] == "finished" and run["outcome"] == "ok"
