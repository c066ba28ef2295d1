"""A WordPress REST API page whose posts carry a ``date_gmt`` that is no string (a number, ``false``, an object, as
broken plugins write them), crawled by the real ``scrapy crawl``: every post's article is stored. Reading such a date
raised AttributeError out of the spider's callback, and no post of the page was followed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import article, site_config

pytestmark = pytest.mark.e2e

DOMAIN = "api.tj"
DATES = {"numeric": 5, "false": False, "object": {"raw": "2026-11-20"}, "list": [], "string": "2026-11-20T05:00:00"}


def test_posts_whose_date_is_no_string_are_followed(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    root = tmp_path / "site"
    for slug in DATES:
        (root / "news" / slug).mkdir(parents=True)
        (root / "news" / slug / "index.html").write_text(article(slug), encoding="utf-8")
    api = root / "wp-json" / "wp" / "v2" / "posts"
    api.mkdir(parents=True)
    posts = [{"link": f"https://{DOMAIN}/news/{slug}/", "date_gmt": date} for slug, date in DATES.items()]
    (api / "index.json").write_text(json.dumps(posts), encoding="utf-8")
    config = tmp_path / "api.toml"
    config.write_text(
        site_config("api", DOMAIN, "Asia/Dushanbe", sources={"wp_api": f"https://{DOMAIN}/wp-json/wp/v2/posts"}),
        encoding="utf-8",
    )
    result = crawl_into_store("news", f"config={config}", replica=root, settings=["ROBOTSTXT_OBEY=0"], expect=0)
    stored = {doc["url"] for doc in mongo.db.articles.find()}
    assert stored == {f"https://{DOMAIN}/news/{slug}/" for slug in DATES}, result.stats
    assert "spider_exceptions/AttributeError" not in result.stats
