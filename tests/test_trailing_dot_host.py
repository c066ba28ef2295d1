"""A site's host written in its absolute form (``https://endless.kg./news/5/``, a trailing-dot FQDN) is the site's own
host: discovered, requested without the dot (so in the site's own download slot and politeness key; through the mirror
when crawling one), allowed by Scrapy's offsite filter and the
egress policy, and stored under the same canonical URL and key; a foreign host in that form is still refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import TextResponse, XmlResponse
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler

from crawler.middlewares.egress import EgressPolicy
from crawler.middlewares.incremental import ARTICLE_URL_META
from crawler.spiders.news import NewsSpider
from crawler.urls import canonical_url, url_id
from tests import endless_site as site
from tests.test_discovery_limits import spider, stats

DOTTED = f"https://{site.DOMAIN}./news/5/"
UNDOTTED = f"https://{site.DOMAIN}/news/5/"


def sitemap(*links: str) -> XmlResponse:
    entries = "".join(f"<url><loc>{link}</loc></url>" for link in links)
    body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    return XmlResponse(f"https://{site.DOMAIN}/sitemap/x.xml", body=body.encode())


def offsite_refuses(crawl: NewsSpider, url: str) -> bool:
    crawl.crawler.spider = crawl
    middleware = build_from_crawler(OffsiteMiddleware, crawl.crawler)
    middleware.spider_opened(crawl)
    try:
        middleware.process_request(Request(url))
    except IgnoreRequest:
        return True
    return False


def test_a_trailing_dot_link_is_the_site_s_own_and_keyed_as_without_it(tmp_path: Path) -> None:
    crawl = spider(tmp_path)
    requests = list(crawl.parse_sitemap(sitemap(DOTTED, UNDOTTED), crawl.site.editions[0]))
    # The same article once, requested at the host without its dot: Scrapy's download slot (the hostname), the
    # configured DOWNLOAD_SLOTS, the frontier's politeness and host_down all key it as the site's host.
    assert [r.url for r in requests] == [UNDOTTED]
    assert [urlparse_cached(r).hostname for r in requests] == [site.DOMAIN]
    assert requests[0].meta[ARTICLE_URL_META] == UNDOTTED
    assert canonical_url(DOTTED) == f"https://{site.DOMAIN}/news/5/"
    assert url_id(DOTTED) == url_id(f"https://{site.DOMAIN}/news/5/")
    assert not offsite_refuses(crawl, DOTTED)
    assert crawl.fetch_url(DOTTED) == UNDOTTED
    policy = EgressPolicy.for_spider(crawl)
    assert policy is not None and policy.url_refusal(DOTTED) is None


@pytest.mark.parametrize("url", ["https://evil.kg./news/5/", f"https://{site.DOMAIN}../news/5/",
                                 f"https://{site.DOMAIN}.evil.kg./news/5/", "https://localhost./news/5/"])
def test_a_foreign_host_in_absolute_form_is_still_refused(tmp_path: Path, url: str) -> None:
    crawl = spider(tmp_path)
    policy = EgressPolicy.for_spider(crawl)
    assert policy is not None and policy.url_refusal(url) is not None
    assert offsite_refuses(crawl, url)


def test_through_a_mirror_a_trailing_dot_link_goes_to_the_mirror(tmp_path: Path) -> None:
    crawl = spider(tmp_path, base_url="http://127.0.0.1:8999")
    requests = list(crawl.parse_sitemap(sitemap(DOTTED), crawl.site.editions[0]))
    assert [r.url for r in requests] == ["http://127.0.0.1:8999/news/5/"]
    assert crawl.real_url(requests[0].url) == f"https://{site.DOMAIN}/news/5/"


def test_a_host_ending_in_two_dots_is_skipped_before_it_can_shadow_the_good_link(tmp_path: Path) -> None:
    # Its canonical key would be the good link's (the dots stripped), so had it entered the seen set first, the good
    # link after it would be skipped as seen and the article lost for the run.
    crawl = spider(tmp_path)
    requests = list(crawl.parse_sitemap(sitemap(f"https://{site.DOMAIN}../news/5/", UNDOTTED),
                                        crawl.site.editions[0]))
    assert [r.url for r in requests] == [UNDOTTED]
    assert stats(crawl).get("discovery/skipped/invalid_url") == 1
    assert "discovery/skipped/seen" not in stats(crawl)


def test_a_robots_sitemap_line_at_the_dotted_host_is_the_site_s_and_read_once(tmp_path: Path) -> None:
    crawl = spider(tmp_path)
    robots = TextResponse(f"https://{site.DOMAIN}/robots.txt", body=(
        f"User-agent: *\nSitemap: https://{site.DOMAIN}./sitemap.xml\nSitemap: https://{site.DOMAIN}/sitemap.xml\n"
    ).encode())
    requests = list(crawl.parse_robots(robots, crawl.site.editions[0]))
    assert [r.url for r in requests] == [f"https://{site.DOMAIN}/sitemap.xml"]
    assert "discovery/skipped/offsite_sitemap" not in stats(crawl)
    assert stats(crawl).get("discovery/skipped/sitemap_seen") == 1
