"""A host that answers nothing: given up at once when it never answered in the run, waited for when it
stopped answering in the middle of a crawl (``crawler/middlewares/host_down.py``); real crawls of a closed
port and of a replica that goes away and comes back on the same port."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from crawler.bench.replica_server import serve
from tests.conftest import free_port
from tests.crawling import ROOT, MongoTarget, crawl_command, crawl_environment, require_e2e, run_crawl
from tests.replicas import REPLICAS, expected_articles

pytestmark = pytest.mark.e2e


def stat(log: str, name: str) -> int:
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(found.group(1)) if found else 0


def test_a_site_down_as_the_run_starts_is_given_up_after_a_few_attempts(tmp_path: Path) -> None:
    # 8 start URLs and robots.txt, each tried 4 times: 36 attempts before (44 s at the site's 1 s delay).
    # The site's delay (here 0.2 s) has the attempts one after the other, as on a real site.
    result = run_crawl("asiaplus", f"base_url=http://127.0.0.1:{free_port()}", env={},
                       settings=["STORAGE_ENABLED=0", "RETRY_TIMES=3", "DOWNLOAD_DELAY=0.2"],
                       data_dir=tmp_path / "data")
    log = result.stderr
    assert "127.0.0.1 is down: no answer to any of the 4 attempts of this run" in log, log[-3000:]
    assert stat(log, "downloader/request_count") <= 4 + 2, log[-3000:]  # 2: the attempts in flight
    assert stat(log, "download/failed/host_down") >= 1 and stat(log, "download/host_down") == 1, log[-3000:]
    assert "hosts down 1 time(s)" in log, log[-3000:]  # in the run's health
    assert "Traceback" not in log, log[-3000:]  # the robots.txt it could not read: one line, not a traceback


def test_a_host_that_stops_answering_mid_crawl_is_waited_for_and_the_crawl_completes(
    tmp_path: Path, mongo: MongoTarget
) -> None:
    """Before, each request of the outage was retried at once, given up, and its article lost to the run."""
    port = free_port()
    log_file = tmp_path / "crawl.log"
    command = crawl_command("asiaplus", f"base_url=http://127.0.0.1:{port}", settings=[
        "CONCURRENT_REQUESTS_PER_DOMAIN=1", "HOST_DOWN_PROBE_SECONDS=0.5", f"LOG_FILE={log_file}"])
    require_e2e("scrapy crawl")
    with serve(REPLICAS / "asiaplus", port=port, delay=1.0) as replica:  # the other requests wait their turn
        crawl = subprocess.Popen(command, cwd=ROOT, env=crawl_environment(mongo.env(), tmp_path / "data"),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while len(replica.requests) < 5:  # type: ignore[attr-defined]  # of about 20
                assert time.monotonic() < deadline and crawl.poll() is None, "the crawl fetched nothing"
                time.sleep(0.02)
        except BaseException:
            crawl.kill()
            raise
    try:  # the site is down: connections refused
        deadline = time.monotonic() + 60
        while "stopped answering" not in (log_file.read_text() if log_file.exists() else ""):
            assert time.monotonic() < deadline and crawl.poll() is None, log_file.read_text()[-3000:]
            time.sleep(0.05)
        time.sleep(1.5)  # a few probes fail
        with serve(REPLICAS / "asiaplus", port=port):  # back, on the same port
            crawl.wait(timeout=120)
    finally:
        if crawl.poll() is None:
            crawl.kill()
            crawl.wait()
    log = log_file.read_text()
    stored = sorted(doc["url"] for doc in mongo.db.articles.find())
    assert stored == sorted(expected_articles("asiaplus")), log[-3000:]  # every article, once
    assert re.search(r"127\.0\.0\.1 answers again after \d+ s", log), log[-3000:]
    assert stat(log, "download/host_down/waited") >= 1 and not stat(log, "download/failed/host_down"), log[-3000:]
