"""Honour ``Retry-After`` on 429 Too Many Requests and 503 Service Unavailable.

Scrapy's own retry ignores the header. This downloader middleware waits as long
as the server asks (up to ``RETRY_AFTER_MAX_SECONDS``; a longer wait gives up on
the request) before retrying, without blocking other downloads, and slows the
site's download slot to at least that delay for the rest of the run. Without a
header it backs off exponentially. At most ``RETRY_TIMES`` retries. A stop (Ctrl-C,
SIGTERM, a Scrapyd cancel) ends the wait: the retry is not sent (kept for the next
run with ``JOBDIR``), so a stop never waits out a two-minute ``Retry-After``.

Stats: ``retry_after/waited``, ``retry_after/seconds``, ``retry_after/gave_up``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from time import monotonic

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from crawler.dates import rfc822_datetime
from crawler.downloader import not_sent_while_stopping
from crawler.stopping import crawl_stopping

logger = logging.getLogger(__name__)
THROTTLED = (429, 503)
WAIT_STEP_SECONDS = 0.5  # how often a wait looks whether the crawl is stopping


def retry_after_seconds(value: bytes | str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date); None when absent or bad."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isascii() and text.isdigit():  # isdigit() alone takes "²", which float() refuses
        return float(text)
    when = rfc822_datetime(text)
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class RetryAfterMiddleware:
    def __init__(self, crawler: Crawler, stats: StatsCollector, max_seconds: float, max_times: int) -> None:
        self.crawler = crawler
        self.stats = stats
        self.max_seconds = max_seconds
        self.max_times = max_times

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        assert crawler.stats is not None
        settings = crawler.settings
        return cls(crawler, crawler.stats, settings.getfloat("RETRY_AFTER_MAX_SECONDS", 120.0),
                   settings.getint("RETRY_TIMES", 3))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in THROTTLED:
            return response
        attempt = request.meta.get("retry_after_times", 0)
        delay = retry_after_seconds(response.headers.get(b"Retry-After"), datetime.now(UTC))
        delay = 2.0 ** attempt if delay is None else delay
        if attempt >= self.max_times or delay > self.max_seconds:
            self.stats.inc_value("retry_after/gave_up")
            logger.warning("Giving up on %(url)s: %(status)d, retry after %(delay).0f s",
                           {"url": request.url, "status": response.status, "delay": delay})
            return response
        self._slow_down(request, delay)
        self.stats.inc_value("retry_after/waited")
        self.stats.inc_value("retry_after/seconds", int(delay))
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_times"] = attempt + 1
        if not await self._waited(delay):
            raise not_sent_while_stopping(self.crawler, retry, queued=False)
        return retry

    async def _waited(self, delay: float) -> bool:
        """Wait ``delay`` seconds; False as soon as the crawl is stopping."""
        end = monotonic() + delay
        while not crawl_stopping(self.crawler):
            left = end - monotonic()
            if left <= 0:
                return True
            await asyncio.sleep(min(left, WAIT_STEP_SECONDS))
        return False

    def _slow_down(self, request: Request, delay: float) -> None:
        """Keep at least ``delay`` between this site's requests from now on."""
        engine = self.crawler.engine
        slots = getattr(getattr(engine, "downloader", None), "slots", {})
        key = request.meta.get("download_slot")
        slot = slots.get(key) if key else None
        if slot is not None and slot.delay < delay:
            slot.delay = delay
