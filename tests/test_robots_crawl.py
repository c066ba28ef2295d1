"""robots.txt in a real ``scrapy crawl`` of the asiaplus replica (embedded store): its rules hold for every
request, its ``Sitemap:`` lines are read (another host's counted, not read), and it is downloaded once per
host and run; the kept response answers only a request for the very URL it came from, once."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy.http import Request, Response, TextResponse
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred

from crawler.middlewares.conditional import LASTING_FAILURES
from crawler.middlewares.robots import SharedRobotsTxtMiddleware
from tests.crawling import FAST, StoreCrawl
from tests.replicas import REPLICAS, expected_articles

FORBIDDEN = "/en/2025/06/02/tajikistan-and-kyrgyzstan-open-new-border-checkpoint/"
OFFSITE = "https://cdn.elsewhere.example/asiaplus-sitemap.xml"


@pytest.mark.e2e
def test_robots_txt_is_fetched_once_and_obeyed_and_its_sitemaps_read(tmp_path: Path) -> None:
    replica = tmp_path / "asiaplus"
    shutil.copytree(REPLICAS / "asiaplus", replica)
    robots = replica / "robots.txt"
    robots.write_text(robots.read_text(encoding="utf-8").replace(
        "Disallow: /wp-admin/", f"Disallow: /wp-admin/\nDisallow: {FORBIDDEN}") + f"\nSitemap: {OFFSITE}\n",
        encoding="utf-8")
    articles = {urlsplit(url).path for url in expected_articles("asiaplus")}
    assert FORBIDDEN in articles

    result = StoreCrawl(None, tmp_path / "crawls")("asiaplus", replica=replica, settings=FAST, expect=0)

    assert result.paths.count("/robots.txt") == 1, result.paths
    assert FORBIDDEN not in result.paths
    assert articles - {FORBIDDEN} <= set(result.paths)
    stats = result.stats
    assert stats["robotstxt/forbidden"] >= 1
    # A disallowed URL is the site's wish, met again every run: no failed download, no download error, so the run
    # stays healthy and records how its sources were read (a passing failure would have it ask them all again).
    assert stats["download/skipped/robots_txt"] == stats["robotstxt/forbidden"]
    failed = [k.removeprefix("download/failed/") for k in stats if k.startswith("download/failed/")]
    assert set(failed) <= set(LASTING_FAILURES), failed  # the replica's 404s
    assert "downloader/exception_count" not in stats
    assert stats["health/status"] == "healthy", stats
    assert "discovery/sources/not_saved" not in stats
    assert stats["robotstxt/reused"] == 1
    assert stats["discovery/robots/sitemaps"] >= 1
    assert stats["discovery/skipped/offsite_sitemap"] == 1  # another host's sitemap: counted, not read
    assert urlsplit(OFFSITE).path not in result.paths
    # The reused robots.txt was downloaded once: the downloader's stats count one response per request.
    assert stats["downloader/response_count"] == stats["downloader/request_count"]
    assert sum(v for k, v in stats.items() if k.startswith("downloader/response_status_count/")) == \
        stats["downloader/request_count"]


@pytest.mark.e2e
def test_a_robots_txt_of_megabytes_is_read_to_its_first_500_kib(tmp_path: Path) -> None:
    """200,000 wildcard rules (5.5 MB): Protego took 7 s of the crawl process to parse them and 0.25 s to check each
    request; the rules before the limit hold, those after it are ignored (as Google ignores them)."""
    replica = tmp_path / "asiaplus"
    shutil.copytree(REPLICAS / "asiaplus", replica)
    flood = "".join(f"Disallow: /archive-{n}/*a*b*c*$\n" for n in range(200_000))
    (replica / "robots.txt").write_text(f"User-agent: *\nDisallow: {FORBIDDEN}\n{flood}Disallow: /\n",
                                        encoding="utf-8")
    articles = {urlsplit(url).path for url in expected_articles("asiaplus")}

    result = StoreCrawl(None, tmp_path / "crawls")("asiaplus", replica=replica, settings=FAST, expect=0)

    assert FORBIDDEN not in result.paths
    assert articles - {FORBIDDEN} <= set(result.paths)  # the "Disallow: /" past the limit is not read
    assert result.stats["robotstxt/truncated"] == 1


def test_a_kept_robots_txt_answers_only_a_request_for_its_own_url_once() -> None:
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True})
    assert crawler.stats is not None
    crawler.stats.open_spider()
    middleware = SharedRobotsTxtMiddleware.from_crawler(crawler)

    async def asked() -> list[Response | None]:
        middleware._parsers["h.kz"] = Deferred()  # as its robot_parser() leaves it while the fetch runs
        robots = Request("http://h.kz/robots.txt")
        fetched = TextResponse(robots.url, body=b"User-agent: *\nDisallow: /x\n", request=robots)
        await middleware._parse_robots(fetched, "h.kz", Request("http://h.kz/news/1"))
        urls = ["https://h.kz/robots.txt", "http://h.kz/robots.txt", "http://h.kz/robots.txt"]
        return [await middleware.process_request(Request(url)) for url in urls]

    https, own, again = asyncio.run(asked())
    assert https is None and again is None
    assert own is not None and own.url == "http://h.kz/robots.txt" and b"Disallow: /x" in own.body
