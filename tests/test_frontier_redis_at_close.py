"""Redis goes away just as a worker of a shared crawl records its run (``crawler.extensions.run_health`` asks Redis
whether this worker was the last to write its part): paused (SIGSTOP) or killed, a real ``redis-server`` on
loopback under the real ``scrapy crawl``. Asked on a thread, the question never holds the crawl's reactor (before,
it waited on the socket up to its 5 s timeout, the whole process frozen); a Redis that does not answer is one
ERROR line and ``frontier/redis_errors``, the run still recorded and judged, and the worker exits by itself."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests import endless_site as site
from tests.crawling import MongoTarget
from tests.redis_at_close import TAKEN, redis_at_close
from tests.test_frontier import WORKER, config, finish, start_worker

pytestmark = pytest.mark.e2e
ARTICLES = 6
UNKNOWN = "Redis did not say whether this worker was the last of the shared crawl"


def crawl_with_redis_taken(redis_server: tuple[str, subprocess.Popen[bytes]], mongo: MongoTarget, tmp_path: Path,
                           how: str, resume: float = 0.0) -> tuple[int, str]:
    """One worker's whole crawl of a small site, Redis taken away as its spider closes: exit code and log."""
    url, redis_process = redis_server
    with site.serve(site.big_sitemap(ARTICLES)) as server:
        worker = start_worker(config(tmp_path), f"http://127.0.0.1:{server.server_port}", mongo.env(REDIS_URL=url),
                              settings=[*WORKER, *redis_at_close(redis_process.pid, how, resume)])
        [(code, log)] = finish([worker], timeout=90)
    assert TAKEN in log and "Traceback" not in log, log[-5000:]
    return code, log


def stat(log: str, name: str) -> int:
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(found.group(1)) if found else 0


def test_redis_paused_as_the_run_is_recorded_does_not_hold_the_reactor(
    redis_server: tuple[str, subprocess.Popen[bytes]], mongo: MongoTarget, tmp_path: Path
) -> None:
    """Redis is paused and the crawl's own reactor resumes it a second later: only a reactor that is not stuck
    waiting on Redis can, so the question is answered (before: no answer in 5 s, the resume came too late)."""
    code, log = crawl_with_redis_taken(redis_server, mongo, tmp_path, "pause", 1.0)
    assert code == 0, log[-3000:]
    assert UNKNOWN not in log and "Lost Redis" not in log, log[-3000:]
    assert stat(log, "frontier/redis_errors") == 0, log[-3000:]
    [crawl] = mongo.db.crawl_runs.find({"workers": {"$exists": True}})
    assert crawl["outcome"] == "ok" and len(crawl["workers"]) == 1, crawl


@pytest.mark.parametrize("how", ["pause", "kill"])
def test_redis_lost_as_the_run_is_recorded_is_logged_and_counted(
    redis_server: tuple[str, subprocess.Popen[bytes]], mongo: MongoTarget, tmp_path: Path, how: str
) -> None:
    code, log = crawl_with_redis_taken(redis_server, mongo, tmp_path, how)
    assert code == 0, log[-3000:]  # the worker's own run was healthy; it alerts on the crawl as recorded so far
    lines = [line for line in log.splitlines() if UNKNOWN in line]
    assert len(lines) == 1 and "ERROR" in lines[0], log[-3000:]
    assert ("TimeoutError" if how == "pause" else "ConnectionError") in lines[0], lines  # the client's 5 s
    assert stat(log, "frontier/redis_errors") >= 1, log[-3000:]
    [crawl] = mongo.db.crawl_runs.find({"workers": {"$exists": True}})  # the run is recorded all the same
    assert crawl["outcome"] == "ok" and len(crawl["workers"]) == 1, crawl
