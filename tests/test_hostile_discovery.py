"""Hostile feeds and sitemaps crawled end to end by the real ``scrapy crawl``: items in odd letter case
(``<iTem>``, ``<LINK>``, ``<PUBDATE>``, Atom's ``HREF``), an item nested inside another (the outer keeps its
own link, and is read first), gzipped feeds and sitemaps expanding past ``MAX_XML_BYTES`` (counted
``discovery/feed/too_large`` / ``discovery/sitemap/too_large``, the entries before the limit kept), a
sitemap index loop (A lists B lists A), a sitemap listing other hosts, and a feed of 100,000 copies of one
URL, links no request can be made of (port 99999, ``http://[::1``) in feeds, indexes, robots.txt (with empty and
non-UTF-8 ``Sitemap:`` lines, each counted) and a page's canonical link. Every good article is stored once;
nothing outside the site is asked. DTD entities (XXE naming a URL or a file, a billion laughs) in a feed or sitemap are
neither fetched nor expanded."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from crawler.bench.replica_server import running
from crawler.discovery.feeds import read_feed
from crawler.discovery.sitemaps import parse_sitemap
from crawler.discovery.xml import MAX_XML_BYTES
from tests.crawling import StoreCrawl, fresh_database
from tests.hostile_site import article, handler_site, outside_origin, site_config

DOMAIN = "odd.kg"
PAST_LIMIT = (b"<!--" + b"x" * (1 << 20) + b"-->") * (MAX_XML_BYTES // (1 << 20) + 1)  # comments: nothing to parse
DATE = "Fri, 20 Nov 2026 10:00:00 +0600"
CONFIG = site_config("odd", DOMAIN, "Asia/Bishkek", sources={
    "feeds": [f"https://{DOMAIN}/{path}" for path in ("feed/", "atom/", "feed.xml.gz", "flood/", "bad-links/",
                                                      "relative/", "atom-relative/", "json-feed/")],
    "sitemaps": [f"https://{DOMAIN}/sitemap.xml.gz", f"https://{DOMAIN}/sitemap-a.xml"]})
STORED = {"mixed-case", "upper-case", "outer", "inner", "atom-upper", "before-feed-limit", "after-nested",
          "before-sitemap-limit", "in-loop", "flooded", "after-bad-links", "broken-canonical", "broken-offset",
          "robots-listed", "rss-relative", "guid-relative", "atom-relative",
          "json-feed", "json-feed-relative"}
# Links no request can be made of: each once skipped and counted (discovery/skipped/invalid_url), never the end
# of the feed, sitemap or robots.txt that lists them.
BAD_LINKS = ("https://odd.kg:99999/news/port/", "http://[::1/news/unclosed/", "http://[zz]/news/not-ip/")


def url(slug: str) -> str:
    return f"https://{DOMAIN}/news/{slug}/"


def urlset(*locs: str, tail: bytes = b"") -> bytes:
    entries = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs).encode()
    return b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>" + entries + tail + b"</urlset>"


def build(root: Path, outside: str) -> Path:
    """The replica under ``root``; ``outside`` is another loopback origin the sitemap lists."""
    files: dict[str, bytes] = {
        "feed/index.xml": (
            "<?xml version='1.0'?><rss version='2.0'><channel><title>Odd</title>"
            f"<iTem><title>a</title><LINK>{url('mixed-case')}</LINK><PUBDATE>{DATE}</PUBDATE></iTem>"
            f"<ITEM><Link>{url('upper-case')}</Link><PubDate>{DATE}</PubDate></ITEM>"
            # the outer item's link comes before the nested item, its date after: both are the outer's
            f"<item><link>{url('outer')}</link><item><link>{url('inner')}</link></item><pubDate>{DATE}</pubDate>"
            f"</item><item><link>{url('after-nested')}</link></item></channel></rss>").encode(),
        "atom/index.xml": (
            "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>Odd</title>"
            f"<Entry><LINK REL='alternate' HREF='{url('atom-upper')}'/><Published>2026-11-20T10:00:00Z</Published>"
            "</Entry></feed>").encode(),
        "feed.xml.gz": gzip.compress(
            f"<rss><channel><item><link>{url('before-feed-limit')}</link></item>".encode() + PAST_LIMIT
            + f"<item><link>{url('after-feed-limit')}</link></item></channel></rss>".encode(), 6),
        "sitemap.xml.gz": gzip.compress(urlset(url("before-sitemap-limit"))[:-len(b"</urlset>")] + PAST_LIMIT
                                        + urlset(url("after-sitemap-limit"))[-200:], 6),
        "sitemap-a.xml": ("<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                          f"<sitemap><loc>{BAD_LINKS[1]}</loc><lastmod>2026-11-21</lastmod></sitemap>"
                          f"<sitemap><loc>https://{DOMAIN}/sitemap-b.xml</loc></sitemap></sitemapindex>").encode(),
        "sitemap-b.xml": ("<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                          f"<sitemap><loc>https://{DOMAIN}/sitemap-a.xml</loc></sitemap>"
                          f"<sitemap><loc>https://{DOMAIN}/sitemap-c.xml</loc></sitemap></sitemapindex>").encode(),
        "sitemap-c.xml": urlset(url("in-loop"), f"{outside}/news/elsewhere/", "https://evil.example/news/x/"),
        "bad-links/index.xml": ("<rss><channel>" + "".join(  # the bad ones dated newest: read first
            f"<item><link>{link}</link><pubDate>{DATE}</pubDate></item>" for link in BAD_LINKS)
            + f"<item><link>{url('after-bad-links')}</link></item><item><link>{url('broken-canonical')}</link></item>"
            f"<item><link>{url('broken-offset')}</link></item></channel></rss>").encode(),
        # a binary robots.txt whose Sitemap lines but one name no URL: urljoin refuses one, one is empty (it would
        # join to robots.txt itself), one is not UTF-8, one has a port past 65535
        "robots.txt": bytes(range(256)) * 400 + f"\nSitemap: {BAD_LINKS[2]}\nSitemap: https://{DOMAIN}/sitemap-r.xml\n"
                      f"Sitemap:\nSitemap: {BAD_LINKS[0]}\n".encode() + b"Sitemap: https://odd.kg/\xff.xml\n",
        "sitemap-r.xml": urlset(url("robots-listed")),
        # relative links (Atom allows them, against xml:base and the feed's URL; some RSS writes them too)
        "relative/index.xml": (
            b"<rss><channel><item><link>/news/rss-relative/</link></item>"
            b"<item><guid>../news/guid-relative/</guid></item></channel></rss>"),
        "atom-relative/index.xml": (
            b"<feed xmlns='http://www.w3.org/2005/Atom' xml:base='/news/'><entry><link href='atom-relative/'/></entry>"
            b"</feed>"),
        # a JSON Feed (application/feed+json), with items of every wrong type before its good ones
        "json-feed/index.xml": b"\xef\xbb\xbf" + json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
            None, 5, [], {"url": 7}, {"url": ["x"]}, {"url": "\ud800"}, {"url": ""},
            {"url": url("json-feed"), "date_published": "2026-11-20T10:00:00+06:00"},
            {"url": "/news/json-feed-relative/", "date_published": {"no": "date"}}]}).encode(),
        "flood/index.xml": b"<rss><channel>" + f"<item><link>{url('flooded')}</link></item>".encode() * 100_000
                           + b"</channel></rss>",
    }
    for slug in STORED | {"after-feed-limit", "after-sitemap-limit"}:
        files[f"news/{slug}/index.html"] = article(slug).encode()
    files["news/broken-canonical/index.html"] = article("broken-canonical").replace(
        "<title>", "<link rel='canonical' href='http://[::1'><meta property='og:url' content='http://[zz]/'>"
        "<link rel='alternate' hreflang='en' href='https://odd.kg:99999/en/'><title>").encode()
    files["news/broken-offset/index.html"] = article("broken-offset").replace(
        "<title>", "<meta property='article:published_time' content='2026-11-20T10:00:00+99:99'><title>").encode()
    for name, body in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(body)
    (root / "_server.json").write_text(json.dumps({"content_types": {".gz": "application/x-gzip"}}))
    config = root.parent / "odd.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def odd_crawl(tmp_path_factory: pytest.TempPathFactory, mongo_uri: str) -> Iterator[tuple[Any, Any, list[str]]]:
    root = tmp_path_factory.mktemp("odd") / "site"
    root.mkdir()
    with fresh_database(mongo_uri) as target, outside_origin(tmp_path_factory.mktemp("outside")) as elsewhere:
        config = build(root, f"http://127.0.0.1:{elsewhere.server_port}")
        result = StoreCrawl(target, tmp_path_factory.mktemp("crawls"))(
            "news", f"config={config}", "sources=feeds,sitemaps", replica=root,
            settings=["ROBOTSTXT_OBEY=0"], timeout=90)
        yield result, target.db, list(elsewhere.requests)  # type: ignore[attr-defined]


def test_the_crawl_finishes_and_stores_each_listed_article_once(odd_crawl: Any) -> None:
    result, db, _ = odd_crawl
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    assert result.returncode in (0, 3), result.stderr[-3000:]
    stored = sorted(doc["url"].rstrip("/").rsplit("/", 1)[1] for doc in db.articles.find())
    assert stored == sorted(STORED)
    assert result.paths.count("/news/flooded/") == 1


def test_a_nested_item_is_read_after_its_outer_item_which_keeps_its_own_link_and_date() -> None:
    feed = read_feed(f"<rss><channel><item><link>{url('outer')}</link><item><link>{url('inner')}</link></item>"
                     f"<pubDate>{DATE}</pubDate></item><item><link>{url('next')}</link></item></channel></rss>".encode())
    assert [(link.url, link.date is not None) for link in feed.links] == [
        (url("outer"), True), (url("inner"), False), (url("next"), False)]


def test_odd_case_items_links_and_dates_are_read() -> None:
    feed = read_feed(f"<rss><channel><iTem><LINK>{url('a')}</LINK><PUBDATE>{DATE}</PUBDATE></iTem>"
                     f"<Entry><LINK REL='Alternate' HREF='{url('b')}'/><UPDATED>2026-11-20T10:00:00Z</UPDATED></Entry>"
                     "</channel></rss>".encode())
    assert [(link.url, link.date is not None) for link in feed.links] == [(url("a"), True), (url("b"), True)]


def test_relative_feed_links_resolve_against_xml_base_and_the_feeds_url() -> None:
    """Such a link was requested as written, never an article URL of the site: the article was lost
    (``discovery/skipped/not_article_url``)."""
    feed = read_feed(b"<feed xmlns='http://www.w3.org/2005/Atom' xml:base='/news/'>"
                     b"<entry><link href='a/'/></entry>"
                     b"<entry xml:base='https://odd.kg/other/'><link href='b/'/></entry>"
                     b"<entry><link href='https://odd.kg/news/c/'/></entry><entry><link href='//odd.kg/news/d/'/>"
                     b"</entry><entry><link href='http://[::1/news/e/'/></entry></feed>", base_url=url("feed"))
    assert [link.url for link in feed.links] == [
        url("a"), "https://odd.kg/other/b/", url("c"), "https://odd.kg/news/d/", "http://[::1/news/e/"]
    rss = read_feed(b"<rss><channel><item><link>/news/a/</link></item><item><guid>b/</guid></item></channel></rss>",
                    base_url="https://odd.kg/news/")
    assert [link.url for link in rss.links] == [url("a"), url("b")]
    assert read_feed(b"<rss><channel><item><link>/news/a/</link></item></channel></rss>").links[0].url == "/news/a/"


@pytest.mark.parametrize("body", [b"{", b"[]", b"{\"items\": 5}", b"{\"items\": {}}", b"[" * 100_000 + b"]" * 100_000,
                                  b"{\"items\": [" + b"[" * 100_000 + b"]" * 100_000 + b"]}"])
def test_json_that_is_no_json_feed_gives_no_links(body: bytes) -> None:
    assert read_feed(body).links == []


def test_a_json_feed_is_read_to_its_cap() -> None:
    """Read as XML, a JSON Feed (which a home page may announce as ``application/feed+json``) had no items."""
    items = [{"url": url(f"a{n}"), "date_modified": "2026-11-20T10:00:00Z"} for n in range(5)]
    feed = read_feed(json.dumps({"items": items}).encode(), max_entries=3)
    assert [link.url for link in feed.links] == [url("a0"), url("a1"), url("a2")] and feed.skipped == 2
    assert all(link.date is not None for link in feed.links)


def test_xml_past_the_size_limit_is_counted_and_what_came_before_kept(odd_crawl: Any) -> None:
    result, _, _ = odd_crawl
    stats = result.stats
    assert stats["discovery/feed/too_large"] == 1
    assert stats["discovery/sitemap/too_large"] == 1
    assert "/news/after-feed-limit/" not in result.paths and "/news/after-sitemap-limit/" not in result.paths


def test_links_no_request_can_be_made_of_are_skipped_and_counted(odd_crawl: Any) -> None:
    result, db, _ = odd_crawl
    # the feed's, the index's, and robots.txt's four
    assert result.stats["discovery/skipped/invalid_url"] == len(BAD_LINKS) + 1 + 4
    assert "discovery/sitemap/invalid" not in result.stats  # the empty Sitemap line asked for no sitemap
    assert "articles/errors/extract" not in result.stats
    assert db.articles.find_one({"url": url("broken-canonical")})["translations"] == []


def test_loops_floods_and_other_hosts_end(odd_crawl: Any) -> None:
    result, _, outside_requests = odd_crawl
    stats = result.stats
    assert result.paths.count("/sitemap-a.xml") == 1 and result.paths.count("/sitemap-b.xml") == 1
    assert stats["discovery/skipped/sitemap_seen"] == 1
    assert stats["discovery/skipped/feed_entries"] == 100_000 - 1_000
    assert outside_requests == []


def test_a_bad_href_on_a_home_or_listing_page_is_skipped() -> None:
    from parsel import Selector

    from crawler.discovery.html import feed_links, next_page, robots_sitemaps

    page = Selector(text="<link rel='alternate' type='application/rss+xml' href='http://[::1'>"
                         "<link rel='alternate' type='application/rss+xml' href='/feed/'>"
                         "<a rel='next' href='http://[zz]/page/2/'>next</a>")
    assert feed_links(page, "https://odd.kg/") == ["https://odd.kg/feed/"]
    assert next_page(page, "https://odd.kg/") is None
    assert robots_sitemaps(b"Sitemap: http://[::1\nSitemap: /s.xml\n", "https://odd.kg/") == ["https://odd.kg/s.xml"]


class _Listener(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.requests[self.path] += 1  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_dtd_entities_in_a_feed_or_sitemap_are_neither_fetched_nor_expanded(tmp_path: Path) -> None:
    # XXE (an entity naming a URL or a file), an external DTD and parameter entity, and a billion laughs
    secret = tmp_path / "secret.txt"
    secret.write_text("operator-secret")
    listener = handler_site(_Listener)
    with running(listener):
        origin = f"http://127.0.0.1:{listener.server_port}"
        laughs = "<!ENTITY a 'ha'>" + "".join(
            f"<!ENTITY {chr(98 + i)} '{f'&{chr(97 + i)};' * 10}'>" for i in range(9))
        dtd = (f"<!DOCTYPE x SYSTEM '{origin}/dtd' [<!ENTITY web SYSTEM '{origin}/entity'>"
               f"<!ENTITY file SYSTEM 'file://{secret}'><!ENTITY % p SYSTEM '{origin}/param'>%p;{laughs}]>")
        link = f"https://{DOMAIN}/news/&web;&file;&j;/"
        feed = read_feed(f"<?xml version='1.0'?>{dtd}<rss><channel><item><title>&j;</title><link>{link}</link>"
                         "</item></channel></rss>".encode())
        sitemap = parse_sitemap(f"<?xml version='1.0'?>{dtd}<urlset xmlns='http://www.sitemaps.org/schemas/"
                                f"sitemap/0.9'><url><loc>{link}</loc></url></urlset>".encode())
    assert sitemap is not None
    urls = [entry.url for entry in [*feed.links, *sitemap.links]]
    assert urls and all("operator-secret" not in url and "haha" not in url and len(url) < 100 for url in urls), urls
    assert listener.requests == {}  # type: ignore[attr-defined]
