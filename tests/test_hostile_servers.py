"""Servers that break HTTP itself, crawled end to end by the real ``scrapy crawl``: 204 and 206 answers, 1xx answers
before the real one, a flood of headers and a megabyte header line, a connection reset mid-body, redirects whose
``Location`` names no URL, chunked bodies with endless trailers or a chunk size past any body, two
``Content-Length`` headers that disagree, an HTTP/1.0 body ended by closing the connection, a Content-Type that
contradicts the body, and pages that look like a script shell only because extraction stopped reading it (past
``MAX_TAGS``). The crawl ends, each case is counted under its own kind, and the good article is stored."""

from __future__ import annotations

import socket
import struct
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from crawler.htmltree import MAX_TAGS
from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import article, crawl_site, handler_site, site_config

DOMAIN = "rude.kg"
CONFIG = site_config("rude", DOMAIN, "Asia/Bishkek")
SLUGS = ["good", "no-content", "partial", "early-hints", "continue", "header-flood", "huge-header", "reset",
         "bad-location", "port-location", "json-typed", "utf16-typed", "png-typed", "crowded-shell", "endless-trailers",
         "huge-chunk", "two-lengths", "http10"]
# A page whose scripts come first and whose text comes past MAX_TAGS "<": it looks like a script shell, but only
# because extraction stopped reading it; it must not send the whole site to Chromium. (A shell merely without
# </body></html>, as minifiers write them, is still a shell: see tests/test_browser.py.)
SHELL_HEAD = "<!DOCTYPE html><html><head><title>Новости</title><script>window.app = {};</script></head><body>"
CROWDED_SHELL = (SHELL_HEAD + "<script>" + "if (a<b) a++;" * MAX_TAGS + "</script>"  # an inline bundle
                 + article("crowded-shell").split("<body>", 1)[1])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _raw(self, head: str, body: bytes = b"") -> None:
        self.wfile.write(head.encode("latin-1") + body)

    def do_GET(self) -> None:
        self.server.requests[self.path] += 1  # type: ignore[attr-defined]
        if self.path == "/feed/":
            items = "".join(f"<item><link>https://{DOMAIN}/news/{s}/</link></item>" for s in SLUGS)
            body = f"<rss><channel>{items}</channel></rss>".encode()
            self._raw(f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {len(body)}\r\n\r\n",
                      body)
            return
        slug = self.path.strip("/").rsplit("/", 1)[-1]
        page = article(slug).encode()
        ok = f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(page)}\r\n"
        if slug == "no-content":
            self._raw("HTTP/1.1 204 No Content\r\n\r\n")
        elif slug == "partial":
            half = page[: len(page) // 2]
            self._raw(f"HTTP/1.1 206 Partial Content\r\nContent-Type: text/html; charset=utf-8\r\n"
                      f"Content-Range: bytes 0-{len(half) - 1}/{len(page)}\r\n"
                      f"Content-Length: {len(half)}\r\n\r\n", half)
        elif slug == "early-hints":
            self._raw("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + ok + "\r\n", page)
        elif slug == "continue":
            self._raw("HTTP/1.1 100 Continue\r\n\r\n" + ok + "\r\n", page)
        elif slug == "header-flood":  # 3,000 headers, 200 KB: under DOWNLOAD_MAX_HEADER_BYTES (test_endless_headers.py)
            self._raw(ok + "".join(f"X-Flood-{n}: {'v' * 50}\r\n" for n in range(3_000)) + "\r\n", page)
        elif slug == "huge-header":
            self._raw(ok + f"X-Huge: {'v' * 1_000_000}\r\n\r\n", page)
        elif slug == "reset":
            self._raw(ok + "\r\n", page[: len(page) // 2])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # an RST, not a FIN
        elif slug == "bad-location":
            self._raw("HTTP/1.1 302 Found\r\nLocation: http://[::1/news/good/\r\nContent-Length: 0\r\n\r\n")
        elif slug == "port-location":
            self._raw(f"HTTP/1.1 301 Moved\r\nLocation: https://{DOMAIN}:99999/news/good/\r\nContent-Length: 0\r\n\r\n")
        elif slug == "json-typed":
            self._raw(ok.replace("text/html; charset=utf-8", "application/json") + "\r\n", page)
        elif slug == "utf16-typed":
            self._raw(ok.replace("charset=utf-8", "charset=utf-16") + "\r\n", page)
        elif slug == "crowded-shell":
            page = CROWDED_SHELL.encode()
            self._raw(ok.split("Content-Length")[0] + f"Content-Length: {len(page)}\r\n\r\n", page)
        elif slug == "endless-trailers":  # cut at Twisted's 64 KiB of trailers
            chunked = ok.replace("Content-Length", "Transfer-Encoding: chunked\r\nX-Was-Length")
            try:
                self._raw(chunked + f"\r\n{len(page):x}\r\n", page + b"\r\n0\r\n")
                for n in range(10_000):
                    self._raw(f"X-Trailer-{n}: {'t' * 1000}\r\n")
            except OSError:  # the crawl hung up
                pass
        elif slug == "huge-chunk":
            chunked = ok.replace("Content-Length", "Transfer-Encoding: chunked\r\nX-Was-Length")
            self._raw(chunked + "\r\nffffffffffffffff\r\n", page)
        elif slug == "two-lengths":
            self._raw(ok + "Content-Length: 10\r\n\r\n", page)
        elif slug == "http10":
            self._raw("HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n", page)
        elif slug == "png-typed":
            self._raw(ok.replace("text/html; charset=utf-8", "image/png") + "\r\n", page)
        else:
            self._raw(ok + "\r\n", page)
        self.close_connection = True


def test_servers_that_break_http_are_counted_and_the_crawl_goes_on(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    site = handler_site(Handler)
    result = crawl_site(site, CONFIG, tmp_path / "rude.toml", crawl_into_store,
                        settings=["ROBOTSTXT_OBEY=0", "RETRY_TIMES=0", "DOWNLOAD_TIMEOUT=15"], timeout=90)
    assert result.returncode in (0, 3), result.stderr[-3000:]
    stats = result.stats
    stored = {doc["url"].rstrip("/").rsplit("/", 1)[1]: doc for doc in mongo.db.articles.find()}
    # extraction reads none of the crowded shell's text (past MAX_TAGS)
    assert set(stored) == {"good", "early-hints", "continue", "header-flood", "json-typed", "png-typed",
                           "utf16-typed", "http10"}, stats
    assert stored["utf16-typed"]["title"] == "Совещание по энергетике: utf16-typed"
    assert stats["articles/charset_fixed"] == 1
    assert stats["articles/skipped/partial"] == 1  # a 206 nobody asked for is a fragment: never stored
    assert stats["browser/skipped/cut_page"] == 1  # a page read only in part is no script shell: no Chromium
    assert "browser/site_switched" not in stats and "browser/retried" not in stats
    assert stats["articles/skipped/empty"] == 1  # 204
    assert stats["download/failed/data_loss"] == 3  # reset mid-body, endless trailers, a chunk past the body
    assert stats["download/failed/bad_response"] == 2  # the megabyte header line, the two lengths
    assert stats["download/failed/bad_redirect"] == 2  # the two Locations naming no URL
    assert "download/failed/other" not in stats
    assert "articles/errors/extract_timeout" not in stats
