"""Optional webhook notifier: POSTs a run's health when it is not healthy.

The body is JSON that chat tools accept: a ``text`` summary (site, status, run, problems; Slack's
``&``, ``<`` and ``>`` escaped, so a site's text cannot ping a channel or forge a link) that Slack and
Mattermost incoming webhooks show, next to the raw fields (``run``, ``spider``, ``site``, ``status``,
``problems``, ``metrics``) that they ignore; ``MONITOR_ALERT_FORMAT=text`` sends the ``text`` alone,
for endpoints that refuse unknown fields (Google Chat).

Settings: ``MONITOR_WEBHOOK_URL`` (unset: no notifications), an http:// or https:// URL, and
``MONITOR_ALERT_FORMAT`` (``json``, the default, or ``text``), checked at start by :func:`webhook_url`.
The URL often carries a token, so it is never logged. The POST goes to the host the operator
configured (a loopback or private one included); a redirect is followed only to a public host: a
private one, by name or by the address the connection would use, is refused unless it is that same
configured host:port.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import urllib.request
from functools import partial
from typing import IO, Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from crawler.hosts import is_private_address, is_private_host, normalize_host

logger = logging.getLogger(__name__)
HostPort = tuple[str, int]


class WebhookConfigError(ValueError):
    """``MONITOR_WEBHOOK_URL`` is not a URL the notifier can POST to."""


class WebhookRefused(OSError):
    """The webhook redirected to, or would connect to, a private address."""


FORMATS = ("json", "text")


def webhook_format(settings: BaseSettings) -> str:
    """``MONITOR_ALERT_FORMAT``; raises WebhookConfigError naming the setting and the accepted values."""
    value = str(settings.get("MONITOR_ALERT_FORMAT") or "json").strip().lower()
    if value not in FORMATS:
        raise WebhookConfigError(f"MONITOR_ALERT_FORMAT must be one of {', '.join(FORMATS)}, got {value!r}")
    return value


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def summary(payload: dict[str, Any]) -> str:
    """One message a person reads in a chat: site, status, run id, then a line per problem."""
    head = f"Crawl of {payload.get('site')}: {payload.get('status')} (run {payload.get('run')})"
    lines = [head, *(f"• {problem}" for problem in payload.get("problems", []))]
    return _slack_escape("\n".join(lines))


def webhook_body(payload: dict[str, Any], form: str = "json") -> dict[str, Any]:
    """What is POSTed: the raw fields with a ``text`` summary, or (``text``) the summary alone."""
    text = summary(payload)
    return {"text": text} if form == "text" else {**payload, "text": text}


def webhook_url(settings: BaseSettings) -> str | None:
    """``MONITOR_WEBHOOK_URL`` when set (``MONITOR_ALERT_FORMAT`` checked too); raises WebhookConfigError
    (naming the setting, never the URL)."""
    webhook_format(settings)
    url = settings.get("MONITOR_WEBHOOK_URL") or None
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError on a port that is no number
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookConfigError("MONITOR_WEBHOOK_URL must be an http:// or https:// URL with a host "
                                 "(its value is not shown: it may carry a token)")
    return str(url)


def _host_port(url: str) -> HostPort:
    parts = urlsplit(url)
    return normalize_host(parts.hostname or ""), parts.port or (443 if parts.scheme == "https" else 80)


def _connect_public(address: tuple[str, int], timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]  # socket's private sentinel, not in typeshed
                    source_address: Any = None, *, trusted: frozenset[HostPort]) -> socket.socket:
    """A connection to the first public address ``address`` resolves to (or to a trusted host:port as is)."""
    host, port = address
    if (normalize_host(host), port) in trusted:
        return socket.create_connection(address, timeout, source_address)
    resolved = [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    public = [ip for ip in resolved if not is_private_address(ip)]
    if not public:
        raise WebhookRefused(f"{host} resolves to {resolved[0]}, a private address")
    error: OSError | None = None
    for ip in public:  # connect to an address that was checked, never to a fresh lookup of the name
        try:
            return socket.create_connection((ip, port), timeout, source_address)
        except OSError as exc:
            error = exc
    assert error is not None
    raise error


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, trusted: frozenset[HostPort], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = partial(_connect_public, trusted=trusted)  # http.client connects through this


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, trusted: frozenset[HostPort], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = partial(_connect_public, trusted=trusted)


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, trusted: frozenset[HostPort]) -> None:
        super().__init__()
        self.trusted = trusted

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(partial(_CheckedHTTPConnection, trusted=self.trusted), req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, trusted: frozenset[HostPort]) -> None:
        super().__init__()
        self.trusted = trusted

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(partial(_CheckedHTTPSConnection, trusted=self.trusted), req,
                            context=self._context)  # type: ignore[attr-defined]  # HTTPSHandler's own, not in typeshed


class _PublicRedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows redirects to public http(s) hosts only (the configured host:port excepted)."""

    def __init__(self, trusted: frozenset[HostPort]) -> None:
        self.trusted = trusted

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: http.client.HTTPMessage, newurl: str) -> urllib.request.Request | None:
        parts = urlsplit(newurl)
        host = parts.hostname or ""
        reason = None
        if parts.scheme not in ("http", "https"):
            reason = "a redirect to a non-HTTP URL"
        elif is_private_host(host) and _host_port(newurl) not in self.trusted:
            reason = f"a redirect to the private host {host}"
        if reason:
            fp.close()
            raise WebhookRefused(f"refused {reason}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(url: str) -> urllib.request.OpenerDirector:
    """An opener that connects only to public addresses, the configured host:port and proxies excepted."""
    proxies = [p if "//" in p else f"//{p}" for k, p in urllib.request.getproxies().items() if k != "no"]
    trusted = frozenset({_host_port(url), *(_host_port(p) for p in proxies)})
    return urllib.request.build_opener(_CheckedHTTPHandler(trusted), _CheckedHTTPSHandler(trusted),
                                       _PublicRedirectHandler(trusted))


def post_health(url: str, payload: dict[str, Any], timeout: float = 10.0) -> bool:
    """POST ``payload`` as JSON; False (and a warning) when the endpoint does not accept it."""
    if urlsplit(url).scheme not in ("http", "https"):
        logger.warning("Health webhook not sent: MONITOR_WEBHOOK_URL is not an http(s) URL")
        return False
    request = urllib.request.Request(url, data=json.dumps(payload, default=str).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with _opener(url).open(request, timeout=timeout) as response:
            return bool(200 <= response.status < 300)
    except OSError as exc:
        refused = exc if isinstance(exc, WebhookRefused) else getattr(exc, "reason", None)  # urllib wraps it
        if isinstance(refused, WebhookRefused):
            logger.warning("Health webhook not sent: %(reason)s", {"reason": refused})
        else:
            logger.warning("Health webhook failed: %(error)s", {"error": type(exc).__name__})
        return False
