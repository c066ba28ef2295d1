"""A worker of a shared crawl that leaves without writing its run record part (its run health off, its Redis out of
reach or its run health failed at close) no longer holds the crawl's judgement: before, it stayed awaited in
``recording`` for good, no later worker was the last, and the crawl was never judged nor alerted on. Real
``redis-server``, and real ``scrapy crawl`` workers of one site into nx-27017."""

from __future__ import annotations

import hashlib
import signal
import time
from pathlib import Path

import pytest
import redis

from crawler.frontier import shared
from crawler.frontier.shared import LAST, MEMBER_AWAITED, NOT_LAST, FrontierConfig, SharedCrawl
from tests import test_frontier
from tests.crawling import MongoTarget
from tests.relay import CuttingRelay
from tests.test_cluster_run import config, served, worker
from tests.test_frontier import finish, slow_site, start_worker, wait_for_articles, wait_until_holding
from tests.test_run_health import webhook

pytestmark = pytest.mark.e2e  # a redis-server of its own


def test_a_worker_that_left_without_writing_its_part_is_awaited_only_until_it_is_due(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    timing = FrontierConfig(worker_timeout=1.0)
    gone, last = SharedCrawl(client, "site", timing), SharedCrawl(client, "site", timing)
    gone.join({})
    last.join({})
    gone.leave(ended=True)  # and never says its part is written
    last.leave(ended=True)
    waits = []
    while (answer := last.recorded()) < 0:  # its part is due within a worker's timeout: asked again until then
        waits.append(answer)
        time.sleep(-answer / 1000)
    assert waits and answer == LAST  # it judges the crawl
    assert gone.recorded() == NOT_LAST  # written too late after all: the crawl is not judged twice


def test_a_worker_still_in_the_crawl_is_awaited_until_it_leaves_or_dies(redis_url: str) -> None:
    """The last worker to write may have written before another left without writing: it is told to ask again."""
    client = redis.Redis.from_url(redis_url)
    timing = FrontierConfig(worker_timeout=1.0)
    dying, leaving, last = (SharedCrawl(client, "site", timing) for _ in range(3))
    for member in (dying, leaving, last):
        member.join({})
    last.leave(ended=True)
    assert last.recorded() == MEMBER_AWAITED
    leaving.leave(ended=True)  # and never writes
    client.delete(dying.key("hb", dying.worker))  # its heartbeat lapsed
    last.recover()
    while (answer := last.recorded()) < 0:
        time.sleep(-answer / 1000)
    assert answer == LAST


def test_a_worker_that_left_and_wrote_its_part_judges_and_the_one_that_waited_does_not(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    first, second = SharedCrawl(client, "site", FrontierConfig()), SharedCrawl(client, "site", FrontierConfig())
    first.join({})
    second.join({})
    first.leave(ended=True)
    second.leave(ended=True)
    assert second.recorded() < 0  # the first's part may still come
    assert first.recorded() == LAST  # it did: the first was the last
    assert second.recorded() == NOT_LAST


def test_a_crawl_with_a_worker_whose_run_health_is_off_is_judged_and_alerted_once(
    redis_url: str, mongo: MongoTarget, tmp_path: Path
) -> None:
    """Two workers, one of them with ``HEALTH_ENABLED=0`` (it writes no part): the other is the last, whichever
    ends first, and judges the whole crawl (before: never judged, no alert)."""
    with webhook() as (hook, received), served() as (base_url, _):
        env = mongo.env(REDIS_URL=redis_url, MONITOR_WEBHOOK_URL=hook)
        path = config(tmp_path, "stale_hours = 0")  # the newest article is always stale: the crawl is degraded
        results = finish([worker(path, base_url, env), worker(path, base_url, env, settings=("HEALTH_ENABLED=0",))])
    (judging_code, judging_log), (silent_code, silent_log) = results
    assert "Traceback" not in judging_log + silent_log, (judging_log + silent_log)[-5000:]
    assert judging_code == 3, judging_log[-3000:]  # its own verdict: degraded
    assert silent_code == 0, silent_log[-3000:]  # unjudged
    [run] = list(mongo.db.crawl_runs.find())
    assert len(run["workers"]) == 1 and run["health"]["status"] == "degraded"
    assert "Shared crawl" in judging_log and "(1 workers recorded)" in judging_log, judging_log[-3000:]
    [alert] = received  # the crawl judged as a whole, once
    assert alert["run"] == run["_id"] and alert["status"] == "degraded"
    judged = [key for key in redis.Redis.from_url(redis_url).scan_iter("news:*:judged")]
    assert len(judged) == 1


@pytest.mark.parametrize("stopped", [True, False], ids=["stopped-mid-crawl", "ended-with-the-crawl"])
def test_a_worker_whose_redis_is_cut_as_it_records_does_not_hold_the_judgement_of_the_crawl(
    redis_url: str, mongo: MongoTarget, tmp_path: Path, stopped: bool
) -> None:
    """A worker leaves the crawl (stopped mid-crawl, or as the crawl ends, before or after the other writes its part),
    writes its part to the store, and its Redis is cut as it asks whether it was the last (a relay drops its
    connection at the question): the other worker judges the crawl on both parts once the cut one's part was due
    (before: awaited for good, the crawl never judged)."""
    host, port = redis_url.split("//", 1)[1].split("/")[0].split(":")
    question = hashlib.sha1(shared._RECORDED.encode()).hexdigest().encode()  # the script sent by its SHA1
    relay = CuttingRelay((host, int(port)), question)
    path = test_frontier.config(tmp_path)
    try:
        with slow_site() as (base_url, requests):
            last = start_worker(path, base_url, mongo.env(REDIS_URL=redis_url))
            wait_for_articles(requests, 1)  # it seeds; the other joins its crawl
            cut = start_worker(path, base_url, mongo.env(REDIS_URL=f"redis://{host}:{relay.port}/0"))
            wait_until_holding(redis_url, cut)
            if stopped:
                cut.send_signal(signal.SIGINT)
            [(_, cut_log), (code, log)] = finish([cut, last])
    finally:
        relay.close()
    assert relay.cut.is_set(), cut_log[-3000:]
    assert "Redis did not say whether this worker was the last" in cut_log, cut_log[-3000:]
    assert "Traceback" not in cut_log + log, (cut_log + log)[-5000:]
    assert code == 0, log[-3000:]
    [run] = list(mongo.db.crawl_runs.find())
    assert len(run["workers"]) == 2 and run["finish_reason"] == "finished", run
    assert f"Shared crawl {run['_id']}: ok, healthy (2 workers recorded)" in log, log[-3000:]  # it judged
    assert len(list(redis.Redis.from_url(redis_url).scan_iter("news:*:judged"))) == 1
