"""Egress filter: requests (and redirects) go only to the site's own hosts, and never
to loopback, link-local (169.254.0.0/16, the cloud metadata address included),
private or otherwise reserved addresses, except the mirror host an operator
named with ``-a base_url``.

A downloader middleware, so redirects pass through it too. IP literals (in any
spelling: ``2130706433``, ``0x7f.1``, ``[::ffff:7f00:1]``) and ``localhost`` are
refused by name; a site's host name that resolves to a private address is refused
through the resolver (``crawler.resolver.EgressResolver``), which also checks the
address each download connects to.

Stats: ``egress/refused/offsite``, ``egress/refused/private``, ``egress/refused/private_resolved``.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.hosts import ip_literal, is_private_host
from crawler.resolver import installed_resolver

__all__ = ["EgressFilterMiddleware", "is_private_host", "refusal"]
logger = logging.getLogger(__name__)


def refusal(netloc: str, allowed: list[str], mirror: str | None) -> str | None:
    """Why a request to ``netloc`` (host[:port]) must not be sent (``offsite`` or ``private``), or None.

    ``mirror`` is the mirror's exact host:port: the same host on another port is not the mirror.
    """
    netloc = netloc.lower()
    if mirror and netloc == mirror.lower():
        return None
    host = urlsplit(f"//{netloc}").hostname or ""
    if mirror and host == (urlsplit(f"//{mirror}").hostname or ""):
        return "offsite"
    if not any(host == domain or host.endswith(f".{domain}") for domain in allowed):
        return "offsite"
    return "private" if is_private_host(host) else None


class EgressFilterMiddleware:
    def __init__(self, crawler: Crawler, stats: StatsCollector) -> None:
        self.crawler = crawler
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EgressFilterMiddleware:
        assert crawler.stats is not None
        return cls(crawler, crawler.stats)

    async def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        allowed = [d for d in getattr(spider, "allowed_domains", None) or [] if d]
        if not allowed:  # a spider without a site config: nothing to enforce
            return
        mirror = getattr(spider, "mirror", None)
        reason = refusal(urlsplit(request.url).netloc, allowed, urlsplit(mirror.base).netloc if mirror else None)
        detail = ""
        if reason is None:
            host = urlsplit(request.url).hostname or ""
            address = await self._private_answer(host, mirror.host if mirror else None)
            if address:
                reason, detail = "private_resolved", f" ({host} resolves to {address})"
        if reason:
            self.stats.inc_value(f"egress/refused/{reason}")
            logger.warning("Refused %(reason)s request to %(url)s%(detail)s",
                           {"reason": reason, "url": request.url, "detail": detail})
            raise IgnoreRequest(f"egress refused ({reason}): {request.url}")

    @staticmethod
    async def _private_answer(host: str, mirror_host: str | None) -> str | None:
        """The private address a site's host name resolves to, asked of the installed EgressResolver."""
        resolver = installed_resolver()
        if resolver is None:
            return None
        if mirror_host:
            resolver.allow(mirror_host)  # the operator named it: it may resolve privately
        if ip_literal(host) is not None:
            return None  # ruled on by name
        return await maybe_deferred_to_future(resolver.private_address(host))
