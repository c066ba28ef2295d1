"""A hung Redis (a real ``redis-server``, SIGSTOPped) holds a shared crawl's reactor ``REACTOR_TIMEOUT`` (1 s) at
most: the scheduler's first call that gets no answer gives up after it, the worker keeps what it finds, and asks
Redis nothing more on the reactor (before, each such call waited out the client's 5 s socket timeout)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
from scrapy import Request, Spider, signals
from scrapy.utils.test import get_crawler

from crawler.frontier.connection import REACTOR_TIMEOUT, SOCKET_TIMEOUT
from crawler.frontier.extension import Frontier
from crawler.frontier.scheduler import FrontierScheduler

pytestmark = pytest.mark.e2e


@pytest.fixture
def scheduler(redis_server: tuple[str, subprocess.Popen[bytes]]) -> Iterator[FrontierScheduler]:
    """A worker's frontier scheduler, joined to a crawl on the real ``redis-server``."""
    crawler = get_crawler(Spider, settings_dict={"REDIS_URL": redis_server[0]})
    crawler.spider = Spider.from_crawler(crawler, name="endless")
    built = FrontierScheduler(crawler, Frontier.from_crawler(crawler))
    built.open(crawler.spider)
    try:
        yield built
    finally:
        redis_server[1].send_signal(signal.SIGCONT)
        for shared in {built.frontier.shared, built.frontier.background} - {None}:
            shared.client.close()  # type: ignore[union-attr]


def timed(call: object) -> float:
    started = time.monotonic()
    call()  # type: ignore[operator]
    return time.monotonic() - started


def test_a_hung_redis_holds_the_reactor_a_second_at_most(
    redis_server: tuple[str, subprocess.Popen[bytes]], scheduler: FrontierScheduler
) -> None:
    assert scheduler.enqueue_request(Request("https://endless.kg/news/1/"))
    assert scheduler.stats.get_value("frontier/pushed") == 1  # Redis answers
    redis_server[1].send_signal(signal.SIGSTOP)
    held = timed(lambda: scheduler.enqueue_request(Request("https://endless.kg/news/2/")))
    assert REACTOR_TIMEOUT * 0.9 <= held < min(REACTOR_TIMEOUT * 2.5, SOCKET_TIMEOUT), held
    assert scheduler.frontier.lost and scheduler.stats.get_value("frontier/local") == 1  # kept by this worker
    # Lost: the reactor asks Redis nothing more, the heartbeat asks again on its thread.
    assert timed(lambda: scheduler.enqueue_request(Request("https://endless.kg/news/3/"))) < REACTOR_TIMEOUT * 0.9
    assert [scheduler.next_request().url for _ in range(2)] == [  # type: ignore[union-attr]
        "https://endless.kg/news/2/", "https://endless.kg/news/3/"]
    assert scheduler.frontier.background is not scheduler.frontier.shared  # threads keep the longer timeout


def disconnected(observer: redis.Redis, client_id: int) -> bool:
    """Whether ``client_id`` left the server's CLIENT LIST (the server sees a closed socket a moment later)."""
    for _ in range(100):
        if client_id not in {int(c["id"]) for c in observer.client_list()}:
            return True
        time.sleep(0.05)
    return False


def test_leaving_closes_the_reactor_client(redis_url: str, scheduler: FrontierScheduler) -> None:
    """The 1 s client asked on the reactor is closed when the worker leaves; the thread one stays for the run record,
    and is closed once the engine stopped (the run record is written at ``spider_closed``, before)."""
    assert scheduler.enqueue_request(Request("https://endless.kg/news/1/"))  # the reactor client is connected
    reactor, background = scheduler.frontier.shared, scheduler.frontier.background
    assert reactor is not None and background is not None
    reactor_id, background_id = reactor.client.client_id(), background.client.client_id()
    observer = redis.Redis.from_url(redis_url)
    try:
        assert {reactor_id, background_id} <= {int(c["id"]) for c in observer.client_list()}
        asyncio.run(scheduler.frontier.leave())
        assert disconnected(observer, reactor_id), "the reactor's client is still connected after leaving"
        assert background_id in {int(c["id"]) for c in observer.client_list()}  # the run record asks after leaving
        scheduler.frontier.crawler.signals.send_catch_log(signal=signals.engine_stopped)
        assert disconnected(observer, background_id), "the threads' client is still connected after the engine stopped"
    finally:
        observer.close()
