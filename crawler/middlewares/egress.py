"""Egress filter: requests (and redirects) go only to the site's own hosts, and never
to loopback, link-local (169.254.0.0/16, the cloud metadata address included),
private or otherwise reserved addresses, except the mirror host an operator
named with ``-a base_url``.

A downloader middleware, so redirects pass through it too; a response whose final
URL (after redirects Chromium followed) is refused is dropped as well. Only http(s) reaches Scrapy's
download handlers: a ``file://``, ``ftp://``, ``s3://`` or ``data:`` URL (a sitemap's ``<loc>``, a feed item,
a robots.txt ``Sitemap:`` line) is refused whatever its host, as its handler would read a local file or
open a connection the host check never sees (``scheme``). IP literals (in
any spelling: ``2130706433``, ``0x7f.1``, ``[::ffff:7f00:1]``) and ``localhost`` are
refused by name; a site's host name that resolves to a private address is refused
through the resolver (``crawler.resolver.EgressResolver``), which also checks the
address each download connects to. :class:`EgressPolicy` is the same decision for
Chromium (``crawler.browser_handler``, ``crawler.egress_proxy``).

Crawling a mirror, a request for one of the site's real hosts (a redirect to the site's absolute URL, as a replica
of a WordPress site sends) is sent to the mirror instead (``egress/mirrored``); any other host, a real one of the
site's included, is refused (``offsite``), to Scrapy and to Chromium alike: a mirror's crawl never reaches the real
site, nor asks a resolver for its name.

Stats: ``egress/mirrored``, ``egress/refused/offsite``, ``egress/refused/private``, ``egress/refused/private_resolved``,
``egress/refused/scheme``, ``egress/refused/final_url``.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.hosts import ip_literal, is_private_host
from crawler.resolver import installed_resolver
from crawler.secrets import mask_uri

__all__ = ["EgressFilterMiddleware", "is_private_host", "refusal"]
logger = logging.getLogger(__name__)


def refusal(netloc: str, allowed: list[str], mirror: str | None) -> str | None:
    """Why a request to ``netloc`` (host[:port]) must not be sent (``offsite`` or ``private``), or None.

    ``mirror`` is the mirror's exact host:port: the same host on another port is not the mirror, and in a mirror's
    crawl no other host is reached, the site's real ones included (a mirror stands in for them; a page rendered in
    Chromium that asks for a real host, a script or a redirect of a replica, would otherwise reach the real site).
    """
    netloc = netloc.lower()
    if mirror:
        return None if netloc == mirror.lower() else "offsite"
    host = urlsplit(f"//{netloc}").hostname or ""
    if not any(host == domain or host.endswith(f".{domain}") for domain in allowed):
        return "offsite"
    return "private" if is_private_host(host) else None


_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
DOWNLOAD_SCHEMES = frozenset({"http", "https"})  # the only ones Scrapy's handlers are given
_BROWSER_LOCAL_SCHEMES = frozenset({"data", "blob", "about"})  # content a page makes itself: no connection
SHOWN_URL_CHARS = 200  # a refused URL in a log line (a data: URL may be megabytes)


def scheme_of(url: str) -> str:
    """The lower-case scheme of ``url`` ("" for none), read as ``urlsplit`` reads it."""
    return urlsplit(url).scheme.lower()


def shown_url(url: str) -> str:
    """``url`` for a log line: its password masked, cut to :data:`SHOWN_URL_CHARS` characters."""
    masked = mask_uri(url)
    return masked if len(masked) <= SHOWN_URL_CHARS else f"{masked[:SHOWN_URL_CHARS]}…"


@dataclass(frozen=True)
class EgressPolicy:
    """The running spider's allowed hosts and mirror (``host:port``, explicit port): :func:`refusal`
    applied to a URL or to a connection's host and port alike."""

    allowed: tuple[str, ...]
    mirror: str | None

    @classmethod
    def for_spider(cls, spider: Spider | None) -> EgressPolicy | None:
        """The policy of ``spider``; None for a spider without a site config (nothing to enforce).
        Built once per spider (its hosts are fixed when it is created): it is asked on every request."""
        if spider is None:
            return None
        if spider not in _POLICIES:
            _POLICIES[spider] = cls._of(spider)
        return _POLICIES[spider]

    @classmethod
    def _of(cls, spider: Spider) -> EgressPolicy | None:
        allowed = tuple(d for d in getattr(spider, "allowed_domains", None) or [] if d)
        if not allowed:
            return None
        mirror = getattr(spider, "mirror", None)
        if mirror is None:
            return cls(allowed, None)
        parts = urlsplit(mirror.base)
        return cls(allowed, host_port(parts.hostname or "", parts.port or _DEFAULT_PORTS[parts.scheme]))

    def refusal(self, host: str, port: int) -> str | None:
        """Why a connection to ``host``:``port`` must not be made, or None."""
        return refusal(host_port(host, port), list(self.allowed), self.mirror)

    def is_mirror(self, host: str, port: int) -> bool:
        return self.mirror is not None and host_port(host, port) == self.mirror

    def url_refusal(self, url: str, *, browser: bool = False) -> str | None:
        """Why a request for ``url`` must not be sent, or None: ``scheme`` for any scheme but http(s) and
        ws(s), else the host's :meth:`refusal`. Chromium's own ``data:``, ``blob:`` and ``about:`` pass
        when ``browser``."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if browser and scheme in _BROWSER_LOCAL_SCHEMES:
            return None
        if scheme not in _DEFAULT_PORTS:
            return "scheme"
        try:
            port = parts.port or _DEFAULT_PORTS[scheme]
        except ValueError:  # a port out of range or not a number
            return "offsite"
        return self.refusal(parts.hostname or "", port)


_POLICIES: weakref.WeakKeyDictionary[Spider, EgressPolicy | None] = weakref.WeakKeyDictionary()


def host_port(host: str, port: int) -> str:
    """``host:port`` (``[v6]:port``), lower case: the form :class:`EgressPolicy` compares."""
    host = host.lower()
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class EgressFilterMiddleware:
    def __init__(self, crawler: Crawler, stats: StatsCollector) -> None:
        self.crawler = crawler
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EgressFilterMiddleware:
        assert crawler.stats is not None
        return cls(crawler, crawler.stats)

    async def process_request(self, request: Request) -> Request | None:
        mirrored = self._to_mirror(request)
        if mirrored is not None:
            return mirrored
        reason = self._refusal(request.url)
        detail = ""
        if reason is None and self._policy() is not None:
            host = urlsplit(request.url).hostname or ""
            mirror = getattr(self.crawler.spider, "mirror", None)
            address = await self._private_answer(host, mirror.host if mirror else None)
            if address:
                reason, detail = "private_resolved", f" ({host} resolves to {address})"
        if reason:
            self.stats.inc_value(f"egress/refused/{reason}")
            url = shown_url(request.url)
            logger.warning("Refused %(reason)s request to %(url)s%(detail)s",
                           {"reason": reason, "url": url, "detail": detail})
            raise IgnoreRequest(f"egress refused ({reason}): {url}")
        return None

    def _to_mirror(self, request: Request) -> Request | None:
        """``request`` sent to the mirror, when the crawl is of one and it names a real host of the site."""
        mirror = getattr(self.crawler.spider, "mirror", None)
        url = mirror.to_mirror(request.url) if mirror is not None else request.url
        if url == request.url:
            return None
        self.stats.inc_value("egress/mirrored")
        return request.replace(url=url)

    def process_response(self, request: Request, response: Response) -> Response:
        """Refuse a response whose final URL (after redirects Chromium followed) is not an allowed host."""
        reason = self._refusal(response.url)
        if reason:
            self.stats.inc_value("egress/refused/final_url")
            logger.warning("Refused %(reason)s final URL %(url)s of %(request)s",
                           {"reason": reason, "url": shown_url(response.url), "request": shown_url(request.url)})
            raise IgnoreRequest(f"egress refused ({reason}): final URL {shown_url(response.url)}")
        return response

    def _policy(self) -> EgressPolicy | None:
        return EgressPolicy.for_spider(self.crawler.spider)

    def _refusal(self, url: str) -> str | None:
        """Why Scrapy must not download ``url``: any scheme but http(s), even for a spider without sites (its
        handler would read a local file or open a connection), else the policy's refusal."""
        if scheme_of(url) not in DOWNLOAD_SCHEMES:
            return "scheme"
        policy = self._policy()
        return policy.url_refusal(url) if policy else None

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
