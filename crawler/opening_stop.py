"""A stop that comes while the spider is still opening (SIGTERM, Ctrl-C, a Scrapyd cancel, ``crawlall`` stopping
its children) closes it gracefully once it is open, as a stop during the crawl does: "Spider closed (shutdown)",
its final stats, its run record closed, the storage pipeline flushed and the site's lease released.

Scrapy 2.19 ignores such a stop (``Crawler.stop_async`` stops only a running engine), then stops the reactor at
once, cutting the opening short (the store, its migrations and key tables, the lease: seconds on a big store).
:class:`OpeningStop` keeps the reactor's shutdown waiting until the crawl has ended, and stops the engine when it
starts (``engine_started``, the first moment Scrapy can stop it). A second signal still forces the exit at once.
"""

from __future__ import annotations

import logging
import signal
from types import FrameType

from scrapy import signals
from scrapy.crawler import AsyncCrawlerRunner, Crawler, CrawlerRunner
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.ossignal import install_shutdown_handlers, signal_names
from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)


class OpeningStop:
    def __init__(self, runner: CrawlerRunner | AsyncCrawlerRunner) -> None:
        self.runner = runner
        self.opening: set[Crawler] = set()  # watched crawlers whose engine has not started
        self._held: Deferred[None] | None = None

    @classmethod
    def install(cls, runner: CrawlerRunner | AsyncCrawlerRunner, *crawlers: Crawler) -> OpeningStop:
        """Watch ``crawlers``, run by ``runner`` on the installed reactor."""
        from twisted.internet import reactor

        stop = cls(runner)
        for crawler in crawlers:
            stop.opening.add(crawler)
            crawler.signals.connect(stop.engine_started, signal=signals.engine_started)
        reactor.addSystemEventTrigger("before", "shutdown", stop.hold)  # type: ignore[arg-type]  # zope's self-less stub
        return stop

    async def engine_started(self, sender: Crawler) -> None:
        self.opening.discard(sender)
        if not sender.crawling:  # a stop came while the spider opened, and Scrapy let it pass
            await sender.engine.stop_async()

    def hold(self) -> Deferred[None] | None:
        """The reactor's shutdown waits on this until every crawl has ended; a forced one (Scrapy ignores further
        signals once it forces) and one after the crawls do not wait."""
        if not self.runner.crawlers or signal.getsignal(signal.SIGTERM) == signal.SIG_IGN:
            return None
        if self.opening & set(self.runner.crawlers):
            logger.info("The spider is still opening: it closes once open (send the signal again to force)")
        self._held = Deferred()
        deferred_from_coro(self.runner.join()).addBoth(self._release)
        install_shutdown_handlers(self._force)
        return self._held

    def _force(self, signum: int, _: FrameType | None) -> None:
        from twisted.internet import reactor

        install_shutdown_handlers(signal.SIG_IGN)
        reactor.callFromThread(self._release, None, signal_names[signum])

    def _release(self, _: object, forced_by: str | None = None) -> None:
        if forced_by is not None:
            logger.info("Received %(signame)s twice, forcing unclean shutdown", {"signame": forced_by})
        if self._held is not None and not self._held.called:
            self._held.callback(None)
