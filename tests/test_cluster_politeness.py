"""Politeness holds for the cluster: the Redis slot logic against a real ``redis-server`` (limits, a dead
holder's token lapsing, spaced starts), the middleware's fallback when Redis is gone, and three real
``scrapy crawl`` workers of one site measured at a loopback server that counts requests in flight."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler.bench.replica_server import running
from crawler.frontier.politeness import (
    ClusterPolitenessMiddleware,
    ClusterSlots,
    PolitenessConfig,
    SlotLimits,
    connect,
)
from tests.conftest import free_port, running_redis
from tests.crawling import FAST, ROOT, STORE_VARIABLES, require_e2e, started, store_env
from tests.hostile_site import article

LIMIT = 2  # CONCURRENT_REQUESTS_PER_DOMAIN of the crawls
DELAY = 0.1  # DOWNLOAD_DELAY of the crawls
SERVE_SECONDS = 0.2  # each response is held this long, so concurrency shows at the server
ARTICLES = 20
WORKERS = 3


def run(coroutine_function, url: str):  # type: ignore[no-untyped-def]
    """Run ``coroutine_function(slots)`` in a fresh loop with a client bound to it."""
    async def main():  # type: ignore[no-untyped-def]
        slots = ClusterSlots(connect(url))
        try:
            return await coroutine_function(slots)
        finally:
            await slots.client.aclose()
    return asyncio.run(main())


@pytest.mark.e2e
def test_at_most_the_limit_of_tokens_is_held_and_a_release_frees_one(redis_url: str) -> None:
    async def check(slots: ClusterSlots) -> list[bool]:
        taken = [await slots.try_acquire("site.kg", f"w:{n}", 2, 60) for n in range(3)]
        await slots.release("site.kg", "w:0")
        taken.append(await slots.try_acquire("site.kg", "w:3", 2, 60))
        taken.append(await slots.try_acquire("other.kg", "w:4", 2, 60))  # another site has its own slots
        return taken

    assert run(check, redis_url) == [True, True, False, True, True]


@pytest.mark.e2e
def test_a_dead_holders_token_lapses(redis_url: str) -> None:
    async def check(slots: ClusterSlots) -> tuple[bool, bool, bool]:
        assert await slots.try_acquire("site.kg", "dead-worker:0", 1, 0.3)  # never released
        refused = await slots.try_acquire("site.kg", "live-worker:0", 1, 60)
        await asyncio.sleep(0.4)
        return refused, await slots.try_acquire("site.kg", "live-worker:0", 1, 60), await slots.held("site.kg") == 1

    assert run(check, redis_url) == (False, True, True)


@pytest.mark.e2e
def test_touch_keeps_a_waiting_holders_token(redis_url: str) -> None:
    async def check(slots: ClusterSlots) -> bool:
        assert await slots.try_acquire("site.kg", "w:0", 1, 0.3)
        await asyncio.sleep(0.2)
        await slots.touch("site.kg", "w:0", 0.3)
        await asyncio.sleep(0.2)  # 0.4 s after it was taken, 0.2 s after the touch
        return await slots.try_acquire("site.kg", "w:1", 1, 60)

    assert run(check, redis_url) is False


@pytest.mark.e2e
def test_starts_are_spaced_by_the_delay_and_the_keys_expire(redis_url: str) -> None:
    async def check(slots: ClusterSlots) -> list[float]:
        return [await slots.reserve("site.kg", 0.5) for _ in range(3)]

    waits = run(check, redis_url)
    assert waits[0] == 0
    assert waits[1] == pytest.approx(0.5, abs=0.05)
    assert waits[2] == pytest.approx(1.0, abs=0.05)
    client = redis.Redis.from_url(redis_url)
    assert 0 < client.pttl("politeness:site.kg:next") <= 2600
    run(lambda slots: slots.try_acquire("site.kg", "w:0", 1, 5), redis_url)
    assert 0 < client.pttl("politeness:site.kg:inflight") <= 5000
    client.close()


def middleware(url: str, **settings: object) -> ClusterPolitenessMiddleware:
    crawler = get_crawler(settings_dict={"REDIS_URL": url, "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
                                         "DOWNLOAD_DELAY": 0, **settings})
    crawler.stats.open_spider()  # type: ignore[union-attr]
    return build_from_crawler(ClusterPolitenessMiddleware, crawler)


def test_the_middleware_is_off_without_redis_url_or_when_switched_off() -> None:
    with pytest.raises(NotConfigured):
        build_from_crawler(ClusterPolitenessMiddleware, get_crawler())
    with pytest.raises(NotConfigured):
        PolitenessConfig.from_settings(Settings({"REDIS_URL": "redis://h/0", "POLITENESS_CLUSTER_ENABLED": False}))


@pytest.mark.parametrize(("slot", "expected"), [
    ("site.kg", SlotLimits(concurrency=1, delay=2.0)),  # the site config's own slot (DOWNLOAD_SLOTS) wins
    ("half.kg", SlotLimits(concurrency=3, delay=0.5)),  # an entry without a delay: DOWNLOAD_DELAY
    ("other.kg", SlotLimits(concurrency=3, delay=0.5)),  # no entry: the settings
])
def test_a_slots_limits_are_the_downloaders(slot: str, expected: SlotLimits) -> None:
    config = PolitenessConfig.from_settings(Settings({
        "REDIS_URL": "redis://h/0", "CONCURRENT_REQUESTS_PER_DOMAIN": 3, "DOWNLOAD_DELAY": 0.5,
        "DOWNLOAD_TIMEOUT": 20, "POLITENESS_TOKEN_MARGIN_SECONDS": 5,
        "DOWNLOAD_SLOTS": {"site.kg": {"concurrency": 1, "delay": 2.0}, "half.kg": {"concurrency": 3}}}))
    assert config.limits(slot) == expected
    assert config.token_seconds == 25


@pytest.mark.e2e
def test_a_third_request_waits_for_a_response_across_workers(redis_url: str) -> None:
    async def check() -> tuple[float, dict[str, object]]:
        one, other = middleware(redis_url), middleware(redis_url)  # two workers
        first, second, third = (Request(f"https://site.kg/{n}") for n in range(3))
        await one.process_request(first)
        await other.process_request(second)
        waiting = asyncio.ensure_future(one.process_request(third))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        started = time.monotonic()
        await other.process_response(second, HtmlResponse(second.url))
        await waiting
        waited = time.monotonic() - started
        await one.process_exception(first, OSError())
        await one.process_response(third, HtmlResponse(third.url))
        for worker in (one, other):
            await worker.spider_closed()
        return waited, one.stats.get_stats()

    waited, stats = asyncio.run(check())
    assert waited < 0.3
    assert stats["politeness/acquired"] == 2
    assert 0.3 <= stats["politeness/waited_seconds"] < 1  # type: ignore[operator]
    client = redis.Redis.from_url(redis_url)
    assert client.zcard("politeness:site.kg:inflight") == 0  # every token given back
    client.close()


@pytest.mark.e2e
def test_redis_lost_falls_back_to_local_politeness_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    async def check() -> tuple[float, dict[str, object]]:
        worker = middleware(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
        started = time.monotonic()
        requests = [Request(f"https://site.kg/{n}") for n in range(3)]
        for request in requests:
            assert await worker.process_request(request) is None  # the request goes on
        for request in requests:
            await worker.process_response(request, HtmlResponse(request.url))
        await worker.spider_closed()
        return time.monotonic() - started, worker.stats.get_stats()

    with caplog.at_level(logging.WARNING, logger="crawler.frontier.politeness"):
        elapsed, stats = asyncio.run(check())
    assert elapsed < 3
    assert stats["politeness/redis_unavailable"] == 3
    assert "politeness/acquired" not in stats
    assert len(caplog.records) == 1 and "local politeness only" in caplog.records[0].getMessage()


@pytest.mark.e2e
def test_requests_waiting_their_turn_when_redis_hangs_ask_it_no_more(
    redis_server: tuple[str, subprocess.Popen[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hung Redis (paused) costs one call its timeout; the requests of the site queued behind it on the worker's
    lock go on with local politeness. Before, each asked the hung Redis in turn and waited out its own timeout
    (2 s a request: a worker with 16 requests queued held them half a minute, and never went idle)."""
    tried: list[str] = []
    real = ClusterSlots.try_acquire

    async def counted(self: ClusterSlots, slot: str, *args: object) -> bool:
        tried.append(slot)
        return await real(self, slot, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ClusterSlots, "try_acquire", counted)

    async def check() -> dict[str, object]:
        worker = middleware(redis_server[0])
        requests = [Request(f"https://site.kg/{n}") for n in range(4)]
        redis_server[1].send_signal(signal.SIGSTOP)
        try:
            assert await asyncio.gather(*(worker.process_request(r) for r in requests)) == [None] * 4
        finally:
            redis_server[1].send_signal(signal.SIGCONT)
        await worker.spider_closed()
        return worker.stats.get_stats()

    stats = asyncio.run(check())
    assert tried == ["site.kg"]  # one call met the hung Redis; the three behind it did not ask
    assert stats["politeness/redis_unavailable"] == 4 and "politeness/acquired" not in stats


# --- three real workers against one loopback site ---------------------------------------------------------

DOMAIN = "polite.kg"
CONFIG = f"""name = "polite"
domains = ["{DOMAIN}"]
robots_sitemaps = false
article_url = '^https://polite\\.kg/news/\\d+/$'
[[editions]]
language = "ru"
timezone = "Asia/Bishkek"
home = "https://{DOMAIN}/"
listings = ["https://{DOMAIN}/list/"]
[selectors]
title = ["h1.entry-title"]
body = [".entry-content"]
"""


@dataclass
class Visit:
    """One request as the server saw it: when it came, when its answer left, how many were in flight."""

    path: str
    start: float
    end: float
    in_flight: int


class CountingHandler(BaseHTTPRequestHandler):
    wbufsize = -1

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        server = self.server
        with server.lock:  # type: ignore[attr-defined]
            server.in_flight += 1  # type: ignore[attr-defined]
            visit = Visit(self.path, time.monotonic(), 0.0, server.in_flight)  # type: ignore[attr-defined]
            server.visits.append(visit)  # type: ignore[attr-defined]
        time.sleep(SERVE_SECONDS)
        status, body = self._page()
        with server.lock:  # type: ignore[attr-defined]
            # counted out before the answer leaves: the next request can only come after the client read it
            server.in_flight -= 1  # type: ignore[attr-defined]
            visit.end = time.monotonic()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def _page(self) -> tuple[int, bytes]:
        if self.path.startswith("/list/"):
            links = "".join(f"<li><a href='/news/{n}/'>Новость {n}</a></li>" for n in range(1, ARTICLES + 1))
            return 200, f"<html><body><ul>{links}</ul></body></html>".encode()
        if self.path.startswith("/news/"):
            return 200, article(f"polite {self.path}").encode()
        return 404, b"not found"


@contextmanager
def counting_site() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    server.lock = threading.Lock()  # type: ignore[attr-defined]
    server.in_flight = 0  # type: ignore[attr-defined]
    server.visits = []  # type: ignore[attr-defined]
    with running(server):
        yield server


def start_crawl(config: Path, port: int, data_dir: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """``scrapy crawl news`` as ``tests.crawling.run_crawl`` runs it, without waiting for it to end."""
    require_e2e("scrapy crawl")
    settings = [*FAST, "ROBOTSTXT_OBEY=0", f"CONCURRENT_REQUESTS_PER_DOMAIN={LIMIT}", f"DOWNLOAD_DELAY={DELAY}",
                "AUTOTHROTTLE_ENABLED=0", "HEALTH_ENABLED=0"]
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"config={config}",
               "-a", f"base_url=http://127.0.0.1:{port}", *(arg for s in settings for arg in ("-s", s))]
    full_env = {k: v for k, v in os.environ.items() if k not in STORE_VARIABLES}
    # FRONTIER_ENABLED=0: each worker crawls the whole site alone (more contention to measure); the
    # shared crawl has its own tests (tests/test_frontier.py).
    full_env.update({**store_env(data_dir=data_dir), "SITE_LOCK_ENABLED": "0", "BROWSER_ENABLED": "0",
                     "FRONTIER_ENABLED": "0", **env})
    return started(subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True, stdin=subprocess.DEVNULL))


def crawl_at_once(tmp_path: Path, env: dict[str, str]) -> list[Visit]:
    """Three workers crawl the whole site at once (each into its own store); the server's visits."""
    config = tmp_path / "polite.toml"
    config.write_text(CONFIG, encoding="utf-8")
    with counting_site() as server:
        workers = [start_crawl(config, server.server_port, tmp_path / f"data-{n}", env) for n in range(WORKERS)]
        try:
            logs = [worker.communicate(timeout=90)[1] for worker in workers]
        finally:
            for worker in workers:
                worker.kill()
        for worker, log in zip(workers, logs, strict=True):
            assert worker.returncode == 0 and "Traceback" not in log, log[-3000:]
        visits = sorted(server.visits, key=lambda v: v.start)  # type: ignore[attr-defined]
    assert sum(v.path.startswith("/news/") for v in visits) == WORKERS * ARTICLES, [v.path for v in visits]
    return visits  # type: ignore[no-any-return]


def most_starts_in(visits: list[Visit], window: float) -> int:
    """The most request starts the server saw within any ``window`` seconds."""
    starts = [v.start for v in visits]
    return max(sum(1 for s in starts[i:] if s < first + window) for i, first in enumerate(starts))


def rate(visits: list[Visit]) -> float:
    return (len(visits) - 1) / (visits[-1].start - visits[0].start)


@pytest.mark.e2e
def test_three_workers_together_keep_one_sites_concurrency_and_delay(tmp_path: Path, redis_url: str) -> None:
    visits = crawl_at_once(tmp_path, {"REDIS_URL": redis_url})
    in_flight, busiest = max(v.in_flight for v in visits), most_starts_in(visits, 1.0)
    print(f"with Redis: {len(visits)} requests, max in flight {in_flight}, {rate(visits):.1f} req/s, "
          f"busiest second {busiest} starts")
    assert in_flight <= LIMIT
    # starts spaced by DELAY across workers; the local slot's jitter (±50 %) may pull two a little closer
    assert busiest <= 1.0 / DELAY * 1.25 + 1
    assert rate(visits) <= 1.0 / DELAY
    client = redis.Redis.from_url(redis_url)
    assert client.zcard("politeness:127.0.0.1:inflight") == 0  # every worker gave its tokens back
    client.close()


@pytest.mark.e2e
def test_without_redis_three_workers_hit_the_site_three_times_harder(tmp_path: Path) -> None:
    """The control: the measurement above can fail."""
    visits = crawl_at_once(tmp_path, {"REDIS_URL": ""})
    in_flight, busiest = max(v.in_flight for v in visits), most_starts_in(visits, 1.0)
    print(f"without Redis: {len(visits)} requests, max in flight {in_flight}, {rate(visits):.1f} req/s, "
          f"busiest second {busiest} starts")
    assert in_flight > LIMIT


@pytest.mark.e2e
def test_redis_lost_mid_run_leaves_the_crawl_whole_with_one_warning(tmp_path: Path) -> None:
    config = tmp_path / "polite.toml"
    config.write_text(CONFIG, encoding="utf-8")
    with running_redis() as (url, process), counting_site() as server:
        worker = start_crawl(config, server.server_port, tmp_path / "data", {"REDIS_URL": url})
        try:
            while len(server.visits) < 5 and worker.poll() is None:  # type: ignore[attr-defined]
                time.sleep(0.02)
            process.send_signal(signal.SIGKILL)  # Redis dies mid-run
            log = worker.communicate(timeout=60)[1]
        finally:
            worker.kill()
        paths = [v.path for v in server.visits]  # type: ignore[attr-defined]
    assert worker.returncode == 0 and "Traceback" not in log, log[-3000:]
    assert sum(p.startswith("/news/") for p in paths) == ARTICLES  # nothing failed or dropped
    assert log.count("Redis unavailable for cluster politeness") == 1, log[-3000:]
    assert url not in log  # the URL (a password in production) is never logged
    assert re.search(r"'politeness/redis_unavailable': [1-9]", log), log[-3000:]
    assert re.search(r"'politeness/acquired': [1-9]", log), log[-3000:]
