"""Give a text response whose declared charset decodes no text (``charset=zlib``, ``<meta charset="base64">``,
``idna``, ``undefined``) the encoding it would have had with no such name (:mod:`crawler.charsets`), so reading
its text (the spider, the meta refresh check, discovery's listing pages) never raises. Sits outside
HttpCompressionMiddleware (590), which builds the decoded response anew, and inside MetaRefreshMiddleware (580), so
it sees the decoded response before the meta refresh check reads it.

Stats: ``download/charset_unusable``.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.statscollectors import StatsCollector

from crawler.charsets import readable_encoding, usable_encoding

logger = logging.getLogger(__name__)


class UnusableCharsetMiddleware:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UnusableCharsetMiddleware:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or usable_encoding(response.encoding):
            return response
        encoding = readable_encoding(response.headers.get(b"Content-Type"), response.body)
        self.stats.inc_value("download/charset_unusable")
        logger.info("%(url)s declares charset %(declared)r, which decodes no text; read as %(encoding)s",
                    {"url": response.url, "declared": response.encoding[:100], "encoding": encoding})
        return response.replace(encoding=encoding)
