"""Scrapy's MetaRefreshMiddleware, but a page whose ``<base href>`` or ``<meta http-equiv=refresh>`` URL names
no URL (``http://[::1``, a port past 65535) is kept as it came, as a browser keeps it, instead of failing its
request (Scrapy reads the base of every HTML page to resolve a refresh against it).

Settings: Scrapy's ``METAREFRESH_*``. Stats: ``download/meta_refresh/invalid``.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as ScrapyMetaRefreshMiddleware
from scrapy.http import Response

logger = logging.getLogger(__name__)


class MetaRefreshMiddleware(ScrapyMetaRefreshMiddleware):
    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        try:
            return super().process_response(request, response)
        except ValueError as exc:  # urljoin, safe_url_string and Request refuse the host or port
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("download/meta_refresh/invalid")
            logger.info("%(url)s: its base or meta refresh names no URL (%(error)s); the page is read as it is",
                        {"url": response.url, "error": exc})
            return response
