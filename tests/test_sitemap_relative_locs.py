"""Sitemaps whose ``<loc>`` are relative ("/news/1", "news/2", "../news/3", child sitemaps too), as CMS plugins
write them though the protocol asks for absolute URLs: each is resolved against the sitemap's own (real) URL, as
a browser would. Before, they were read as written, were no URL a request could be made of, and the site's
articles were never found (``discovery/skipped/invalid_url``). End to end through the real ``scrapy crawl``."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path

from crawler.discovery.sitemaps import parse_sitemap
from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import article, site_config
from tests.test_feed_declared_encoding import answer, crawled

DOMAIN = "rel.kz"
CONFIG = site_config("rel", DOMAIN, "Asia/Almaty", article_url=f"^https://{DOMAIN.replace('.', '[.]')}/news/\\d+$",
                     sources={"sitemaps": [f"https://{DOMAIN}/sitemap.xml"]})
SITEMAPS = {
    "/sitemap.xml": '<sitemapindex xml:base="https://rel.kz/"><sitemap><loc>sitemap-news.xml</loc></sitemap>'
                    "<sitemap><loc>/sitemaps/posts.xml</loc></sitemap></sitemapindex>",
    "/sitemap-news.xml": "<urlset><url><loc>/news/1</loc></url><url><loc>news/2</loc></url></urlset>",
    "/sitemaps/posts.xml": "<urlset><url><loc>../news/3</loc></url><url><loc>https://rel.kz/news/4</loc></url>"
                           "<url><loc>//rel.kz/news/5</loc></url></urlset>",
}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        kind, body = "text/html; charset=utf-8", b""
        if self.path in SITEMAPS:
            kind, body = "application/xml", ('<?xml version="1.0"?>' + SITEMAPS[self.path]).encode()
        elif self.path.startswith("/news/"):
            body = article(f"n{self.path.rsplit('/', 1)[1]}").encode()
        answer(self, kind, body)


def test_relative_sitemap_locations_are_crawled(mongo: MongoTarget, tmp_path: Path,
                                                crawl_into_store: StoreCrawl) -> None:
    stats = crawled(Handler, CONFIG, tmp_path, crawl_into_store)
    assert sorted(doc["url"] for doc in mongo.db.articles.find()) == [
        f"https://{DOMAIN}/news/{n}" for n in range(1, 6)], stats
    assert stats["discovery/sitemap/links"] == 5 and "discovery/skipped/invalid_url" not in stats


def test_a_relative_location_resolves_against_the_sitemap_and_its_xml_base() -> None:
    body = (b'<?xml version="1.0"?><urlset><url><loc>/a</loc></url><url><loc>b</loc></url>'
            b'<url xml:base="https://rel.kz/other/"><loc>c</loc></url><url><loc>mailto:x@rel.kz</loc></url></urlset>')
    sitemap = parse_sitemap(body, base_url="https://rel.kz/maps/one.xml")
    assert sitemap is not None
    assert [link.url for link in sitemap.links] == [
        "https://rel.kz/a", "https://rel.kz/maps/b", "https://rel.kz/other/c", "mailto:x@rel.kz"]
