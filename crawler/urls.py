"""URL identity and mirror rewriting.

``canonical_url`` gives the form an article is stored under (its ``_id`` is
the hash of it); ``Mirror`` maps a site's real host to a replica or mirror
named with ``-a base_url=`` and back.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

# Tracking and session parameters: a site that puts a fresh session id in every link (PHP's PHPSESSID, Java's
# jsessionid, also as a ";jsessionid=" path parameter) would otherwise have each article fetched once a view.
_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|yclid|ysclid|mc_cid|mc_eid|igshid|_ga|ref|from|amp"
    r"|phpsessid|jsessionid|aspsessionid\w*)$", re.IGNORECASE
)
# Generic session names are dropped only with a token's value (PHP's, Bitrix's, ASP's are 24-32 random characters):
# "?session_id=7" is a parliament's, a conference's or an exam's session, the page's own key.
_SESSION_NAME = re.compile(r"^(sessionid|session_id|sessid)$", re.IGNORECASE)
_SESSION_TOKEN = re.compile(r"^[0-9A-Za-z,-]{16,}$")
_SESSION_PATH = re.compile(r";(?:jsessionid|phpsessid|sessionid)=[^/;?#]*", re.IGNORECASE)


_CACHED_URL_CHARS = 2048  # longer URLs are rare and are not kept in the caches
# Scrapy's UrlLengthMiddleware default (URLLENGTH_LIMIT): a longer URL is never fetched.
MAX_URL_LENGTH = 2083


def too_long(url: str) -> bool:
    """Whether ``url`` (whitespace around it aside) is longer than any URL a request is made of. Asked before
    canonicalising a page's or a feed's link: that costs some 2.6 µs a character (a query of many parameters), in
    the crawl process, and a hostile link may have millions."""
    return len(url) > MAX_URL_LENGTH and len(url.strip()) > MAX_URL_LENGTH


def canonical_url(url: str) -> str:
    """Normalise ``url``: lower-case scheme and host, no fragment, no tracking or session
    parameters, percent-encoded path, no default port."""
    return _canonical_cached(url) if len(url) <= _CACHED_URL_CHARS else _canonical(url)


def canonical_or_none(url: str) -> str | None:
    """:func:`canonical_url`, or None for a string no request can be made of (a port past 65535, a bracketed
    host that is no IP address, a name invalid under IDNA, a lone surrogate): a page's or a feed's bad link is
    skipped, never an error that loses the rest."""
    try:
        return canonical_url(url)
    except ValueError:  # UnicodeError is one
        return None


def joined(base_url: str, href: str) -> str | None:
    """``href`` resolved against ``base_url``; None when it names no URL a request can be made of (urljoin refuses
    ``http://[::1`` and ``http://[zz]/``, a request ``http://host:99999/``, Scrapy one over ``MAX_URL_LENGTH``):
    one bad link on a page must not end the reading of the page."""
    if too_long(href):
        return None
    try:
        url = urljoin(base_url, href.strip())
    except ValueError:
        return None
    return url if canonical_or_none(url) is not None else None


def resolved_base(page_url: str, href: str | None) -> str | None:
    """What a page's relative URLs resolve against: its first ``<base href>`` (``href``) resolved against
    ``page_url``, ``page_url`` when it has none; None when the base names no http(s) URL a request can be made of
    (``http://[::1``, ``http://host:99999/``, ``javascript:``), which a browser ignores."""
    return page_url if href is None else absolute_http_url(joined(page_url, href))


def absolute_http_url(value: str | None) -> str | None:
    """``value`` when it is an absolute http(s) URL a request can be made of (as :func:`resolved_base` returns a
    base), else None: a relative, ``javascript:`` or broken value names no base."""
    if value is None:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or canonical_or_none(value) is None:
        return None
    return value


def ascii_host(host: str) -> str:
    """``host`` as requests carry it: an internationalised name (``сайт.қаз``) in the IDNA form w3lib and so Scrapy
    give it (``xn--80aswg.xn--80ao21a``), which the offsite and egress checks compare with a site's domains."""
    if host.isascii():
        return host
    return urlsplit(safe_url_string(f"http://{host}/")).hostname or host


def undotted(url: str) -> str | None:
    """``url`` with the one trailing dot of its host dropped (``https://site.tj./x`` is ``https://site.tj/x``, the
    host's absolute form), so the request, its download slot, the politeness keys and host_down all name one host;
    None for a host ending in more than one dot (``site.tj..``), which names no host a request can be made of. A URL
    without such a dot (or that does not parse) is returned unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if hostport.startswith("["):  # an IPv6 literal has no trailing dot
        return url
    name, colon, port = hostport.partition(":")
    if not name.endswith("."):
        return url
    if name.endswith(".."):
        return None
    return urlunsplit(parts._replace(netloc=f"{userinfo}{at}{name[:-1]}{colon}{port}"))


def _canonical(url: str) -> str:
    parts = urlsplit(safe_url_string(url.strip()))
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80) or (parts.scheme == "https" and parts.port == 443)
    ):
        host = f"{host}:{parts.port}"
    # The query's bytes kept as they are (Latin-1 maps each to one character and back): decoded as UTF-8, the
    # windows-1251 "?title=%CF%F0%E8" of an older site became U+FFFD, one key for every word of its length and a
    # stored URL naming no page. UTF-8 escapes come out as before (upper-case hex).
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True, encoding="latin-1")
             if not _TRACKING.match(k) and not (_SESSION_NAME.match(k) and _SESSION_TOKEN.match(v))]
    path = _SESSION_PATH.sub("", parts.path) if ";" in parts.path else parts.path
    return urlunsplit((parts.scheme.lower(), host, path or "/", urlencode(query, encoding="latin-1"), ""))


_ALIAS_HOST = re.compile(r"^(?:www\d?|m|mobile|amp)\.", re.IGNORECASE)
_AMP_PATH = re.compile(r"/amp/?$|/amp(?=/?\?)", re.IGNORECASE)


def url_key(url: str) -> str:
    """The identity of a URL: canonical, and the same for its ``www.``, mobile (``m.``) and AMP
    variants (``amp.`` host, trailing ``/amp/``), so they all name one article."""
    return _url_key_cached(url) if len(url) <= _CACHED_URL_CHARS else _url_key(url)


def _url_key(url: str) -> str:
    return _key_of_canonical(canonical_url(url))


def _key_of_canonical(canonical: str) -> str:
    parts = urlsplit(canonical)
    host = _ALIAS_HOST.sub("", parts.netloc)
    path = _AMP_PATH.sub("/", parts.path) or "/"
    if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        path += "/"  # /news/1 and /news/1/ are the same page on every CMS we crawl
    return urlunsplit((parts.scheme, host, path, parts.query, ""))


# A page's URL is normalised several times on its way (its item, its edition, its record's id, links to
# it): pure functions of a string, computed once.
_canonical_cached = lru_cache(maxsize=4096)(_canonical)
_url_key_cached = lru_cache(maxsize=4096)(_url_key)


def host_key(url: str) -> str:
    """The host of ``url`` as :func:`url_key` compares it: lower case, no port, ``www.``/mobile/AMP prefix
    folded ("" when it has none). Also takes a bare host name."""
    host = urlsplit(canonical_url(url if "//" in url else f"//{url}")).hostname or ""
    return _ALIAS_HOST.sub("", host)


def url_id(url: str) -> str:
    """The storage key of an article: SHA-256 of its URL identity (:func:`url_key`), in hex."""
    return hashlib.sha256(url_key(url).encode("utf-8")).hexdigest()


def canonical_id(canonical: str) -> str:
    """:func:`url_id` of a URL already in :func:`canonical_url`'s form, without canonicalising it again: discovery
    canonicalises each link once and hands that form along (a 50,000-entry sitemap misses the caches)."""
    return hashlib.sha256(_key_of_canonical(canonical).encode("utf-8")).hexdigest()


HOSTS_PREFIX = "/_hosts/"


def _same_site(host: str, primary: str) -> bool:
    return host.removeprefix("www.") == primary.removeprefix("www.")


@dataclass(frozen=True)
class Mirror:
    """Rewrites a site's URLs to a mirror base (``http://127.0.0.1:8080``) and back.

    The host of the site's home (and its ``www.`` twin) maps to the mirror's
    root; any other host of the site (``en.fergana.media``, ``akipress.org``)
    maps under ``/_hosts/<host>/``, so one mirror serves every host of a site.
    """

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
        """Point an http(s) URL of the site at the mirror; other URLs (``file://`` a site's host names too, which
        the egress filter refuses as it would on the real site) are returned unchanged."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().removesuffix(".")  # "site.tj.", the absolute form, is the same host
        if host not in self.domains or parts.scheme.lower() not in ("http", "https"):
            return url
        path = parts.path or "/"
        if not _same_site(host, urlsplit(self.origin).hostname or ""):
            path = f"{HOSTS_PREFIX}{host}{path}"
        base = urlsplit(self.base)
        return urlunsplit((base.scheme, base.netloc, path, parts.query, parts.fragment))

    def to_real(self, url: str) -> str:
        """Map a mirror URL back to the real site's URL."""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.base:
            return url
        origin, path = self.origin, parts.path
        if path.startswith(HOSTS_PREFIX):
            host, _, rest = path[len(HOSTS_PREFIX):].partition("/")
            if host in self.domains:
                origin, path = f"{urlsplit(self.origin).scheme}://{host}", "/" + rest
        return origin + urlunsplit(("", "", path, parts.query, parts.fragment))
