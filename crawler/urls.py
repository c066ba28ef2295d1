"""URL identity and mirror rewriting.

``canonical_url`` gives the form an article is stored under (its ``_id`` is
the hash of it); ``Mirror`` maps a site's real host to a replica or mirror
named with ``-a base_url=`` and back.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import safe_url_string

_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|yclid|ysclid|mc_cid|mc_eid|igshid|_ga|ref|from|amp)$", re.IGNORECASE
)


def canonical_url(url: str) -> str:
    """Normalise ``url``: lower-case scheme and host, no fragment, no tracking
    parameters, percent-encoded path, no default port."""
    parts = urlsplit(safe_url_string(url.strip()))
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80) or (parts.scheme == "https" and parts.port == 443)
    ):
        host = f"{host}:{parts.port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", urlencode(query), ""))


def url_id(url: str) -> str:
    """The storage key of an article: SHA-256 of its canonical URL, in hex."""
    return hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Mirror:
    """Rewrites a site's URLs to a mirror base (``http://127.0.0.1:8080``) and back."""

    base: str
    domains: tuple[str, ...]
    origin: str  # scheme://host of the real site, used when mapping back

    @classmethod
    def for_site(cls, base_url: str, domains: tuple[str, ...], home: str) -> Mirror:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must look like http://host:port, got {base_url!r}")
        real = urlsplit(home)
        return cls(f"{parts.scheme}://{parts.netloc}", domains, f"{real.scheme}://{real.netloc}")

    @property
    def host(self) -> str:
        return urlsplit(self.base).hostname or ""

    def to_mirror(self, url: str) -> str:
        """Point a URL of the site at the mirror; other URLs are returned unchanged."""
        parts = urlsplit(url)
        if (parts.hostname or "").lower() not in self.domains:
            return url
        base = urlsplit(self.base)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))

    def to_real(self, url: str) -> str:
        """Map a mirror URL back to the real site's URL."""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.base:
            return url
        return self.origin + urlunsplit(("", "", parts.path, parts.query, parts.fragment))
