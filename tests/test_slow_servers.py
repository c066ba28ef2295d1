"""Servers that never finish and bodies that expand: the real ``scrapy crawl`` of a feed whose
items are a slow-header server (one byte a second, slowloris-style), a slow body (one byte a second,
forever), an endless chunked body, and compression bombs past ``DOWNLOAD_MAXSIZE`` (gzip inside gzip,
``Content-Encoding: gzip, gzip``, deflate, br; each layer is checked against the limit by Scrapy's
HttpCompressionMiddleware), and 40 stacked gzip codings, each one cheap (refused before any is decoded: every
layer of a body as large as the limit costs a pass in the event loop). The crawl ends within
``DOWNLOAD_TIMEOUT``, counts each and stores the good articles (one of them behind ``gzip, gzip``)."""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli
import pytest
from scrapy.http import Headers, Response

from crawler.bench.replica_server import running
from crawler.middlewares.content_codings import content_codings
from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import article, site_config

DOMAIN = "slow.kg"
MAX_SIZE = 1024 * 1024  # DOWNLOAD_MAXSIZE of this crawl
TIMEOUT = 3  # DOWNLOAD_TIMEOUT of this crawl
BOMB = article("bomb", extra=" " * (MAX_SIZE * 4)).encode()


def stacked_gzip(body: bytes, layers: int) -> bytes:
    """``body`` gzipped ``layers`` times, each layer stored (not compressed): cheap to send, a pass to decode."""
    for _ in range(layers):
        body = gzip.compress(body, compresslevel=0)
    return body


CASES = {  # slug -> the stats key that counts it
    "slow-header": "download/failed/timeout", "slow-body": "download/failed/timeout",
    "endless-chunked": "download/failed/too_large",
    "gzip-in-gzip": "articles/skipped/binary",  # Scrapy removes one layer; the inner gzip is never expanded
    "gzip-gzip": "download/failed/decompression_bomb", "deflate": "download/failed/decompression_bomb",
    "br": "download/failed/decompression_bomb", "stacked-gzip": "download/failed/decompression_bomb",
}
GOOD = ("good", "double-gzip")  # stored
CONFIG = site_config("slow", DOMAIN, "Asia/Bishkek")
BODIES = {"gzip-in-gzip": ("gzip", gzip.compress(gzip.compress(BOMB, 9), 9)),
          "gzip-gzip": ("gzip, gzip", gzip.compress(gzip.compress(BOMB, 9), 9)),
          "deflate": ("deflate", zlib.compress(BOMB, 9)), "br": ("br", brotli.compress(BOMB)),
          "stacked-gzip": (", ".join(["gzip"] * 40), stacked_gzip(article("stacked-gzip").encode(), 40)),
          "double-gzip": ("gzip, gzip", stacked_gzip(article("double-gzip").encode(), 2))}


def feed() -> bytes:
    items = "".join(f"<item><title>{slug}</title><link>https://{DOMAIN}/news/{slug}/</link>"
                    f"<pubDate>Fri, 20 Nov 2026 10:00:00 +0500</pubDate></item>" for slug in [*GOOD, *CASES])
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>S</title>{items}</channel></rss>".encode()


class SlowHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        with suppress(OSError):
            self._answer(self.path.strip("/").removeprefix("news/"))

    def _answer(self, slug: str) -> None:
        deadline = time.monotonic() + 30  # the test's own bound: the crawl must give up long before
        if slug == "slow-header":
            for byte in b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 100:
                if time.monotonic() > deadline:
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(1)
            return
        if slug in ("slow-body", "endless-chunked"):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"<p>" + b"x" * 65_000 + b"</p>" if slug == "endless-chunked" else b"x"
            while time.monotonic() < deadline:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
                if slug == "slow-body":
                    time.sleep(1)
            return
        kind, body, encoding = "text/html; charset=utf-8", article(slug).encode(), ""
        if slug == "feed":
            kind, body = "application/rss+xml", feed()
        elif slug in BODIES:
            encoding, body = BODIES[slug]
        elif slug not in GOOD:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
    server.daemon_threads = True
    with running(server):
        yield server


def test_slow_endless_and_bombed_responses_end_within_the_timeout_and_are_counted(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    config = tmp_path / "slow.toml"
    config.write_text(CONFIG, encoding="utf-8")
    started = time.monotonic()
    with serve() as server:
        result = crawl_into_store("news", f"config={config}", f"base_url=http://127.0.0.1:{server.server_port}",
                                  settings=["ROBOTSTXT_OBEY=0", f"DOWNLOAD_TIMEOUT={TIMEOUT}", "RETRY_TIMES=0",
                                            f"DOWNLOAD_MAXSIZE={MAX_SIZE}", f"DOWNLOAD_WARNSIZE={MAX_SIZE // 2}"],
                                  timeout=60)
    elapsed = time.monotonic() - started
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    stats = result.stats
    expected: dict[str, int] = {}
    for key in CASES.values():
        expected[key] = expected.get(key, 0) + 1
    assert {key: stats.get(key) for key in expected} == expected, sorted(stats.items())
    assert mongo.db.articles.count_documents({}) == len(GOOD)
    assert result.stderr.count("40 content codings stacked") == 1  # one line
    assert elapsed < 25, f"the crawl took {elapsed:.1f} s"


@pytest.mark.parametrize(("header", "count"), [
    ([b"gzip"], 1), ([b"gzip, gzip"], 2), ([b"gzip", b"br"], 2), ([b"GZIP , identity,, gzip"], 2),
    ([b"gzip,gzip,gzip"], 3), ([b"gzip, gzip", b"deflate"], 3), ([], 0),
])
def test_content_codings_are_counted_across_header_lines(header: list[bytes], count: int) -> None:
    response = Response("https://slow.kg/", headers=Headers({b"Content-Encoding": header}))
    assert content_codings(response) == count
