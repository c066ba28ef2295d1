"""The outcome of each download of a request this worker took from the shared crawl's queue.

A request leaves this worker's in-flight hash when its download ends (the frontier extension, on
``request_left_downloader``), but a request a downloader middleware answers itself never enters the
downloader: a robots.txt the robots middleware already holds (``robotstxt-reused``), a URL it or the egress
policy refuses. Left in flight, such a request kept its worker, and so the whole crawl, busy for ever. This
middleware, the first of all (its ``process_response`` and ``process_exception`` run last), finishes those.
While the worker stops (Ctrl-C, SIGTERM), a download that failed stays in flight: leaving the crawl hands it
back to the other workers (``frontier/failed_by_stop``), since the stop may be what failed it.

Settings: ``REDIS_URL`` (off without it).
"""

from __future__ import annotations

from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.frontier.connection import shared_crawl_url
from crawler.frontier.extension import Frontier


class FrontierOutcomeMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not shared_crawl_url(crawler.settings):
            raise NotConfigured
        return cls(crawler)

    def _frontier(self) -> Frontier | None:
        return Frontier.of(self.crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        frontier = self._frontier()
        if frontier is not None:
            frontier.finished(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        frontier = self._frontier()
        if frontier is not None and not frontier.failed_by_stop(request):
            frontier.finished(request)
