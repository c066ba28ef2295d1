"""Shared crawls (``REDIS_URL``) of replica sites as production runs them (robots.txt obeyed, every source),
through real ``scrapy crawl`` workers, a real ``redis-server``, nx-27017 and Chromium.

A request a downloader middleware answers itself (a robots.txt the robots middleware already holds) never
enters the downloader: it must still be finished in the crawl, or the crawl never ends. A worker stopped
while Chromium renders its pages (``kill -- -PGID``, ``timeout``) finishes them; the
crawl's other pages, and any that failed for the stop, not for themselves, go to the other workers (they
are in the crawl's seen set: no worker would fetch them again)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from crawler.bench.replica_server import serve
from tests.crawling import FAST, ROOT, MongoTarget, started
from tests.replicas import REPLICAS, expected_articles
from tests.test_browser import JS_SITE, requires_chromium

pytestmark = pytest.mark.e2e
WORKER = ["FRONTIER_IDLE_SECONDS=2", "FRONTIER_WORKER_TIMEOUT=8", "FRONTIER_SETTLE_SECONDS=2"]


def start_worker(base_url: str, env: dict[str, str], data_dir: Path, site: str = JS_SITE) -> subprocess.Popen[str]:
    """One worker of the site's shared crawl, on a "host" of its own (DATA_DIR), in its own process group."""
    command = [sys.executable, "-m", "scrapy", "crawl", site, "-a", f"base_url={base_url}",
               *(p for s in [*FAST, *WORKER] for p in ("-s", s))]
    return started(subprocess.Popen(command, cwd=ROOT, env={**env, "DATA_DIR": str(data_dir)}, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, start_new_session=True))


def finish(worker: subprocess.Popen[str], timeout: float) -> str:
    """The worker's log once it exited (killed with its process group after ``timeout``: a failure)."""
    try:
        return worker.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        pytest.fail(f"a worker did not exit within {timeout} s: {worker.communicate()[0][-5000:]}")


@pytest.mark.parametrize("disallowed", ["", "/2025/03/14/"])
def test_a_shared_crawl_that_obeys_robots_txt_ends_by_itself(redis_url: str, mongo: MongoTarget, tmp_path: Path,
                                                             disallowed: str) -> None:
    """The robots.txt start request is answered by the robots middleware (``robotstxt-reused``), and a URL robots.txt
    disallows is refused by it, both without a download: before, each stayed in the worker's in-flight hash for
    ever and the worker never ended."""
    replica = tmp_path / "asiaplus"
    shutil.copytree(REPLICAS / "asiaplus", replica)
    if disallowed:
        robots = replica / "robots.txt"
        robots.write_text(robots.read_text().replace("Disallow:", f"Disallow: {disallowed}\nDisallow:", 1))
    with serve(replica) as server:
        worker = start_worker(f"http://127.0.0.1:{server.server_port}", mongo.env(REDIS_URL=redis_url),
                              tmp_path / "host", site="asiaplus")
        log = finish(worker, 180)
    assert worker.returncode == 0, log[-3000:]
    stored = [doc["url"] for doc in mongo.db.articles.find({}, {"url": 1})]
    want = [url for url in expected_articles("asiaplus") if not disallowed or disallowed not in url]
    assert sorted(stored) == sorted(want) and len(want) == len(expected_articles("asiaplus")) - bool(disallowed)
    assert ("'robotstxt/forbidden'" in log) == bool(disallowed), log[-3000:]


@requires_chromium
def test_pages_in_flight_when_a_worker_is_stopped_mid_render_go_to_the_next_worker(
    redis_url: str, mongo: MongoTarget, tmp_path: Path
) -> None:
    replica = tmp_path / JS_SITE
    shutil.copytree(REPLICAS / JS_SITE, replica)
    server_json = replica / "_server.json"
    slow = {f"/api/articles/{api.name}": {"delay": 6} for api in (replica / "api" / "articles").iterdir()}
    server_json.write_text(json.dumps({**json.loads(server_json.read_text()), "paths": slow}))  # renders wait
    env = mongo.env(REDIS_URL=redis_url)
    with serve(replica) as server:
        base_url = f"http://127.0.0.1:{server.server_port}"
        first = start_worker(base_url, env, tmp_path / "host1")
        try:
            deadline = time.monotonic() + 90
            while not any(path.startswith("/api/") for path in list(server.served)):  # type: ignore[attr-defined]
                assert time.monotonic() < deadline and first.poll() is None, "no page reached its XHR in Chromium"
                time.sleep(0.05)
        except BaseException:
            os.killpg(first.pid, signal.SIGKILL)
            raise
        os.killpg(first.pid, signal.SIGTERM)  # as systemd's KillMode=control-group does
        first_log = finish(first, 90)
        assert first.returncode == 1 and "Spider closed (shutdown)" in first_log, first_log[-3000:]
        assert redis.Redis.from_url(redis_url).keys(f"news:{JS_SITE}:crawl"), "the stopped worker ended the crawl"
        second = start_worker(base_url, env, tmp_path / "host2")
        second_log = finish(second, 180)
    assert second.returncode == 0, second_log[-3000:]
    stored = [doc["url"] for doc in mongo.db.articles.find({}, {"url": 1})]
    assert sorted(stored) == sorted(expected_articles(JS_SITE)), (first_log[-3000:], second_log[-3000:])
