"""Feeds and sitemaps whose links carry a bare ``&`` (``?id=5&lang=ru``, as many CMSes write them unescaped), or that
use an HTML entity (``&laquo;``) before an ``&amp;``: each link is read as written. libxml2's recovery dropped the
``&`` and the word after it (``?id=5=ru``), then every later ``&amp;`` of the document (``?x=1y=2``), so each such
link named another URL:
the crawl fetched pages the site never linked and stored them under those URLs. End to end through the real
``scrapy crawl``, and at the reader's chunk boundaries; in UTF-16 and UTF-32 documents (transcoded to UTF-8 to be
escaped), and at the end of a gzip body cut by the size limit or by bad data (the last entries before it are read)."""

from __future__ import annotations

import gzip
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.bench.replica_server import running
from crawler.discovery.feeds import read_feed
from crawler.discovery.sitemaps import parse_sitemap
from crawler.discovery.xml import _CHUNK, _LOOKAHEAD, MAX_XML_BYTES, XMLTooLarge, stream_xml
from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import article, site_config

DOMAIN = "amp.kg"
PATTERN = "^https://amp\\.kg/index\\.php\\?id=\\d+&lang=ru$"
CONFIG = site_config("amp", DOMAIN, "Asia/Bishkek", article_url=PATTERN,
                     sources={"feeds": [f"https://{DOMAIN}/feed/", f"https://{DOMAIN}/feed16/"],
                              "sitemaps": [f"https://{DOMAIN}/sitemap.xml.gz"]})


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
FEED16 = ('<?xml version="1.0" encoding="UTF-16"?><rss><channel><title>Лента</title>'
          f"<item><link>{link(8)}</link></item><item><link>{link(9, '&amp;')}</link></item></channel></rss>"
          ).encode("utf-16")
DOCUMENTS = {"/feed/": ("application/rss+xml", FEED), "/feed16/": ("application/rss+xml", FEED16),
             "/sitemap.xml.gz": ("application/x-gzip", SITEMAP)}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests[self.path] += 1  # type: ignore[attr-defined]
        kind, body = self.server.documents.get(self.path, ("text/html; charset=utf-8", b""))  # type: ignore[attr-defined]
        if self.path.startswith("/index.php?"):
            query = parse_qs(urlsplit(self.path).query)
            if query.get("lang") == ["ru"] and len(query) == 2:  # any other query is no page of the site
                body = article(f"n{query['id'][0]}").encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def crawl_site(documents: dict[str, tuple[str, bytes]], config: str, tmp_path: Path,
               crawl_into_store: StoreCrawl) -> tuple[dict[str, object], set[str]]:
    """The crawl's stats and the article paths it asked for, of a site serving ``documents`` and articles."""
    site = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.requests, site.documents = Counter(), documents  # type: ignore[attr-defined]
    path = tmp_path / "amp.toml"
    path.write_text(config, encoding="utf-8")
    with running(site):
        result = crawl_into_store("news", f"config={path}", f"base_url=http://127.0.0.1:{site.server_port}",
                                  settings=["ROBOTSTXT_OBEY=0", "RETRY_TIMES=0"], timeout=90, expect=0)
    return result.stats, {path for path in site.requests if path.startswith("/index.php")}  # type: ignore[attr-defined]


def test_links_with_a_bare_ampersand_are_crawled_as_written(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    """Links 8 and 9 are in a UTF-16 feed, whose bare "&" the escaper skipped (``?id=8=ru``)."""
    stats, asked = crawl_site(DOCUMENTS, CONFIG, tmp_path, crawl_into_store)
    assert sorted(doc["url"] for doc in mongo.db.articles.find()) == [link(n) for n in range(1, 10)], stats
    assert "download/failed/http_404" not in stats
    assert stats["discovery/feed/links"] == 6 and stats["discovery/sitemap/links"] == 3
    assert asked == {f"/index.php?id={n}&lang=ru" for n in range(1, 10)}


def comments(size: int) -> str:
    """``size`` characters of XML comments, 1 MB each at most (libxml2 refuses a comment over 10 MB)."""
    parts = []
    while size > 0:
        body = min(size, 1 << 20) - len("<!---->")
        parts.append("<!--" + "x" * max(body, 0) + "-->")
        size -= len(parts[-1])
    return "".join(parts)


def capped_sitemap() -> bytes:
    """A gzip sitemap that expands past ``MAX_XML_BYTES``, whose link 20 ends 30 bytes before the limit (within the
    escaper's lookahead) and link 21 after it."""
    entry = f"<url><loc>{link(20)}</loc></url>"
    head = "<urlset>" + comments(MAX_XML_BYTES - 30 - len("<urlset>") - len(entry)) + entry
    assert MAX_XML_BYTES - _LOOKAHEAD < len(head) < MAX_XML_BYTES
    return gzip.compress((head + " " * 40 + f"<url><loc>{link(21)}</loc></url>" + "</urlset>").encode(), 1)


def broken_sitemap() -> bytes:
    """A gzip sitemap whose deflate data turns bad (an invalid block type) after link 22 and 200 kB of comments."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip wrapper
    good = f"<urlset><url><loc>{link(22)}</loc></url>{comments(200_000)}"
    return compressor.compress(good.encode()) + compressor.flush(zlib.Z_FULL_FLUSH) + b"\xff" * 64


@pytest.mark.e2e
def test_a_gzip_sitemap_cut_by_the_limit_or_bad_data_keeps_its_last_entries(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    """The escaper held the last 80 bytes back for its lookahead, and lost them when the limit stopped the read: link
    20, whose entry ended there, was never crawled. Bad deflate data (zlib.error) raised out of the spider's callback,
    and every entry of the sitemap was lost."""
    config = site_config("amp", DOMAIN, "Asia/Bishkek", article_url=PATTERN, sources={
        "sitemaps": [f"https://{DOMAIN}/sitemap-capped.xml.gz", f"https://{DOMAIN}/sitemap-broken.xml.gz"]})
    documents = {"/sitemap-capped.xml.gz": ("application/x-gzip", capped_sitemap()),
                 "/sitemap-broken.xml.gz": ("application/x-gzip", broken_sitemap())}
    stats, asked = crawl_site(documents, config, tmp_path, crawl_into_store)
    assert asked == {"/index.php?id=20&lang=ru", "/index.php?id=22&lang=ru"}, stats
    assert sorted(doc["url"] for doc in mongo.db.articles.find()) == [link(20), link(22)]
    assert stats["discovery/sitemap/too_large"] == 1 and stats["discovery/sitemap/broken_gzip"] == 1
    assert "spider_exceptions/error" not in stats and "log_count/ERROR" not in stats


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


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("declared", [True, False])
def test_wide_encodings_are_escaped_as_characters(encoding: str, declared: bool) -> None:
    """A UTF-16 or UTF-32 document has 0x26 bytes that are no "&" (並 is U+4E26): the escaper rewrote them, then
    skipped such documents, and their bare "&" was lost (``?t=並=2``). Gzipped or not; with a byte order mark or a
    declaration, or neither (known by the zeros around its "<")."""
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>' if declared else ""
    feed = (f"{declaration}<rss><channel><item><link>https://x.kg/並?t=並&b=2&amp;c=3&#x4E26;</link></item>"
            "</channel></rss>").encode(encoding)
    for data in (feed, gzip.compress(feed)):
        [entry] = read_feed(data).links
        assert entry.url == "https://x.kg/並?t=並&b=2&c=3並"


@pytest.mark.parametrize("before", range(0, _LOOKAHEAD + 1, 20))
def test_the_entry_that_ends_before_the_limit_is_read(before: int) -> None:
    """The escaper's lookahead (the last 80 bytes read) was lost when the limit stopped the read."""
    xml = ("<urlset>" + "".join(f"<url><loc>https://x.kg/{n}</loc></url>" for n in range(8000)) + "</urlset>").encode()
    end = xml.index(b"</url>", len(xml) // 2) + len(b"</url>")  # the entry that ends there
    last = xml.rindex(b"<loc>", 0, xml.rindex(b"</url>", 0, end + before))  # the last one that ends by the limit
    stops: list[Exception] = []
    read = [element.findtext("loc") for element in stream_xml(gzip.compress(xml), limit=end + before, stops=stops)]
    assert [type(stop) for stop in stops] == [XMLTooLarge]
    assert read[-1] == xml[last + 5 : xml.index(b"</loc>", last)].decode()


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
