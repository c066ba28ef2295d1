"""Pages that need JavaScript: the kazinform replica renders its article bodies
only in the browser; the real Chromium must be driven to store them."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse

from crawler.browser import looks_like_script_shell
from crawler.sites import SITES_DIR_NAME
from crawler.spiders.base import is_cut
from tests.crawling import MongoTarget, StoreCrawl
from tests.replica.server import resolve
from tests.replicas import REPLICAS, expected_articles, page_file

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
requires_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("REQUIRE_BROWSER"),
    reason=f"{CHROMIUM} is not installed (apt-get install chromium)",
)
JS_SITE = "kazinform"


def test_the_js_replica_serves_script_shells() -> None:
    """Guard on the fixture itself: served pages are shells, recorded renderings are not."""
    root = (REPLICAS / JS_SITE).resolve()
    for url in expected_articles(JS_SITE):
        served = resolve(root, urlsplit(url).path)
        assert served is not None and looks_like_script_shell(served.read_text(encoding="utf-8")), url
        assert not looks_like_script_shell(page_file(JS_SITE, url).read_text(encoding="utf-8")), url


def test_a_minified_shell_without_its_optional_end_tags_is_still_rendered() -> None:
    """Minifiers drop the optional ``</body></html>``: such a shell is no cut page and is still sent to Chromium."""
    root = (REPLICAS / JS_SITE).resolve()
    for url in expected_articles(JS_SITE):
        served = resolve(root, urlsplit(url).path)
        assert served is not None
        minified = re.sub(r"(?i)</(body|html)>\s*", "", served.read_text(encoding="utf-8")).rstrip()
        assert looks_like_script_shell(minified), url
        assert not is_cut(HtmlResponse(url, body=minified.encode(), encoding="utf-8")), url


@requires_chromium
def test_js_site_bodies_are_stored_only_through_chromium(mongo: MongoTarget, crawl_into_store: StoreCrawl) -> None:
    stats = crawl_into_store(JS_SITE, replica=REPLICAS / JS_SITE, timeout=180, expect=0).stats
    want = expected_articles(JS_SITE)
    docs = {doc["url"]: doc for doc in mongo.db.articles.find()}
    assert set(docs) == set(want)
    for url, fields in want.items():
        assert docs[url]["paragraphs"] == fields["paragraphs"]
    assert stats["browser/rendered"] == len(want)
    assert stats["playwright/page_count"] >= len(want)


def test_without_the_browser_the_js_site_stores_nothing(mongo: MongoTarget, crawl_into_store: StoreCrawl) -> None:
    stats = crawl_into_store(JS_SITE, replica=REPLICAS / JS_SITE, settings=["BROWSER_ENABLED=0"], timeout=180,
                             expect=3).stats  # degraded: bodies missing
    assert mongo.db.articles.count_documents({}) == 0
    assert stats["validation/dropped/missing/body"] == len(expected_articles(JS_SITE))


@requires_chromium
def test_a_script_shell_is_retried_in_chromium_and_the_site_remembered(mongo: MongoTarget, tmp_path: Path,
                                                                      crawl_into_store: StoreCrawl) -> None:
    config = (Path(SITES_DIR_NAME) / f"{JS_SITE}.toml").read_text(encoding="utf-8")
    unmarked = tmp_path / "unmarked.toml"
    unmarked.write_text(re.sub(r"(?m)^needs_browser\s*=\s*true", "needs_browser = false", config), encoding="utf-8")
    stats = crawl_into_store("news", f"config={unmarked}", replica=REPLICAS / JS_SITE, timeout=180, expect=0).stats
    assert mongo.db.articles.count_documents({}) == len(expected_articles(JS_SITE))
    assert stats["browser/site_switched"] == 1
    assert 1 <= stats["browser/retried"] <= len(expected_articles(JS_SITE))
    assert stats["browser/rendered"] == len(expected_articles(JS_SITE))
