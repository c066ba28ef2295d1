"""The generic ``news`` spider: a site crawled with no config, and a site
crawled from a config file given on the command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crawler.sites import SITES_DIR_NAME
from tests.crawling import MongoTarget, StoreCrawl, run_crawl, store_env
from tests.replicas import REPLICAS, expected_articles

pytestmark = pytest.mark.e2e
UI_STRINGS = ("Share post", "spot_img", "ОСТАВЬТЕ ОТВЕТ", "Popular", "More like this", "Read also")


def test_generic_spider_crawls_a_wordpress_site_it_has_no_config_for(
    mongo: MongoTarget, crawl_into_store: StoreCrawl
) -> None:
    want = expected_articles("asiaplus")
    result = crawl_into_store("news", "url=https://asiaplus.news/en/", replica=REPLICAS / "asiaplus")
    assert result.returncode == 0, result.stderr[-3000:]
    docs = {doc["url"]: doc for doc in mongo.db.articles.find()}
    assert set(docs) == set(want)  # found through the home page, its feed and robots.txt sitemaps
    for url, fields in want.items():
        doc = docs[url]
        assert doc["site"] == "asiaplus.news"
        assert doc["title"] == fields["title"]
        assert doc["published"].isoformat() == fields["published"]
        assert doc["sources"]["body"] == "generic"
        assert set(fields["paragraphs"]) <= set(doc["paragraphs"])
        assert not [s for s in UI_STRINGS if s in doc["body"]]


def test_news_spider_takes_a_config_file(mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl) -> None:
    config = tmp_path / "my-outlet.toml"
    shutil.copy(Path(SITES_DIR_NAME) / "asiaplus.toml", config)
    result = crawl_into_store("news", f"config={config}", replica=REPLICAS / "asiaplus")
    assert result.returncode == 0, result.stderr[-3000:]
    stored = {doc["url"] for doc in mongo.db.articles.find({"sources.body": "site"})}
    assert stored == set(expected_articles("asiaplus"))


def test_news_spider_without_url_or_config_is_a_usage_error(tmp_path: Path) -> None:
    result = run_crawl("news", env=store_env(data_dir=tmp_path))
    assert result.returncode == 2
    assert "needs either -a url=" in result.stderr
