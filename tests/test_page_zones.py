"""The zone of the naive dates of a site crawled by its home page alone: the offset its page states, else its
country's, else UTC. A configured site's zone is its own, whatever its pages state; a page of no known site
extracted on its own is read in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from crawler.extract.article import extract_article
from crawler.sites import GENERIC, load_site
from crawler.spiders.news import generic_site

FETCHED = datetime(2025, 12, 20, 9, 0, tzinfo=UTC)
BODY = ("<p>Депутаты Жогорку Кенеша одобрили в первом чтении законопроект о защите персональных данных, "
        "сообщает пресс-служба парламента.</p>") * 3
NAIVE = '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2025-12-05T01:30:00"}</script>'


def page(header: str = "", sidebar: str = "") -> str:
    return (f"<html><head><title>Закон о данных</title>{NAIVE}</head><body><article><h1>Закон о данных</h1>"
            f"{header}{BODY}</article><aside>{sidebar}</aside></body></html>")


def published(html: str, url: str, site: object = GENERIC) -> datetime | None:
    return extract_article(html, url, site, fetched_at=FETCHED).published  # type: ignore[arg-type]


def test_a_generic_site_reads_naive_dates_in_the_zone_its_pages_state_else_its_countrys() -> None:
    site, other = generic_site("https://example.kg/"), generic_site("https://example.com/")
    assert site.editions[0].timezone == "Asia/Bishkek" and not site.editions[0].zone_known
    assert other.editions[0].timezone == "UTC" and not other.editions[0].zone_known
    # the page's <time> states +05:00: the naive JSON-LD 01:30 is there, the 4th at 20:30 UTC
    stated = page('<time datetime="2025-12-05T01:30:00+05:00">5 декабря</time>')
    assert published(stated, "https://example.kg/a/1", site) == datetime(2025, 12, 4, 20, 30, tzinfo=UTC)
    assert published(stated, "https://example.com/a/1", other) == datetime(2025, 12, 4, 20, 30, tzinfo=UTC)
    # the offset most of its times state (its other articles in a sidebar), not a lone one
    most = page(sidebar='<time datetime="2025-12-01T10:00:00+05:00"></time><time datetime="2025-12-02T10:00:00+05:00">'
                        '</time><time datetime="2025-11-30T10:00:00+03:00"></time>')
    assert published(most, "https://example.kg/a/1", site) == datetime(2025, 12, 4, 20, 30, tzinfo=UTC)
    # nothing stated, or only "+00:00" (templates print local time so): its country's (Kyrgyzstan, UTC+6), else UTC
    utc_stated = page('<meta property="article:modified_time" content="2025-12-05T02:00:00+00:00">')
    for html in (page(), utc_stated):
        assert published(html, "https://example.kg/a/1", site) == datetime(2025, 12, 4, 19, 30, tzinfo=UTC)
        assert published(html, "https://example.com/a/1", other) == datetime(2025, 12, 5, 1, 30, tzinfo=UTC)


def test_a_page_of_no_known_site_is_read_in_utc() -> None:
    stated = page('<time datetime="2025-12-05T01:30:00+06:00">5 декабря</time>')
    assert published(stated, "https://news.example.kg/a/1") == datetime(2025, 12, 5, 1, 30, tzinfo=UTC)


def test_a_configured_site_keeps_its_own_zone() -> None:
    """asiaplus is configured in Asia/Dushanbe (UTC+5): a page stating +06:00 elsewhere changes nothing."""
    site = load_site("asiaplus")
    url = f"{site.editions[0].home.rstrip('/')}/2025/12/05/law/"
    stated = page(sidebar='<time datetime="2025-12-01T10:00:00+06:00"></time>')
    assert site.editions[0].timezone == "Asia/Dushanbe"
    assert published(stated, url, site) == datetime(2025, 12, 4, 20, 30, tzinfo=UTC)
