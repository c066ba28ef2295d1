"""A server whose header section never ends, crawled end to end by the real ``scrapy crawl``: header lines
each under Twisted's 16 KiB line limit but without end (new headers, one header continued by folded lines, or
1xx answers before the real one),
at the speed of the network. DOWNLOAD_MAXSIZE bounds a body, not headers; the client stops reading once they
pass ``DOWNLOAD_MAX_HEADER_BYTES``, counts the download ``bad_response`` and the good article is stored."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import article, crawl_site, handler_site, site_config

DOMAIN = "endless.kg"
CONFIG = site_config("endless", DOMAIN, "Asia/Bishkek")
BUDGET = 48 * 1024 * 1024  # header bytes the server sends at most, then ends the headers and sends the page
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
ENDLESS = {  # slug -> (what starts the answer, what repeats until the budget is spent)
    "new-headers": (OK, b"".join(f"X-Flood-{n}: {'v' * 16_000}\r\n".encode() for n in range(64))),
    "folded-header": (OK + b"X-Folded: v\r\n", (b" " + b"v" * 16_000 + b"\r\n") * 64),
    "endless-1xx": (b"", b"HTTP/1.1 100 Continue\r\nX-Hint: v\r\n\r\n" * 20_000),
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        slug = self.path.strip("/").rsplit("/", 1)[-1]
        if self.path == "/feed/":
            items = "".join(f"<item><link>https://{DOMAIN}/news/{s}/</link></item>" for s in ["good", *ENDLESS])
            self._send(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n",
                       f"<rss><channel>{items}</channel></rss>".encode())
            return
        start, repeated = ENDLESS.get(slug, (OK, b""))
        sent = 0
        try:
            self.wfile.write(start)
            while repeated and sent < BUDGET:
                self.wfile.write(repeated)
                sent += len(repeated)
            self._send(b"" if start.startswith(OK) else OK, article(slug).encode())
        except OSError:  # the client hung up
            pass
        self.server.header_bytes[slug] = sent  # type: ignore[attr-defined]

    def _send(self, head: bytes, body: bytes) -> None:
        self.wfile.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.close_connection = True


def test_an_endless_header_section_is_cut_off_and_counted(mongo: MongoTarget, tmp_path: Path,
                                                          crawl_into_store: StoreCrawl) -> None:
    site = handler_site(Handler, "header_bytes")
    result = crawl_site(site, CONFIG, tmp_path / "endless.toml", crawl_into_store,
                        settings=["ROBOTSTXT_OBEY=0", "RETRY_TIMES=0", "DOWNLOAD_TIMEOUT=60"], timeout=120)
    stored = {doc["url"].rstrip("/").rsplit("/", 1)[1] for doc in mongo.db.articles.find()}
    assert stored == {"good"}, result.stats
    assert result.stats["download/failed/bad_response"] == len(ENDLESS)
    # the client hung up long before the server's budget was spent (the default cap is 256 KiB)
    for slug in ENDLESS:
        assert site.header_bytes[slug] < BUDGET // 4, (slug, site.header_bytes[slug])  # type: ignore[attr-defined]

