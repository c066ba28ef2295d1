"""The crawl's final stats as one JSON object in a file, for the process that started the crawl
(``scrapy crawlall --processes N`` reads each site's numbers from it for its summary).

Written once the engine has stopped (after the health monitors and the storage's last flush have
counted), through a temporary file renamed into place, so a reader sees the whole object or none; a
spider closed while it opened (another run held the site: the engine never started, nor stops) has its
stats written when it closes, as it has nothing left to count.
While the crawl runs, its stats so far are written every ``STATS_FILE_INTERVAL_SECONDS`` to
``<STATS_FILE>.running`` (removed with the final write): a crawl killed before its end (SIGKILL, out
of memory) still leaves what it had counted, which the reader shows as a lower bound (:func:`read`).

Settings: ``STATS_FILE`` (a path; empty, the default: off), ``STATS_FILE_INTERVAL_SECONDS`` (5; 0: no
running snapshot).
"""

from __future__ import annotations

import json
import os
from contextlib import suppress
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call


def running_path(path: Path) -> Path:
    """Where the stats so far of the crawl whose final stats go to ``path`` are kept while it runs."""
    return path.with_name(f"{path.name}.running")


def read(path: Path) -> tuple[dict[str, Any], bool]:
    """A crawl's stats and whether they are whole: its final stats; else the last snapshot it wrote while
    running (False: it was killed, or crashed, before its end, and its counts are lower bounds); else none
    (True: the first snapshot is written when the spider opens, so a crawl without one stored nothing)."""
    for candidate, final in ((path, True), (running_path(path), False)):
        try:
            stats: dict[str, Any] = json.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        return stats, final
    return {}, True


class StatsFile:
    def __init__(self, crawler: Crawler, path: Path, interval: float = 5.0) -> None:
        self.crawler = crawler
        self.path = path
        self.interval = interval
        self.task: Any = None
        self.started = False  # the engine started: engine_stopped will come

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsFile:
        path = crawler.settings.get("STATS_FILE")
        if not path:
            raise NotConfigured
        extension = cls(crawler, Path(path), crawler.settings.getfloat("STATS_FILE_INTERVAL_SECONDS", 5.0))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        if self.interval > 0:
            self.task = create_looping_call(self._snapshot)
            self.task.start(self.interval, now=True)

    def engine_started(self) -> None:
        self.started = True

    def spider_closed(self, spider: Spider) -> None:
        if not self.started:  # closed while opening (site_locked): no request made, no engine_stopped to come
            self.engine_stopped()

    def engine_stopped(self) -> None:
        """Write the final stats and drop the running snapshot."""
        if self.task is not None and self.task.running:
            self.task.stop()
        self._write(self.path)
        running_path(self.path).unlink(missing_ok=True)

    def _snapshot(self) -> None:
        with suppress(OSError):  # a snapshot missed (a full disk) costs only the lower bound's freshness
            self._write(running_path(self.path))

    def _write(self, path: Path) -> None:
        """The stats so far into ``path``, whole or not at all (values JSON cannot hold, such as datetimes, as text)."""
        assert self.crawler.stats is not None
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(json.dumps(self.crawler.stats.get_stats(), default=str), encoding="utf-8")
        partial.replace(path)
