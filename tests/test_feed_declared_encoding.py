"""Feeds and sitemaps whose XML declaration names an encoding their bytes are not in (``encoding="UTF-16"`` or
``"UTF-7"`` over plain UTF-8, as real feeds are served): each is read by what its bytes are. libxml2 followed the
declaration, read nothing, and the feed was ``discovery/feed/empty``, its items lost. A declared single-byte
encoding (windows-1251, KOI8-R) is still followed, unless the whole document is UTF-8 (a CMS that moved to UTF-8 and
kept its old declaration): it is then read as UTF-8 and counted (``discovery/feed/charset_fixed``,
``discovery/sitemap/charset_fixed``); its Cyrillic links were read as mojibake and asked for as such. End to end
through the real ``scrapy crawl``, and each reader."""

from __future__ import annotations

import gzip
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote

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


def answer(handler: BaseHTTPRequestHandler, kind: str, body: bytes) -> None:
    """``body`` as ``kind``; no body: a 404."""
    handler.send_response(200 if body else 404)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def crawled(handler: type[BaseHTTPRequestHandler], config: str, tmp_path: Path,
            crawl_into_store: StoreCrawl) -> dict[str, int]:
    """The stats of a real ``scrapy crawl`` of the site ``config`` describes, served by ``handler`` on loopback."""
    site = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    path = tmp_path / "site.toml"
    path.write_text(config, encoding="utf-8")
    with running(site):
        result = crawl_into_store("news", f"config={path}", f"base_url=http://127.0.0.1:{site.server_port}",
                                  settings=["ROBOTSTXT_OBEY=0", "RETRY_TIMES=0"], timeout=90, expect=0)
    return result.stats


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
        answer(self, kind, body)


def test_a_wrongly_declared_feed_and_sitemap_are_crawled(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    stats = crawled(Handler, CONFIG, tmp_path, crawl_into_store)
    assert sorted(doc["url"] for doc in mongo.db.articles.find()) == [
        f"https://{DOMAIN}/news/{n}" for n in range(1, 6)], stats
    assert "discovery/feed/empty" not in stats
    assert stats["discovery/feed/links"] == 3 and stats["discovery/sitemap/links"] == 2


# A site moved to UTF-8 whose feed and sitemap still declare windows-1251: Cyrillic titles and links.
UTF8_DOMAIN = "utf.kz"
SLUGS = {n: f"{n}-выборы-в-парламенте" for n in range(1, 5)}
UTF8_CONFIG = site_config("utf", UTF8_DOMAIN, "Asia/Almaty",
                          article_url=f"^https://{UTF8_DOMAIN.replace('.', '[.]')}/news/\\d+-",
                          sources={"feeds": [f"https://{UTF8_DOMAIN}/feed/"],
                                   "sitemaps": [f"https://{UTF8_DOMAIN}/sitemap.xml.gz"]})


def utf8_url(n: int) -> str:
    return f"https://{UTF8_DOMAIN}/news/{SLUGS[n]}"


def utf8_feed(*numbers: int) -> bytes:
    return (declared("windows-1251") + "<rss><channel><title>Новости Казахстана</title>" + "".join(
        f"<item><title>Выборы в парламент: {n}</title><link>{utf8_url(n)}</link></item>" for n in numbers)
        + "</channel></rss>").encode()


def utf8_sitemap(*numbers: int) -> bytes:
    return (declared("windows-1251") + "<urlset>"
            + "".join(f"<url><loc>{utf8_url(n)}</loc></url>" for n in numbers) + "</urlset>").encode()


class Utf8Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        kind, body = "text/html; charset=utf-8", b""
        if self.path == "/feed/":  # the header says so too, as the old CMS's did
            kind, body = "application/rss+xml; charset=windows-1251", utf8_feed(1, 2)
        elif self.path == "/sitemap.xml.gz":
            kind, body = "application/x-gzip", gzip.compress(utf8_sitemap(3, 4))
        elif unquote(self.path) in {f"/news/{slug}" for slug in SLUGS.values()}:  # a mojibake path is no page
            body = article(unquote(self.path).rsplit("/", 1)[1]).encode()
        answer(self, kind, body)


def test_a_utf8_feed_and_sitemap_declared_windows_1251_are_read_as_utf8(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    """Before, each Cyrillic link was read as windows-1251 ("РІС‹Р±РѕСЂС‹"), asked for as such, and 404: no article."""
    stats = crawled(Utf8Handler, UTF8_CONFIG, tmp_path, crawl_into_store)
    stored = {unquote(doc["url"]): doc["title"] for doc in mongo.db.articles.find()}
    assert stored == {utf8_url(n): f"Совещание по энергетике: {SLUGS[n]}" for n in SLUGS}, stats
    assert stats["discovery/feed/charset_fixed"] == stats["discovery/sitemap/charset_fixed"] == 1
    assert stats["discovery/feed/links"] == stats["discovery/sitemap/links"] == 2


def test_utf8_under_a_single_byte_declaration_is_read_as_utf8_by_each_reader() -> None:
    for body in (utf8_feed(1, 2), gzip.compress(utf8_feed(1, 2))):
        parsed = read_feed(body)
        assert [link.url for link in parsed.links] == [utf8_url(1), utf8_url(2)] and parsed.charset_fixed
    for body in (utf8_sitemap(3, 4), gzip.compress(utf8_sitemap(3, 4))):
        sitemap_read = parse_sitemap(body)
        assert sitemap_read is not None and sitemap_read.charset_fixed
        assert [link.url for link in sitemap_read.links] == [utf8_url(3), utf8_url(4)]
    # Truly windows-1251, or too little past ASCII to tell: as declared, and nothing counted.
    for body in (utf8_feed(1, 2).decode().encode("cp1251"), feed("windows-1251", 7).encode()):
        assert not read_feed(body).charset_fixed
    assert [link.url for link in read_feed(utf8_feed(1).decode().encode("cp1251")).links] == [utf8_url(1)]
    assert quote(utf8_url(1), safe=":/") != utf8_url(1)  # the links tested are no plain ASCII


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

