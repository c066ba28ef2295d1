"""Page-supplied URLs that name no URL (``http://[::1``, a port past 65535 or that is no number, ``xn--`` garbage,
a 300-character label) in a page's ``<base href>``, its links, feed and API links, its next-page link and its meta
refresh: the real callbacks and middlewares skip and count them, and read the rest of the page; end to end, a
replica whose listing, home and article pages have broken bases is crawled whole, each fault counted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import scrapy
from parsel import Selector
from scrapy.http import HtmlResponse, Request
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler.discovery.html import feed_links, next_page, page_links, wp_api_root
from crawler.hosts import is_public_web_url
from crawler.middlewares.meta_refresh import MetaRefreshMiddleware
from crawler.spiders.news import NewsSpider
from tests.crawling import StoreCrawl, fresh_database, log_excerpt
from tests.hostile_site import article, site_config

DOMAIN = "base.kg"
HOME = f"https://{DOMAIN}/"
BROKEN_BASES = ["http://[::1", "http://[bad", f"http://{DOMAIN}:99999/", f"http://{DOMAIN}:abc/", "//[::1",
                "http://[::1]:99999/", "javascript:void(0)"]
# hrefs no request can be made of; the last ones are odd hosts a request can be made of (left to the URL pattern)
BAD_HREFS = ["http://[::1/news/a-b-c/", "http://[zz]/news/a-b-c/", f"https://{DOMAIN}:99999/news/a-b-c/",
             f"https://{DOMAIN}:abc/news/a-b-c/", "https://[::1]:70000/news/a-b-c/"]
ODD_HOSTS = ["http://xn--zz/news/a-b-c/", "http://xn--/news/a-b-c/", f"http://{'a' * 300}.kg/news/a-b-c/",
             "http://xn--zz--.kg/news/a-b-c/", "http://a..kg/news/a-b-c/"]
GOOD = [f"{HOME}news/first-good-one/", f"{HOME}news/second-good-one/"]


def listing(base: str | None, *extra: str) -> bytes:
    """A listing page: relative links to two articles, after a ``<base href>`` (none for None) and ``extra``."""
    head = "" if base is None else f"<base href='{base}'>"
    return (f"<html><head>{head}</head><body>{''.join(extra)}<a href='/news/first-good-one/'>1</a>"
            "<a href='/news/second-good-one/#comments'>2</a><a rel='next' href='/page/2/'>next</a>"
            "</body></html>").encode()


def news_spider(tmp_path: Path, **args: str) -> NewsSpider:
    if "url" not in args:
        config = tmp_path / "base.toml"
        config.write_text(site_config("base", DOMAIN, "Asia/Bishkek", source="listings",
                                      sources={"listings": [HOME], "listing_pages": 3}))
        args["config"] = str(config)
    crawler = get_crawler(NewsSpider)
    crawler.stats.open_spider()  # type: ignore[union-attr]
    return NewsSpider.from_crawler(crawler, **args)  # type: ignore[no-any-return]


def read(tmp_path: Path, callback: str, body: bytes) -> tuple[list[scrapy.Request], dict[str, Any]]:
    """The requests ``callback`` (``parse_listing`` or ``parse_home``) makes of ``body`` served at the home page."""
    spider = news_spider(tmp_path, **({"url": HOME} if callback == "parse_home" else {}))
    requests = list(getattr(spider, callback)(HtmlResponse(HOME, body=body), spider.site.editions[0]))
    return requests, spider.crawler.stats.get_stats()  # type: ignore[union-attr]


def articles(requests: list[scrapy.Request]) -> list[str]:
    return [r.url for r in requests if r.callback.__name__ == "parse_article"]  # type: ignore[union-attr]


@pytest.mark.parametrize("callback", ["parse_listing", "parse_home"])
@pytest.mark.parametrize("base", BROKEN_BASES)
def test_a_broken_base_is_ignored_and_counted_and_the_page_links_read(tmp_path: Path, callback: str, base: str) -> None:
    requests, stats = read(tmp_path, callback, listing(base))
    assert articles(requests) == GOOD
    assert stats["discovery/skipped/invalid_base"] == 1
    if callback == "parse_listing":
        assert requests[-1].url == f"{HOME}page/2/"


@pytest.mark.parametrize("callback", ["parse_listing", "parse_home"])
def test_relative_links_resolve_against_a_usable_base(tmp_path: Path, callback: str) -> None:
    requests, stats = read(tmp_path, callback, listing(f"{HOME}news/", "<a href='in-base-dir-page/'>3</a>"))
    assert f"{HOME}news/in-base-dir-page/" in articles(requests)
    assert "discovery/skipped/invalid_base" not in stats


@pytest.mark.parametrize("callback", ["parse_listing", "parse_home"])
def test_hrefs_no_request_can_be_made_of_are_skipped_and_counted(tmp_path: Path, callback: str) -> None:
    requests, stats = read(tmp_path, callback, listing(None, *(f"<a href='{h}'>x</a>" for h in BAD_HREFS + ODD_HOSTS)))
    # the generic spider's pattern takes any host: the odd ones are requested, and refused by the egress filter
    assert [url for url in articles(requests) if url.startswith(HOME)] == GOOD
    assert stats["discovery/skipped/invalid_url"] == len(BAD_HREFS)


def test_feed_api_and_next_links_no_request_can_be_made_of_are_not_followed(tmp_path: Path) -> None:
    page = listing(None, f"<link rel='alternate' type='application/rss+xml' href='https://{DOMAIN}:99999/feed/'>",
                   "<link rel='alternate' type='application/rss+xml' href='/feed/'>",
                   f"<link rel='https://api.w.org/' href='https://{DOMAIN}:abc/wp-json/'>")
    requests, _ = read(tmp_path, "parse_home", page)
    assert sorted(r.url for r in requests if r.callback.__name__ != "parse_article") == [f"{HOME}feed/"]  # type: ignore[union-attr]
    requests, _ = read(tmp_path, "parse_listing", page.replace(b"/page/2/", f"https://{DOMAIN}:99999/2/".encode()))
    assert articles(requests) == [r.url for r in requests]  # no next page


@pytest.mark.parametrize("href", BAD_HREFS + ODD_HOSTS + ["http://[v1.x]/"])
def test_every_link_the_helpers_return_can_be_requested(href: str) -> None:
    page = Selector(text=f"<link rel='alternate' type='application/rss+xml' href='{href}'>"
                         f"<link rel='https://api.w.org/' href='{href}'><a rel='next' href='{href}'>n</a>"
                         f"<base href='{href}'><a href='{href}'>x</a><a href='/news/a-b-c/'>y</a>")
    links = page_links(page, HOME)
    found = [*links.urls, *feed_links(page, links.base), next_page(page, links.base), wp_api_root(page, links.base)]
    for url in filter(None, found):
        scrapy.Request(url)
    assert links.urls  # the good link at least


def middleware() -> tuple[MetaRefreshMiddleware, Any]:
    crawler = get_crawler()
    crawler.stats.open_spider()  # type: ignore[union-attr]
    return build_from_crawler(MetaRefreshMiddleware, crawler), crawler.stats


@pytest.mark.parametrize(("head", "redirected"), [
    *((f"<base href='{base}'>", False) for base in BROKEN_BASES[:-1]),
    *((f"<meta http-equiv='refresh' content='0; url={href}'>", False) for href in BAD_HREFS),
    ("<base href='http://[::1'><meta http-equiv='refresh' content='0; url=/news/moved-here-now/'>", False),
    ("<meta http-equiv='refresh' content='0; url=/news/moved-here-now/'>", True),
    ("", False),
])
def test_a_page_whose_base_or_refresh_names_no_url_is_read_as_it_came(head: str, redirected: bool) -> None:
    refresh, stats = middleware()
    url = f"{HOME}news/an-article-page/"
    response = HtmlResponse(url, body=f"<html><head>{head}</head><body>text</body></html>".encode(),
                            request=Request(url))
    answer = refresh.process_response(response.request, response)  # type: ignore[arg-type]
    if redirected:
        assert isinstance(answer, Request) and answer.url == f"{HOME}news/moved-here-now/"
    else:
        assert answer is response
        assert stats.get_value("download/meta_refresh/invalid") == (1 if head else None)


@pytest.mark.parametrize(("url", "public"), [
    ("https://cdn.base.kg/a.jpg", True),
    ("https://cdn.base.kg:8443/a.jpg", True),
    ("https://cdn.base.kg:99999/a.jpg", False),
    ("https://cdn.base.kg:abc/a.jpg", False),
    ("https://[2001:db8::1]:99999/a.jpg", False),
    ("http://[::1/a.jpg", False),
    ("javascript:alert(1)", False),
    ("https://cdn.base.kg:0/a.jpg", False),
    ("http://1.1/a.jpg", True),  # 1.0.0.1, a public address
    ("http://[2001:4860::8888]/a.jpg", True),
    # names only a private network resolves: a reader's browser would load them from inside the newsroom
    ("http://metadata.google.internal/computeMetadata/v1/", False),
    ("http://metadata/computeMetadata/v1/", False),
    ("http://printer.local/a.jpg", False),
    ("http://router.lan./a.jpg", False),
    ("http://nas.home.arpa/a.jpg", False),
    ("http://intranet/a.jpg", False),
    ("https://local.base.kg/a.jpg", True),
    ("https://internal.kg/a.jpg", True),
])
def test_an_image_url_is_public_only_where_a_readers_browser_may_load_it(url: str, public: bool) -> None:
    assert is_public_web_url(url) is public


# -- end to end: the real ``scrapy crawl`` of a replica whose listing, home and article pages have broken bases ----
ARTICLES = ["plain-article-page", "broken-base-article", "broken-refresh-article"]


def build_replica(root: Path) -> Path:
    """The replica under ``root``: a home page listing the articles under a broken base (its second page under
    another), an article under a broken base, one whose meta refresh names no URL; the site config's path."""
    bad = "".join(f"<a href='{href}'>x</a>" for href in BAD_HREFS)
    files = {
        "index.html": listing("http://[::1", bad, *(f"<a href='/news/{slug}/'>{slug}</a>" for slug in ARTICLES)),
        "page/2/index.html": listing(f"http://{DOMAIN}:99999/", "<a href='/news/on-page-two/'>2</a>"),
        "news/plain-article-page/index.html": article("plain-article-page").encode(),
        "news/broken-base-article/index.html": article("broken-base-article").replace(
            "<title>", "<base href='http://[::1'><title>").encode(),
        "news/broken-refresh-article/index.html": article("broken-refresh-article").replace(
            "<title>", f"<meta http-equiv='refresh' content='0; url=http://{DOMAIN}:99999/'><title>").encode(),
        **{f"news/{slug}/index.html": article(slug).encode()
           for slug in ("first-good-one", "second-good-one", "on-page-two")},
    }
    for name, body in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(body)
    config = root.parent / "base.toml"
    config.write_text(site_config("base", DOMAIN, "Asia/Bishkek", sources={"listings": [HOME], "listing_pages": 3}))
    return config


@pytest.fixture(scope="module")
def base_crawls(tmp_path_factory: pytest.TempPathFactory, mongo_uri: str) -> Iterator[dict[str, tuple[Any, Any]]]:
    """The replica crawled from its listings (``-a config=``) and from its home page (``-a url=``)."""
    root = tmp_path_factory.mktemp("base") / "site"
    root.mkdir()
    config = build_replica(root)
    with fresh_database(mongo_uri) as listed, fresh_database(mongo_uri) as homed:
        crawls = {}
        for name, target, arg in (("listing", listed, f"config={config}"), ("home", homed, f"url={HOME}")):
            result = StoreCrawl(target, tmp_path_factory.mktemp("crawls"))(
                "news", arg, replica=root, settings=["ROBOTSTXT_OBEY=0", "RETRY_TIMES=0"], timeout=90)
            crawls[name] = result, {doc["url"].rstrip("/").rsplit("/", 1)[1] for doc in target.db.articles.find()}
        yield crawls


@pytest.mark.parametrize(("crawl", "stored", "bases"), [
    ("listing", {*ARTICLES, "first-good-one", "second-good-one", "on-page-two"}, 2),
    ("home", {*ARTICLES, "first-good-one", "second-good-one"}, 1),
])
def test_pages_with_broken_bases_yield_their_articles_and_the_crawl_counts_them(
        base_crawls: dict[str, tuple[Any, Any]], crawl: str, stored: set[str], bases: int) -> None:
    result, found = base_crawls[crawl]
    assert "Traceback" not in result.stderr, log_excerpt(result.stderr)
    assert result.returncode in (0, 3), result.stderr[-3000:]
    assert found == stored
    stats = result.stats
    assert stats["discovery/skipped/invalid_base"] == bases
    assert stats["discovery/skipped/invalid_url"] == len(BAD_HREFS)
    # Scrapy's meta refresh reads every page's base: the listing pages', an article's, and another's broken refresh
    assert stats["download/meta_refresh/invalid"] == bases + 2
    assert not {key for key in stats if key.startswith(("download/failed/", "articles/errors/"))}
