"""A generated site whose discovery never ends, served on loopback for end-to-end crawls.

Every page is made on request, so the site is infinite with no files:
- ``/sitemap/chain-N.xml``: a sitemap index whose one child is ``chain-(N+1)``;
- ``/sitemap/fan[-i...].xml``: an index of ``FANOUT`` child indexes, one level deeper each;
- ``/sitemap/cycle-a.xml`` and ``cycle-b.xml``: two indexes listing each other;
- ``/sitemap/urls-N.xml``: a urlset of ``ARTICLES_PER_SITEMAP`` articles (``fan`` indexes list one);
- ``/list/?p=N`` and ``/feed/?paged=N``, ``/wp-json/wp/v2/posts?page=N``: the same articles on every
  page, each page pointing at the next under a new URL;
- ``/big-sitemap.xml.gz``: a gzipped urlset given to :func:`serve` (``big``), newest entry first;
- ``/big-feed/``: the same ``big`` body served as an RSS feed (:func:`big_feed`);
- ``/news/N/``: an article; ``/robots.txt`` lists the chain again and one more sitemap.
"""

from __future__ import annotations

import gzip
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from crawler.bench.replica_server import running
from tests.hostile_site import article

DOMAIN = "endless.kg"
FANOUT = 50
ARTICLES_PER_SITEMAP = 2
PAGE_ARTICLES = range(1, 6)  # the articles every listing, feed and API page repeats
NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)

CONFIG = f"""name = "endless"
domains = ["{DOMAIN}"]
robots_sitemaps = {{robots}}
article_url = '^https://endless\\.kg/news/\\d+/$'
[[editions]]
language = "ru"
timezone = "Asia/Bishkek"
home = "https://{DOMAIN}/"
{{sources}}
[selectors]
title = ["h1.entry-title"]
body = [".entry-content"]
"""
ALL_SOURCES = f"""feeds = ["https://{DOMAIN}/feed/"]
sitemaps = ["https://{DOMAIN}/sitemap/chain-1.xml", "https://{DOMAIN}/sitemap/cycle-a.xml"]
listings = ["https://{DOMAIN}/list/"]
wp_api = "https://{DOMAIN}/wp-json/wp/v2/posts"
feed_pages = 100
listing_pages = 100"""


def write_config(directory: Path, sources: str, *, robots: bool = True) -> Path:
    """A site config for the endless site with the given discovery ``sources`` (TOML lines)."""
    path = directory / "endless.toml"
    path.write_text(CONFIG.format(sources=sources, robots=str(robots).lower()), encoding="utf-8")
    return path


def _url(path: str) -> str:
    return f"https://{DOMAIN}{path}"


def _date(n: int) -> str:
    return (NOW - timedelta(minutes=n)).isoformat()


def sitemap_index(children: list[str]) -> bytes:
    entries = "".join(f"<sitemap><loc>{_url(c)}</loc><lastmod>{_date(i)}</lastmod></sitemap>"
                      for i, c in enumerate(children))
    return (f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
            f'sitemap/0.9">{entries}</sitemapindex>').encode()


def urlset(articles: range | list[int]) -> bytes:
    entries = "".join(f"<url><loc>{_url(f'/news/{n}/')}</loc><lastmod>{_date(n)}</lastmod></url>" for n in articles)
    return (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/'
            f'sitemap/0.9">{entries}</urlset>').encode()


def big_sitemap(count: int) -> bytes:
    """A gzipped urlset of ``count`` articles (``/news/0/`` newest), at gzip level 1 to build fast."""
    head = b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    body = "".join(f"<url><loc>{_url(f'/news/{n}/')}</loc><lastmod>{_date(n)}</lastmod></url>\n"
                   for n in range(count))
    return gzip.compress(head + body.encode() + b"</urlset>", compresslevel=1)


def big_feed(count: int) -> bytes:
    """An RSS feed of ``count`` items (``/news/0/`` first and newest): 65,000 of them fill 8 MB."""
    items = "".join(f"<item><title>{n}</title><link>{_url(f'/news/{n}/')}</link>"
                    f"<pubDate>{(NOW - timedelta(minutes=n)).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
                    f"</item>" for n in range(count))
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>E</title>{items}</channel></rss>".encode()


def _sitemap(name: str) -> bytes | None:
    if name.startswith("chain-"):
        return sitemap_index([f"/sitemap/chain-{int(name[6:]) + 1}.xml"])
    if name.startswith("fan"):
        level = name.count("-")
        children = [f"/sitemap/{name}-{i}.xml" for i in range(FANOUT)]
        return sitemap_index([f"/sitemap/urls-{level}.xml", *children])
    if name in ("cycle-a", "cycle-b"):
        return sitemap_index([f"/sitemap/cycle-{'b' if name == 'cycle-a' else 'a'}.xml"])
    if name.startswith("urls-"):
        first = 1000 + int(name[5:]) * ARTICLES_PER_SITEMAP
        return urlset(range(first, first + ARTICLES_PER_SITEMAP))
    return None


def _listing(page: int) -> bytes:
    links = "".join(f"<li><a href='/news/{n}/'>Новость {n}</a></li>" for n in PAGE_ARTICLES)
    return (f"<html><body><ul>{links}</ul><a class='next' href='/list/?p={page + 1}'>Далее</a>"
            f"</body></html>").encode()


def _feed() -> bytes:
    items = "".join(f"<item><title>{n}</title><link>{_url(f'/news/{n}/')}</link>"
                    f"<pubDate>{(NOW - timedelta(minutes=n)).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
                    f"</item>" for n in PAGE_ARTICLES)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>E</title>{items}</channel></rss>".encode()


def _posts() -> bytes:
    posts = ",".join(f'{{"link": "{_url(f"/news/{n}/")}", "date_gmt": "{_date(n)[:19]}"}}' for n in PAGE_ARTICLES)
    return f"[{posts}]".encode()


def page(path: str, query: dict[str, list[str]], big: bytes) -> tuple[int, str, bytes]:
    """Status, content type and body of ``path``."""
    number = int((query.get("p") or query.get("paged") or query.get("page") or ["1"])[0])
    if path.startswith("/sitemap/") and path.endswith(".xml"):
        body = _sitemap(path[len("/sitemap/"):-len(".xml")])
        if body is not None:
            return 200, "application/xml", body
    elif path == "/big-sitemap.xml.gz" and big:
        return 200, "application/x-gzip", big
    elif path == "/big-feed/" and big:
        return 200, "application/rss+xml", big
    elif path.startswith("/news/"):
        return 200, "text/html; charset=utf-8", article(f"endless {path}").encode()
    elif path == "/list/":
        return 200, "text/html; charset=utf-8", _listing(number)
    elif path == "/feed/":
        return 200, "application/rss+xml", _feed()
    elif path == "/wp-json/wp/v2/posts":
        return 200, "application/json", _posts()
    elif path == "/robots.txt":
        sitemaps = "".join(f"Sitemap: {_url(f'/sitemap/{name}.xml')}\n" for name in ("chain-1", "chain-50"))
        return 200, "text/plain", f"User-agent: *\nAllow: /\n{sitemaps}".encode()
    return 404, "text/plain", b"not found"


class EndlessHandler(BaseHTTPRequestHandler):
    wbufsize = -1  # headers and body leave in one write: no Nagle/delayed-ACK stall per response

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.server.requests[parts.path] += 1  # type: ignore[attr-defined]
        if parts.path.startswith("/sitemap/"):
            time.sleep(getattr(self.server, "sitemap_delay", 0.0))
        status, kind, body = page(parts.path, parse_qs(parts.query), self.server.big)  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


@contextmanager
def serve(big: bytes = b"", sitemap_delay: float = 0.0) -> Iterator[ThreadingHTTPServer]:
    """Serve the endless site on 127.0.0.1 in a thread; ``requests`` counts requests per path; sitemaps are
    answered after ``sitemap_delay`` seconds."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), EndlessHandler)
    server.requests = Counter()  # type: ignore[attr-defined]
    server.big = big  # type: ignore[attr-defined]
    server.sitemap_delay = sitemap_delay  # type: ignore[attr-defined]
    with running(server):
        yield server
