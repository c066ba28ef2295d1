"""Faults: a storage outage in the middle of a real crawl loses no article and stores none twice."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pymongo
import pytest

from crawler.bench.replica_server import serve
from tests.conftest import free_port, kill, start_nx27017
from tests.crawling import (
    FAST,
    ROOT,
    MongoTarget,
    require_e2e,
    started,
    stop_unit,
    store_env,
    unit_crawl,
    wait_for_lapse,
    wait_while_running,
)
from tests.replicas import REPLICAS, expected_articles

pytestmark = pytest.mark.e2e


def wait_for(condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def start_crawl(base_url: str, uri: str, data_dir: Path, *settings: str,
                database: str = "news") -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "asiaplus", "-a", f"base_url={base_url}"]
    # A short site lease: the lease of a killed run, or of one cut off from the store, lapses soon.
    for setting in [*FAST, "STORAGE_BATCH_SIZE=1", "STORAGE_TIMEOUT_SECONDS=1", "STORAGE_RETRIES=0",
                    "SITE_LEASE_SECONDS=2", *settings]:
        command += ["-s", setting]
    require_e2e("scrapy crawl")
    env = {**os.environ, **store_env(uri, database, data_dir)}
    return started(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, text=True))


def run_with_the_store_back(tmp_path: Path, port: int, base_url: str,
                            data_dir: Path) -> tuple[subprocess.Popen[bytes], subprocess.Popen[str], str]:
    """nx-27017 started again on ``port`` and, once the stopped run's lease has lapsed (it could not give the site
    back), the next run to its end: (the store, the run, its log)."""
    nx = start_nx27017(tmp_path / "nx", port)
    uri = f"mongodb://127.0.0.1:{port}"
    wait_for_lapse("asiaplus", store_env(uri))
    second = start_crawl(base_url, uri, data_dir)
    output, _ = second.communicate(timeout=120)
    return nx, second, output


def test_mongodb_killed_mid_crawl_loses_nothing_and_stores_nothing_twice(tmp_path: Path) -> None:
    (tmp_path / "nx").mkdir()
    port = free_port()
    uri = f"mongodb://127.0.0.1:{port}"
    data_dir = tmp_path / "data"
    nx = start_nx27017(tmp_path / "nx", port)
    try:
        with serve(REPLICAS / "asiaplus", delay=0.2) as server:
            base_url = f"http://127.0.0.1:{server.server_port}"
            first = start_crawl(base_url, uri, data_dir)
            wait_for(lambda: server.requests)  # type: ignore[attr-defined]
            kill(nx)  # storage goes away once the crawl is running
            output, _ = first.communicate(timeout=120)
            assert first.returncode == 2, output[-3000:]  # finished, articles kept in the spool
            assert "spooled in" in output
            spooled = sum(len(f.read_text().splitlines()) for f in (data_dir / "unsaved").glob("*.jsonl"))
            assert spooled == len(expected_articles("asiaplus"))

            nx, second, output = run_with_the_store_back(tmp_path, port, base_url, data_dir)
            assert second.returncode == 0, output[-3000:]
        client: pymongo.MongoClient = pymongo.MongoClient(uri, tz_aware=True)  # type: ignore[type-arg]
        try:
            stored = sorted(doc["url"] for doc in client["news"].articles.find())
            assert stored == sorted(expected_articles("asiaplus"))  # every article, exactly once
            stats = client["news"].crawl_runs.find_one(sort=[("started_at", -1)])["stats"]
            assert stats["storage/replayed"] == spooled
        finally:
            client.close()
        assert not list((data_dir / "unsaved").glob("*.jsonl"))
    finally:
        kill(nx)


def test_a_stop_during_a_store_outage_spools_and_closes_promptly(tmp_path: Path) -> None:
    """The store goes down and stays down; Ctrl-C then closes the crawl in seconds, every article spooled, and the
    next run stores them. With the default retries each flush asked the dead store six times (about 75 s), so the
    items waited in the pipeline and the stop took minutes: past systemd's TimeoutStopSec, a SIGKILL."""
    (tmp_path / "nx").mkdir()
    port = free_port()
    uri = f"mongodb://127.0.0.1:{port}"
    data_dir = tmp_path / "data"
    nx = start_nx27017(tmp_path / "nx", port)
    defaults = ("STORAGE_TIMEOUT_SECONDS=3", "STORAGE_RETRIES=5", "STORAGE_FLUSH_SECONDS=1")
    try:
        with serve(REPLICAS / "asiaplus", delay=0.5) as server:
            base_url = f"http://127.0.0.1:{server.server_port}"
            first = start_crawl(base_url, uri, data_dir, *defaults, "CONCURRENT_REQUESTS_PER_DOMAIN=1")
            wait_for(lambda: len(served_articles(server)) >= 1)
            kill(nx)  # down for good
            wait_for(lambda: len(served_articles(server)) >= 3)
            first.send_signal(signal.SIGINT)
            stopped = time.monotonic()
            output, _ = first.communicate(timeout=120)
            took = time.monotonic() - stopped
            assert "Spider closed (shutdown)" in output, output[-3000:]
            assert took < 30, (took, output[-3000:])  # one try of the store (3 s) per flush, not six and backoff
            assert "spooled in" in output and "Lost" not in output, output[-3000:]
            spooled = sum(len(f.read_text().splitlines()) for f in (data_dir / "unsaved").glob("*.jsonl"))
            assert spooled >= 1

            nx, second, output = run_with_the_store_back(tmp_path, port, base_url, data_dir)
            assert second.returncode == 0, output[-3000:]
        client: pymongo.MongoClient = pymongo.MongoClient(uri, tz_aware=True)  # type: ignore[type-arg]
        try:
            stored = sorted(doc["url"] for doc in client["news"].articles.find())
            assert stored == sorted(expected_articles("asiaplus"))
        finally:
            client.close()
    finally:
        kill(nx)


def test_crawl_killed_with_sigkill_and_run_again_stores_every_article_once(tmp_path: Path) -> None:
    """No JOBDIR: the store-backed incremental state alone makes the second run finish the job."""
    (tmp_path / "nx").mkdir()
    port = free_port()
    uri = f"mongodb://127.0.0.1:{port}"
    nx = start_nx27017(tmp_path / "nx", port)
    try:
        with serve(REPLICAS / "asiaplus", delay=0.3) as server:
            base_url = f"http://127.0.0.1:{server.server_port}"
            first = start_crawl(base_url, uri, tmp_path / "data")
            article_paths = {urlsplit(u).path for u in expected_articles("asiaplus")}
            wait_for(lambda: len(article_paths & {urlsplit(p).path for p in server.requests}) >= 2)  # type: ignore[attr-defined]
            first.kill()  # SIGKILL: no close, no flush
            first.communicate()
            wait_for_lapse("asiaplus", store_env(uri))  # a dead run's lease holds the site until it lapses
            second = start_crawl(base_url, uri, tmp_path / "data")
            output, _ = second.communicate(timeout=120)
            assert second.returncode == 0, output[-3000:]
        client: pymongo.MongoClient = pymongo.MongoClient(uri, tz_aware=True)  # type: ignore[type-arg]
        try:
            stored = [doc["url"] for doc in client["news"].articles.find()]
            assert sorted(stored) == sorted(expected_articles("asiaplus"))  # the union: each exactly once
        finally:
            client.close()
    finally:
        kill(nx)


def served_articles(server) -> list[str]:  # type: ignore[no-untyped-def]
    article_paths = {urlsplit(u).path for u in expected_articles("asiaplus")}
    return [path for path in (urlsplit(p).path for p in server.requests) if path in article_paths]


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["paused", "killed"])
def test_jobdir_run_stopped_and_resumed_stores_every_article_once(tmp_path: Path, mongo: MongoTarget,
                                                                 stop: signal.Signals) -> None:
    """With JOBDIR: a run paused with Ctrl-C, or killed outright (its queue state unsaved), is
    finished by the next run: the persisted duplicate filter does not hide unstored articles."""
    job = f"JOBDIR={tmp_path / 'job'}"
    with serve(REPLICAS / "asiaplus", delay=0.3) as server:
        base_url = f"http://127.0.0.1:{server.server_port}"
        first = start_crawl(base_url, mongo.uri, tmp_path / "data", job, database=mongo.database)
        wait_for(lambda: len(served_articles(server)) >= 2)
        first.send_signal(stop)
        output, _ = first.communicate(timeout=120)
        assert (tmp_path / "job" / "requests.seen").is_file()
        wait_for_lapse("asiaplus", mongo.env())  # a killed run's lease holds the site until it lapses
        second = start_crawl(base_url, mongo.uri, tmp_path / "data", job, database=mongo.database)
        output, _ = second.communicate(timeout=120)
        assert second.returncode == 0, output[-3000:]
    stored = [doc["url"] for doc in mongo.db.articles.find()]
    assert sorted(stored) == sorted(expected_articles("asiaplus"))  # the union: each exactly once


@pytest.mark.e2e
def test_sigterm_to_the_crawls_process_group_stops_it_gracefully_without_failing_extractions(tmp_path: Path) -> None:
    """systemd stops a unit (TimeoutStartSec reached, ``systemctl stop``) with SIGTERM to every process of it:
    the extraction workers as well as the crawl. The crawl stops gracefully; its workers must finish the pages
    in flight instead of dying under them (each such page was an "Extraction failed" error, unstored)."""
    from tests import endless_site

    sitemaps = ", ".join(f'"https://{endless_site.DOMAIN}/sitemap/urls-{n}.xml"' for n in range(1, 61))
    config = endless_site.write_config(tmp_path, f"sitemaps = [{sitemaps}]", robots=False)
    with endless_site.serve(sitemap_delay=0.3) as site, unit_crawl(  # a crawl of minutes: stopped in the middle
        "news", f"config={config}", "since=2020-01-01", f"base_url=http://127.0.0.1:{site.server_port}",
        data_dir=tmp_path / "data", settings=["EXTRACTION_WORKERS=2", "CONCURRENT_REQUESTS_PER_DOMAIN=4"]
    ) as crawl:
        requests = site.requests  # type: ignore[attr-defined]
        wait_while_running(crawl, lambda: sum(n for path, n in requests.items() if path.startswith("/news/")) >= 20,
                           "the crawl fetched no articles")
        log = stop_unit(crawl, timeout=90)
    assert "Spider closed (shutdown)" in log, log[-3000:]
    assert "Extraction failed" not in log and "articles/errors/extract" not in log, log[-3000:]
    assert re.search(r"'storage/inserted': [1-9]", log), log[-3000:]


@pytest.mark.e2e
def test_a_graceful_stop_sends_none_of_the_requests_still_queued_for_the_site(tmp_path: Path) -> None:
    """A site crawled at one request a second holds up to ``CONCURRENT_REQUESTS`` requests in the downloader's
    queue. A stop used to send every one of them, a delay apart (16 s here; minutes once AutoThrottle has slowed
    a site down, so that systemd killed the crawl); now it sends none, and stores what it fetched."""
    from tests import endless_site

    sitemaps = ", ".join(f'"https://{endless_site.DOMAIN}/sitemap/urls-{n}.xml"' for n in range(1, 61))
    config = endless_site.write_config(tmp_path, f"sitemaps = [{sitemaps}]", robots=False)
    with endless_site.serve() as site, unit_crawl(
        "news", f"config={config}", "since=2020-01-01", f"base_url=http://127.0.0.1:{site.server_port}",
        data_dir=tmp_path / "data",
        settings=["DOWNLOAD_DELAY=1", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "CONCURRENT_REQUESTS=16"],
    ) as crawl:
        requests = site.requests  # type: ignore[attr-defined]
        wait_while_running(crawl, lambda: sum(n for path, n in requests.items() if path.startswith("/news/")) >= 3,
                           "the crawl fetched no articles")
        sent = sum(requests.values())
        log = stop_unit(crawl, timeout=60)
        sent_after_stop = sum(requests.values()) - sent
    assert "Spider closed (shutdown)" in log, log[-3000:]
    assert sent_after_stop <= 2, (sent_after_stop, log[-3000:])  # one on the wire, one whose delay was up
    not_sent = re.search(r"'downloader/not_sent_stopping': (\d+)", log)
    assert not_sent and int(not_sent.group(1)) >= 5, log[-3000:]
    assert "Gave up on" not in log and "downloader/exception_count" not in log, log[-3000:]
    assert re.search(r"'storage/inserted': [1-9]", log), log[-3000:]


def test_a_jobdir_run_paused_keeps_the_requests_it_did_not_send_for_the_next_run(tmp_path: Path,
                                                                                 mongo: MongoTarget) -> None:
    """A graceful stop sends none of the requests waiting out the site's delay in the downloader; with JOBDIR they
    go back into the scheduler's queue, which is saved with the duplicate filter that would otherwise keep a page
    reachable only through one of them from ever being fetched again."""
    job = f"JOBDIR={tmp_path / 'job'}"
    slow = ["DOWNLOAD_DELAY=1", "AUTOTHROTTLE_ENABLED=0", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    with serve(REPLICAS / "asiaplus") as server:
        base_url = f"http://127.0.0.1:{server.server_port}"
        first = start_crawl(base_url, mongo.uri, tmp_path / "data", job, *slow, database=mongo.database)
        wait_for(lambda: len(served_articles(server)) >= 1)
        first.send_signal(signal.SIGINT)
        output, _ = first.communicate(timeout=120)
        kept = re.search(r"'downloader/not_sent_stopping/kept': (\d+)", output)
        assert kept and int(kept.group(1)) >= 1, output[-3000:]
        second = start_crawl(base_url, mongo.uri, tmp_path / "data", job, database=mongo.database)
        output, _ = second.communicate(timeout=120)
        assert second.returncode == 0, output[-3000:]
        assert re.search(r"'scheduler/dequeued/disk': [1-9]", output), output[-3000:]  # read back from JOBDIR
    stored = [doc["url"] for doc in mongo.db.articles.find()]
    assert sorted(stored) == sorted(expected_articles("asiaplus"))  # the union: each exactly once
