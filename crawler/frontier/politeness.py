"""Politeness for the cluster: a site's concurrency and download delay hold across all workers together.

With ``REDIS_URL`` set, this downloader middleware (next to the downloader, so it wraps only the
transfer) takes a slot for the request's download slot (its host, or ``download_slot`` meta) before
the request goes out: at most the slot's concurrency (``DOWNLOAD_SLOTS`` entry, else
``CONCURRENT_REQUESTS_PER_DOMAIN``) in flight across workers, a Redis semaphore whose tokens lapse
after ``DOWNLOAD_TIMEOUT`` + ``POLITENESS_TOKEN_MARGIN_SECONDS`` (a killed worker's tokens free
themselves), and starts spaced by the slot's delay (``DOWNLOAD_SLOTS`` entry, else
``DOWNLOAD_DELAY``) through one shared next-start time. Scrapy's own per-worker slot (and
AutoThrottle) still applies on top. Redis lost: one WARNING, Scrapy's local politeness alone,
Redis tried again after ``REDIS_RETRY_SECONDS``; a request is never failed or dropped.

Settings: ``REDIS_URL``, ``POLITENESS_CLUSTER_ENABLED``, ``POLITENESS_TOKEN_MARGIN_SECONDS``,
``CONCURRENT_REQUESTS_PER_DOMAIN``, ``CONCURRENT_REQUESTS_PER_IP``, ``DOWNLOAD_DELAY``,
``DOWNLOAD_SLOTS``, ``DOWNLOAD_TIMEOUT``.
Stats: ``politeness/acquired``, ``politeness/waited_seconds``, ``politeness/redis_unavailable``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector
from scrapy.utils.httpobj import urlparse_cached

from crawler.frontier.connection import redis_errors

if TYPE_CHECKING:
    import redis.asyncio as aioredis

logger = logging.getLogger(__name__)

TOKEN_META = "_politeness_token"  # (slot key, token) of the cluster slot a request holds
KEY_PREFIX = "politeness:"
POLL_SECONDS = 0.05  # how often a worker asks again while the site's slots are all taken
REDIS_RETRY_SECONDS = 30.0  # after Redis failed, local politeness alone this long before asking again
REDIS_TIMEOUT_SECONDS = 2.0  # a Redis call taking longer counts as Redis lost

# Drop lapsed tokens, then take one if fewer than the limit are held. Redis's clock for all workers.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
  return 1
end
return 0
"""
# Push a held token's expiry to now + ttl (after a wait for the delay); a lapsed one is not revived.
TOUCH = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
if redis.call('ZADD', KEYS[1], 'XX', 'CH', now + ttl, ARGV[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 0
"""
# Reserve the next start: start = max(now, stored next start); store start + delay; return the wait (ms).
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local delay = tonumber(ARGV[1])
local start = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], start + delay, 'PX', start + delay - now + 1000)
return start - now
"""


@dataclass(frozen=True)
class SlotLimits:
    """One download slot's cluster-wide limits."""

    concurrency: int
    delay: float


@dataclass(frozen=True)
class PolitenessConfig:
    """Where Redis is and how the slots' limits and token lifetimes come from settings."""

    redis_url: str
    concurrency: int
    delay: float
    slots: dict[str, dict[str, Any]]
    token_seconds: float

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> PolitenessConfig:
        """Read the settings; NotConfigured without ``REDIS_URL`` or when switched off."""
        url = settings.get("REDIS_URL") or ""
        if not url or not settings.getbool("POLITENESS_CLUSTER_ENABLED", True):
            raise NotConfigured("cluster politeness needs REDIS_URL")
        concurrency = settings.getint("CONCURRENT_REQUESTS_PER_IP") or settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        token_seconds = settings.getfloat("DOWNLOAD_TIMEOUT", 180) + settings.getfloat(
            "POLITENESS_TOKEN_MARGIN_SECONDS", 30.0)
        return cls(url, max(1, concurrency), settings.getfloat("DOWNLOAD_DELAY"),
                   settings.getdict("DOWNLOAD_SLOTS"), token_seconds)

    def limits(self, slot: str) -> SlotLimits:
        """The slot's limits as Scrapy's downloader gives its own slot (a ``DOWNLOAD_SLOTS`` entry wins)."""
        own = self.slots.get(slot, {})
        return SlotLimits(int(own.get("concurrency", self.concurrency)), float(own.get("delay", self.delay)))


class ClusterSlots:
    """The Redis side: a per-slot semaphore of expiring tokens and a per-slot next start time."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client
        self._acquire = client.register_script(ACQUIRE)
        self._touch = client.register_script(TOUCH)
        self._reserve = client.register_script(RESERVE)

    async def try_acquire(self, slot: str, token: str, limit: int, ttl: float) -> bool:
        """Take one of ``limit`` tokens of ``slot`` for ``ttl`` seconds; False when all are held."""
        return bool(await self._acquire(keys=[_key(slot, "inflight")], args=[token, limit, _ms(ttl)]))

    async def touch(self, slot: str, token: str, ttl: float) -> None:
        """Let a held token last ``ttl`` seconds from now."""
        await self._touch(keys=[_key(slot, "inflight")], args=[token, _ms(ttl)])

    async def release(self, slot: str, token: str) -> None:
        """Give the token back."""
        await self.client.zrem(_key(slot, "inflight"), token)

    async def reserve(self, slot: str, delay: float) -> float:
        """Seconds to wait before this request may start, ``delay`` after the slot's previous start."""
        return float(await self._reserve(keys=[_key(slot, "next")], args=[_ms(delay)])) / 1000

    async def held(self, slot: str) -> int:
        """How many tokens of ``slot`` are held, lapsed ones included until the next acquire drops them."""
        return int(await self.client.zcard(_key(slot, "inflight")))


def _key(slot: str, kind: str) -> str:
    return f"{KEY_PREFIX}{slot}:{kind}"


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def connect(url: str) -> aioredis.Redis:
    """A client that gives up fast (no retries): a lost Redis must not hold requests up."""
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry  # redis.retry.Retry is the thread client's: 8.2 warns on it here
    from redis.backoff import NoBackoff

    return aioredis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS,
                                   socket_connect_timeout=REDIS_TIMEOUT_SECONDS, retry=Retry(NoBackoff(), 0))


class ClusterPolitenessMiddleware:
    """Before a request goes out, wait for its site's cluster-wide slot; give it back with the answer."""

    def __init__(self, config: PolitenessConfig, stats: StatsCollector) -> None:
        self.config = config
        self.stats = stats
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._counter = itertools.count()
        self._slots: ClusterSlots | None = None
        self._locks: dict[str, asyncio.Lock] = {}  # one waiter per site per worker asks Redis
        self._down_until = 0.0
        self._warned = False
        self._waited = 0.0  # seconds (a float: StatsCollector.inc_value takes ints)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterPolitenessMiddleware:
        assert crawler.stats is not None
        middleware = cls(PolitenessConfig.from_settings(crawler.settings), crawler.stats)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    async def spider_closed(self) -> None:
        if self._slots is not None:
            await self._slots.client.aclose()

    async def process_request(self, request: Request) -> None:
        slot = request.meta.get("download_slot") or _host(request)
        if time.monotonic() < self._down_until:
            self.stats.inc_value("politeness/redis_unavailable")
            return
        started = time.monotonic()
        token = f"{self.worker}:{next(self._counter)}"
        try:
            async with self._locks.setdefault(slot, asyncio.Lock()):
                if time.monotonic() < self._down_until:  # lost while this request waited for the lock
                    self.stats.inc_value("politeness/redis_unavailable")
                    return
                await self._acquire(slot, token, self.config.limits(slot))
        except redis_errors() as error:
            self._lost(error)
            return
        request.meta[TOKEN_META] = (slot, token)
        self.stats.inc_value("politeness/acquired")
        self._waited += time.monotonic() - started
        self.stats.set_value("politeness/waited_seconds", round(self._waited, 3))

    async def process_response(self, request: Request, response: Response) -> Response:
        await self._release(request)
        return response

    async def process_exception(self, request: Request, exception: Exception) -> None:
        await self._release(request)

    async def _acquire(self, slot: str, token: str, limits: SlotLimits) -> None:
        slots = self._client()
        ttl = self.config.token_seconds
        while not await slots.try_acquire(slot, token, limits.concurrency, ttl):
            await asyncio.sleep(POLL_SECONDS)
        if limits.delay > 0:
            wait = await slots.reserve(slot, limits.delay)
            if wait > 0:
                await asyncio.sleep(wait)
                await slots.touch(slot, token, ttl)

    async def _release(self, request: Request) -> None:
        held = request.meta.pop(TOKEN_META, None)  # popped: a retry copies meta and must not free it twice
        if held is None or self._slots is None:
            return
        try:
            await self._slots.release(*held)
        except redis_errors() as error:
            self._lost(error)  # the token lapses by itself

    def _client(self) -> ClusterSlots:
        # Made on first use, inside the running asyncio loop the client binds to.
        if self._slots is None:
            self._slots = ClusterSlots(connect(self.config.redis_url))
        return self._slots

    def _lost(self, error: Exception) -> None:
        self.stats.inc_value("politeness/redis_unavailable")
        self._down_until = time.monotonic() + REDIS_RETRY_SECONDS
        if not self._warned:
            self._warned = True
            logger.warning("Redis unavailable for cluster politeness (%(error)s): local politeness only, retrying "
                           "every %(retry).0f s", {"error": type(error).__name__, "retry": REDIS_RETRY_SECONDS})


def _host(request: Request) -> str:
    return urlparse_cached(request).hostname or ""
