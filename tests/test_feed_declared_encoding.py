"""Feeds and sitemaps whose XML declaration names an encoding their bytes are not in (``encoding="UTF-16"`` or
``"UTF-7"`` over plain UTF-8, as real feeds are served): each is read by what its bytes are. libxml2 followed the
declaration, read nothing, and the feed was ``discovery/feed/empty``, its items lost. A declared single-byte
encoding (windows-1251, KOI8-R) is still followed. End to end through the real ``scrapy crawl``, and each reader."""

from __future__ import annotations

import gzip
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawler.bench.replica_server import running
from crawler.discovery.feeds import is_feed, read_feed
from crawler.discovery.sitemaps import parse_sitemap
from crawler.discovery.xml import parse_xml
from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import article, site_config

DOMAIN = "enc.kz"
CONFIG = site_config("enc", DOMAIN, "Asia/Almaty", article_url=f"^https://{DOMAIN.replace('.', '[.]')}/news/\\d+$",
                     sources={"feeds": [f"https://{DOMAIN}/feed/", f"https://{DOMAIN}/cp1251/"],
                              "sitemaps": [f"https://{DOMAIN}/sitemap.xml.gz"]})


def declared(encoding: str) -> str:
    return f'<?xml version="1.0" encoding="{encoding}"?>\n'


def feed(encoding: str, *numbers: int) -> str:
    return (declared(encoding) + "<rss><channel>"
            + "".join(f"<item><title>Новости: {n}</title><link>https://{DOMAIN}/news/{n}</link></item>"
                      for n in numbers) + "</channel></rss>")


def sitemap(encoding: str, *numbers: int) -> str:
    return declared(encoding) + "<urlset>" + "".join(
        f"<url><loc>https://{DOMAIN}/news/{n}</loc></url>" for n in numbers) + "</urlset>"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        kind, body = "text/html; charset=utf-8", b""
        if self.path == "/feed/":
            kind, body = "application/rss+xml", feed("UTF-16", 1, 2).encode()
        elif self.path == "/cp1251/":
            kind, body = "application/rss+xml", feed("windows-1251", 3).encode("cp1251")
        elif self.path == "/sitemap.xml.gz":
            kind, body = "application/x-gzip", gzip.compress(sitemap("UTF-7", 4, 5).encode())
        elif self.path.startswith("/news/"):
            body = article(f"n{self.path.rsplit('/', 1)[1]}").encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_a_wrongly_declared_feed_and_sitemap_are_crawled(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    site = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    config = tmp_path / "enc.toml"
    config.write_text(CONFIG, encoding="utf-8")
    with running(site):
        result = crawl_into_store("news", f"config={config}", f"base_url=http://127.0.0.1:{site.server_port}",
                                  settings=["ROBOTSTXT_OBEY=0", "RETRY_TIMES=0"], timeout=90, expect=0)
    stats = result.stats
    assert sorted(doc["url"] for doc in mongo.db.articles.find()) == [
        f"https://{DOMAIN}/news/{n}" for n in range(1, 6)], stats
    assert "discovery/feed/empty" not in stats
    assert stats["discovery/feed/links"] == 3 and stats["discovery/sitemap/links"] == 2


@pytest.mark.parametrize("encoding", ["UTF-16", "utf-16le", "UTF-32", "UTF-7", "ucs-2", "no-such-charset", "cp037"])
def test_plain_utf8_bytes_win_over_the_declaration(encoding: str) -> None:
    body = feed(encoding, 1, 2).encode()
    links = read_feed(body).links
    assert [link.url for link in links] == [f"https://{DOMAIN}/news/1", f"https://{DOMAIN}/news/2"]
    assert is_feed(body) and is_feed(gzip.compress(body))
    root = parse_xml(body)
    assert root is not None and root.findtext("channel/item/title") == "Новости: 1"
    for data in (sitemap(encoding, 7).encode(), gzip.compress(sitemap(encoding, 7).encode())):
        parsed = parse_sitemap(data)
        assert parsed is not None and [entry.url for entry in parsed.links] == [f"https://{DOMAIN}/news/7"]


def test_a_utf8_byte_order_mark_wins_over_the_declaration() -> None:
    body = b"\xef\xbb\xbf" + feed("UTF-16", 1).encode()
    root = parse_xml(body)
    assert root is not None and root.findtext("channel/item/title") == "Новости: 1"
    assert [link.url for link in read_feed(body).links] == [f"https://{DOMAIN}/news/1"]


@pytest.mark.parametrize("encoding", ["windows-1251", "KOI8-R", "UTF-16"])
def test_a_declaration_the_bytes_are_in_is_followed(encoding: str) -> None:
    body = feed(encoding, 1).encode(encoding)  # UTF-16: with its byte order mark
    root = parse_xml(body)
    assert root is not None and root.findtext("channel/item/title") == "Новости: 1"
    assert [link.url for link in read_feed(body).links] == [f"https://{DOMAIN}/news/1"]

