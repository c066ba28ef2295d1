"""Feeds and sitemaps whose links carry a bare ``&`` (``?id=5&lang=ru``, as many CMSes write them unescaped), or that
use an HTML entity (``&laquo;``) before an ``&amp;``: each link is read as written. libxml2's recovery dropped the
``&`` and the word after it (``?id=5=ru``), then every later ``&amp;`` of the document (``?x=1y=2``), so each such
link named another URL:
the crawl fetched pages the site never linked and stored them under those URLs. End to end through the real
``scrapy crawl``, and at the reader's chunk boundaries."""

from __future__ import annotations

import gzip
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.bench.replica_server import running
from crawler.discovery.feeds import read_feed
from crawler.discovery.sitemaps import parse_sitemap
from crawler.discovery.xml import _CHUNK, XMLTooLarge, stream_xml
from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import article, site_config

DOMAIN = "amp.kg"
PATTERN = "^https://amp\\.kg/index\\.php\\?id=\\d+&lang=ru$"
CONFIG = site_config("amp", DOMAIN, "Asia/Bishkek", article_url=PATTERN,
                     sources={"feeds": [f"https://{DOMAIN}/feed/"], "sitemaps": [f"https://{DOMAIN}/sitemap.xml.gz"]})


def link(n: int, amp: str = "&") -> str:
    return f"https://{DOMAIN}/index.php?id={n}{amp}lang=ru"


FEED = ("<rss><channel>"
        f"<item><title>&laquo;Title&raquo;&nbsp;</title><link>{link(1)}</link></item>"  # bare, after HTML entities
        f"<item><link>{link(2, '&amp;')}</link></item>"  # escaped, after a bare one
        f"<item><link><![CDATA[{link(3)}]]></link></item>"  # in CDATA: literal
        f"<item><guid>{link(4, '&#38;')}</guid></item>"
        "</channel></rss>").encode()
SITEMAP = gzip.compress(("<urlset>" + "".join(f"<url><loc>{link(n)}</loc></url>" for n in (5, 6))
                         + f"<url><loc>{link(7, '&amp;')}</loc></url></urlset>").encode())


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests[self.path] += 1  # type: ignore[attr-defined]
        kind, body = "text/html; charset=utf-8", b""
        if self.path == "/feed/":
            kind, body = "application/rss+xml", FEED
        elif self.path == "/sitemap.xml.gz":
            kind, body = "application/x-gzip", SITEMAP
        elif self.path.startswith("/index.php?"):
            query = parse_qs(urlsplit(self.path).query)
            if query.get("lang") == ["ru"] and len(query) == 2:  # any other query is no page of the site
                body = article(f"n{query['id'][0]}").encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_links_with_a_bare_ampersand_are_crawled_as_written(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    site = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.requests = Counter()  # type: ignore[attr-defined]
    config = tmp_path / "amp.toml"
    config.write_text(CONFIG, encoding="utf-8")
    with running(site):
        result = crawl_into_store("news", f"config={config}", f"base_url=http://127.0.0.1:{site.server_port}",
                                  settings=["ROBOTSTXT_OBEY=0", "RETRY_TIMES=0"], timeout=90, expect=0)
    stats = result.stats
    assert sorted(doc["url"] for doc in mongo.db.articles.find()) == [link(n) for n in range(1, 8)], stats
    assert "download/failed/http_404" not in stats
    assert stats["discovery/feed/links"] == 4 and stats["discovery/sitemap/links"] == 3
    asked = {path for path in site.requests if path.startswith("/index.php")}  # type: ignore[attr-defined]
    assert asked == {f"/index.php?id={n}&lang=ru" for n in range(1, 8)}


@pytest.mark.parametrize("shift", range(-12, 13))
@pytest.mark.parametrize("token", ["&", "&amp;", "<![CDATA[&amp;]]>", "<![CDATA[&]]>&"])
def test_a_chunk_boundary_splits_nothing(shift: int, token: str) -> None:
    """Each token starts ``shift`` bytes before or after the reader's first chunk boundary."""
    head = "<urlset><!--"
    pad = "x" * (_CHUNK - len(head) - len("-->") - len("<url><loc>https://x.kg/?a=1") + shift)
    body = (f"{head}{pad}--><url><loc>https://x.kg/?a=1{token}b=2</loc></url>"
            "<url><loc>https://x.kg/?c=1&d=2</loc></url></urlset>")
    expected = {"&": "&", "&amp;": "&", "<![CDATA[&amp;]]>": "&amp;", "<![CDATA[&]]>&": "&&"}[token]
    for data in (body.encode(), gzip.compress(body.encode())):
        sitemap = parse_sitemap(data)
        assert sitemap is not None
        assert [entry.url for entry in sitemap.links] == [f"https://x.kg/?a=1{expected}b=2", "https://x.kg/?c=1&d=2"]


def test_escaping_keeps_what_is_no_bare_ampersand() -> None:
    feed = (b"<rss><channel><item><title>&laquo;A&raquo; &amp; B &#1055; &#x41F; &nbsp;</title>"
            b"<link>https://x.kg/?a=1&amp;b=2&c=3&#38;d=4&x26;e&lt;&gt;&quot;&apos;</link>"
            b"<pubDate>Thu, 20 Nov 2025 10:00:00 +0500</pubDate></item></channel></rss>")
    [entry] = read_feed(feed).links
    assert entry.url == "https://x.kg/?a=1&b=2&c=3&d=4&x26;e<>\"'"  # an undefined entity (&x26;) as written
    assert entry.date is not None


def boundary_sitemap(token: str, shift: int) -> str:
    """A sitemap whose ``token`` starts ``shift`` bytes before or after the reader's first chunk boundary, then links
    with a bare ``&`` and an ``&amp;``."""
    head = "<urlset><!--"
    pad = "x" * (_CHUNK - len(head) - len("-->") + shift)
    return (f"{head}{pad}-->{token}<url><loc>https://x.kg/?id=5&lang=ru</loc></url>"
            "<url><loc>https://x.kg/?a=1&amp;b=2</loc></url></urlset>")


@pytest.mark.parametrize("shift", range(-12, 13))
@pytest.mark.parametrize("token", [
    "<url><loc>https://x.kg/?r=&#8;</loc></url>", "<url><loc>https://x.kg/?r=&#xFFFE;</loc></url>",
    "<url><loc>https://x.kg/?r=&#9999999;</loc></url>", "<url><loc>https://x.kg/?r=&#xD800;</loc></url>",
    "<!-- <![CDATA[ -->", "<?pi <![CDATA[ ?>", "<!-- a&b <? ]]> -->", "<?pi a&b --> <!-- ?>",
])
def test_what_xml_forbids_or_skips_stops_no_later_escape(shift: int, token: str) -> None:
    """A character reference to a character XML forbids was left alone, libxml2 failed on it and recovered the old
    way, so every later ``&`` was lost (``?id=5lang=ru``, ``?a=1b=2``); ``&#xD800;`` raised UnicodeDecodeError. A
    ``<![CDATA[`` in a comment or processing instruction turned escaping off for the rest of the document."""
    body = boundary_sitemap(token, shift)
    for data in (body.encode(), gzip.compress(body.encode())):
        sitemap = parse_sitemap(data)
        assert sitemap is not None
        urls = [entry.url for entry in sitemap.links]
        assert urls[-2:] == ["https://x.kg/?id=5&lang=ru", "https://x.kg/?a=1&b=2"]
        if token.startswith("<url>"):  # the reference as written
            assert urls[0] == "https://x.kg/?r=" + token.split("=", 1)[1].split("<")[0]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_wide_encodings_are_not_escaped(encoding: str) -> None:
    """A UTF-16 or UTF-32 document has 0x26 bytes that are no "&" (並 is U+4E26): the escaper rewrote them."""
    bom = encoding in ("utf-16", "utf-32")
    declaration = "" if bom else f'<?xml version="1.0" encoding="{encoding}"?>'
    feed = f"{declaration}<rss><channel><item><link>https://x.kg/並?t=並&amp;b=2&#x4E26;</link></item></channel></rss>"
    [entry] = read_feed(feed.encode(encoding)).links
    assert entry.url == "https://x.kg/並?t=並&b=2並"


@pytest.mark.parametrize("extra", range(1, 4))
def test_a_gzip_body_just_past_the_limit_is_reported(extra: int) -> None:
    """The piece that ran past the limit was cut and handed over whole: when the stream ended there, the read ended
    without XMLTooLarge, its last bytes lost, and the sitemap was not marked too large."""
    xml = ("<urlset>" + "".join(f"<url><loc>https://x.kg/{n}</loc></url>" for n in range(8000)) + "</urlset>").encode()
    stops: list[Exception] = []
    elements = list(stream_xml(gzip.compress(xml), limit=len(xml) - extra, stops=stops))
    assert len(elements) <= 8001
    assert [type(stop) for stop in stops] == [XMLTooLarge]
    stops.clear()
    assert len(list(stream_xml(gzip.compress(xml), limit=len(xml), stops=stops))) == 8001 and not stops
