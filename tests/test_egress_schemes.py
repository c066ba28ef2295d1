"""Only http(s) is downloaded: the real ``scrapy crawl`` of a replica whose sitemap index, feed, robots.txt and
listing page name ``file://`` URLs (of the site's own host and of the mirror's host:port, which pass a check of the
host alone), ``ftp://``, ``s3://`` and ``data:`` ones. The "local files" are FIFOs, so the test sees whether anything
opened one; the ``data:`` sitemap lists an article, so the replica sees whether it was read. Each such URL is refused
in one warning line and counted (``egress/refused/scheme``), and the site's real articles are stored. With the egress
filter taken out, Scrapy's own file, data, ftp and s3 handlers are off too (``DOWNLOAD_HANDLERS``). The feed also
names a lookalike of the site's host (Cyrillic letters, and the same name in punycode) and an article of another
configured outlet (asiaplus.news): each is off the site, as each site's crawl asks only its own hosts."""

from __future__ import annotations

import base64
import errno
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from crawler import settings as project_settings
from tests.conftest import free_port
from tests.crawling import CrawlResult, StoreCrawl, fresh_database
from tests.hostile_site import article, site_config

DOMAIN = "local.kg"
STORED = {"from-feed", "from-sitemap", "from-home"}
FIFOS = ("index-mirror", "index-site", "feed-mirror", "feed-site", "robots-site", "next-mirror", "redirect-mirror",
         "refresh-mirror")
LOOKALIKES = ("https://lосal.kg/news/homoglyph/", "https://xn--lal-sedp.kg/news/punycode/")  # о and с: Cyrillic
OTHER_OUTLET = "https://asiaplus.news/news/other-outlet/"  # a site of crawler/sites/, not this one
PASSWD = b"root:x:0:0:root:/root:/bin/bash\n"


def url(slug: str) -> str:
    return f"https://{DOMAIN}/news/{slug}/"


class FifoWatch:
    """FIFOs standing for local files: ``opened`` names each one a reader opened (which is then given a passwd
    line and its end, so a reader never blocks the crawl). A writer's non-blocking open fails with ENXIO while
    no reader has the FIFO open."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True)
        self.paths = [directory / name for name in FIFOS]
        for path in self.paths:
            os.mkfifo(path)
        self.opened: list[str] = []
        self._stop = threading.Event()

    @contextmanager
    def watching(self) -> Iterator[FifoWatch]:
        thread = threading.Thread(target=self._watch, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(0.01):
            for path in self.paths:
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                except OSError as error:
                    if error.errno != errno.ENXIO:  # ENXIO: no reader has it open
                        raise
                    continue
                self.opened.append(path.name)
                try:
                    os.write(fd, PASSWD)
                finally:
                    os.close(fd)


def hostile_urls(port: int, local: Path) -> dict[str, list[str]]:
    """The URLs no download may be made of, by the document that names them (``local``: the FIFOs' directory)."""
    mirror, site = f"file://127.0.0.1:{port}{local}", f"file://{DOMAIN}{local}"
    listed = f"<urlset><url><loc>{url('from-data')}</loc></url></urlset>".encode()
    return {
        "index": [f"{mirror}/index-mirror", f"{site}/index-site", f"ftp://{DOMAIN}/sitemap-ftp.xml",
                  f"data:application/xml;base64,{base64.b64encode(listed).decode()}"],
        # each matches the site's article pattern (as a pattern without a scheme would)
        "feed": [f"{mirror}/feed-mirror", f"{site}/feed-site", f"ftp://{DOMAIN}/news/ftp-item",
                 f"s3://{DOMAIN}/news/s3-item", "data:text/html,/news/data-item"],
        "robots": [f"{site}/robots-site", f"ftp://{DOMAIN}/sitemap-robots.xml"],
        "next": [f"{mirror}/next-mirror"],
        # Scrapy follows no redirect to another scheme: the page stays as it came
        "redirect": [f"{mirror}/redirect-mirror"], "refresh": [f"{mirror}/refresh-mirror"],
    }


def build(root: Path, port: int, local: Path) -> Path:
    """The replica under ``root`` for a mirror on ``port``; the site config's path."""
    bad = hostile_urls(port, local)
    index = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in [*bad["index"], f"https://{DOMAIN}/news.xml"])
    links = [*bad["feed"], *LOOKALIKES, OTHER_OUTLET, url("from-feed"), url("redirect"), url("refresh")]
    items = "".join(f"<item><link>{link}</link></item>" for link in links)
    files = {
        "sitemap.xml": f"<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{index}</sitemapindex>",
        "news.xml": f"<urlset><url><loc>{url('from-sitemap')}</loc></url></urlset>",
        "feed/index.xml": f"<rss version='2.0'><channel><title>Local</title>{items}</channel></rss>",
        "robots.txt": "User-agent: *\nAllow: /\n" + "".join(f"Sitemap: {line}\n" for line in bad["robots"]),
        "index.html": f"<html><body><a href='{url('from-home')}'>news</a>"
                      f"<a rel='next' href='{bad['next'][0]}'>older</a></body></html>",
        **{f"news/{slug}/index.html": article(slug) for slug in [*STORED, "from-data"]},
        "news/refresh/index.html": f"<html><head><meta http-equiv='refresh' content='0; url={bad['refresh'][0]}'>",
        "_server.json": json.dumps({"redirects": {"/news/redirect/": bad["redirect"][0]}}),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    config = root.parent / "local.toml"
    config.write_text(site_config("local", DOMAIN, "Asia/Bishkek", article_url="/news/[a-z0-9-]+/?$", sources={
        "feeds": [f"https://{DOMAIN}/feed/"], "sitemaps": [f"https://{DOMAIN}/sitemap.xml"],
        "listings": [f"https://{DOMAIN}/"], "listing_pages": 2}), encoding="utf-8")
    return config


@contextmanager
def hostile_crawl(tmp: Path, mongo_uri: str, settings: list[str]) -> Iterator[tuple[CrawlResult, Any, list[str]]]:
    """The crawl of the replica (with ``settings``): its result, its database and the FIFOs something opened."""
    port, local = free_port(), tmp / "local" / "news"  # under news/: the feed's match the article pattern
    fifos = FifoWatch(local)
    config = build(tmp / "site", port, local)
    with fresh_database(mongo_uri) as target, fifos.watching():
        result = StoreCrawl(target, tmp / "crawls")("news", f"config={config}", replica=tmp / "site", port=port,
                                                    settings=settings, timeout=90)
        yield result, target.db, fifos.opened


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory, mongo_uri: str) -> Iterator[tuple[CrawlResult, Any, list[str]]]:
    with hostile_crawl(tmp_path_factory.mktemp("schemes"), mongo_uri, []) as crawled:
        yield crawled


def test_no_local_file_is_opened_and_the_real_articles_are_stored(crawl: Any) -> None:
    result, db, opened = crawl
    assert opened == []
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    assert result.returncode in (0, 3), result.stderr[-3000:]  # degraded: a third of its downloads refused
    assert {doc["url"] for doc in db.articles.find()} == {url(slug) for slug in STORED}
    assert "/news/from-data/" not in result.paths  # the data: sitemap was never read


def test_each_refusal_is_counted_and_logged_in_one_line(crawl: Any) -> None:
    result, _, _ = crawl
    refused = [line for line in result.stderr.splitlines() if "Refused scheme request to " in line]
    schemes = sorted(line.split("Refused scheme request to ", 1)[1].split(":", 1)[0] for line in refused)
    assert schemes == ["data"] + ["file"] * 6 + ["ftp"] * 3 + ["s3"], "\n".join(refused)
    assert all(" WARNING: " in line and len(line) < 400 for line in refused)
    stats = result.stats
    assert stats["egress/refused/scheme"] == len(refused)
    assert stats["download/failed/egress_refused"] == len(refused) + len(LOOKALIKES) + 1
    # the index's data: sitemap names no host: Scrapy's offsite filter drops it when it is scheduled
    assert stats["offsite/filtered"] == 1


def test_scrapy_handlers_for_other_schemes_are_off_behind_the_filter(tmp_path: Path, mongo_uri: str) -> None:
    middlewares = {**project_settings.DOWNLOADER_MIDDLEWARES, "crawler.middlewares.egress.EgressFilterMiddleware": None}
    without_filter = [f"DOWNLOADER_MIDDLEWARES={json.dumps(middlewares)}"]
    with hostile_crawl(tmp_path, mongo_uri, without_filter) as (result, db, opened):
        assert opened == []
        assert "/news/from-data/" not in result.paths
        assert {doc["url"] for doc in db.articles.find()} == {url(slug) for slug in STORED}
        assert "egress/refused/scheme" not in result.stats  # the filter was off: the handlers refused them
        assert result.stderr.count("no handler available for that scheme") >= 12, result.stderr[-3000:]


def test_a_lookalike_of_the_sites_host_and_another_outlet_are_off_the_site(crawl: Any) -> None:
    result, _, _ = crawl
    refused = [line.split("Refused offsite request to ", 1)[1] for line in result.stderr.splitlines()
               if "Refused offsite request to " in line]
    assert sorted(refused) == [OTHER_OUTLET, "https://xn--lal-sedp.kg/news/homoglyph/",
                               "https://xn--lal-sedp.kg/news/punycode/"]
    assert result.stats["egress/refused/offsite"] == 3
