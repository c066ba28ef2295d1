"""Redis restarted mid-crawl, through the real ``scrapy crawl`` workers. Empty (no persistence: the shared queue and
seen set are gone), a worker must not read the empty frontier as a finished crawl and exit 0 with the queued
articles never fetched; a site pointer left to a crawl whose keys are gone is dropped. With its data, after
longer than a worker's timeout, no live worker is taken for dead: each page is fetched once."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import redis

from crawler.bench.servers import free_port, kill, start_redis
from crawler.frontier.shared import LAST, MEMBER_AWAITED, NOT_LAST, FrontierConfig, SharedCrawl
from tests.crawling import MongoTarget, require_e2e
from tests.test_frontier import (
    ARTICLES,
    WORKER,
    config,
    expected_urls,
    finish,
    slow_site,
    start_worker,
    stored,
    wait_for_articles,
    wait_until_holding,
)

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
    assert first.recorded() == MEMBER_AWAITED  # the second's part is awaited
    first.beat(busy=False)  # taken for dead meanwhile, it is awaited again
    assert second.recorded() == MEMBER_AWAITED
    assert first.recorded() == LAST  # it judges
    second.beat(busy=False)  # back after the judgement
    assert second.recorded() == NOT_LAST


def test_a_redis_restarted_with_its_data_takes_no_live_worker_for_dead(mongo: MongoTarget, tmp_path: Path) -> None:
    """Redis shut down with a snapshot and started again on it (a restart that keeps its data) after longer than
    ``FRONTIER_WORKER_TIMEOUT``: every heartbeat lapsed meanwhile. Before, the first worker back took its peer,
    alive and waiting out the same outage, for dead and pushed the requests it held back to the queue: those
    pages were fetched twice (stored once), and each run that rode the outage out was recorded as ``errors``."""
    require_e2e("a redis-server")
    port, snapshots = free_port(), tmp_path / "redis"
    snapshots.mkdir()
    url = f"redis://127.0.0.1:{port}/0"
    settings = [*WORKER, "FRONTIER_WORKER_TIMEOUT=3", "FRONTIER_REDIS_WAIT_SECONDS=60"]
    server = start_redis(port, snapshots)
    try:
        with slow_site() as (base_url, requests):
            workers = [start_worker(config(tmp_path), base_url, mongo.env(REDIS_URL=url), settings)]
            wait_for_articles(requests, 1)
            workers.append(start_worker(config(tmp_path), base_url, mongo.env(REDIS_URL=url), settings))
            wait_for_articles(requests, 20)
            for worker in workers:
                wait_until_holding(url, worker)
            redis.Redis.from_url(url).shutdown(save=True)  # the snapshot holds both workers' in-flight requests
            server.wait()
            time.sleep(6)  # twice the workers' timeout: every heartbeat expires in the snapshot
            server = start_redis(port, snapshots)
            results = finish(workers)
            fetched = Counter({p: c for p, c in requests.items() if p.startswith("/news/")})
    finally:
        kill(server)
    for code, log in results:
        assert code == 0, log[-3000:]
        assert "Traceback" not in log, log[-5000:]
        assert "Lost Redis" in log and "Reached Redis again" in log, log[-3000:]
    assert set(stored(mongo)) == expected_urls()
    assert len(fetched) == ARTICLES and max(fetched.values()) == 1, {p: c for p, c in fetched.items() if c > 1}
    assert not any("of a dead worker" in log for _, log in results)
    [crawl] = list(mongo.db.crawl_runs.find())
    assert [p["outcome"] for p in crawl["workers"].values()] == ["ok"] * 2, crawl  # nothing was lost


def worker_holding_a_request_and_its_peer(client: redis.Redis,
                                          worker_timeout: float) -> tuple[SharedCrawl, SharedCrawl]:
    """Two workers of one crawl; the second holds a request in flight."""
    config = FrontierConfig(worker_timeout=worker_timeout)
    first, second = SharedCrawl(client, "site", config), SharedCrawl(client, "site", config)
    first.join({})
    second.join({})
    second.push({"url": "https://site.kg/1/"}, 0)
    assert second.pop(1) is not None
    return first, second


def test_after_the_whole_crawl_was_silent_each_worker_has_a_timeout_to_beat_again(redis_url: str) -> None:
    """Nobody beat for longer than a worker's timeout (Redis out of reach): the first worker back takes none of
    its peers for dead until they had a whole timeout to beat again; one that never does is recovered after it."""
    client = redis.Redis.from_url(redis_url)
    first, second = worker_holding_a_request_and_its_peer(client, worker_timeout=0.5)
    time.sleep(1.0)  # the outage: both heartbeats lapse
    assert not client.exists(second.key("hb", second.worker))
    first.beat(busy=False)
    assert first.recover() == 0 and client.hlen(second.key("inflight", second.worker)) == 1
    recovered = 0
    for _ in range(200):  # the first keeps beating, the second never does
        first.beat(busy=False)
        recovered = first.recover()
        if recovered:
            break
        time.sleep(0.05)
    assert recovered == 1 and first.queued() == 1


def test_a_lone_worker_beating_slowly_still_recovers_a_dead_peers_requests(redis_url: str) -> None:
    """A loaded host's beats come more than half a timeout apart, so each beat finds the crawl "silent": only the
    workers alive when a silence began get a fresh heartbeat, or a dead peer's in-flight requests were never pushed
    back and the crawl, waiting for them, never ended."""
    client = redis.Redis.from_url(redis_url)
    live, _dead = worker_holding_a_request_and_its_peer(client, worker_timeout=1.0)  # then the second dies
    recovered, deadline = 0, time.monotonic() + 8  # a dead peer is revived at most once: recovered within 3 timeouts
    while not recovered and time.monotonic() < deadline:
        time.sleep(0.6)  # more than half the timeout between beats
        live.beat(busy=True)
        recovered = live.recover()
    assert recovered == 1 and live.queued() == 1
