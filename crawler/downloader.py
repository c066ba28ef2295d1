"""Scrapy's downloader, except that a stopping crawl does not send the requests still waiting in its queues.

Once Scrapy's engine has taken a request from the scheduler, the downloader holds it in the site's queue until
the site's download delay allows it, and a graceful stop (Ctrl-C, SIGTERM, a Scrapyd cancel, ``crawlall``
stopping its children) waited for every one of them: up to ``CONCURRENT_REQUESTS`` requests, one delay apart
(16 s at a 1 s delay, minutes once AutoThrottle has slowed a site down), so a stop took as long as a crawl
step and a service manager killed it instead. :class:`StoppingDownloader` fails those requests with
:class:`NotSentWhileStopping` within :data:`WATCH_SECONDS` of the stop: downloads already on the wire still
end; the requests not sent are found again by the next run's discovery, kept in the queue ``JOBDIR`` saves
for the next run, or handed back to a shared crawl's other workers. Stats: ``downloader/not_sent_stopping``,
``downloader/not_sent_stopping/kept`` (queued again for ``JOBDIR``).

Settings: ``DOWNLOADER = "crawler.downloader.StoppingDownloader"``.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING

from scrapy.core.downloader import Downloader, Slot
from scrapy.exceptions import IgnoreRequest
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.asyncio import AsyncioLoopingCall, create_looping_call
from twisted.internet.task import LoopingCall

from crawler.frontier.connection import shared_crawl_url
from crawler.stopping import crawl_stopping

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)
WATCH_SECONDS = 0.5  # how often a running crawl checks whether it is being stopped


class NotSent(IgnoreRequest):
    """A request failed unsent; ``queued``: in the downloader's queue, past the middlewares that count downloads."""

    def __init__(self, message: str, *, queued: bool) -> None:
        super().__init__(message)
        self.queued = queued


class NotSentWhileStopping(NotSent):
    """A request that waited in the downloader's queue when the crawl was stopped: never sent."""


def not_sent_while_stopping(crawler: Crawler, request: Request, *, queued: bool) -> NotSentWhileStopping:
    """The error that fails ``request`` because the crawl stops: :meth:`StoppingDownloader.not_sent_while_stopping`
    (counted, and kept for the next run with ``JOBDIR``), or a bare one when ``DOWNLOADER`` is another than ours."""
    engine = crawler.engine
    if engine is not None and isinstance(engine.downloader, StoppingDownloader):
        return engine.downloader.not_sent_while_stopping(request, queued=queued)
    return NotSentWhileStopping(f"not sent: the crawl is stopping: {request.url}", queued=queued)


class StoppingDownloader(Downloader):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._watch: AsyncioLoopingCall | LoopingCall | None = None

    def _process_queue(self, slot: Slot) -> None:
        if crawl_stopping(self.crawler):
            self._drop_queued(slot)
            return
        if self._watch is None:
            self._watch = create_looping_call(self._watch_for_stop)
            self._watch.start(WATCH_SECONDS, now=False)
        super()._process_queue(slot)

    def _watch_for_stop(self) -> None:
        """A queue that waits out its site's delay is not looked at until then: a stop empties them all now."""
        if crawl_stopping(self.crawler):
            for slot in list(self.slots.values()):
                self._drop_queued(slot)

    def _drop_queued(self, slot: Slot) -> None:
        dropped = self.fail_queued(slot, lambda request: self.not_sent_while_stopping(request, queued=True))
        if dropped:
            logger.info("Stopping: %(n)d queued requests not sent", {"n": dropped})

    def not_sent_while_stopping(self, request: Request, *, queued: bool) -> NotSentWhileStopping:
        """The error that fails ``request``, not sent because the crawl stops (counted). With ``JOBDIR`` the request
        is queued again first, into the scheduler's queue saved for the next run: the duplicate filter saved with it
        would keep it from being found again. A shared crawl's worker hands its own back to the other workers."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("downloader/not_sent_stopping")
        engine = self.crawler.engine
        if self.crawler.settings.get("JOBDIR") and not shared_crawl_url(self.crawler.settings) \
                and engine is not None and engine.spider is not None and request.callback is not NO_CALLBACK:
            engine.crawl(request.replace(dont_filter=True))
            self.crawler.stats.inc_value("downloader/not_sent_stopping/kept")
        return NotSentWhileStopping(f"not sent: the crawl is stopping: {request.url}", queued=queued)

    def fail_queued(self, slot: Slot, error: Callable[[Request], NotSent],
                    only: Callable[[Request], bool] | None = None) -> int:
        """Fail the requests waiting in ``slot``'s queue (those ``only`` accepts) with ``error(request)``, unsent;
        how many."""
        kept: deque[tuple[Request, Deferred[Response]]] = deque()
        failed = 0
        while slot.queue:
            request, queued = slot.queue.popleft()
            if only is None or only(request):
                queued.errback(error(request))
                failed += 1
            else:
                kept.append((request, queued))
        slot.queue.extend(kept)
        if failed and not slot.queue and slot.latercall is not None:  # nothing left to wait for
            slot.latercall.cancel()
            slot.latercall = None
        return failed

    def close(self) -> None:
        if self._watch is not None and self._watch.running:
            self._watch.stop()
        super().close()
