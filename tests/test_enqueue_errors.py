"""A request the scheduler cannot queue (a meta that cannot be pickled into a JOBDIR disk queue or into a
shared crawl's Redis frontier) is kept in memory and counted, never raised to the engine: raised from
``start()`` it stopped the whole crawl (``shutdown``), from a callback it vanished in a traceback. The
real ``scrapy crawl`` of a spider that yields such requests, on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.bench.replica_server import serve
from tests.crawling import ROOT

pytestmark = pytest.mark.e2e

SPIDER = '''
import threading
import scrapy


def deep():
    value = []
    for _ in range(100_000):  # deeper than pickle can recurse: RecursionError, which Scrapy does not catch
        value = [value]
    return value


class Unqueueable(scrapy.Spider):
    name = "unqueueable"

    def __init__(self, base_url="", **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url

    def bad(self):
        return {"deep": deep(), "lock": threading.Lock()}  # neither pickles

    async def start(self):
        yield scrapy.Request(self.base_url + "/b", meta=self.bad(), callback=self.parse)
        yield scrapy.Request(self.base_url + "/a", callback=self.parse)

    def parse(self, response):
        if response.url.endswith("/a"):
            yield scrapy.Request(self.base_url + "/c", meta=self.bad(), callback=self.parse)
            yield scrapy.Request(self.base_url + "/d", callback=self.parse)
'''


@pytest.mark.parametrize("queue", ["jobdir", "redis"])
def test_requests_that_cannot_be_queued_are_kept_and_counted_and_the_crawl_finishes(
    queue: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    (tmp_path / "unqueueable_spiders").mkdir()
    (tmp_path / "unqueueable_spiders" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "unqueueable_spiders" / "unqueueable.py").write_text(SPIDER, encoding="utf-8")
    site = tmp_path / "site"
    site.mkdir()
    for name in "abcd":
        (site / name).write_text(f"page {name}", encoding="utf-8")
    stats_file = tmp_path / "stats.json"
    where = (f"JOBDIR={tmp_path / 'job'}" if queue == "jobdir"
             else f"REDIS_URL={request.getfixturevalue('redis_url')}")
    settings = ["SPIDER_MODULES=unqueueable_spiders", "ROBOTSTXT_OBEY=0", "BROWSER_ENABLED=0", "HEALTH_ENABLED=0",
                "FRONTIER_IDLE_SECONDS=1", f"STATS_FILE={stats_file}", where]
    env = {**{k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "REDIS_URL")},
           "DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    with serve(site) as server:
        command = [sys.executable, "-m", "scrapy", "crawl", "unqueueable", "-a",
                   f"base_url=http://127.0.0.1:{server.server_port}", *(p for s in settings for p in ("-s", s))]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
        served = sorted(server.requests)  # type: ignore[attr-defined]
    log = done.stderr
    assert "Spider closed (finished)" in log, log[-3000:]
    assert served == ["/a", "/b", "/c", "/d"], log[-3000:]  # the unqueueable ones were fetched too, from memory
    assert "Traceback" not in log and "never retrieved" not in log, log[-3000:]
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    if queue == "jobdir":
        assert stats["scheduler/disk_failed"] == 2 and stats["scheduler/enqueued/memory"] == 2, stats
        assert log.count("the JOBDIR queue cannot take it") == 1  # one warning per kind of error
    else:
        assert stats["frontier/unserializable"] == 2 and stats["frontier/local"] == 2, stats
        assert log.count("in this worker: it cannot be shared") == 2
