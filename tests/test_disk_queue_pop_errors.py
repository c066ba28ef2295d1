"""A JOBDIR queue's pop that fails (``crawler.disk_queue`` opens its file for each: ``EMFILE`` once the process is
out of descriptors) gives no request this time and leaves it queued, counted and logged once, instead of an
``OSError`` escaping to the engine's loop. A real scheduler on a real JOBDIR, the process's descriptor limit lowered
for real."""

from __future__ import annotations

import logging
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.utils.test import get_crawler

from crawler.scheduler import DiscoveryLimitScheduler
from tests.crawling import ROOT


def scheduler(jobdir: Path) -> DiscoveryLimitScheduler:
    """Our scheduler with the project's disk queue on ``jobdir``, opened (Scrapy's plain priority queue: the
    downloader-aware one needs a running engine)."""
    crawler = get_crawler(Spider, {"JOBDIR": str(jobdir),
                                   "SCHEDULER_DISK_QUEUE": "crawler.disk_queue.PickleLifoDiskQueue",
                                   "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue"})
    crawler.spider = crawler._create_spider("jobdir")
    built = DiscoveryLimitScheduler.from_crawler(crawler)
    built.open(crawler.spider)
    return built


@contextmanager
def no_free_descriptor() -> Iterator[None]:
    """Every ``open()`` of this process fails with EMFILE until the block ends."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lowest = os.open(os.devnull, os.O_RDONLY)  # the descriptor the next open would get
    os.close(lowest)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowest, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_disk_queue_pop_out_of_descriptors_gives_nothing_now_and_the_request_later(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    queue = scheduler(tmp_path / "job")
    urls = ["http://127.0.0.1/a", "http://127.0.0.1/b"]
    for url in urls:
        assert queue.enqueue_request(Request(url))
    with caplog.at_level(logging.WARNING), no_free_descriptor():
        assert [queue.next_request(), queue.next_request()] == [None, None]
    assert queue.stats is not None
    assert queue.stats.get_value("scheduler/disk_pop_failed") == 2
    assert caplog.text.count("Could not take a request from the JOBDIR queue (OSError") == 1
    assert len(queue) == 2
    assert sorted(queue.next_request().url for _ in urls) == urls  # type: ignore[union-attr]
    queue.close("finished")


@pytest.mark.e2e
def test_a_jobdir_queue_that_fails_every_pop_ends_the_crawl_with_an_error(tmp_path: Path) -> None:
    """The queue's files gone under a running crawl (a JOBDIR cleaned away, as good as descriptors never freed): every
    pop fails, and the queue still counts their requests, so the engine never found the crawl idle and it never ended.
    Now ``SCHEDULER_DISK_POP_MAX_FAILURES`` failures in a row end it: failed, one error line. The real ``scrapy
    crawl`` on a slow site, its sitemap's links queued on disk."""
    from tests.test_frontier import WORKER, config, finish, slow_site, start_worker, wait_for_articles

    job = tmp_path / "job"
    with slow_site() as (base_url, requests):
        crawl = start_worker(config(tmp_path), base_url, {}, settings=[
            *WORKER, "STORAGE_ENABLED=0", f"JOBDIR={job}", "SCHEDULER_DISK_POP_MAX_FAILURES=3"])
        wait_for_articles(requests, 2)  # the sitemap read: its links wait in the JOBDIR queue
        queued = [path for path in (job / "requests.queue").rglob("*") if path.is_file() and path.name != ".lock"]
        assert queued
        for path in queued:
            path.unlink(missing_ok=True)  # or popped by the crawl meanwhile: gone either way
        [(code, log)] = finish([crawl], timeout=120)
    assert code == 1, log[-3000:]
    assert "Traceback" not in log, log[-5000:]
    assert "The JOBDIR queue failed 3 pops in a row (FileNotFoundError" in log, log[-3000:]
    assert "Spider closed (disk_queue_failed)" in log, log[-3000:]


def test_the_default_number_of_failed_pops_is_written_once() -> None:
    """``SCHEDULER_DISK_POP_MAX_FAILURES``'s default is written in one place (``crawler.queue_limits``): the project's
    settings and a scheduler on Scrapy's own settings (no such setting) both take it from there. Before, 60 was
    written in ``crawler/settings.py`` and in ``crawler/scheduler.py``: one changed, the other kept it."""
    probe = ("import crawler.queue_limits as limits\n"
             "limits.MAX_DISK_POP_FAILURES = 7\n"
             "from scrapy.utils.project import get_project_settings\n"
             "import crawler.scheduler\n"
             "print(get_project_settings().getint('SCHEDULER_DISK_POP_MAX_FAILURES'),"
             " crawler.scheduler.MAX_DISK_POP_FAILURES)\n")
    env = {k: v for k, v in os.environ.items() if k != "SCHEDULER_DISK_POP_MAX_FAILURES"}
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0 and result.stdout.split() == ["7", "7"], result.stderr[-3000:]
