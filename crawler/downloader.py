"""Scrapy's downloader, except that a stopping crawl does not send the requests still waiting in its queues.

Once Scrapy's engine has taken a request from the scheduler, the downloader holds it in the site's queue until
the site's download delay allows it, and a graceful stop (Ctrl-C, SIGTERM, a Scrapyd cancel, ``crawlall``
stopping its children) waited for every one of them: up to ``CONCURRENT_REQUESTS`` requests, one delay apart
(16 s at a 1 s delay, minutes once AutoThrottle has slowed a site down), so a stop took as long as a crawl
step and a service manager killed it instead. :class:`StoppingDownloader` fails those requests with
:class:`NotSentWhileStopping` within :data:`WATCH_SECONDS` of the stop: downloads already on the wire still
end, and the requests not sent are found again by the next run's discovery (a shared crawl's worker hands
them back to the other workers). Stat: ``downloader/not_sent_stopping``.

Settings: ``DOWNLOADER = "crawler.downloader.StoppingDownloader"``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.core.downloader import Downloader, Slot
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.asyncio import AsyncioLoopingCall, create_looping_call
from twisted.internet.task import LoopingCall

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
WATCH_SECONDS = 0.5  # how often a running crawl checks whether it is being stopped


class NotSentWhileStopping(IgnoreRequest):
    """A request that waited in the downloader's queue when the crawl was stopped: never sent."""


class StoppingDownloader(Downloader):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._watch: AsyncioLoopingCall | LoopingCall | None = None

    def _process_queue(self, slot: Slot) -> None:
        if not self.crawler.crawling:
            self._drop_queued(slot)
            return
        if self._watch is None:
            self._watch = create_looping_call(self._watch_for_stop)
            self._watch.start(WATCH_SECONDS, now=False)
        super()._process_queue(slot)

    def _watch_for_stop(self) -> None:
        """A queue that waits out its site's delay is not looked at until then: a stop empties them all now."""
        if not self.crawler.crawling:
            for slot in list(self.slots.values()):
                self._drop_queued(slot)

    def _drop_queued(self, slot: Slot) -> None:
        if not slot.queue:
            return
        if slot.latercall is not None:
            slot.latercall.cancel()
            slot.latercall = None
        dropped = 0
        while slot.queue:
            request, queued = slot.queue.popleft()
            queued.errback(NotSentWhileStopping(f"not sent: the crawl is stopping: {request.url}"))
            dropped += 1
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("downloader/not_sent_stopping", dropped)
        logger.info("Stopping: %(n)d queued requests not sent", {"n": dropped})

    def close(self) -> None:
        if self._watch is not None and self._watch.running:
            self._watch.stop()
        super().close()
