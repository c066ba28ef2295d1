"""The crawl's storage: ONE article store, opened once by its first user, and ONE worker thread
every call to it runs on, shared by the storage pipeline, the incremental middleware and run
health (``crawler.get_extension(Storage)``), closed once when the spider closes.

Scrapy sends ``spider_closed`` to all its handlers at once, so a component that still uses the
store then holds it (``retain()`` before the close, ``release()`` when done): the store closes
after the last one lets go. An unreachable store is tried once; every later ``open()`` answers
None at once (``error`` says why) and the user that needs it reports it. Commands open the
configured store with :func:`connect`.

Settings: ``STORAGE_ENABLED`` and the storage settings of :class:`StorageConfig`.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings

from crawler.storage.config import StorageConfig
from crawler.storage.store import ArticleStore, StoreUnavailable, describe_error, store_errors

logger = logging.getLogger(__name__)
T = TypeVar("T")
THREAD_PREFIX = "storage"  # the storage thread's name: storage_0


def connect(settings: BaseSettings, read_only: bool = False, word_index: bool = False) -> ArticleStore:
    """The configured store, opened on the calling thread (for commands), to read it only (nothing written: see
    :meth:`ArticleStore.open_read_only`; ``word_index``: for a word search) or to write it too; raises
    StoreUnavailable."""
    target = StorageConfig.from_settings(settings).target
    return ArticleStore.open_read_only(target, word_index) if read_only else ArticleStore.connect(target)


class Storage:
    def __init__(self, config: StorageConfig) -> None:
        self.config = config
        self.store: ArticleStore | None = None
        self.error: str | None = None  # why the store could not be opened
        self._tried = False
        self._closing = False
        self._holders = 0
        self._idle: asyncio.Event | None = None  # set when the last holder lets go during the close
        self._opening = asyncio.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_PREFIX)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Storage:
        if not crawler.settings.getbool("STORAGE_ENABLED", True):
            raise NotConfigured
        storage = cls(StorageConfig.from_settings(crawler.settings))
        crawler.signals.connect(storage.spider_closed, signal=signals.spider_closed)
        return storage

    @classmethod
    def of(cls, crawler: Crawler) -> Storage | None:
        """The crawl's storage component; None when storage is off (``STORAGE_ENABLED=0``)."""
        storage = crawler.get_extension(cls)
        if storage is None and crawler.settings.getbool("STORAGE_ENABLED", True):
            raise RuntimeError(f"STORAGE_ENABLED is on but {cls.__module__}.{cls.__name__} is not in EXTENSIONS")
        return storage

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the storage thread: the reactor never waits on the database."""
        # In the caller's context (as asyncio.to_thread does): the thread's log lines name the site (crawler.sitelog).
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self._executor, partial(context.run, fn, *args))

    async def open(self) -> ArticleStore | None:
        """The store, opened on the first call; None (and ``error``) when it cannot be reached."""
        async with self._opening:
            if not self._tried and not self._closing:
                self._tried = True
                try:
                    self.store = await self.call(ArticleStore.connect, self.config.target)
                except StoreUnavailable as exc:
                    self.error = str(exc)
            elif self._closing and self.store is None:
                self.error = self.error or "the crawl's storage is closed"
            return self.store

    def retain(self) -> bool:
        """Keep the store open until :meth:`release`; False once the close has begun."""
        if self._closing:
            return False
        self._holders += 1
        return True

    def release(self) -> None:
        self._holders -= 1
        if self._holders == 0 and self._idle is not None:
            self._idle.set()

    async def spider_closed(self) -> None:
        """Close the store once every holder has let go of it."""
        self._closing = True
        if self._holders:
            self._idle = asyncio.Event()
            await self._idle.wait()
        await self.close()

    async def close(self) -> None:
        self._closing = True
        store, self.store = self.store, None
        if store is not None:
            try:
                await self.call(store.close)
            except store_errors() as exc:
                logger.warning("Could not close the store: %(error)s", {"error": describe_error(exc)})
        self._executor.shutdown(wait=False)
