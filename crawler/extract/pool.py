"""Article extraction off the crawl's event loop, in worker processes with a time budget per page.

:class:`ExtractionPool` keeps ``workers`` processes that import the extractor and warm its lazy
models once (:mod:`crawler.extract.worker`). Each page goes to an idle worker over a socket pair
and its :class:`~crawler.extract.result.Extraction` is read by the event loop as it arrives
(:mod:`crawler.extract.channel`), so the loop never waits, and no thread waits for it either (one cost
the crawl 0.25 ms of CPU a page in locks and GIL handovers); a page that takes longer than the budget
gets its worker killed (the only way to stop one runaway lxml or regex call, which no check inside a
loop can interrupt) and replaced, and raises :class:`ExtractionTimeout`; a worker that dies (out of
memory, a crash) is replaced too and raises :class:`ExtractionFailed`.
A page goes over as text or, when the crawl has them, as its UTF-8 bytes (``extract_article`` decodes them as
Scrapy decodes a UTF-8 page, a bad byte as U+FFFD): bytes cross as they are, text is encoded on one side by
pickle and decoded on the other (about 0.2 ms of the crawl's CPU for a 120 KB page).
Handing a 150 KB page over and its record back costs the crawl process about a millisecond of
CPU (``scripts/bench_hostile_extract.py``).

:class:`InlineExtractor` runs the extractor in the calling thread, without a budget (tests, tools).
No Scrapy import here.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import logging
import os
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import datetime
from typing import IO, Any, Protocol, cast

from crawler.blas import one_thread
from crawler.extract.channel import Channel
from crawler.extract.result import Extraction
from crawler.extract.worker import LOG_SEPARATOR, OK, READY
from crawler.limits import RecordLimits
from crawler.sanitize import InertUtf8
from crawler.sites import SiteConfig

logger = logging.getLogger(__name__)
START_TIMEOUT = 120.0  # seconds a new worker may take to import and warm up (a loaded 2-core host)


class ExtractionTimeout(Exception):
    """The page took longer than the extraction budget; its worker was killed."""


class ExtractionFailed(Exception):
    """The extractor raised, or its worker process died."""


class Extractor(Protocol):
    async def extract(self, html: str | bytes, url: str, fetched_at: datetime) -> Extraction: ...

    def close(self) -> None: ...


class InlineExtractor:
    """The extractor called directly, in the caller's thread: no isolation, no budget."""

    def __init__(self, site: SiteConfig | None, limits: RecordLimits, keep_html: bool = False) -> None:
        self.site, self.limits, self.keep_html = site, limits, keep_html

    async def extract(self, html: str | bytes, url: str, fetched_at: datetime) -> Extraction:
        from crawler.extract.article import extract_article

        try:
            return extract_article(html, url, self.site, fetched_at, self.limits, self.keep_html)
        except Exception as exc:
            raise ExtractionFailed(traceback.format_exc()) from exc

    def close(self) -> None:
        pass


class _Worker:
    """One worker process (``python -m crawler.extract.worker``) and the crawl's end of its connection."""

    def __init__(self, site: SiteConfig | None, limits: RecordLimits, keep_html: bool = False) -> None:
        ours, theirs = socket.socketpair()
        with theirs:
            # A fresh interpreter: forking a crawl that runs threads is unsafe, and multiprocessing's
            # "spawn" would import the crawl's main module (a user's script, even) again in it.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "crawler.extract.worker", str(theirs.fileno()), str(os.getpid())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
                env=one_thread({**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}),
            )
        assert self.process.stderr is not None
        # In the starting crawl's context (a thread starts in an empty one): the relayed lines name its site.
        threading.Thread(target=contextvars.copy_context().run, args=(relay_log, self.process.stderr), daemon=True,
                         name=f"extraction-log-{self.process.pid}").start()
        self.channel = Channel(ours)
        self.channel.send_blocking((site, limits, keep_html))
        self.ready = False

    async def run(self, request: tuple[str | bytes, str, datetime], budget: float) -> tuple[str, Any]:
        """Send one page and await its record."""
        try:
            if not self.ready:
                try:
                    self.ready = await self.channel.receive(START_TIMEOUT) == READY
                except TimeoutError:
                    raise ExtractionFailed(f"the extraction worker did not start within {START_TIMEOUT:g} s") from None
            self.channel.send(request)
            try:
                answer = await self.channel.receive(budget)
            except TimeoutError:
                raise ExtractionTimeout(f"over the {budget:g} s extraction budget") from None
            status, value = cast("tuple[str, Any]", answer)  # the worker sends (status, record or error)
        except (EOFError, OSError):
            raise ExtractionFailed(f"the extraction worker exited (code {await self._exit_code()})") from None
        return status, (_marked_inert(value) if status == OK else value)

    async def _exit_code(self, seconds: float = 1.0) -> int | None:
        """The worker's exit code once it has ended its connection; None when it still runs after ``seconds``
        (closed its end but still running: stop() kills it)."""
        for _ in range(int(seconds / 0.01)):
            code = self.process.poll()
            if code is not None:
                return code
            await asyncio.sleep(0.01)
        return self.process.poll()

    def stop(self) -> None:
        """End the worker at once (it may be stuck in a page) and reap it. The connection closes last, waking
        a page still awaiting it to the worker's end of file."""
        self.process.kill()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            logger.warning("Extraction worker %(pid)d did not exit when killed", {"pid": self.process.pid})
        self.channel.close()


def _marked_inert(record: Extraction) -> Extraction:
    """The worker's record with its stored page (sent as lxml's UTF-8 bytes) marked as such: kept as those
    bytes, which the store compresses, never decoded here (0.15 CPU ms a page, and as much to encode it again)."""
    if not isinstance(record.html, bytes):
        return record
    return dataclasses.replace(record, html=InertUtf8(record.html))


def relay_log(stream: IO[bytes]) -> None:
    """Log each record a worker wrote to its stderr through this process's logging (``LOG_FILE``,
    stats, credential masking), under its own logger name and level; other lines (a crash's
    traceback) at WARNING."""
    for raw in stream:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        parts = line.split(LOG_SEPARATOR, 2)
        level, name, message = parts if len(parts) == 3 else ("WARNING", __name__, line)
        number = logging.getLevelName(level)
        logging.getLogger(name).log(number if isinstance(number, int) else logging.WARNING, message)
    stream.close()


class ExtractionPool:
    """``workers`` extraction processes, each page limited to ``budget`` seconds; ``on_start`` is
    called for each worker started (replacements included); ``keep_html`` asks each record for the
    page made inert for storage."""

    def __init__(self, site: SiteConfig | None, limits: RecordLimits, workers: int = 1, budget: float = 10.0,
                 on_start: Callable[[], None] = lambda: None, keep_html: bool = False) -> None:
        if workers < 1 or budget <= 0:
            raise ValueError("an extraction pool needs at least one worker and a positive budget")
        self.site, self.limits, self.budget, self.on_start = site, limits, budget, on_start
        self.keep_html = keep_html
        self._all: list[_Worker] = []
        # None: a slot whose worker is started when a page needs it (a replacement that failed to start).
        self._idle: asyncio.Queue[_Worker | None] = asyncio.Queue()
        for _ in range(workers):
            self._idle.put_nowait(self._start())

    def _start(self) -> _Worker:
        worker = _Worker(self.site, self.limits, self.keep_html)
        self._all.append(worker)
        self.on_start()
        return worker

    def _replace(self, worker: _Worker) -> None:
        """Stop ``worker`` and put a fresh one in its slot (or an empty slot, when none can start)."""
        if worker not in self._all:  # close() stopped it mid-page: no slot to fill
            return
        self._all.remove(worker)
        worker.stop()
        try:
            self._idle.put_nowait(self._start())
        except OSError as exc:  # out of memory or descriptors: the next page tries again
            logger.error("Cannot start an extraction worker: %(error)s", {"error": exc})
            self._idle.put_nowait(None)

    @property
    def pids(self) -> list[int]:
        """Process ids of the workers."""
        return [worker.process.pid for worker in self._all]

    async def extract(self, html: str | bytes, url: str, fetched_at: datetime) -> Extraction:
        """The fields of one page (its text, or its UTF-8 bytes); raises ExtractionTimeout or ExtractionFailed."""
        worker = await self._idle.get()
        if worker is None:
            try:
                worker = self._start()
            except OSError as exc:
                self._idle.put_nowait(None)
                raise ExtractionFailed(f"cannot start an extraction worker: {exc}") from None
        try:
            status, value = await worker.run((html, url, fetched_at), self.budget)
        except BaseException:  # over budget, dead, or cancelled mid-page: the worker cannot be trusted again
            self._replace(worker)
            raise
        self._idle.put_nowait(worker)
        if status != OK:
            raise ExtractionFailed(value)
        assert isinstance(value, Extraction)  # an OK reply carries the record
        return value

    def close(self) -> None:
        """Stop every worker (busy ones included): a page awaiting one fails as its worker's would."""
        for worker in self._all:
            worker.stop()
        self._all.clear()
