"""A host that answers nothing is given up, or waited for, instead of being asked again and again.

A site that is down (its port closed, its name unresolved, its address blackholed) cost a crawl every one of
its requests, each tried ``RETRY_TIMES + 1`` times a download delay apart, each attempt up to
``DOWNLOAD_TIMEOUT``: 44 s for the start URLs of a closed port at a 1 s delay, many minutes for a blackholed
address. The host is down once ``HOST_DOWN_AFTER`` attempts in a row to it ended without an answer
(connection refused or reset, name not resolved, timeout: 4 by default, one request's attempts at
``RETRY_TIMES`` 3); what follows depends on whether it answered earlier in the run:

- never (the site is down as the run starts): the requests waiting for it in the downloader and any new ones
  fail at once with "host down" (``download/failed/host_down``), and a failed attempt is not retried;
- it did (an outage in the middle of a crawl): its requests wait, those that failed in the outage queued again
  whatever their retries so far, and one every ``HOST_DOWN_PROBE_SECONDS`` goes through; any answer, whatever
  its status, makes the host up again and the crawl goes on where it was. After
  ``HOST_DOWN_GIVE_UP_SECONDS`` of outage its requests fail at once, as above, but for the probes: a host back
  later in a long crawl is crawled again. A stop ends the wait.

Stats: ``download/host_down`` (times a host was found down), ``download/host_down/refused`` (requests failed
unsent), ``download/host_down/waited`` (requests held through an outage), ``download/host_down/requeued``.
The host is logged as it goes down and as it answers again.
Settings: ``HOST_DOWN_AFTER`` (4; 0 turns this off), ``HOST_DOWN_PROBE_SECONDS`` (30),
``HOST_DOWN_GIVE_UP_SECONDS`` (300).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from time import monotonic
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from scrapy.utils.httpobj import urlparse_cached

from crawler.downloader import NotSent, StoppingDownloader, not_sent_while_stopping
from crawler.failures import UNREACHABLE, error_kind
from crawler.stopping import crawl_stopping

logger = logging.getLogger(__name__)
WAIT_STEP_SECONDS = 0.5  # how often a held request looks again


@dataclass
class _Host:
    answered: bool = False  # any answer from it in this run
    failures: int = 0  # attempts in a row that got no answer
    down_since: float | None = None
    last_probe: float = 0.0

    def refused(self, now: float, give_up: float) -> bool:
        """Whether a request to this down host fails at once instead of waiting for it."""
        return not self.answered or (self.down_since is not None and now - self.down_since >= give_up)


@dataclass(frozen=True)
class HostDownSettings:
    after: int
    probe_seconds: float
    give_up_seconds: float


class HostDownMiddleware:
    def __init__(self, crawler: Crawler, stats: StatsCollector, settings: HostDownSettings) -> None:
        self.crawler = crawler
        self.stats = stats
        self.settings = settings
        self._hosts: dict[str, _Host] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        get = crawler.settings
        settings = HostDownSettings(get.getint("HOST_DOWN_AFTER", 4), get.getfloat("HOST_DOWN_PROBE_SECONDS", 30.0),
                                    get.getfloat("HOST_DOWN_GIVE_UP_SECONDS", 300.0))
        if settings.after <= 0:
            raise NotConfigured
        assert crawler.stats is not None
        return cls(crawler, crawler.stats, settings)

    async def process_request(self, request: Request) -> None:
        name = _host(request)
        host = self._hosts.get(name)
        waited = False
        while host is not None and host.down_since is not None:
            now = monotonic()
            if now - host.last_probe >= self.settings.probe_seconds:  # this one goes through: is the host back?
                host.last_probe = now
                return
            if host.refused(now, self.settings.give_up_seconds):
                self.stats.inc_value("download/host_down/refused")
                raise NotSent(_message(name, host), queued=False)
            if crawl_stopping(self.crawler):
                raise not_sent_while_stopping(self.crawler, request, queued=False)
            if not waited:
                waited = True
                self.stats.inc_value("download/host_down/waited")
            await asyncio.sleep(WAIT_STEP_SECONDS)

    def process_response(self, request: Request, response: Response) -> Response:
        name = _host(request)
        host = self._hosts.get(name)
        if host is None:  # every response passes here: no state to build for a host that always answered
            self._hosts[name] = _Host(answered=True)
            return response
        if host.down_since is not None:
            logger.warning("%(host)s answers again after %(s).0f s", {"host": name, "s": monotonic() - host.down_since})
        host.answered, host.failures, host.down_since = True, 0, None
        return response

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if error_kind(exception) not in UNREACHABLE:
            return None
        name = _host(request)
        host = self._hosts.setdefault(name, _Host())
        host.failures += 1
        now = monotonic()
        if host.down_since is None and host.failures >= self.settings.after:
            host.down_since = host.last_probe = now
            self.stats.inc_value("download/host_down")
            self._went_down(name, host, exception)
        if host.down_since is None:
            return None
        if host.refused(now, self.settings.give_up_seconds):
            request.meta["dont_retry"] = True  # a retry would only be refused
            return None
        # Queued again, whatever its retries so far: it waits for the host in process_request.
        self.stats.inc_value("download/host_down/requeued")
        return request.replace(dont_filter=True)

    def _went_down(self, name: str, host: _Host, exception: Exception) -> None:
        if host.answered:
            logger.warning("%(host)s stopped answering (the last %(n)d attempts: %(error)s): its requests wait, one "
                           "every %(probe)g s goes through, for up to %(give_up)g s",
                           {"host": name, "n": host.failures, "error": exception,
                            "probe": self.settings.probe_seconds, "give_up": self.settings.give_up_seconds})
            return
        logger.warning("%(host)s is down: no answer to any of the %(n)d attempts of this run (%(error)s); "
                       "its requests fail unsent", {"host": name, "n": host.failures, "error": exception})
        downloader = self._downloader()
        if downloader is not None:  # the requests already waiting for it fail too
            failed = sum(downloader.fail_queued(slot, lambda _: NotSent(_message(name, host), queued=True),
                                                only=lambda request: _host(request) == name)
                         for slot in list(downloader.slots.values()))
            self.stats.inc_value("download/host_down/refused", failed)

    def _downloader(self) -> StoppingDownloader | None:
        """The crawl's downloader, unless ``DOWNLOADER`` was set to another than ours."""
        engine = self.crawler.engine
        return engine.downloader if engine is not None and isinstance(engine.downloader, StoppingDownloader) else None


def _host(request: Request) -> str:
    return urlparse_cached(request).hostname or ""


def _message(name: str, host: _Host) -> str:
    if host.answered:
        return f"host down: {name} answered none of the last {host.failures} attempts"
    return f"host down: {name} answered none of the {host.failures} attempts of this run"
