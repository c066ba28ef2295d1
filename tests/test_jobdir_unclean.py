"""A JOBDIR crawl stopped uncleanly (Ctrl-C twice: Scrapy's "forcing unclean shutdown") leaves queue
files without the header Scrapy writes only at a clean close, and no ``active.json``. The next run with
that JOBDIR must still crawl and end (it hung, every push to such a priority raising ``struct.error``),
storing every article once. Real ``scrapy crawl`` of the slow generated site, real nx-27017."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.crawling import FAST, ROOT, MongoTarget, started, wait_for_lapse
from tests.test_frontier import ARTICLES, config, expected_urls, slow_site, stored, wait_for_articles

pytestmark = pytest.mark.e2e
SETTINGS = [*FAST, "ROBOTSTXT_OBEY=0", "BROWSER_ENABLED=0", "EXTRACTION_WORKERS=0", "SITE_LEASE_SECONDS=2",
            "CONCURRENT_REQUESTS_PER_DOMAIN=4"]


def start(tmp_path: Path, base_url: str, mongo: MongoTarget) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"config={config(tmp_path)}",
               "-a", f"base_url={base_url}", "-a", "since=2020-01-01"]
    for setting in [*SETTINGS, f"JOBDIR={tmp_path / 'job'}"]:
        command += ["-s", setting]
    env = {**os.environ, **mongo.env(DATA_DIR=str(tmp_path / "data"))}
    return started(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True, stdin=subprocess.DEVNULL))


def test_a_jobdir_run_stopped_uncleanly_is_resumed_and_finished(tmp_path: Path, mongo: MongoTarget) -> None:
    with slow_site() as (base_url, requests):
        first = start(tmp_path, base_url, mongo)
        wait_for_articles(requests, 12)
        first.send_signal(signal.SIGINT)
        time.sleep(0.1)
        first.send_signal(signal.SIGINT)  # the second: unclean, the queue on disk is never closed
        _, log = first.communicate(timeout=60)
        assert "unclean shutdown" in log, log[-3000:]
        assert not (tmp_path / "job" / "requests.queue" / "active.json").exists()
        wait_for_lapse("endless", mongo.env())  # the unclean stop could not give the site back
        second = start(tmp_path, base_url, mongo)
        try:
            _, log = second.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            second.kill()
            _, log = second.communicate()
            pytest.fail(f"the resumed run never ended: {log[-3000:]}")
    assert second.returncode == 0, log[-3000:]
    assert "Traceback" not in log, log[-5000:]
    documents: Counter[str] = stored(mongo)
    assert set(documents) == expected_urls() and len(documents) == ARTICLES
    assert max(documents.values()) == 1


def scheduler(jobdir: Path):  # type: ignore[no-untyped-def]
    """Our scheduler on a real Scrapy crawler with ``JOBDIR``, opened."""
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from crawler.scheduler import DiscoveryLimitScheduler

    # Scrapy's plain priority queue: the downloader-aware one needs a running engine; JOBDIR is handled alike.
    crawler = get_crawler(Spider, {"JOBDIR": str(jobdir),
                                   "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue"})
    crawler.spider = crawler._create_spider("jobdir")
    built = DiscoveryLimitScheduler.from_crawler(crawler)
    built.open(crawler.spider)
    return built


def test_leftovers_of_an_unclean_stop_are_discarded_and_a_shared_jobdir_is_left_alone(tmp_path: Path) -> None:
    from scrapy import Request

    queue_dir = tmp_path / "job" / "requests.queue"
    queue_dir.mkdir(parents=True)
    (queue_dir / "-5").write_bytes(b"")  # a queue whose header was never written: pushing to it raised
    live = scheduler(tmp_path / "job")
    assert live.stats.get_value("scheduler/jobdir/discarded") == 1
    assert sorted(path.name for path in queue_dir.iterdir()) == [".lock"]
    live.enqueue_request(Request("http://127.0.0.1/a", priority=5))
    other = scheduler(tmp_path / "job")  # a second crawl given the same JOBDIR: the live run's files are untouched
    assert other.dqdir is None and other.stats.get_value("scheduler/jobdir/in_use") == 1
    other.close("site_locked")
    live.close("shutdown")
    resumed = scheduler(tmp_path / "job")
    assert len(resumed) == 1 and not (tmp_path / "job" / "requests.queue" / "active.json").exists()
    assert resumed.next_request().url == "http://127.0.0.1/a"  # type: ignore[union-attr]
    resumed.close("finished")
