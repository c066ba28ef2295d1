"""The egress filter: decided from host names alone (no packet leaves 127.0.0.0/8 here),
then end to end with a replica page that redirects to another loopback port."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import ClassVar

import pytest
from scrapy import Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.middlewares.egress import EgressFilterMiddleware, EgressPolicy, is_private_host, refusal
from crawler.urls import Mirror
from tests.conftest import free_port
from tests.crawling import MongoTarget, StoreCrawl
from tests.replicas import REPLICAS, expected_articles

ALLOWED = ["asiaplus.news", "www.asiaplus.news"]


@pytest.mark.parametrize(("host", "private"), [
    ("169.254.169.254", True), ("169.254.1.1", True), ("10.0.0.5", True), ("172.16.3.4", True),
    ("192.168.1.1", True), ("127.0.0.1", True), ("127.5.6.7", True), ("0.0.0.0", True), ("::1", True),
    ("[::1]", True), ("fe80::1", True), ("fd00::1", True), ("::ffff:169.254.169.254", True),
    ("localhost", True), ("api.localhost", True), ("224.0.0.1", True),
    ("93.184.216.34", False), ("asiaplus.news", False), ("2606:4700::1111", False),
])
def test_private_hosts(host: str, private: bool) -> None:
    assert is_private_host(host) is private


@pytest.mark.parametrize(("netloc", "mirror", "reason"), [
    ("asiaplus.news", None, None),
    ("cdn.asiaplus.news", None, None),
    ("ASIAPLUS.NEWS:443", None, None),
    ("evil.example", None, "offsite"),
    ("asiaplus.news.evil.example", None, "offsite"),
    ("169.254.169.254", None, "offsite"),
    ("127.0.0.1:8800", "127.0.0.1:8800", None),  # the mirror an operator named
    ("asiaplus.news", "127.0.0.1:8800", "offsite"),  # in a mirror's crawl, the real site too
    ("127.0.0.1:9999", "127.0.0.1:8800", "offsite"),  # same host, another port: not the mirror
    ("localhost:8800", "127.0.0.1:8800", "offsite"),
])
def test_refusal(netloc: str, mirror: str | None, reason: str | None) -> None:
    allowed = [*ALLOWED, *([mirror.split(":")[0]] if mirror else [])]
    assert refusal(netloc, allowed, mirror) == reason


def test_private_address_inside_allowed_domains_is_refused() -> None:
    assert refusal("169.254.169.254", ["169.254.169.254"], None) == "private"
    assert refusal("10.1.2.3", ["10.1.2.3", "asiaplus.news"], None) == "private"
    assert refusal("10.1.2.3", ["10.1.2.3", "asiaplus.news"], "127.0.0.1:8800") == "offsite"  # only the mirror


class _SiteSpider(Spider):
    name = "site"
    allowed_domains: ClassVar[list[str]] = [*ALLOWED, "127.0.0.1"]
    mirror = Mirror.for_site("http://127.0.0.1:8800", tuple(ALLOWED), "https://asiaplus.news/")


MIRRORED = EgressPolicy.for_spider(_SiteSpider())


@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1:8800/news/", None),
    # the real site's hosts: a mirror stands in for them (Scrapy's requests are sent to it, Chromium's refused)
    ("https://asiaplus.news/news/", "offsite"),
    ("https://cdn.asiaplus.news/app.js", "offsite"),
    ("WSS://asiaplus.news/live", "offsite"),
    ("ws://127.0.0.1:8800/live", None),
    ("http://127.0.0.1:9999/", "offsite"),  # the mirror's host on another port
    ("ws://127.0.0.1:9999/ws", "offsite"),
    ("https://127.0.0.1/", "offsite"),  # port 443, not the mirror
    ("http://169.254.169.254/latest/meta-data/", "offsite"),
    ("http://localhost:8800/", "offsite"),
    ("http://127.0.0.1:99999/", "offsite"),  # no such port
    ("https://аsiaplus.news/news/", "offsite"),  # a lookalike: its "а" is Cyrillic
    ("https://xn--siaplus-1fg.news/news/", "offsite"),  # the same in punycode, as Scrapy sends it
    ("https://asiaplus.news.xn--p1ai/", "offsite"),
    ("chrome-error://chromewebdata/", "scheme"),  # Chromium's error page as a final URL
    ("file:///etc/passwd", "scheme"),
    # the site's own host and the mirror's host:port: a host check alone let Scrapy's handlers read the file
    ("file://asiaplus.news/etc/passwd", "scheme"),
    ("FILE://127.0.0.1:8800/dev/zero", "scheme"),
    ("ftp://asiaplus.news/pub/sitemap.xml", "scheme"),
    ("ftp://127.0.0.1:8800/", "scheme"),
    ("s3://asiaplus.news/bucket/key", "scheme"),
    ("gopher://asiaplus.news/", "scheme"),
    ("//asiaplus.news/news/", "scheme"),  # no scheme: no request can be made of it
    ("data:text/html,<p>hi</p>", "scheme"),  # Scrapy would make a response of it: only the browser's pass
    ("blob:http://127.0.0.1:8800/0e6f", "scheme"),
    ("about:blank", "scheme"),
])
def test_policy_of_a_mirrored_site_by_url(url: str, reason: str | None) -> None:
    assert MIRRORED is not None and MIRRORED.url_refusal(url) == reason
    browser_own = url.split(":", 1)[0] in ("data", "blob", "about")
    assert MIRRORED.url_refusal(url, browser=True) == (None if browser_own else reason)


@pytest.mark.parametrize("url", ["file://asiaplus.news/etc/passwd", "ftp://127.0.0.1:8800/", "data:,x",
                                 "wss://asiaplus.news/live", "s3://bucket/key"])
@pytest.mark.parametrize("spider", [_SiteSpider, Spider], ids=["site", "without-sites"])
def test_only_http_reaches_scrapy_counted_and_logged_in_one_line(url: str, spider: type[Spider],
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    crawler = get_crawler(spider)
    crawler.spider = spider(name="site")
    middleware = EgressFilterMiddleware.from_crawler(crawler)
    with pytest.raises(IgnoreRequest, match="egress refused \\(scheme\\)"):
        asyncio.run(middleware.process_request(Request(url)))
    assert crawler.stats is not None and crawler.stats.get_value("egress/refused/scheme") == 1
    assert [r.getMessage() for r in caplog.records] == [f"Refused scheme request to {url}"]


def test_a_refused_url_is_logged_short_and_without_its_password(caplog: pytest.LogCaptureFixture) -> None:
    crawler = get_crawler(_SiteSpider)
    crawler.spider = _SiteSpider()
    middleware = EgressFilterMiddleware.from_crawler(crawler)
    for url in ("ftp://user:hunter2@asiaplus.news/", "data:text/plain," + "A" * 5_000_000):
        with pytest.raises(IgnoreRequest) as refused:
            asyncio.run(middleware.process_request(Request(url)))
        assert len(str(refused.value)) < 300 and "hunter2" not in str(refused.value)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "Refused scheme request to ftp://user:***@asiaplus.news/"
    assert lines[1].startswith("Refused scheme request to data:text/plain,AAAA") and len(lines[1]) < 300


@pytest.mark.parametrize(("host", "port", "reason"), [
    ("127.0.0.1", 8800, None), ("asiaplus.news", 443, "offsite"), ("127.0.0.1", 8801, "offsite"),
    ("10.0.0.1", 80, "offsite"), ("::1", 8800, "offsite"),
])
def test_policy_of_a_mirrored_site_by_connection(host: str, port: int, reason: str | None) -> None:
    assert MIRRORED is not None and MIRRORED.refusal(host, port) == reason
    assert MIRRORED.is_mirror(host, port) is (host == "127.0.0.1" and port == 8800)


def test_policy_of_a_mirror_without_a_port_and_of_a_spider_without_sites() -> None:
    class Portless(_SiteSpider):
        mirror = Mirror.for_site("http://mirror.test", tuple(ALLOWED), "https://asiaplus.news/")
        allowed_domains: ClassVar[list[str]] = [*ALLOWED, "mirror.test"]

    policy = EgressPolicy.for_spider(Portless())
    assert policy is not None and policy.mirror == "mirror.test:80"
    assert policy.url_refusal("http://mirror.test/a/") is None
    assert policy.url_refusal("http://mirror.test:8080/a/") == "offsite"
    assert EgressPolicy.for_spider(Spider(name="bare")) is None


def test_a_response_whose_final_url_is_refused_is_dropped_and_counted() -> None:
    crawler = get_crawler(_SiteSpider)
    crawler.spider = _SiteSpider()
    middleware = EgressFilterMiddleware.from_crawler(crawler)
    request = Request("http://127.0.0.1:8800/news/a/")
    ok = HtmlResponse("http://127.0.0.1:8800/news/b/", body=b"<p>", request=request)
    assert middleware.process_response(request, ok) is ok
    for final in ("http://127.0.0.1:9999/admin/", "chrome-error://chromewebdata/"):
        with pytest.raises(IgnoreRequest, match="egress refused"):
            middleware.process_response(request, HtmlResponse(final, body=b"<p>", request=request))
    assert crawler.stats is not None and crawler.stats.get_value("egress/refused/final_url") == 2


def test_redirect_to_another_loopback_port_is_refused_while_the_mirror_works(
    tmp_path: Path, mongo: MongoTarget, crawl_into_store: StoreCrawl
) -> None:
    replica = tmp_path / "asiaplus"
    shutil.copytree(REPLICAS / "asiaplus", replica)
    csto = next(u for u in expected_articles("asiaplus") if "csto" in u)
    hijacked = csto.replace("https://asiaplus.news", "")
    (replica / "_server.json").write_text(json.dumps(
        {"redirects": {hijacked: f"http://127.0.0.1:{free_port()}/admin/"}}))
    result = crawl_into_store("asiaplus", replica=replica)
    assert result.returncode == 0, result.stderr[-3000:]
    stored = {doc["url"] for doc in mongo.db.articles.find()}
    assert stored == set(expected_articles("asiaplus")) - {csto}
    stats = result.stats
    assert stats["egress/refused/offsite"] == 1
