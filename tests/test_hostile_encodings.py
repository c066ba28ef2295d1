"""Content codings a hostile server sends wrong, crawled end to end by the real ``scrapy crawl``: bodies their
``Content-Encoding`` does not decode (gzip, deflate, br, zstd: garbage or cut short; a robots.txt too), a zstd bomb,
a coding nobody knows, and a UTF-8 page served as ``charset=utf-7``. Each is counted under its own kind in one
line, the good pages are stored, and no error (which makes the run's outcome ``errors``) is logged."""

from __future__ import annotations

import gzip
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import brotli
import pytest
from backports import zstd
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware

from crawler.failures import error_kind
from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import article, crawl_site, handler_site, site_config

DOMAIN = "codings.kg"
CONFIG = site_config("codings", DOMAIN, "Asia/Bishkek")
MAX_SIZE = 2 * 1024 * 1024
BOMB = zstd.compress(b"\0" * (MAX_SIZE * 8))
SLUGS = ["good", "gzip-garbage", "deflate-garbage", "br-garbage", "zstd-garbage", "zstd-bomb", "zstd-ok",
         "unknown-coding", "utf7-typed", "gzip-truncated"]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, body: bytes, headers: dict[str, str]) -> None:
        head = "HTTP/1.1 200 OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.wfile.write((head + f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1") + body)

    def do_GET(self) -> None:
        self.server.requests[self.path] += 1  # type: ignore[attr-defined]
        html = {"Content-Type": "text/html; charset=utf-8"}
        if self.path == "/robots.txt":
            self._send(b"\x1f\x8b\x08\x00garbage", {"Content-Type": "text/plain", "Content-Encoding": "gzip"})
            return
        if self.path == "/feed/":
            items = "".join(f"<item><link>https://{DOMAIN}/news/{s}/</link></item>" for s in SLUGS)
            self._send(f"<rss><channel>{items}</channel></rss>".encode(), {"Content-Type": "application/rss+xml"})
            return
        slug = self.path.strip("/").rsplit("/", 1)[-1]
        page = article(slug).encode()
        if slug == "gzip-garbage":
            self._send(b"\x1f\x8b\x08\x00garbage" + page, {**html, "Content-Encoding": "gzip"})
        elif slug == "gzip-truncated":
            self._send(gzip.compress(page)[:40], {**html, "Content-Encoding": "gzip"})
        elif slug == "deflate-garbage":
            self._send(b"\xff\xfe" + page, {**html, "Content-Encoding": "deflate"})
        elif slug == "br-garbage":
            self._send(b"\xff\xff\xff" + page, {**html, "Content-Encoding": "br"})
        elif slug == "zstd-garbage":
            self._send(b"\x28\xb5\x2f\xfd garbage" + page, {**html, "Content-Encoding": "zstd"})
        elif slug == "zstd-bomb":
            self._send(BOMB, {**html, "Content-Encoding": "zstd"})
        elif slug == "zstd-ok":
            self._send(zstd.compress(page), {**html, "Content-Encoding": "zstd"})
        elif slug == "unknown-coding":
            self._send(brotli.compress(page), {**html, "Content-Encoding": "x-evil"})
        elif slug == "utf7-typed":
            self._send(page, {"Content-Type": "text/html; charset=utf-7"})
        else:
            self._send(page, html)
        self.close_connection = True


def test_broken_content_codings_are_counted_and_the_crawl_goes_on(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    site = handler_site(Handler)
    result = crawl_site(site, CONFIG, tmp_path / "codings.toml", crawl_into_store,
                        settings=["RETRY_TIMES=0", "DOWNLOAD_TIMEOUT=15",
                                            f"DOWNLOAD_MAXSIZE={MAX_SIZE}"], timeout=90)
    assert result.returncode == 0, result.stderr[-3000:]
    stats = result.stats
    assert "log_count/ERROR" not in stats, result.stderr[-5000:]  # a robots.txt that did not decode: one warning
    stored = {doc["url"].rstrip("/").rsplit("/", 1)[1]: doc for doc in mongo.db.articles.find()}
    assert set(stored) == {"good", "zstd-ok", "utf7-typed"}, stats
    assert stored["utf7-typed"]["title"] == "Совещание по энергетике: utf7-typed"
    # the five pages and the robots.txt that do not decode; before, "other"
    assert stats["download/failed/bad_encoding"] == 6, stats
    assert "download/failed/other" not in stats
    assert stats["download/failed/decompression_bomb"] == 1
    assert stats["articles/skipped/not_html"] == 1  # a coding nobody knows leaves the body encoded
    assert "robots.txt: bad_encoding" in result.stderr


@pytest.mark.parametrize(("coding", "body"), [
    (b"gzip", b"\x1f\x8b\x08\x00garbage"), (b"gzip", b"not gzip at all"), (b"gzip", gzip.compress(b"<html>" * 50)[:10]),
    (b"deflate", b"\xff\xfe garbage"), (b"br", b"\xff\xff\xff garbage"), (b"zstd", b"\x28\xb5\x2f\xfd garbage"),
])
def test_a_body_its_coding_does_not_decode_is_bad_encoding(coding: bytes, body: bytes) -> None:
    with pytest.raises(Exception) as raised:  # whatever each decoder raises
        HttpCompressionMiddleware._decode(body, coding, 0)
    assert error_kind(raised.value) == "bad_encoding"


@pytest.mark.parametrize("error", [OSError("disk"), ConnectionResetError(), ValueError("x"), RuntimeError()])
def test_other_errors_are_no_bad_encoding(error: Exception) -> None:
    assert error_kind(error) == "other"
