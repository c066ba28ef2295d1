"""Redis restarted empty mid-crawl (no persistence: the shared queue and seen set are gone), through the
real ``scrapy crawl`` worker: it must not read the empty frontier as a finished crawl and exit 0 with
the queued articles never fetched; and a site pointer left to a crawl whose keys are gone is dropped."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import redis

from crawler.frontier.shared import FrontierConfig, SharedCrawl
from tests.crawling import MongoTarget
from tests.test_frontier import ARTICLES, config, finish, slow_site, start_worker, stored, wait_for_articles

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("loss", ["restarted", "flushed"])
def test_a_redis_that_lost_the_crawl_mid_run_fails_the_run_instead_of_ending_it(
    loss: str, redis_server: tuple[str, subprocess.Popen[bytes]], mongo: MongoTarget, tmp_path: Path
) -> None:
    url, redis_process = redis_server
    port = url.rsplit(":", 1)[1].split("/")[0]
    restarted: subprocess.Popen[bytes] | None = None
    with slow_site() as (base_url, requests):
        worker = start_worker(config(tmp_path), base_url, mongo.env(REDIS_URL=url))
        try:
            wait_for_articles(requests, 10)
            if loss == "flushed":  # the same loss without a connection error: deterministic
                redis.Redis.from_url(url).flushall()
            else:
                redis_process.kill()
                redis_process.wait()
                restarted = subprocess.Popen([str(redis_process.args[0]), "--port", port, "--bind", "127.0.0.1",
                                              "--save", "", "--appendonly", "no"],
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            [(code, log)] = finish([worker])
        finally:
            if restarted is not None:
                restarted.kill()
                restarted.wait()
        fetched = {p for p in requests if p.startswith("/news/")}
    documents = stored(mongo)
    assert len(documents) < ARTICLES  # the crawl did not finish: it must not say it did
    assert code == 1, log[-3000:]
    assert "Traceback" not in log, log[-5000:]
    # Restarted, the worker may first meet the outage itself (and close on it): either line is the cause.
    assert "is gone from Redis" in log or (loss == "restarted" and "Lost Redis" in log), log[-3000:]
    assert {url.split("endless.kg", 1)[1] for url in documents} == fetched  # what it fetched was stored


def test_a_pointer_to_a_crawl_whose_keys_are_gone_is_replaced(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set("news:site:crawl", "0123456789ab")  # its args and queue evicted or flushed
    shared = SharedCrawl(client, "site", FrontierConfig())
    shared.join({"since": None})
    assert shared.seeder and shared.crawl_id != "0123456789ab"
    assert client.get("news:site:crawl") == shared.crawl_id.encode()
    shared.beat(busy=False)  # alive
    client.delete(shared.key("args"))
    with pytest.raises(redis.RedisError, match="is gone from Redis"):
        shared.beat(busy=False)


def test_a_worker_back_after_the_crawl_was_judged_does_not_judge_it_again(redis_url: str) -> None:
    """A worker taken for dead beats again (re-added to ``recording``) after the last worker judged the crawl:
    before, its own ``recorded()`` said it was the last too (a second judgement and webhook)."""
    client = redis.Redis.from_url(redis_url)
    first, second = SharedCrawl(client, "site", FrontierConfig()), SharedCrawl(client, "site", FrontierConfig())
    first.join({})
    second.join({})
    assert not first.recorded()  # the second's part is awaited
    first.beat(busy=False)  # taken for dead meanwhile, it is awaited again
    assert not second.recorded()
    assert first.recorded()  # the last: it judges
    second.beat(busy=False)  # back after the judgement
    assert not second.recorded()
