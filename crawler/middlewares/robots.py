"""robots.txt read once per host and run: Scrapy's robots.txt middleware, which also answers the crawl's own
request for a host's robots.txt (discovery reads its ``Sitemap:`` lines) with the response it fetched to
learn the host's rules, instead of a second download.

Replaces ``scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware`` (same order, same settings), and
``scrapy.downloadermiddlewares.stats.DownloaderStats`` with :class:`DownloadOnlyStats`, so a reused answer is
not counted as a second download in ``downloader/response_*``, nor a request failed unsent (a stopping crawl's,
a down host's: :class:`crawler.downloader.NotSent`; one robots.txt disallows) as a download or a download error.
A robots.txt is read to its first :data:`MAX_BYTES` (500 KiB, Google's limit; the rest is ignored, as Google
ignores it): Protego took 5-7 s of the crawl process's CPU to parse 200,000 wildcard rules, then 0.11-0.25 s to
check each request against them (0.5-1.1 s and 7-16 ms at the limit: ``scripts/bench_robots_txt.py``).
Stats: ``robotstxt/reused`` (requests for robots.txt answered without a download), ``robotstxt/truncated``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.downloadermiddlewares.stats import DownloaderStats
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.request import request_httprepr

from crawler.downloader import NotSent
from crawler.failures import ROBOTS_FORBIDDEN, error_kind

if TYPE_CHECKING:
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

# A robots.txt larger than this, or of a host past the first KEPT_MAX_HOSTS, is fetched again rather than
# held for the whole run (articles may link to many hosts whose robots.txt the crawl never reads).
KEPT_MAX_BYTES = 512 * 1024
KEPT_MAX_HOSTS = 32
MAX_BYTES = 500 * 1024
REUSED_FLAG = "robotstxt-reused"  # in a reused response's flags: no download happened for it


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """The robots.txt response of each host is kept until the crawl itself asks for that robots.txt (once:
    a later request downloads as usual). Only a direct answer from the host's own robots.txt URL is kept,
    not one reached by a redirect or a failed fetch, so the reused answer is the one a download would give."""

    def __init__(self, crawler) -> None:  # type: ignore[no-untyped-def]
        super().__init__(crawler)
        self._kept: dict[str, Response] = {}
        logging.getLogger(RobotsTxtMiddleware.__module__).addFilter(one_line_download_errors)  # once: same object

    async def process_request(self, request: Request) -> Response | None:  # type: ignore[override]
        await super().process_request(request)
        url = urlparse_cached(request)
        if request.url != f"{url.scheme}://{url.netloc}/robots.txt":
            return None
        kept = self._kept.pop(request.url, None)  # by scheme too: a host may serve another one over https
        if kept is None:
            return None
        self._stats.inc_value("robotstxt/reused")
        return kept.replace(request=request, flags=[*kept.flags, REUSED_FLAG])

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        own = f"{urlparse_cached(request).scheme}://{netloc}/robots.txt"
        if response.url == own and len(response.body) <= KEPT_MAX_BYTES and len(self._kept) < KEPT_MAX_HOSTS:
            self._kept[own] = response
        if len(response.body) > MAX_BYTES:
            self._stats.inc_value("robotstxt/truncated")
            logger.warning("Read only the first %(max)d of the %(size)d bytes of %(url)s",
                           {"max": MAX_BYTES, "size": len(response.body), "url": response.url})
            end = response.body.rfind(b"\n", 0, MAX_BYTES) + 1  # its last whole line
            response = response.replace(body=response.body[: end or MAX_BYTES])
        await super()._parse_robots(response, netloc, request)


def one_line_download_errors(record: logging.LogRecord) -> bool:
    """Scrapy logs a robots.txt that could not be downloaded (refused, timed out, unresolved) as an error with
    a traceback, once for each request that waited for it, though the retry middleware already said so and the
    host's pages are then crawled without rules: a warning of one line."""
    error = record.exc_info[1] if record.exc_info else None
    if error is not None and str(record.msg).startswith("Error downloading") and error_kind(error) != "other":
        record.exc_info, record.exc_text = None, None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
    return True


class DownloadOnlyStats(DownloaderStats):
    """Scrapy's downloader stats, without a reused robots.txt: every response a middleware's
    ``process_request`` returns passes through ``process_response``, so it would count a response
    whose request was never counted (it skipped ``process_request``), and count one download twice."""

    def process_response(self, request: Request, response: Response, spider: object = None) -> Request | Response:
        if REUSED_FLAG in response.flags:
            return response
        return super().process_response(request, response)

    def process_exception(self, request: Request, exception: Exception,
                          spider: object = None) -> Request | Response | None:
        if error_kind(exception) == ROBOTS_FORBIDDEN:  # refused before the download: no download, no error
            return None
        if isinstance(exception, NotSent):  # no download, no error of the site
            if exception.queued:  # counted by process_request
                self.stats.inc_value("downloader/request_count", -1)
                self.stats.inc_value(f"downloader/request_method_count/{request.method}", -1)
                self.stats.inc_value("downloader/request_bytes", -len(request_httprepr(request)))
            return None
        return super().process_exception(request, exception)
