"""A hung Redis (a real ``redis-server``, SIGSTOPped) holds a shared crawl's reactor ``REACTOR_TIMEOUT`` (1 s) at
most: the scheduler's first call that gets no answer gives up after it, the worker keeps what it finds, and asks
Redis nothing more on the reactor (before, each such call waited out the client's 5 s socket timeout). Told without
timing anything: the reactor's call gives up on its own socket timeout before a 5 s wait sent first does, and the
commands the reactor's client sends are counted."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from scrapy import Request, Spider, signals
from scrapy.exceptions import NotConfigured
from scrapy.extension import ExtensionManager
from scrapy.utils.misc import build_from_crawler
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


class _Probe:
    """A PING sent to the hung Redis on a thread, waiting ``SOCKET_TIMEOUT`` (the threads' clients') for its answer,
    before the reactor's call: the reactor's must give up first (before, it waited out that same 5 s socket
    timeout, so this one, sent first, gave up first)."""

    def __init__(self, url: str) -> None:
        address = urlsplit(url)
        self.socket = socket.create_connection((address.hostname, address.port), timeout=SOCKET_TIMEOUT)
        self.socket.sendall(b"PING\r\n")  # the kernel takes it: the stopped server reads nothing
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._wait, daemon=True)
        self.thread.start()

    def _wait(self) -> None:
        with contextlib.suppress(TimeoutError):
            self.socket.recv(64)
        self.done.set()

    def close(self) -> None:
        self.thread.join()
        self.socket.close()


class _Commands:
    """Counts the commands (and pipelines) a client sends: each takes a connection from its pool."""

    def __init__(self, client: redis.Redis) -> None:
        self.sent = 0
        pool, take = client.connection_pool, client.connection_pool.get_connection

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.sent += 1
            return take(*args, **kwargs)

        pool.get_connection = counted  # type: ignore[method-assign]


def test_a_hung_redis_holds_the_reactor_a_second_at_most(
    redis_server: tuple[str, subprocess.Popen[bytes]], scheduler: FrontierScheduler, caplog: pytest.LogCaptureFixture
) -> None:
    reactor = scheduler.frontier.shared
    assert reactor is not None and reactor.client.connection_pool.connection_kwargs["socket_timeout"] == REACTOR_TIMEOUT
    commands = _Commands(reactor.client)
    assert scheduler.enqueue_request(Request("https://endless.kg/news/1/"))
    assert scheduler.stats.get_value("frontier/pushed") == 1 and commands.sent > 0  # Redis answers, on the reactor
    redis_server[1].send_signal(signal.SIGSTOP)
    probe = _Probe(redis_server[0])
    try:
        assert scheduler.enqueue_request(Request("https://endless.kg/news/2/"))  # asks Redis, gets no answer
        assert not probe.done.is_set(), "the reactor's call waited as long as a thread's 5 s call started before it"
        assert scheduler.frontier.lost and scheduler.stats.get_value("frontier/local") == 1  # kept by this worker
        assert scheduler.stats.get_value("frontier/redis_errors") == 1
        assert "Lost Redis (TimeoutError" in caplog.text  # it gave up on its socket timeout (REACTOR_TIMEOUT)
        # Lost: the reactor asks Redis nothing more, the heartbeat asks again on its thread.
        asked = commands.sent
        assert scheduler.enqueue_request(Request("https://endless.kg/news/3/"))
        assert [scheduler.next_request().url for _ in range(2)] == [  # type: ignore[union-attr]
            "https://endless.kg/news/2/", "https://endless.kg/news/3/"]
        assert not scheduler.has_pending_requests() and commands.sent == asked, "asked the lost Redis on the reactor"
        assert not probe.done.is_set()
    finally:
        redis_server[1].send_signal(signal.SIGCONT)
        probe.close()
    assert scheduler.frontier.background is not scheduler.frontier.shared  # threads keep the longer timeout


def disconnected(observer: redis.Redis, client_id: int) -> bool:
    """Whether ``client_id`` left the server's CLIENT LIST (the server sees a closed socket a moment later)."""
    for _ in range(100):
        if client_id not in {int(c["id"]) for c in observer.client_list()}:
            return True
        time.sleep(0.05)
    return False


def clients(observer: redis.Redis) -> set[int]:
    return {int(c["id"]) for c in observer.client_list()}


def test_leaving_closes_both_clients(redis_url: str, scheduler: FrontierScheduler) -> None:
    """Leaving (the scheduler's close) is the one owner of both clients: the 1 s one asked on the reactor and the
    one asked on threads; the run record, asked after, connects for its question alone and leaves nothing open."""
    assert scheduler.enqueue_request(Request("https://endless.kg/news/1/"))  # the reactor client is connected
    reactor, background = scheduler.frontier.shared, scheduler.frontier.background
    assert reactor is not None and background is not None
    reactor_id, background_id = reactor.client.client_id(), background.client.client_id()
    observer = redis.Redis.from_url(redis_url)
    try:
        assert {reactor_id, background_id} <= clients(observer)
        asyncio.run(scheduler.frontier.leave())
        assert disconnected(observer, reactor_id), "the reactor's client is still connected after leaving"
        assert disconnected(observer, background_id), "the threads' client is still connected after leaving"
        before = clients(observer)
        assert asyncio.run(scheduler.frontier.recorded()) is True  # Redis answered: the only worker recorded
        assert all(disconnected(observer, new) for new in clients(observer) - before - {observer.client_id()})
    finally:
        observer.close()


@pytest.mark.parametrize("health", ["on", "off", "history raises"])
def test_a_crawl_closed_while_opening_closes_the_threads_client_once(
        redis_url: str, health: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crawl closed while opening (its lease refused, its store unreachable) sends no ``engine_stopped``, and may
    write no run record (``HEALTH_ENABLED=0``) or one that raised before it asked Redis: its threads' client is closed
    all the same, once, when it leaves (before, it stayed connected until the process exited)."""
    from crawler.extensions.run_health import RunHealth

    if health == "history raises":
        async def broken(*args: Any) -> Any:
            raise RuntimeError("the history read failed")

        monkeypatch.setattr(RunHealth, "_history", broken)
    crawler = get_crawler(Spider, settings_dict={"REDIS_URL": redis_url, "HEALTH_ENABLED": health != "off",
                                                 "STORAGE_ENABLED": False})
    crawler.spider = Spider.from_crawler(crawler, name="endless")
    extensions: list[Any] = [build_from_crawler(Frontier, crawler)]  # as EXTENSIONS orders them
    with contextlib.suppress(NotConfigured):
        extensions.append(build_from_crawler(RunHealth, crawler))
    crawler.extensions = ExtensionManager(*extensions, crawler=crawler)
    frontier = crawler.get_extension(Frontier)
    assert frontier is not None and frontier.background is not None
    assert (crawler.get_extension(RunHealth) is None) == (health == "off")
    closes = []
    client = frontier.background.client
    monkeypatch.setattr(client, "close", lambda close=client.close: closes.append(1) or close())
    background_id = client.client_id()
    observer = redis.Redis.from_url(redis_url)
    try:
        asyncio.run(frontier.leave())  # the scheduler's close, before spider_closed
        asyncio.run(crawler.signals.send_catch_log_async(signal=signals.spider_closed, spider=crawler.spider,
                                                         reason="shutdown"))
        assert disconnected(observer, background_id), "the threads' client outlived a crawl closed while opening"
        assert closes == [1]
    finally:
        observer.close()


def test_a_request_taken_as_redis_hung_goes_back_to_the_queue_once_redis_answers(
    redis_server: tuple[str, subprocess.Popen[bytes]], scheduler: FrontierScheduler
) -> None:
    """The reactor's pop that got no answer in time is run by Redis once it is resumed: the request it took sits in
    this worker's in-flight hash, though the worker never got it. Before, nothing ever finished it: the worker, and
    every worker of the crawl, counted it as work in flight and waited for it for ever (CI: a Redis paused 10 s on a
    loaded host, both workers idle with "0 requests queued" until killed). The heartbeat that reaches Redis again
    puts it back, and the crawl takes it up."""
    for n in (1, 2):
        assert scheduler.enqueue_request(Request(f"https://endless.kg/news/{n}/"))
    first = scheduler.next_request()  # taken as usual (and the pop's script known to Redis)
    assert first is not None
    frontier = scheduler.frontier
    background = frontier.background
    assert background is not None
    redis_server[1].send_signal(signal.SIGSTOP)
    try:
        assert scheduler.next_request() is None  # asked Redis, no answer within REACTOR_TIMEOUT
        assert frontier.lost
    finally:
        redis_server[1].send_signal(signal.SIGCONT)
    inflight = background.key("inflight", frontier.worker)
    for _ in range(100):  # Redis runs the pop after all, the request now in this worker's in-flight hash
        if background.client.hlen(inflight) == 2:
            break
        time.sleep(0.02)
    assert background.client.hlen(inflight) == 2 and background.queued() == 0
    assert asyncio.run(frontier.beat_once(background, busy=False)) == 1  # the heartbeat reaches Redis again
    assert not frontier.lost
    assert background.queued() == 1
    assert background.client.hlen(inflight) == 1, "an entry no one will ever finish: the crawl busy for ever"
    request = scheduler.next_request()
    assert request is not None and {first.url, request.url} == {f"https://endless.kg/news/{n}/" for n in (1, 2)}


def test_a_pop_undone_before_redis_ran_it_takes_nothing(scheduler: FrontierScheduler) -> None:
    """A resumed Redis may read the pop that got no answer only after the beat undid it (each came on a connection of
    its own): undone first, the pop takes nothing, and the worker's next pop takes the request."""
    assert scheduler.enqueue_request(Request("https://endless.kg/news/1/"))
    background = scheduler.frontier.background
    assert background is not None
    assert background.undo_pop(7) == 0  # not run yet: nothing to put back
    assert background.pop(7) is None and background.queued() == 1  # run late: it takes nothing
    popped = background.pop(8)
    assert popped is not None and popped[1]["url"] == "https://endless.kg/news/1/"
    assert background.undo_pop(8) == 1 and background.queued() == 1  # run, then undone: the request back
    assert background.client.hlen(background.key("inflight", background.worker)) == 0


def test_a_pop_undone_and_delivered_after_a_later_one_takes_nothing(scheduler: FrontierScheduler) -> None:
    """The undo came first, the worker popped again, then its given-up pop reached Redis (a connection it gave up on
    still sending): that pop takes nothing, though a later one ran since, and undoing an older pop late leaves the
    record of a newer one in doubt. Before, the newer pop erased the mark of the undone one, which then took a request
    that nothing would ever finish: the crawl busy for ever."""
    for n in (1, 2):
        assert scheduler.enqueue_request(Request(f"https://endless.kg/news/{n}/"))
    background = scheduler.frontier.background
    assert background is not None
    assert background.undo_pop(5) == 0
    assert background.pop(6) is not None  # the worker's next pop
    assert background.pop(5) is None and background.queued() == 1  # the undone one, delivered late: nothing taken
    assert background.pop(7) is not None  # in doubt, say
    assert background.undo_pop(4) == 0  # an older undo, late
    assert background.undo_pop(7) == 1 and background.queued() == 1  # the newer pop is still undone
