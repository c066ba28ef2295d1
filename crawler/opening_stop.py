"""A stop that comes while the spider is still opening (SIGTERM, Ctrl-C, a Scrapyd cancel, ``crawlall`` stopping
its children) closes it gracefully once it is open, as a stop during the crawl does: "Spider closed (shutdown)",
its final stats, its run record closed, the storage pipeline flushed and the site's lease released.

Scrapy 2.19 ignores such a stop (``Crawler.stop_async`` stops only a running engine), then stops the reactor at
once, cutting the opening short (the store, its migrations and key tables, the lease: seconds on a big store).
It ignores too a stop that comes after ``engine_started`` was sent and before the engine runs
(``ExecutionEngine.start_async`` awaits every ``engine_started`` handler, the egress proxy's among them, then
sets ``running`` a loop turn later): the crawl ran to its end and its process never exited (the close's own
``Crawler.stop_async`` found ``crawling`` off and left the engine waiting). :class:`OpeningStop` keeps the
reactor's shutdown waiting until the crawl has ended, stops the engine when it starts (``engine_started``, the
first moment Scrapy can stop it) and, at the shutdown, stops an engine that the stop passed by as it started.
It waits too for the close of a finished crawl's spider that a stop finds under way (:func:`spider_closing`).
A second signal still forces the exit at once.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Generator
from types import FrameType

from scrapy import signals
from scrapy.crawler import AsyncCrawlerRunner, Crawler, CrawlerRunner
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.ossignal import install_shutdown_handlers, signal_names
from twisted.internet.defer import Deferred, DeferredList, inlineCallbacks
from twisted.internet.task import deferLater

from crawler.stopping import crawl_stopping

logger = logging.getLogger(__name__)


class OpeningStop:
    def __init__(self, runner: CrawlerRunner | AsyncCrawlerRunner) -> None:
        self.runner = runner
        self.opening: set[Crawler] = set()  # watched crawlers whose engine has not started
        self.started: set[Crawler] = set()  # watched crawlers whose engine has
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
        self.started.add(sender)
        if crawl_stopping(sender):  # a stop came while the spider opened, and Scrapy let it pass
            await sender.engine.stop_async()

    def hold(self) -> Deferred[None] | None:
        """The reactor's shutdown waits on this until every crawl has ended; a forced one (Scrapy ignores further
        signals once it forces) and one after the crawls do not wait."""
        closing = [crawler for crawler in self.started if spider_closing(crawler)]
        if not (self.runner.crawlers or closing) or signal.getsignal(signal.SIGTERM) == signal.SIG_IGN:
            return None
        if self.opening & set(self.runner.crawlers):
            logger.info("The spider is still opening: it closes once open (send the signal again to force)")
        self._held = Deferred()
        DeferredList([deferred_from_coro(self.runner.join()), *self._stop_passed_by(),
                      *map(spider_closed, closing)]).addBoth(self._release)
        install_shutdown_handlers(self._force)
        return self._held

    def _stop_passed_by(self) -> list[Deferred[None]]:
        """Stop each engine that Scrapy's stop passed by; waited on by the shutdown, as the crawl's task ends once
        its engine is stopping, before the spider is closed (``ExecutionEngine.start_async`` returns then)."""
        stops = []
        for crawler in self.started & set(self.runner.crawlers):
            if passed_by(crawler):
                logger.info("The engine started as the stop came: stopping it")
                stops.append(deferred_from_coro(crawler.engine.stop_async()))
        return stops

    def _force(self, signum: int, _: FrameType | None) -> None:
        from twisted.internet import reactor

        install_shutdown_handlers(signal.SIG_IGN)
        reactor.callFromThread(self._release, None, signal_names[signum])

    def _release(self, _: object, forced_by: str | None = None) -> None:
        if forced_by is not None:
            logger.info("Received %(signame)s twice, forcing unclean shutdown", {"signame": forced_by})
        if self._held is not None and not self._held.called:
            self._held.callback(None)


def spider_closing(crawler: Crawler) -> bool:
    """Whether ``crawler``'s spider is closing. A stop then finds the close under way and returns at once
    (``ExecutionEngine.close_spider_async`` awaits only the slot's last requests), its crawl "done" while the close
    still flushes the store and writes the run record; the shutdown must wait for the close itself."""
    # Scrapy 2.19 has no public sign: the engine's slot is "closing" from the close's first step to its last.
    slot = getattr(crawler.engine, "_slot", None)
    return slot is not None and slot.closing is not None


@inlineCallbacks
def spider_closed(crawler: Crawler) -> Generator[Deferred[None], None, None]:
    """Fires once ``crawler``'s spider has closed (polled: Scrapy tells no one but the crawl it ends)."""
    from twisted.internet import reactor

    while spider_closing(crawler):
        yield deferLater(reactor, 0.1, lambda: None)


def passed_by(crawler: Crawler) -> bool:
    """Whether Scrapy let a stop of ``crawler`` pass while its engine started: the crawl is stopped (``crawling``
    is off) but its engine was started, not stopped (an engine Scrapy stops is no longer ``running`` nor starting,
    from the first line of ``ExecutionEngine.stop_async``)."""
    engine = crawler.engine
    # ExecutionEngine has no public "started": _starting is on from start_async to stop_async (Scrapy 2.19).
    return crawl_stopping(crawler) and (engine.running or bool(getattr(engine, "_starting", False)))
