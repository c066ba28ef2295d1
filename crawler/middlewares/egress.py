"""Egress filter: requests (and redirects) go only to the site's own hosts, and never
to loopback, link-local (169.254.0.0/16, the cloud metadata address included),
private or otherwise reserved addresses, except the mirror host an operator
named with ``-a base_url``.

A downloader middleware, so redirects pass through it too. Host names are
checked as written: IP literals and ``localhost`` are refused here; configured
site domains are trusted to resolve publicly.

Stats: ``egress/refused/offsite``, ``egress/refused/private``.
"""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def is_private_host(host: str) -> bool:
    """True for loopback, link-local, private, reserved, multicast and unspecified addresses and ``localhost``."""
    host = host.strip("[]").lower().rstrip(".")
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return bool(address.is_private or address.is_loopback or address.is_link_local or address.is_reserved
                or address.is_multicast or address.is_unspecified)


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

    def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        allowed = [d for d in getattr(spider, "allowed_domains", None) or [] if d]
        if not allowed:  # a spider without a site config: nothing to enforce
            return
        mirror = getattr(spider, "mirror", None)
        reason = refusal(urlsplit(request.url).netloc, allowed, urlsplit(mirror.base).netloc if mirror else None)
        if reason:
            self.stats.inc_value(f"egress/refused/{reason}")
            logger.warning("Refused %(reason)s request to %(url)s", {"reason": reason, "url": request.url})
            raise IgnoreRequest(f"egress refused ({reason}): {request.url}")
