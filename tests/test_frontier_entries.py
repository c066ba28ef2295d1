"""Entries of a shared crawl's queue that make no request, through a real ``scrapy crawl`` worker, a real
``redis-server`` and nx-27017: a corrupt one, one pickled by another version whose classes are gone, one whose id is
not even text, and a request's dict naming a request class this code no longer has. Each is dropped with one line
(its error, never its content) and counted, and leaves the worker's in-flight hash: the crawl ends as finished with
every article stored. Before, each was a traceback from Scrapy's engine and stayed in flight, so the worker, and the
crawl, was busy for ever (and leaving would have queued it again for the next worker)."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest
import redis

from tests import endless_site as site
from tests.crawling import MongoTarget, wait_while_running
from tests.test_frontier import config, expected_urls, finish, slow_site, start_worker, stored

pytestmark = pytest.mark.e2e

POINTER = f"news:{site.DOMAIN.split('.')[0]}:crawl"
GONE_CLASS = "crawler.gone_in_this_version.ArticleRequest"
UNREADABLE = [
    b"0123456789abcdef" + b"Authorization: Bearer s3cret-token",  # no pickle at all
    b"fedcba9876543210" + f"c{GONE_CLASS.replace('.ArticleRequest', '')}\nArticleRequest\n(tR.".encode(),
    b"\xff\xfe" + b"0" * 14 + pickle.dumps({"url": f"https://{site.DOMAIN}/news/0/"}, protocol=5),  # an id of no text
]
BAD_REQUESTS = [b"00112233445566aa" + pickle.dumps({"url": f"https://{site.DOMAIN}/news/1/", "_class": GONE_CLASS,
                                                    "method": "GET", "headers": {}, "meta": {}}, protocol=5)]


def test_entries_that_make_no_request_are_dropped_once_and_the_crawl_ends(
    redis_url: str, mongo: MongoTarget, tmp_path: Path
) -> None:
    client = redis.Redis.from_url(redis_url)
    with slow_site() as (base_url, _):
        worker = start_worker(config(tmp_path), base_url, mongo.env(REDIS_URL=redis_url))
        wait_while_running(worker, lambda: client.exists(POINTER), "the worker never started the shared crawl")
        queue = f"news:endless:{client.get(POINTER).decode()}:queue"  # type: ignore[union-attr]
        client.zadd(queue, dict.fromkeys(UNREADABLE + BAD_REQUESTS, -1_000_000))  # ahead of every request
        [(code, log)] = finish([worker])
    assert code == 0, log[-3000:]
    assert "Traceback" not in log, log[-5000:]
    assert re.search(rf"'frontier/unreadable': {len(UNREADABLE)}[,}}]", log), log[-3000:]
    assert re.search(rf"'frontier/bad_requests': {len(BAD_REQUESTS)}[,}}]", log), log[-3000:]
    dropped = [line for line in log.splitlines() if "Dropped a queued request this worker cannot read" in line]
    assert len(dropped) == len(UNREADABLE + BAD_REQUESTS), dropped
    assert "s3cret" not in log
    assert set(stored(mongo)) == expected_urls()
    assert client.zcard(queue) == 0, "left in flight, handed back to the queue at the worker's leaving"
    client.close()
