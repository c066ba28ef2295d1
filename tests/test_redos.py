"""Regular expressions on page-controlled text run in linear time: each public function that
applies one gets long inputs built to make that pattern backtrack (runs of the characters it
repeats, near-matches that fail at the last character) and must answer within a budget."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from crawler.bench.replica_server import serve
from crawler.dates import date_from_url, parse_datetime
from crawler.discovery.html import robots_sitemaps
from crawler.extract.article import extract_article
from crawler.extract.boilerplate import is_cross_link, is_not_a_person, is_ui_line, split_credit
from crawler.extract.cleanup import attribution
from crawler.extract.labelled_date import first_published_date
from crawler.extract.language import detect_language, parse_language_tag
from crawler.extract.visible_dates import find_visible_date, parse_visible_date
from crawler.minhash import signature
from crawler.secrets import mask_uri
from crawler.sites import SiteConfigError, load_site, parse_site, site_names
from crawler.sites.patterns import MAX_URL_LENGTH, has_nested_quantifier
from crawler.spiders.news import generic_site
from crawler.text import normalize_text
from crawler.urls import canonical_url, url_key
from tests.crawling import run_crawl
from tests.replicas import expected_articles

BUDGET = 0.5  # CPU seconds; every case here takes a few milliseconds when linear
N = 50_000
TZ = ZoneInfo("Asia/Dushanbe")
NOW = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)


def within_budget(call: Callable[[], Any]) -> Any:
    """``call()``'s result, asserting it used less than BUDGET of this process's CPU time."""
    start = time.process_time()
    result = call()
    spent = time.process_time() - start
    assert spent < BUDGET, f"{spent:.2f} s of CPU"
    return result


# --- URL patterns: the generic config's, every bundled site's, and the length cap --------------------------------

GENERIC = generic_site("https://example.kg/")
HOME = "https://example.kg/"
SLUG = 2_000  # under MAX_URL_LENGTH, so the pattern itself runs on it

# (hostile URL, whether it is an article URL). The cubic form of the generic pattern took
# about 20 s on the first one.
GENERIC_URLS = {
    "dashes then a query": (HOME + "-" * SLUG + "?", False),
    "dashes then a fragment": (HOME + "-" * SLUG + "#", False),
    "underscores then a query": (HOME + "_" * SLUG + "?x=1", False),
    "word-dash pairs then a query": (HOME + "a-" * (SLUG // 2) + "?", False),
    "digits then a query": (HOME + "1" * SLUG + "?", False),
    "digit-dash pairs then a fragment": (HOME + "12-" * (SLUG // 3) + "#top", False),
    "dashes then two slashes": (HOME + "-" * SLUG + "//", False),
    "slash-dash segments then a query": (HOME + "/-" * (SLUG // 2) + "?", False),
    "empty segments": (HOME + "/" * SLUG + "?", False),
    "slug segments then a plain one": (HOME + "a-b-c/" * (SLUG // 6) + "x", False),
    "date-like segments then a query": (HOME + "2025/" * (SLUG // 5) + "?", False),
    "a long real slug": (HOME + "news/" + "a-" * (SLUG // 2) + "b/", True),
    "a long numeric id": (HOME + "news/" + "1" * SLUG, True),
    "slug segments then a slug": (HOME + "a-b-c/" * (SLUG // 6) + "x-y-z/", True),
}


@pytest.mark.parametrize(("url", "expected"), GENERIC_URLS.values(), ids=GENERIC_URLS.keys())
def test_generic_article_url_pattern_is_linear(url: str, expected: bool) -> None:
    assert len(url) <= MAX_URL_LENGTH
    assert within_budget(lambda: GENERIC.is_article_url(url)) is expected


def _near_misses(site: str) -> list[str]:
    """Each bundled site's real article URL with its last segment padded by long runs, ending
    in characters its pattern refuses."""
    real = next(iter(expected_articles(site))).rstrip("/")
    head, _, slug = real.rpartition("/")
    room = MAX_URL_LENGTH - len(head) - 4
    return [f"{head}/{slug}{run * (room // len(run))}{end}"[:MAX_URL_LENGTH]
            for run in ("-", "_", "1", "a-", "-1", "%D0%B0", "/a", "a-1/") for end in ("?", "#", "//", "/.x")]


@pytest.mark.parametrize("site", site_names())
def test_every_bundled_site_pattern_is_linear(site: str) -> None:
    config = load_site(site)
    for url in _near_misses(site):
        within_budget(lambda url=url: config.is_article_url(url))  # type: ignore[misc]


def test_urls_longer_than_scrapy_fetches_never_reach_a_pattern() -> None:
    # Cubic, but without nested quantifiers, so it loads: the cap is what bounds it.
    site = parse_site({"name": "x", "domains": ["x.kg"], "article_url": r"^https://x\.kg/.*-.*-.*/$",
                       "editions": [{"language": "ru", "timezone": "UTC", "home": "https://x.kg/"}]}, "test")
    assert site.is_article_url("https://x.kg/a-b-c/")
    assert within_budget(lambda: site.is_article_url("https://x.kg/" + "-" * N)) is False
    assert within_budget(lambda: GENERIC.is_article_url(HOME + "a-" * N + "b/")) is False


@pytest.mark.parametrize("pattern", [r"^https://x\.kg/(?:[a-z]+-)*\d+/$", r"^https://x\.kg/(a|a+)+$",
                                     r"/(?:[^/]+/)*amp/$", r"(?:(?:a*)?b)+"])
def test_nested_quantifiers_are_refused_when_a_config_loads(pattern: str) -> None:
    assert has_nested_quantifier(pattern)
    data = {"name": "x", "domains": ["x.kg"], "article_url": r"^https://x\.kg/", "exclude_urls": [pattern],
            "editions": [{"language": "ru", "timezone": "UTC", "home": "https://x.kg/"}]}
    with pytest.raises(SiteConfigError, match=r"exclude_urls: .* repeats a part that itself repeats"):
        parse_site(data, "x.toml")


@pytest.mark.parametrize("pattern", [r"^https://x\.kg/(?:[a-z]++-)*\d+/$", r"^https://x\.kg/(?>[^/]+/)*$",
                                     r"^https://x\.kg/(?:[a-z]+/)?\d{4}/", r"(?:ab){2,5}"])
def test_possessive_atomic_and_single_level_repeats_load(pattern: str) -> None:
    assert not has_nested_quantifier(pattern)


# --- text patterns, through the functions extraction and discovery call -----------------------------------------

ROBOTS = "User-agent: *\nSitemap: https://x.kg/s.xml\n"  # then blank lines, each once a place a match could start


def _texts() -> dict[str, tuple[Callable[[str], Any], str]]:
    # The date patterns try long alternations of month and unit words at each position: linear,
    # but some 6 us a character, so 20,000 characters stay well inside the budget. Each impossible
    # date used to cost a search of the whole rest of the text (10 s here).
    v = 20_000
    return {
        "visible date: impossible dates": (lambda t: find_visible_date(t, TZ, NOW), "31.02.2025 " * (v // 11)),
        "visible date: impossible days": (lambda t: find_visible_date(t, TZ, NOW), "31 февраля " * (v // 11)),
        "visible date: impossible times": (lambda t: find_visible_date(t, TZ, NOW), "14.03.2025 25:10 " * (v // 17)),
        "visible date: parse impossible": (lambda t: parse_visible_date(t, TZ, NOW), "31.02.2025 " * (v // 11)),
        "visible date: deadlines": (lambda t: find_visible_date(t, TZ, NOW), "until 14 марта 2025 " * (v // 20)),
        "first publication statements": (lambda t: first_published_date(t, lambda x: find_visible_date(x, TZ, NOW)),
                                         "originally published on 31.02.2025 " * (v // 36)),
        "visible date: days alone": (lambda t: find_visible_date(t, TZ, NOW), "14 " * (v // 3)),
        "visible date: times alone": (lambda t: find_visible_date(t, TZ, NOW), "10:15 " * (v // 6)),
        "visible date: time then separators": (lambda t: find_visible_date(t, TZ, NOW), "10:15" + " -," * (v // 3)),
        "visible date: units without ago": (lambda t: find_visible_date(t, TZ, NOW), "2 часа " * (v // 7)),
        "visible date: years without day": (lambda t: find_visible_date(t, TZ, NOW), "2025-жылдын " * (v // 12)),
        "visible date: dashes": (lambda t: find_visible_date(t, TZ, NOW), "-" * v),
        "visible date: spaces": (lambda t: find_visible_date(t, TZ, NOW), "14" + " " * v + "x"),
        "robots.txt: blank lines": (robots_sitemaps, ROBOTS + "\n" * 20_000 + "Disallow: /"),
        "robots.txt: space lines": (robots_sitemaps, ROBOTS + " \n" * 10_000 + "Disallow: /"),
        "robots.txt: CRLF lines": (robots_sitemaps, ROBOTS + "\r\n" * 10_000 + "Disallow: /"),
        "photo credit: spaces": (split_credit, "a" + " " * 158 + "b"),
        "photo credit: dotted words": (split_credit, "a. " * 53),
        "photo credit: credit words": (split_credit, "photo " * 26),
        "photo credit: long line": (split_credit, "a " * N),
        "UI line": (is_ui_line, "share " * (N // 6)),
        "JavaScript notice": (is_ui_line, "javascript " * (N // 11)),
        "cross link": (is_cross_link, "read also " * (N // 10)),
        "byline": (is_not_a_person, "editor " * (N // 7)),
        "attribution": (lambda t: attribution([t, t]), "source " * (N // 7) + ":"),
        "whitespace": (normalize_text, " \u00a0\u2009" * (N // 3)),
        "language": (detect_language, "«" + "о'" * (N // 2)),
        "language tag": (parse_language_tag, "ru-" + "a" * N),
        "minhash": (signature, "слово " * (N // 6)),
        "URL canonical": (canonical_url, HOME + "?" + "utm_a=1&" * (N // 8)),
        "URL key": (url_key, "https://www.example.kg/" + "amp/" * (N // 4)),
        "machine date": (parse_datetime, "2025-03-14 " + "1" * N),
        "dotted date": (parse_datetime, "14.03.2025" + " ," * N),
        "permalink date": (date_from_url, HOME + "2025/03/" * (N // 8)),
        "permalink ISO date": (date_from_url, HOME + "2025-03-" * (N // 8)),
        "permalink compact date": (date_from_url, HOME + "-2025031" * (N // 8)),
        # Every log record passes through mask_uri, and log lines quote page URLs.
        "credentials: schemes": (mask_uri, "a://" * (N // 4)),
        "credentials: userinfo": (mask_uri, "http://u:" + "p" * N + " http://" * (N // 8)),
    }


TEXTS = _texts()


@pytest.mark.parametrize(("call", "text"), TEXTS.values(), ids=TEXTS.keys())
def test_text_patterns_are_linear(call: Callable[[str], Any], text: str) -> None:
    call(text[:2_000])  # warm up: lazy loads (the language model) are not what is timed
    within_budget(lambda: call(text))


def test_hostile_text_still_gives_the_right_answers() -> None:
    assert robots_sitemaps(ROBOTS + "\n" * 20_000 + "Disallow: /") == ["https://x.kg/s.xml"]
    text = "31.02.2025 " * 1_000 + "14 марта 2025, 10:15"
    assert find_visible_date(text, TZ, NOW) == (datetime(2025, 3, 14, 5, 15, tzinfo=UTC), "14 марта 2025, 10:15")
    assert split_credit("Рогунская ГЭС.  Фото:  Asia-Plus") == ("Рогунская ГЭС", "Asia-Plus")


def test_hostile_page_is_extracted_within_budget() -> None:
    site = load_site("asiaplus")
    title = "Border talks" + " - " * (N // 3) + " Asia-Plus"
    html = (f"<html><head><title>{title}</title><meta name='author' content='By {' ' * N}x'></head><body>"
            f"<article><h1>{title}</h1><p class='byline'>{'31.02.2025 ' * 27}</p><figure><img src='/a.jpg'>"
            f"<figcaption>{'a' + ' ' * 150 + 'b'}</figcaption></figure>"
            f"<p>{'Officials met in Dushanbe. ' * 20}</p></article></body></html>")
    record = within_budget(lambda: extract_article(html, "https://asiaplus.news/2025/03/14/x-y-z/", site))
    assert record.title.startswith("Border talks")


# --- end to end: a home page full of hostile links ------------------------------------------------------------------

ARTICLE = """<html><head><title>Border talks</title><meta property="og:type" content="article">
<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Border talks",
 "datePublished": "2025-03-14T10:00:00+05:00"}</script></head><body><article><h1>Border talks</h1>
<p>Officials of both countries met in Dushanbe on Friday to discuss the demarcation of the border.</p>
<p>The talks will continue next month in Bishkek, both foreign ministries said in their statements.</p>
<p>Delegations agreed on the next steps for the joint commission and the schedule of its meetings.</p>
</article></body></html>"""


@pytest.mark.e2e
def test_a_crawl_of_a_page_of_hostile_links_takes_seconds(tmp_path: Path) -> None:
    links = ["/" + "-" * SLUG + "?x", "/" + "a_" * (SLUG // 2) + "?p=1", "/news/" + "1-" * (SLUG // 2) + "?q=1",
             "/" + "-" * N + "/", "/2025/03/14/border-talks/"]
    (tmp_path / "index.html").write_text(
        "<html><head><title>Home</title></head><body>"
        + "".join(f'<a href="{link}">{i}</a>' for i, link in enumerate(links)) + "</body></html>")
    (tmp_path / "2025/03/14/border-talks").mkdir(parents=True)
    (tmp_path / "2025/03/14/border-talks/index.html").write_text(ARTICLE)
    with serve(tmp_path) as server:
        start = time.monotonic()
        result = run_crawl("news", f"url={HOME}", f"base_url=http://127.0.0.1:{server.server_port}", env={},
                           timeout=120)
        elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stderr[-3000:]
    assert "'discovery/skipped/url_too_long': 1" in result.stderr
    assert "'discovery/skipped/not_article_url': 3" in result.stderr
    assert "'storage/inserted': 1" in result.stderr  # the one real article, beside the hostile links
    assert elapsed < 30, f"{elapsed:.0f} s"
