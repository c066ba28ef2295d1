"""A broken page whose unclosed ``<div>`` or ``<font>`` tags nest its article more than 200 elements deep (each
paragraph a level deeper, as old CMS templates write them), crawled by the real ``scrapy crawl`` with the generic
body rules: its paragraphs are stored. The block walk stopped at depth 200 and dropped everything below it, so the
record's body was its headline."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import PARAGRAPHS, article, site_config

pytestmark = pytest.mark.e2e

DOMAIN = "deep.tj"
PAGES = {
    "flat": article("flat"),
    "unclosed-divs": article("unclosed-divs").replace(
        "<div class='entry-content'>", "<div class='entry-content'>" + "<div>" * 300
    ),
    "unclosed-divs-2000": article("unclosed-divs-2000").replace(
        "<div class='entry-content'>", "<div class='entry-content'>" + "<div>" * 2000
    ),
    "unclosed-fonts": article("unclosed-fonts").replace("<p>", "<p>" + "<font face='Arial'>" * 80),
}


def build(root: Path) -> Path:
    """The replica under ``root`` (a feed of :data:`PAGES`); the site config's path (no body rule matches, so the
    generic rules read the body)."""
    for slug, page in PAGES.items():
        (root / "news" / slug).mkdir(parents=True)
        (root / "news" / slug / "index.html").write_text(page, encoding="utf-8")
    items = "".join(
        f"<item><title>{slug}</title><link>https://{DOMAIN}/news/{slug}/</link>"
        f"<pubDate>Fri, 20 Nov 2026 10:{n:02d}:00 +0500</pubDate></item>"
        for n, slug in enumerate(PAGES)
    )
    (root / "feed").mkdir()
    (root / "feed" / "index.xml").write_text(
        f"<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel><title>Deep</title>{items}</channel></rss>",
        encoding="utf-8",
    )
    config = root.parent / "deep.toml"
    config.write_text(site_config("deep", DOMAIN, "Asia/Dushanbe", body=".no-body-rule"), encoding="utf-8")
    return config


def test_paragraphs_nested_past_200_elements_are_stored(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    root = tmp_path / "site"
    root.mkdir()
    config = build(root)
    result = crawl_into_store("news", f"config={config}", replica=root, settings=["ROBOTSTXT_OBEY=0"], expect=0)
    stored = {doc["url"].rstrip("/").rsplit("/", 1)[1]: doc for doc in mongo.db.articles.find()}
    assert set(stored) == set(PAGES), result.stats
    for slug, doc in stored.items():
        assert doc["paragraphs"] == PARAGRAPHS, slug
