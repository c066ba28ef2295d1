"""Refuse a response whose body is wrapped in more content codings than a server ever sends.

Scrapy's HttpCompressionMiddleware bounds each decoding by ``DOWNLOAD_MAXSIZE``, but decodes every coding the
``Content-Encoding`` header stacks: a body of stored (uncompressed) gzip layers, each as large as the body, costs
one full pass per layer in the crawl's event loop (200 layers of a 7 MB body: 3.7 s, with every other download
waiting). Servers send one coding, a misconfigured one two (``gzip, gzip``); more is refused before anything is
decoded, as a decompression bomb (``IgnoreRequest("... content codings stacked ...")``, counted by the spider's
errback as ``download/failed/decompression_bomb``) in one warning line. Placed inside HttpCompressionMiddleware
(nearer the downloader), so it sees the response first.
"""

from __future__ import annotations

import logging
from itertools import chain

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.middlewares.egress import shown_url

logger = logging.getLogger(__name__)
MAX_CONTENT_CODINGS = 2


def content_codings(response: Response) -> int:
    """How many codings the response's ``Content-Encoding`` headers stack (``identity`` and empty ones not counted)."""
    values = chain.from_iterable(value.split(b",") for value in response.headers.getlist(b"Content-Encoding"))
    return sum(1 for value in values if value.strip().lower() not in (b"", b"identity"))


class ContentCodingsMiddleware:
    def process_response(self, request: Request, response: Response) -> Response:
        stacked = content_codings(response)
        if stacked <= MAX_CONTENT_CODINGS:
            return response
        url = shown_url(response.url)
        logger.warning("Ignored response %(url)s: %(n)d content codings stacked (at most %(max)d are decoded)",
                       {"url": url, "n": stacked, "max": MAX_CONTENT_CODINGS})
        raise IgnoreRequest(f"{stacked} content codings stacked on {url}")
