"""A replica that redirects to its site's absolute URL (``https://<the real host>/...``, as WordPress sends its
canonical URLs): the crawl of the mirror (``-a base_url``) follows the redirect to the mirror, never to the real
site, nor asks a resolver for the real host's name; the real ``scrapy crawl``."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import article, crawl_site, handler_site, site_config

pytestmark = pytest.mark.e2e

DOMAIN = "mirrored.test"  # a reserved name: no resolver answers for it
CONFIG = site_config("mirrored", DOMAIN, "Asia/Dushanbe")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.requests[self.path] += 1  # type: ignore[attr-defined]
        if self.path == "/feed/":
            item = f"<item><link>https://{DOMAIN}/news/moved/</link></item>"
            self._send(200, f"<rss><channel>{item}</channel></rss>".encode(), Content_Type="application/rss+xml")
        elif self.path == "/news/moved/":  # to the real site's URL, another scheme and the absolute host form
            self._send(301, Location=f"http://{DOMAIN}./news/kept/")
        elif self.path == "/news/kept/":
            self._send(200, article("kept").encode(), Content_Type="text/html; charset=utf-8")
        else:
            self._send(404)


def test_a_redirect_to_the_real_site_goes_to_the_mirror(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    site = handler_site(Handler)
    result = crawl_site(site, CONFIG, tmp_path / "mirrored.toml", crawl_into_store,
                        settings=["RETRY_TIMES=0", "DOWNLOAD_TIMEOUT=15"], timeout=90)
    stats = result.stats
    assert [doc["url"] for doc in mongo.db.articles.find()] == [f"https://{DOMAIN}/news/kept/"], stats
    assert site.requests["/news/kept/"] == 1  # type: ignore[attr-defined]
    assert stats["egress/mirrored"] >= 1
    assert "download/failed/dns" not in stats and DOMAIN not in str(stats.get("robotstxt/exception_count", ""))
