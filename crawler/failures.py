"""Why a request failed, as one short stats key per kind of fault.

Scrapy logs most download failures as a traceback and counts them only by exception
class; the spider's errback uses :func:`failure_kind` to count each under
``download/failed/<kind>`` and log it once, in one line.
"""

from __future__ import annotations

import gzip
import re
import sys
import zlib

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError, ConnectionLost, DNSLookupError, TimeoutError
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed

# A request the host's robots.txt disallows (Scrapy's RobotsTxtMiddleware): the site's wish, neither a download nor a
# fault of either side.
ROBOTS_FORBIDDEN = "robots_forbidden"
# Raised with these words by Scrapy's HttpCompressionMiddleware and RedirectMiddleware,
# and by our RedirectLoopMiddleware, ContentCodingsMiddleware, EgressFilterMiddleware and BrowserDownloadHandler.
_IGNORED = (("during decompression", "decompression_bomb"), ("content codings stacked", "decompression_bomb"),
            ("DOWNLOAD_MAXSIZE", "too_large"),
            ("redirect loop", "redirect_loop"), ("max redirections", "too_many_redirects"),
            ("egress refused", "egress_refused"), ("browser unavailable", "browser_unavailable"),
            ("unusable redirect", "bad_redirect"), ("the crawl is stopping", "not_sent_stopping"),
            ("host down", "host_down"), ("browser download refused", "download_refused"),
            ("browser render timeout", "render_timeout"), ("browser stalled", "browser_stalled"),
            ("Forbidden by robots.txt", ROBOTS_FORBIDDEN))
# Kinds that Scrapy (the download handler, HttpCompressionMiddleware, RetryMiddleware giving up)
# or our egress filter have already logged, so the errback logs them at debug.
ALREADY_LOGGED = frozenset({"decompression_bomb", "too_large", "egress_refused", "timeout", "data_loss",
                            "connection", "dns", "browser_unavailable", "bad_response", "host_down",
                            "download_refused", "render_timeout", "browser_stalled"})
# Chromium's net errors (in a Playwright error's message) that say the host gave no answer. Others (ERR_ABORTED: a
# download or a stopped navigation, ERR_BLOCKED_BY_*, certificate errors) are no sign of a host down: ``other``.
_CHROMIUM_DNS = frozenset({"ERR_NAME_NOT_RESOLVED", "ERR_NAME_RESOLUTION_FAILED"})
_CHROMIUM_TIMEOUT = frozenset({"ERR_TIMED_OUT", "ERR_CONNECTION_TIMED_OUT"})
_CHROMIUM_CONNECTION = re.compile(r"ERR_(?:CONNECTION_\w+|SOCKS_CONNECTION_\w+|PROXY_CONNECTION_FAILED|"
                                  r"TUNNEL_CONNECTION_FAILED|ADDRESS_UNREACHABLE|INTERNET_DISCONNECTED|"
                                  r"NETWORK_CHANGED|EMPTY_RESPONSE)")
_CHROMIUM_ERROR = re.compile(r"net::(ERR_\w+)")
_CRASHED = re.compile(r"\b(?:Page|Target) crashed\b")
# Playwright's TargetClosedError ("Target page, context or browser has been closed") and its older wordings.
_BROWSER_CLOSED = re.compile(r"\b(?:page|context|browser) has been closed", re.IGNORECASE)
# Kinds where no answer came from the host at all: its address, its port or the way to it is down.
UNREACHABLE = frozenset({"connection", "dns", "timeout"})


def failure_kind(failure: Failure) -> str:
    """``too_large``, ``decompression_bomb``, ``redirect_loop``, ``too_many_redirects``,
    ``egress_refused``, ``bad_redirect`` (a ``Location`` naming no URL), ``http_<status>``, ``timeout``,
    ``data_loss``, ``bad_response`` (a status or header line the client cannot read: a megabyte header),
    ``bad_encoding`` (a body its ``Content-Encoding`` does not decode),
    ``connection``, ``dns``, ``not_sent_stopping`` (:mod:`crawler.downloader`), ``host_down``
    (:mod:`crawler.middlewares.host_down`), ``ignored`` or ``other``; a page rendered in Chromium fails with the
    same kinds (:func:`_browser_kind`), or ``render_timeout``, ``browser_stalled`` (its request never sent)."""
    return error_kind(failure.value)


def already_logged(failure: Failure) -> bool:
    """Whether the failure was logged where it happened (its kind in ALREADY_LOGGED). A page rendered in Chromium that
    got no answer (a Playwright error) was not: scrapy-playwright's line for it, a traceback, is dropped to debug by
    the browser handler, and the errback's line is its one."""
    return failure_kind(failure) in ALREADY_LOGGED and _browser_kind(failure.value) is None


def error_kind(error: BaseException | None) -> str:
    """:func:`failure_kind` of an exception."""
    if isinstance(error, HttpError):
        return f"http_{error.response.status}"
    browser = _browser_kind(error)
    if browser is not None:
        return browser
    if isinstance(error, IgnoreRequest):
        message = str(error)
        return next((kind for words, kind in _IGNORED if words in message), "ignored")
    if isinstance(error, DownloadCancelledError):
        return "too_large"  # the download handler cancels only when DOWNLOAD_MAXSIZE is exceeded
    if isinstance(error, (DownloadTimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(error, ResponseDataLossError):
        return "data_loss"
    # Twisted's ResponseFailed (Scrapy wraps it): the response's head could not be read (its body is another fault)
    if isinstance(error, (DownloadFailedError, ResponseFailed)):
        return "bad_response"
    if _undecodable(error):
        return "bad_encoding"
    if isinstance(error, (CannotResolveHostError, DNSLookupError)):
        return "dns"
    if isinstance(error, (DownloadConnectionRefusedError, ConnectError, ConnectionLost)):  # refused, reset, no route
        return "connection"
    return "other"


def _undecodable(error: BaseException | None) -> bool:
    """Whether ``error`` is a body's content coding failing to decode (HttpCompressionMiddleware lets it through: a
    ``Content-Encoding: gzip`` over bytes that are no gzip, a truncated stream). brotli and zstd are looked up, not
    imported: the middleware imported them before anything could fail to decode in them."""
    if isinstance(error, (zlib.error, gzip.BadGzipFile, EOFError)):
        return True
    codecs = (sys.modules.get(name) for name in ("brotli", "brotlicffi", "backports.zstd", "compression.zstd"))
    errors = tuple(kind for codec in codecs if codec is not None
                   for kind in (getattr(codec, "error", None), getattr(codec, "ZstdError", None))
                   if isinstance(kind, type) and issubclass(kind, BaseException))
    return bool(errors) and isinstance(error, errors)


def _browser_kind(error: BaseException | None) -> str | None:
    """The kind of a Playwright error (a page rendered in Chromium): ``timeout`` for its TimeoutError (the browser
    handler makes a timeout after the page's document came ``render_timeout``: the host answered), ``page_crashed``,
    ``browser_closed`` (its page, context or browser went under it), else read from Chromium's ``net::ERR_…`` in
    the message (``dns``, ``timeout``, ``connection``, ``other``); None for an error of anything else. Playwright
    is not imported here: a crawl that never loaded it has no such error."""
    playwright = sys.modules.get("playwright.async_api")
    if playwright is None or not isinstance(error, playwright.Error):
        return None
    if isinstance(error, playwright.TimeoutError):
        return "timeout"
    # its renderer died: out of memory (BROWSER_JS_HEAP_MB) or a Chromium bug ("Target crashed": during a call on the
    # page, as its content was read)
    if _CRASHED.search(str(error)):
        return "page_crashed"
    if _BROWSER_CLOSED.search(str(error)):  # Chromium died or was being relaunched: no fault of the host's
        return "browser_closed"
    match = _CHROMIUM_ERROR.search(str(error))
    code = match[1] if match else ""
    if code in _CHROMIUM_DNS:
        return "dns"
    if code in _CHROMIUM_TIMEOUT:
        return "timeout"
    return "connection" if _CHROMIUM_CONNECTION.fullmatch(code) else "other"
