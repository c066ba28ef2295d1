"""robots.txt in a real ``scrapy crawl`` of the asiaplus replica (embedded store): its rules hold for every
request, its ``Sitemap:`` lines are read, and it is downloaded once per host and run."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.crawling import FAST, StoreCrawl
from tests.replicas import REPLICAS, expected_articles

FORBIDDEN = "/en/2025/06/02/tajikistan-and-kyrgyzstan-open-new-border-checkpoint/"


@pytest.mark.e2e
def test_robots_txt_is_fetched_once_and_obeyed_and_its_sitemaps_read(tmp_path: Path) -> None:
    replica = tmp_path / "asiaplus"
    shutil.copytree(REPLICAS / "asiaplus", replica)
    robots = replica / "robots.txt"
    robots.write_text(robots.read_text(encoding="utf-8").replace(
        "Disallow: /wp-admin/", f"Disallow: /wp-admin/\nDisallow: {FORBIDDEN}"), encoding="utf-8")
    articles = {urlsplit(url).path for url in expected_articles("asiaplus")}
    assert FORBIDDEN in articles

    result = StoreCrawl(None, tmp_path / "crawls")("asiaplus", replica=replica, settings=FAST, expect=0)

    assert result.paths.count("/robots.txt") == 1, result.paths
    assert FORBIDDEN not in result.paths
    assert articles - {FORBIDDEN} <= set(result.paths)
    stats = result.stats
    assert stats["robotstxt/forbidden"] >= 1
    assert stats["robotstxt/reused"] == 1
    assert stats["discovery/robots/sitemaps"] >= 1
