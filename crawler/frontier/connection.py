"""Reaching Redis: the URL (``REDIS_URL``, environment or setting) and a client with timeouts.

redis itself is imported only by :func:`connect` and :func:`redis_errors`, so a crawl without ``REDIS_URL``
never loads it (a tenth of a second of CPU).

Settings: ``REDIS_URL`` (e.g. ``redis://:PASSWORD@host:6379/0``; empty: no shared crawl).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from scrapy.settings import BaseSettings

from crawler.secrets import mask_uri

if TYPE_CHECKING:
    import redis

REACTOR_TIMEOUT = 1.0  # a Redis call made on the crawl's reactor (queue, seen set, idle check) holds it this long
# Calls made on a thread (heartbeat, leaving, the run record) and joining at start, before the crawl runs: a loaded
# machine's slow answer there must not end the worker as if Redis were lost.
SOCKET_TIMEOUT = 5.0


def redis_errors() -> tuple[type[Exception], ...]:
    """What a failing Redis call raises (``except redis_errors():`` evaluates it only when something is raised)."""
    from redis import RedisError

    return RedisError, OSError


def redis_url(settings: BaseSettings) -> str:
    """The Redis URL of the shared crawl from the settings (``-s REDIS_URL=``) or the environment; empty: none."""
    return str(settings.get("REDIS_URL") or os.environ.get("REDIS_URL") or "").strip()


def shared_crawl_url(settings: BaseSettings) -> str:
    """``REDIS_URL`` when crawls join shared ones (``FRONTIER_ENABLED``, default on); empty otherwise.
    Off, a worker still shares politeness through ``REDIS_URL`` but crawls alone."""
    return redis_url(settings) if settings.getbool("FRONTIER_ENABLED", True) else ""


def connect(url: str, timeout: float = SOCKET_TIMEOUT, *, check: bool = True) -> redis.Redis:
    """A client for ``url`` (bytes replies) whose calls wait ``timeout`` seconds at most, checked with a PING unless
    ``check`` is off: raises one of :func:`redis_errors` when unreachable."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                  health_check_interval=30)
    if check:
        client.ping()
    return client


def describe(exc: BaseException) -> str:
    """One line about a Redis failure, with any password in it masked."""
    return mask_uri(f"{type(exc).__name__}: {exc}".splitlines()[0])
